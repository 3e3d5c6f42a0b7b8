"""Which configuration keys a script reads, so only the secrets it needs are asked for.

Without a keychain the IDE asks for secrets at every start; asking for one no script reads (the
UX review's `HASH_PEPPER`) is noise, and failing a run over it is wrong. A script reads a key when
it writes `configuration["KEY"]`, `configuration.get("KEY", ...)` or `"KEY" in configuration`.
Any other use of `configuration` (a computed key, passing the mapping on, iterating it) or a file
that does not parse means "possibly every key": the answer is then None.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable


def configuration_keys_read(source: str) -> frozenset[str] | None:
    """The keys `source` reads from `configuration`, or None when it may read any of them."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    keys: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id == "configuration"):
            continue
        if isinstance(node.ctx, ast.Store | ast.Del):
            continue  # the script binds its own `configuration`: not the injected one here
        key = _key_read(node, parents)
        if key is None:
            return None
        keys.add(key)
    return frozenset(keys)


def _key_read(node: ast.Name, parents: dict[int, ast.AST]) -> str | None:
    parent = parents.get(id(node))
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return _constant(parent.slice)
    if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr == "get":
        call = parents.get(id(parent))
        if isinstance(call, ast.Call) and call.func is parent and call.args:
            return _constant(call.args[0])
    if isinstance(parent, ast.Compare) and node in parent.comparators and len(parent.ops) == 1 \
            and isinstance(parent.ops[0], ast.In | ast.NotIn):
        return _constant(parent.left)
    return None


def _constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keys_read_by_any(sources: Iterable[str]) -> frozenset[str] | None:
    """The union over several scripts; None as soon as one of them may read any key."""
    keys: set[str] = set()
    for source in sources:
        read = configuration_keys_read(source)
        if read is None:
            return None
        keys |= read
    return frozenset(keys)
