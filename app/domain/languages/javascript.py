"""JavaScript as a script language: `scripts/<key>.js`, what the hosted platform really runs.
Parsing, entry finding, lint and rename are tree-sitter based (app/domain/js)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.languages.base import EditorMode, Language, ScriptEntry

if TYPE_CHECKING:
    from app.domain.findings import Finding
    from app.domain.js.entry import JsEntry
    from app.domain.scripts import Mode, ScriptKind


class JavaScriptLanguage(Language):
    def entry_name(self, kind: ScriptKind) -> str:
        return kind.js_name

    def signature(self, kind: ScriptKind, context: bool = False) -> tuple[str, ...]:
        return kind.js_signature(context)

    def js_entry(self, source: str, kind: ScriptKind) -> JsEntry | None:
        """The entry with what the Node host needs: its form (the file is one function expression,
        or statements with a named function) and whether the hosted loader can reach it."""
        from app.domain.js.entry import find_entry
        from app.domain.js.parser import parse

        src = parse(source)
        return None if src.root.has_error else find_entry(src, kind)

    def find_entry(self, source: str, kind: ScriptKind) -> ScriptEntry | None:
        e = self.js_entry(source, kind)
        if e is None or not e.callable_by_loader:
            return None
        return ScriptEntry(e.name, e.line, e.params, e.is_async, e.anonymous, e.recommended, e.has_rest)

    def lint(self, key: str, source: str, *, mode: Mode | str = "legacy", context: bool = False) -> list[Finding]:
        from app.domain.js.lint import lint_source

        return lint_source(key, source, mode=mode, context=context)

    def rename_entry(self, source: str, key: str) -> str:
        from app.domain.js.rename import rename_entry

        return rename_entry(source, key)


JAVASCRIPT = JavaScriptLanguage(
    name="javascript",
    title="JavaScript",
    suffix=".js",
    lexer="pygments.lexers.javascript:JavascriptLexer",
    editor=EditorMode(
        indent_unit="    ",
        comment_prefix="//",
        block_openers="{([",
        dedent_keywords=(),
        closers="}",
    ),
    completion="typescript",
    debugger="node-inspector",
    trace_language="javascript",
)
