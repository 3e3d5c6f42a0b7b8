"""The quick fix for JavaScript entries: give an anonymous `function (…)` the kind's recommended
name, or rename a misnamed entry (and its uses in the file) to it. Only name tokens change; every
other byte stays as the user wrote it."""

from __future__ import annotations

from app.domain.js.entry import find_entry
from app.domain.js.parser import Source, parse, walk
from app.domain.platforms.auth0 import AUTH0
from app.domain.rename import RenameError


def rename_entry(source: str, key: str) -> str:
    """`source` with its entry named `kind.js_name`; unchanged when it already is."""
    try:
        kind = AUTH0.kind(key)
    except KeyError:
        raise RenameError(f"unknown script {key!r}") from None
    src = parse(source)
    if src.root.has_error:
        from app.domain.js.parser import syntax_errors

        problem = syntax_errors(src)[0]
        raise RenameError(f"the script does not parse (line {problem.line}): {problem.message}")
    entry = find_entry(src, kind)
    if entry is None:
        raise RenameError("no single entry function to rename")
    target = kind.js_name
    if entry.recommended:
        return source
    if entry.name != target and _uses(src, target):
        raise RenameError(f"the name {target!r} is already used in the script")
    if entry.anonymous:
        if entry.node.type == "arrow_function":
            raise RenameError("an arrow function cannot carry a name; write it as function "
                              f"{target}(…) {{…}}")
        params = entry.node.child_by_field_name("parameters")
        if params is None:
            raise RenameError("cannot locate the function's parameters")
        # `function (`, `function\n(`, `function* (`: the name goes right before the parameters
        star = next((c for c in entry.node.children if c.type == "*"), None)
        keyword = star or next((c for c in entry.node.children if c.type == "function"), None)
        if keyword is None or keyword.end_byte > params.start_byte:
            raise RenameError("cannot locate the function keyword")
        at, end = src.offset(keyword.end_byte), src.offset(params.start_byte)
        if source[at:end].strip():  # a comment between keyword and parameters: keep it, name after it
            at = end
            result = f"{source[:at]}{target}{source[at:]}"
        else:
            result = f"{source[:at]} {target}{source[end:]}"
    else:
        old = entry.name or ""
        edits = [(src.offset(n.start_byte), src.offset(n.end_byte)) for n in walk(src.root)
                 if n.type == "identifier" and src.node_text(n) == old]
        if entry.name_node is not None and entry.name_node.type == "identifier" and not edits:
            edits = [(src.offset(entry.name_node.start_byte), src.offset(entry.name_node.end_byte))]
        result = source
        for s, e in sorted(edits, reverse=True):
            result = result[:s] + target + result[e:]
    renamed = find_entry(parse(result), kind)
    if renamed is None or not renamed.recommended:
        raise RenameError("the renamed script would not have a recommended entry")
    return result


def _uses(src: Source, name: str) -> bool:
    """Is `name` a variable, function or parameter anywhere in the file?"""
    return any(n.type in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern")
               and src.node_text(n) == name for n in walk(src.root))
