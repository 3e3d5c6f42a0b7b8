"""Find a script's entry function in its source: the one rule shared by lint, the rename fix and
the runtime's reporting.

The entry is the top-level function with the recommended Python name; failing that, a top-level
callable named after one of the script's known aliases; failing that, the single top-level callable
of the file (a `def` under another name, or a `lambda` bound to a name).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from app.domain.scripts import ScriptKind


@dataclass(frozen=True)
class Entry:
    name: str  # the bound name (for a lambda, the variable it is assigned to)
    line: int  # 1-based line of the def / assignment
    is_lambda: bool
    is_async: bool
    params: tuple[str, ...]  # positional parameter names
    has_varargs: bool
    recommended: bool  # name == kind.python_name and not a lambda
    node: ast.AST  # the FunctionDef / AsyncFunctionDef / Assign node


def top_level_callables(tree: ast.Module) -> list[Entry]:
    """Every top-level def / async def / name = lambda, in source order."""
    found: list[Entry] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_entry(node.name, node, node.args, False, isinstance(node, ast.AsyncFunctionDef)))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Lambda):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                found.append(_entry(targets[0].id, node, node.value.args, True, False))
    return found


def _entry(name: str, node: ast.AST, args: ast.arguments, is_lambda: bool, is_async: bool) -> Entry:
    params = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    return Entry(name, node.lineno, is_lambda, is_async, params, args.vararg is not None, False, node)


def find_entry(tree: ast.Module, kind: ScriptKind) -> Entry | None:
    """The entry of a parsed script, or None when there is no single obvious one."""
    candidates = top_level_callables(tree)
    for c in candidates:
        if c.name == kind.python_name:
            return _with_recommended(c, not c.is_lambda)
    aliases = {a.lower() for a in (kind.js_name, *kind.aliases)}
    named = [c for c in candidates if c.name.lower() in aliases]
    if len(named) == 1:
        return named[0]
    if len(candidates) == 1:
        return candidates[0]
    return None


def _with_recommended(e: Entry, recommended: bool) -> Entry:
    from dataclasses import replace

    return replace(e, recommended=recommended)
