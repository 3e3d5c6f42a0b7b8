"""What a script language is to the IDE: its file suffix, how its entry function is found, linted
and renamed, how the editor colours and indents it, and which completion, debugger and trace
machinery serve it. One instance per language; a project names its own in customdb.toml.

No I/O and no Qt here: the editor turns `lexer` and `editor` into widgets, the engine turns
`completion` and `debugger` into processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.domain.findings import Finding
    from app.domain.scripts import Mode, ScriptKind


@dataclass(frozen=True)
class EditorMode:
    """How the editor indents and comments a language."""

    indent_unit: str = "    "
    comment_prefix: str = "#"  # Ctrl+/ puts this (and a space) before the line's code
    block_openers: str = ":([{"  # a line whose code ends with one of these indents the next one
    dedent_keywords: tuple[str, ...] = ()  # after a line starting with one of these, the next dedents
    closers: str = ""  # typing one of these as a line's first character dedents that line


@dataclass(frozen=True)
class ScriptEntry:
    """The function the platform calls in a script, as any language reports it."""

    name: str | None  # None: an anonymous function (the hosted loader accepts `function (…) {}`)
    line: int  # 1-based line where it is defined
    params: tuple[str, ...]  # positional parameter names
    is_async: bool
    anonymous: bool  # unnamed, or a lambda bound to a name: stack traces do not name it
    recommended: bool  # named with the kind's recommended name in this language
    has_rest: bool = False  # *args / ...rest


@dataclass(frozen=True)
class Language:
    name: str  # what customdb.toml says: language = "<name>"
    title: str
    suffix: str  # scripts/<key><suffix>
    lexer: str  # "module:Class" of the pygments lexer the editor colours with
    editor: EditorMode
    completion: str  # completion provider id the engine serves (jedi, typescript...)
    debugger: str  # debugger adapter id the engine drives
    trace_language: str  # the language tag of app/domain/traces for stack traces in this language

    def file_name(self, key: str) -> str:
        """`login` -> `login.py`: a script's file name in this language."""
        return f"{key}{self.suffix}"

    def lexer_class(self) -> type:
        """The pygments lexer class (imported on first use: the IDE's start-up does not need it)."""
        module, _, cls = self.lexer.partition(":")
        return getattr(import_module(module), cls)

    # -- what each language implements ------------------------------------------------------------
    def entry_name(self, kind: ScriptKind) -> str:
        """The recommended name of the kind's entry function in this language."""
        raise NotImplementedError

    def signature(self, kind: ScriptKind, context: bool = False) -> tuple[str, ...]:
        """The entry's positional parameters as the platform passes them."""
        raise NotImplementedError

    def find_entry(self, source: str, kind: ScriptKind) -> ScriptEntry | None:
        """The function the platform would call, or None when the source has no single obvious one
        (or does not parse)."""
        raise NotImplementedError

    def lint(self, key: str, source: str, *, mode: Mode | str = "legacy", context: bool = False) -> list[Finding]:
        """Every static finding for one script's source (app/domain/findings.py codes)."""
        raise NotImplementedError

    def rename_entry(self, source: str, key: str) -> str:
        """The source with its entry given the recommended name (the quick fix); raises
        app.domain.rename.RenameError with a one-line reason when that cannot be done safely."""
        raise NotImplementedError
