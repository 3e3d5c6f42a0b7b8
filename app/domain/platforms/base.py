"""What an identity platform is to the IDE: which scripts it calls, in which modes, with which
limits, and how it judges an answer. One instance per platform (Auth0's is the only one now).

The judging functions (outcome, profile rules, flows) stay in their own domain modules; a
Platform names them, so a second platform plugs in by providing its own without touching callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.domain.scripts import Mode, ScriptKind

if TYPE_CHECKING:
    from app.domain.findings import Finding
    from app.domain.flows import Flow
    from app.domain.outcome import Answer, Verdict


@dataclass(frozen=True)
class Limits:
    timeout_s: float  # one script run, wall clock
    max_script_bytes: int  # one script's source, UTF-8
    timeout_message: str  # what the platform answers when a run hits timeout_s


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    kinds: Mapping[str, ScriptKind]  # by key, in the canonical order
    modes: tuple[Mode, ...]
    limits: Limits
    log_events: Mapping[str, str]  # code -> what the platform's log viewer calls it
    injected_names: tuple[str, ...]  # what the hosted sandbox gives a script besides its arguments
    error_classes: tuple[str, ...]  # the error types a script hands to callback to refuse

    # -- script kinds ----------------------------------------------------------------------------
    @property
    def order(self) -> tuple[str, ...]:
        """Every script key, in the order the IDE lists them."""
        return tuple(self.kinds)

    def kind(self, key: str) -> ScriptKind:
        """The kind for a script key; KeyError names the valid keys."""
        try:
            return self.kinds[key]
        except KeyError:
            raise KeyError(f"unknown script {key!r}; expected one of {', '.join(self.order)}") from None

    def kinds_for_mode(self, mode: Mode | str) -> list[ScriptKind]:
        return [k for k in self.kinds.values() if k.used_in(mode)]

    def kind_for_function_name(self, name: str) -> ScriptKind | None:
        """Map a function name from either language (recommended or alias) to its script kind."""
        lowered = name.lower()
        for k in self.kinds.values():
            if lowered in (n.lower() for n in (k.python_name, k.js_name, *k.aliases)):
                return k
        return None

    # -- judging answers (pure functions of the domain, named here) ------------------------------
    def classify(self, key: str, answer: Answer) -> Verdict:
        """The outcome and log event of a run whose script called callback (first call counts)."""
        from app.domain.outcome import classify

        return classify(key, answer)

    def check_profile(self, profile: Mapping[str, Any], script: str, **options: Any) -> list[Finding]:
        """Every problem of a profile Login or Get User answered."""
        from app.domain.profile import check_profile

        return check_profile(profile, script, **options)

    def flow(self, mode: Mode | str, name: str) -> Flow:
        """A flow (what the platform calls when) of `mode`; KeyError lists the valid names."""
        from app.domain.flows import flow

        return flow(mode, name)

    def flow_names(self, mode: Mode | str) -> list[str]:
        from app.domain.flows import flow_names

        return flow_names(mode)
