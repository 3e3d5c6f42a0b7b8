"""The one-click fix for anonymous or misnamed Python entries (JavaScript's: app/domain/js/rename.py):
give a script's entry function its recommended name, editing only the name tokens so every other line, comment and blank line stays
byte for byte as the user wrote it.

Pure functions on source text; the caller decides where the result goes.
"""

from __future__ import annotations

import ast
import re
import warnings

from app.domain.entry import Entry, find_entry
from app.domain.platforms.auth0 import AUTH0
from app.domain.scripts import ScriptKind

_NEWLINE = re.compile(r"\r\n|\r|\n")
_DEF = re.compile(r"(?:async\s+)?def\s+")


class RenameError(ValueError):
    """The script cannot be renamed safely; str() is one line saying why."""


def _kind(key: str) -> ScriptKind:
    try:
        return AUTH0.kinds[key]
    except KeyError:
        raise RenameError(f"unknown script {key!r}") from None


# -- Python --------------------------------------------------------------------------------

def rename_entry(source: str, key: str) -> str:
    """The script with its entry renamed to the recommended Python name (call sites in the file
    follow); a lambda bound to a name becomes a `def`. Unchanged when already recommended."""
    kind = _kind(key)
    try:
        tree = _parse(source)
    except SyntaxError as e:
        raise RenameError(f"the script does not parse (line {e.lineno}): {e.msg}") from None
    entry = find_entry(tree, kind)
    if entry is None:
        raise RenameError("no single entry function to rename")
    if entry.recommended:
        return source
    target = kind.python_name
    if entry.name != target and _binds_anywhere(tree, target):
        raise RenameError(f"the name {target!r} is already used in the script")
    starts = _line_starts(source)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) as str offsets
    if entry.is_lambda:
        edits.append(_lambda_as_def(source, starts, entry, target))
    else:
        m = _DEF.match(source, _offset(source, starts, entry.node.lineno, entry.node.col_offset))
        if m is None or not source.startswith(entry.name, m.end()):
            raise RenameError("cannot locate the entry's name")
        edits.append((m.end(), m.end() + len(entry.name), target))
    if entry.name != target:
        taken = edits[0]
        for node in _references(tree, entry.name):
            s = _offset(source, starts, node.lineno, node.col_offset)
            e = _offset(source, starts, node.end_lineno, node.end_col_offset)
            if not (taken[0] <= s < taken[1]):
                edits.append((s, e, target))
    result = _apply(source, edits)
    try:
        renamed = find_entry(_parse(result), kind)
    except SyntaxError:
        renamed = None
    if renamed is None or not renamed.recommended:
        raise RenameError("the renamed script would not have a recommended entry")
    return result


def _parse(source: str) -> ast.Module:
    """ast.parse without the user's invalid escapes ("\\d" in a regex string) warning on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _line_starts(source: str) -> list[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(source)]


def _offset(source: str, starts: list[int], lineno: int, col_bytes: int) -> int:
    """ast columns are UTF-8 byte offsets into the line; convert to a str offset in `source`."""
    start = starts[lineno - 1]
    line = source[start:start + col_bytes + 1]  # a char is at least one byte: enough text
    return start + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))


def _apply(source: str, edits: list[tuple[int, int, str]]) -> str:
    out = source
    for s, e, text in sorted(edits, reverse=True):
        out = out[:s] + text + out[e:]
    return out


def _binds_anywhere(tree: ast.Module, name: str) -> bool:
    """Is `name` already a variable, parameter, function, class or import anywhere in the file?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == name:
            return True
    return False


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _references(tree: ast.Module, name: str) -> list[ast.Name]:
    """Every `ast.Name` that refers to the module-level `name` (not a local of the same name)."""
    found: list[ast.Name] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES) and _binds_locally(child, name):
                continue
            if isinstance(child, ast.Name) and child.id == name:
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _binds_locally(scope: ast.AST, name: str) -> bool:
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = scope.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        if any(p is not None and p.arg == name for p in params):
            return True
    body = scope.body if isinstance(scope.body, list) else [scope.body]
    declared_global = False
    for stmt in body:
        for node in _walk_same_scope(stmt):
            if isinstance(node, ast.Global | ast.Nonlocal) and name in node.names:
                declared_global = True
            elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store | ast.Del):
                return not declared_global and not _has_global(body, name)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
                return True
    return False


def _has_global(body: list[ast.stmt], name: str) -> bool:
    return any(isinstance(n, ast.Global) and name in n.names for s in body for n in _walk_same_scope(s))


def _walk_same_scope(node: ast.AST):
    yield node
    if isinstance(node, _SCOPES):
        return  # its name binds here, its body is another scope
    for child in ast.iter_child_nodes(node):
        yield from _walk_same_scope(child)


def _lambda_as_def(source: str, starts: list[int], entry: Entry, target: str) -> tuple[int, int, str]:
    """The edit turning `name = lambda args: body` into `def target(args):\\n    return body`."""
    stmt = entry.node
    lam = stmt.value
    s = _offset(source, starts, stmt.lineno, stmt.col_offset)
    e = _offset(source, starts, stmt.end_lineno, stmt.end_col_offset)
    line_end = _NEWLINE.search(source, e)
    rest = source[e:line_end.start() if line_end else len(source)]
    if rest.strip() and not rest.strip().startswith("#"):
        raise RenameError("the lambda shares its line with another statement")
    nl = line_end.group() if line_end else "\n"
    body = ast.get_source_segment(source, lam.body)
    if body is None:
        raise RenameError("cannot locate the lambda's body")
    if "\n" in body or "\r" in body:
        body = f"({body})"
    indent = source[starts[stmt.lineno - 1]:s]
    params = ast.unparse(lam.args)
    return s, e, f"def {target}({params}):{nl}{indent}    return {body}"
