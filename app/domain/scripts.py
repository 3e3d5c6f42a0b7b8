"""What an action-script kind is (`ScriptKind`) and the two connection modes; the kinds themselves
are a platform's data (app/domain/platforms/auth0.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    LEGACY = "legacy"  # the user stays in the legacy store; every operation calls a script
    MIGRATION = "migration"  # import ON: users move to the managed store at first login


@dataclass(frozen=True)
class ScriptKind:
    key: str  # hosted key and file stem: scripts/<key><language suffix>
    title: str
    params: tuple[str, ...]  # Python parameter names, without context and callback
    js_params: tuple[str, ...]  # hosted (JavaScript) parameter names, same order
    python_name: str  # recommended Python entry name
    js_name: str  # recommended JavaScript function name
    aliases: tuple[str, ...]  # other names seen in the wild for this script
    modes: frozenset[Mode]  # modes in which the platform calls it
    required_in: frozenset[Mode]  # modes in which the connection cannot work without it
    runs_when: str  # one sentence: what makes the platform call it
    success: str  # what a successful answer looks like
    always_empty_context: bool = False  # Delete always receives an empty context

    def python_signature(self, context: bool = False) -> tuple[str, ...]:
        """Positional parameters of the Python entry, `context` before `callback` when enabled."""
        return (*self.params, *(("context",) if context else ()), "callback")

    def js_signature(self, context: bool = False) -> tuple[str, ...]:
        return (*self.js_params, *(("context",) if context else ()), "callback")

    def used_in(self, mode: Mode | str) -> bool:
        return Mode(mode) in self.modes

    def required(self, mode: Mode | str) -> bool:
        return Mode(mode) in self.required_in


def kind(key: str) -> ScriptKind:
    """The Auth0 kind for a script key, for code that has no project at hand (the runner child is
    told the key only); code with a project asks `project.platform.kind(key)`. KeyError names the
    valid keys."""
    from app.domain.platforms.auth0 import AUTH0

    return AUTH0.kind(key)
