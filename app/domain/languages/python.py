"""Python as a script language: `scripts/<key>.py`, ast-based entry finder, lint and rename."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.languages.base import EditorMode, Language, ScriptEntry

if TYPE_CHECKING:
    from app.domain.findings import Finding
    from app.domain.scripts import Mode, ScriptKind


class PythonLanguage(Language):
    def entry_name(self, kind: ScriptKind) -> str:
        return kind.python_name

    def signature(self, kind: ScriptKind, context: bool = False) -> tuple[str, ...]:
        return kind.python_signature(context)

    def find_entry(self, source: str, kind: ScriptKind) -> ScriptEntry | None:
        import ast
        import warnings

        from app.domain.entry import find_entry

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        e = find_entry(tree, kind)
        if e is None:
            return None
        return ScriptEntry(e.name, e.line, e.params, e.is_async, e.is_lambda, e.recommended, e.has_varargs)

    def lint(self, key: str, source: str, *, mode: Mode | str = "legacy", context: bool = False) -> list[Finding]:
        from app.domain.lint import lint_source

        return lint_source(key, source, mode=mode, context=context)

    def rename_entry(self, source: str, key: str) -> str:
        from app.domain.rename import rename_entry

        return rename_entry(source, key)


PYTHON = PythonLanguage(
    name="python",
    title="Python",
    suffix=".py",
    lexer="pygments.lexers.python:PythonLexer",
    editor=EditorMode(
        indent_unit="    ",
        comment_prefix="#",
        block_openers=":([{",
        dedent_keywords=("return", "pass", "raise", "break", "continue"),
    ),
    completion="jedi",
    debugger="python-bdb",
    trace_language="python",
)
