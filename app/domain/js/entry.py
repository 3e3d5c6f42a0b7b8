"""Which function the hosted loader calls in a JavaScript script, decided as the loader does.

The loader first compiles the whole file as one expression: `function login(…) {…}`, an anonymous
`function (…) {…}`, an `async function`, an arrow function. When the file is more than that (top-
level helpers, constants, `require`s), it runs the file as statements and takes the top-level
binding with the kind's recommended name (`login`, `getUser`, …). The runner asks this module which
function that is; lint and the rename fix use the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.domain.js.parser import Source

if TYPE_CHECKING:
    from tree_sitter import Node

    from app.domain.scripts import ScriptKind

FUNCTION_TYPES = frozenset({"function_declaration", "function_expression", "arrow_function",
                            "generator_function_declaration", "generator_function", "function"})
EXPRESSION = "expression"  # the file is one function: the loader evaluates it
STATEMENTS = "statements"  # the file has other top-level code: the loader looks the name up


@dataclass(frozen=True)
class JsEntry:
    name: str | None  # None: anonymous
    line: int
    params: tuple[str, ...]  # positional parameter names (patterns as written)
    has_rest: bool
    is_async: bool
    anonymous: bool
    recommended: bool  # the loader will call it by name or as the file's expression, named as recommended
    form: str  # EXPRESSION or STATEMENTS
    callable_by_loader: bool  # False: a misnamed function in a statements file (the platform cannot find it)
    node: Node  # the function node
    name_node: Node | None  # the identifier carrying the name (declaration or variable)


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _top_level(src: Source) -> list[Node]:
    return [c for c in src.root.named_children if c.type not in ("comment", "hash_bang_line", "empty_statement")]


def is_async(src: Source, fn: Node) -> bool:
    return any(c.type == "async" for c in fn.children)


def parameters(src: Source, fn: Node) -> tuple[tuple[str, ...], bool]:
    """(positional parameter names, whether there is a ...rest) of a function node."""
    params = fn.child_by_field_name("parameters")
    if params is None:  # `x => …`: a single identifier parameter
        single = fn.child_by_field_name("parameter")
        return ((src.node_text(single),) if single is not None else ()), False
    names: list[str] = []
    rest = False
    for p in params.named_children:
        if p.type == "comment":
            continue
        if p.type == "rest_pattern":
            rest = True
            continue
        target = p.child_by_field_name("left") if p.type == "assignment_pattern" else p
        names.append(src.node_text(target if target is not None else p))
    return tuple(names), rest


def bound_functions(src: Source) -> list[tuple[Node, Node]]:
    """(name identifier, function node) of every top-level function binding, in source order:
    `function name(…)`, `var/let/const name = function/arrow`."""
    out: list[tuple[Node, Node]] = []
    for stmt in _top_level(src):
        if stmt.type in ("function_declaration", "generator_function_declaration"):
            name = stmt.child_by_field_name("name")
            if name is not None:
                out.append((name, stmt))
        elif stmt.type in ("variable_declaration", "lexical_declaration"):
            for d in stmt.named_children:
                if d.type != "variable_declarator":
                    continue
                name, value = d.child_by_field_name("name"), _unwrap(d.child_by_field_name("value"))
                if name is not None and name.type == "identifier" and value is not None \
                        and value.type in FUNCTION_TYPES:
                    out.append((name, value))
    return out


def _entry(src: Source, fn: Node, name_node: Node | None, kind: ScriptKind, form: str,
           callable_by_loader: bool) -> JsEntry:
    own_name = fn.child_by_field_name("name")
    name_node = name_node or own_name
    name = src.node_text(name_node) if name_node is not None else None
    params, rest = parameters(src, fn)
    anonymous = name is None
    return JsEntry(name, src.line(fn), params, rest, is_async(src, fn), anonymous,
                   name == kind.js_name and callable_by_loader, form, callable_by_loader, fn, name_node)


def expression_function(src: Source) -> Node | None:
    """The function when the whole file is one function expression (or declaration), else None."""
    top = _top_level(src)
    if len(top) != 1:
        return None
    stmt = top[0]
    if stmt.type in ("function_declaration", "generator_function_declaration"):
        return stmt
    if stmt.type == "expression_statement" and stmt.named_child_count == 1:
        return _function_of(stmt.named_children[0])
    return None


def _function_of(expr: Node | None) -> Node | None:
    """The function an expression evaluates to: itself, or the right side of an assignment
    (`module.exports = function (…) {…}` evaluates to the function)."""
    expr = _unwrap(expr)
    if expr is not None and expr.type == "assignment_expression":
        expr = _unwrap(expr.child_by_field_name("right"))
    return expr if expr is not None and expr.type in FUNCTION_TYPES else None


def find_entry(src: Source, kind: ScriptKind) -> JsEntry | None:
    """The entry the platform would call, or — for lint's sake — the one function a misnamed
    statements file obviously meant (callable_by_loader False); None when there is none."""
    fn = expression_function(src)
    if fn is not None:
        return _entry(src, fn, None, kind, EXPRESSION, True)
    bound = bound_functions(src)
    for name, fn in bound:
        if src.node_text(name) == kind.js_name:
            return _entry(src, fn, name, kind, STATEMENTS, True)
    aliases = {a.lower() for a in (kind.python_name, *kind.aliases)}
    named = [(n, f) for n, f in bound if src.node_text(n).lower() in aliases]
    if len(named) == 1:
        return _entry(src, named[0][1], named[0][0], kind, STATEMENTS, False)
    if len(bound) == 1:
        return _entry(src, bound[0][1], bound[0][0], kind, STATEMENTS, False)
    loose = [f for stmt in _top_level(src) if stmt.type == "expression_statement" and stmt.named_child_count == 1
             and (f := _function_of(stmt.named_children[0])) is not None]
    if not bound and len(loose) == 1:  # an anonymous function among statements: meant as the entry
        return _entry(src, loose[0], None, kind, STATEMENTS, False)
    return None
