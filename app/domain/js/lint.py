"""Static checks on a JavaScript action script (tree-sitter based, nothing is run): the same
finding codes and shapes as the Python lint (app/domain/lint.py) where the rule is the same, plus
the bugs hosted scripts carry.

Every finding names the script key and, where there is one, the line. Messages never repeat a
secret's value.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.domain.findings import Finding, Severity, finding
from app.domain.js.entry import JsEntry, bound_functions, find_entry
from app.domain.js.parser import Source, parse, syntax_errors, walk
from app.domain.js.rules import run_rules
from app.domain.lint import file_findings
from app.domain.scripts import Mode, ScriptKind, kind


def lint_source(key: str, source: str, *, mode: Mode | str = "legacy", context: bool = False) -> list[Finding]:
    """Every static finding for one JavaScript script, in line order (file-level findings first)."""
    k = kind(key)
    out = file_findings(k, source, mode)
    try:
        src = parse(source)
    except (ValueError, MemoryError, RecursionError) as e:  # e.g. lone surrogates the parser rejects
        out.append(finding("syntax-error", f"the script cannot be parsed ({e})", key, None))
        return out
    errors = syntax_errors(src)
    if errors:
        e = errors[0]
        out.append(finding("syntax-error", f"{e.message} (column {e.column})", key, e.line))
        return out
    body: list[Finding] = []
    entry = find_entry(src, k)
    body.extend(_entry_findings(src, entry, k, context))
    body.extend(run_rules(src, k, entry))
    body.sort(key=lambda f: (f.line or 0))
    return out + body


# --- entry ----------------------------------------------------------------------------------------

def _signature(k: ScriptKind, context: bool) -> str:
    return f"function {k.js_name}({', '.join(k.js_signature(context))})"


def _entry_findings(src: Source, entry: JsEntry | None, k: ScriptKind, context: bool) -> Iterator[Finding]:
    signature = _signature(k, context)
    if entry is None:
        bound = bound_functions(src)
        if not bound:
            msg = f"no function the platform can call; write {signature} {{…}}"
        else:
            names = ", ".join(src.node_text(n) for n, _ in bound)
            msg = (f"{len(bound)} top-level functions ({names}) and none is named {k.js_name}; "
                   f"name the entry {k.js_name}")
        yield finding("missing-entry", msg, k.key, src.line(bound[0][1]) if bound else None)
        return
    if entry.anonymous and not entry.callable_by_loader:
        yield finding("anonymous-entry",
                      f"the entry is an anonymous function among other top-level code, so the platform looks "
                      f"for a function named {k.js_name} and finds none; write {signature} {{…}}",
                      k.key, entry.line, severity=Severity.ERROR)
    elif entry.anonymous:
        yield finding("anonymous-entry",
                      f"the entry is an anonymous function, so stack traces show <anonymous>; write "
                      f"{signature} {{…}}", k.key, entry.line)
    elif not entry.callable_by_loader:
        yield finding("non-recommended-name",
                      f"the entry is named {entry.name}; the file has other top-level code, so the platform "
                      f"calls the function named {k.js_name} and finds none — rename it {k.js_name}",
                      k.key, entry.line, severity=Severity.ERROR)
    elif not entry.recommended:
        yield finding("non-recommended-name",
                      f"the entry is named {entry.name}; the recommended name is {k.js_name}", k.key, entry.line)
    problem = _arity_problem(src, entry, k.js_signature(context))
    if problem:
        yield finding("wrong-arity", f"{entry.name or 'the entry'} {problem}; the platform calls {signature}",
                      k.key, entry.line)


def _uses_arguments(src: Source, fn) -> bool:
    body = fn.child_by_field_name("body")
    return body is not None and any(n.type == "identifier" and src.node_text(n) == "arguments" for n in walk(body))


def _arity_problem(src: Source, entry: JsEntry, expected: tuple[str, ...]) -> str | None:
    """Why the platform's positional call would hand callback to the wrong parameter, or None."""
    n, total = len(expected), len(entry.params)
    if entry.has_rest or total == n or _uses_arguments(src, entry.node):
        return None
    if total < n:
        got = expected[total - 1] if total else "nothing"
        return (f"takes {total} arguments but the platform passes {n}, so "
                f"{entry.params[-1] if entry.params else 'callback'} receives {got}, not callback")
    return f"takes {total} arguments but the platform passes {n}, so {entry.params[-1]} is undefined"

