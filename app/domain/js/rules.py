"""The JavaScript lint rules besides the entry's: each takes the parsed script, its kind and its
entry and yields findings. Codes are the Python lint's where the rule is the same
(sql-string-concat, hardcoded-secret, delete-in-login, callback-not-called); the others are the
bugs hosted JavaScript scripts carry (config-key-as-subtraction, unary-plus-string,
connection-left-open)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from app.domain.findings import Finding, finding
from app.domain.js.entry import FUNCTION_TYPES, JsEntry
from app.domain.js.parser import Source, string_value, template_parts, walk
from app.domain.lint import credential_in_text, looks_like_delete, looks_like_sql, secret_literal, secret_name

if TYPE_CHECKING:
    from tree_sitter import Node

    from app.domain.scripts import ScriptKind

_SQL_SINKS = {"query", "execute", "execSql", "execSqlBatch", "batch", "prepare", "raw", "unsafe"}


def _literal_text(src: Source, node: Node) -> str | None:
    """The text of a string literal or a template literal without substitutions, else None."""
    if node.type == "string":
        return string_value(src, node)
    if node.type == "template_string":
        text, subs = template_parts(src, node)
        return text if subs == 0 else None
    return None


def _identifier(src: Source, node: Node | None) -> str | None:
    return src.node_text(node) if node is not None and node.type == "identifier" else None


def _property_name(src: Source, node: Node | None) -> str | None:
    """`x.name` -> name, `x['name']` -> name, `name` -> name."""
    if node is None:
        return None
    if node.type in ("identifier", "property_identifier", "shorthand_property_identifier"):
        return src.node_text(node)
    if node.type == "member_expression":
        return _property_name(src, node.child_by_field_name("property"))
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return _literal_text(src, index) if index is not None else None
    if node.type == "string":
        return string_value(src, node)
    return None


class _Facts:
    """What several rules need about the whole file, computed once."""

    def __init__(self, src: Source):
        self.src = src
        self.nodes = list(walk(src.root))
        assigned: dict[str, int] = {}
        literal: dict[str, int] = {}
        self.sql_names: set[str] = set()
        for n in self.nodes:
            if n.type == "variable_declarator":
                name = _identifier(src, n.child_by_field_name("name"))
                value = n.child_by_field_name("value")
                if name is None:
                    continue
                assigned[name] = assigned.get(name, 0) + 1
                text = _literal_text(src, value) if value is not None else None
                if text is not None:
                    literal[name] = literal.get(name, 0) + 1
                    if looks_like_sql(text):
                        self.sql_names.add(name)
            elif n.type in ("assignment_expression", "augmented_assignment_expression"):
                name = _identifier(src, n.child_by_field_name("left"))
                if name is not None:
                    assigned[name] = assigned.get(name, 0) + 1
                    right = n.child_by_field_name("right")
                    if n.type == "assignment_expression" and right is not None and \
                            _literal_text(src, right) is not None:
                        literal[name] = literal.get(name, 0) + 1
        params = {src.node_text(i) for n in self.nodes if n.type == "formal_parameters"
                  for i in walk(n) if i.type == "identifier"}
        # names only ever bound to a string: building SQL from them is building it from constants
        self.constants = {name for name, k in assigned.items() if literal.get(name) == k and name not in params}

    def is_literal(self, node: Node) -> bool:
        if node.type in ("string", "number", "true", "false", "null", "undefined"):
            return True
        if node.type == "template_string":
            return all(self.is_literal(c.named_children[0]) for c in node.named_children
                       if c.type == "template_substitution" and c.named_child_count)
        if node.type == "identifier":
            return self.src.node_text(node) in self.constants
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            return self.is_literal(node.named_children[0])
        return False


def _plus_chain(node: Node) -> list[Node]:
    """The operands of an a + b + c chain, left to right."""
    parts: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "binary_expression" and n.child_by_field_name("operator").type == "+":
            stack.append(n.child_by_field_name("right"))
            stack.append(n.child_by_field_name("left"))
        elif n.type == "parenthesized_expression" and n.named_child_count == 1 \
                and n.named_children[0].type == "binary_expression":
            stack.append(n.named_children[0])
        else:
            parts.append(n)
    return parts


def _plus_links(node: Node) -> Iterator[Node]:
    """The + nodes inside an a + b + c chain, below its top (no `.parent`: it costs the depth)."""
    stack = [node.child_by_field_name("left"), node.child_by_field_name("right")]
    while stack:
        n = stack.pop()
        if n is not None and n.type == "parenthesized_expression" and n.named_child_count == 1:
            n = n.named_children[0]
        if _is_plus(n):
            yield n
            stack.extend((n.child_by_field_name("left"), n.child_by_field_name("right")))


def _is_plus(node: Node | None) -> bool:
    return node is not None and node.type == "binary_expression" and \
        node.child_by_field_name("operator").type == "+"


# --- SQL built from strings -----------------------------------------------------------------------

def sql_concat(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    reported: set[int] = set()  # start bytes of expressions already reported

    def built(node: Node, require_sql: bool) -> str | None:
        if _is_plus(node):
            parts = _plus_chain(node)
            if not any(not facts.is_literal(p) for p in parts):
                return None
            texts = [t for p in parts if (t := _literal_text(src, p)) is not None]
            if not texts and not any(_identifier(src, p) in facts.sql_names for p in parts):
                return None
            if require_sql and not (looks_like_sql(" ".join(texts))
                                    or any(_identifier(src, p) in facts.sql_names for p in parts)):
                return None
            return "built with +"
        if node.type == "template_string" and not facts.is_literal(node):
            text, _ = template_parts(src, node)
            if require_sql and not looks_like_sql(text):
                return None
            return "built with a template literal's ${…}"
        return None

    def report(node: Node, how: str) -> Finding | None:
        if node.start_byte in reported:
            return None
        reported.add(node.start_byte)
        return finding("sql-string-concat",
                       f"SQL {how}: pass values as parameters, e.g. client.query('… WHERE email = $1', "
                       "[email]) or connection.query('… WHERE email = ?', [email])", k.key, src.line(node))

    inner: set[int] = set()  # links of a + chain below its top: judged with their whole chain
    for n in facts.nodes:
        if _is_plus(n):
            if n.id in inner:
                continue
            inner.update(p.id for p in _plus_links(n))
        if n.type in ("binary_expression", "template_string"):
            how = built(n, require_sql=True)
            if how and (f := report(n, how)):
                yield f
        elif n.type == "augmented_assignment_expression" and n.child_by_field_name("operator").type == "+=":
            name = _identifier(src, n.child_by_field_name("left"))
            right = n.child_by_field_name("right")
            if name in facts.sql_names and right is not None and not facts.is_literal(right) \
                    and (f := report(n, "extended with +=")):
                yield f
        elif n.type in ("call_expression", "new_expression"):
            callee = n.child_by_field_name("function") or n.child_by_field_name("constructor")
            args = n.child_by_field_name("arguments")
            sink = _property_name(src, callee)
            if (sink in _SQL_SINKS or (n.type == "new_expression" and sink == "Request")) and args is not None \
                    and args.named_child_count:
                first = args.named_children[0]
                how = built(first, require_sql=False)
                if how and (f := report(first, f"{how} and passed to {sink}()")):
                    yield f


# --- hard-coded credentials -----------------------------------------------------------------------

def hardcoded_secrets(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    hits: dict[int, str] = {}

    def hit(node: Node, what: str) -> None:
        hits.setdefault(src.line(node), what)

    for n in facts.nodes:
        if n.type in ("string", "template_string"):
            text = string_value(src, n) if n.type == "string" else template_parts(src, n)[0]
            what = credential_in_text(text or "")
            if what:
                hit(n, what)
        elif n.type == "variable_declarator":
            name = _identifier(src, n.child_by_field_name("name"))
            value = n.child_by_field_name("value")
            if secret_name(name) and value is not None and secret_literal(_literal_text(src, value)):
                hit(n, f"a value assigned to {name!r}")
        elif n.type == "assignment_expression":
            name = _property_name(src, n.child_by_field_name("left"))
            value = n.child_by_field_name("right")
            if secret_name(name) and value is not None and secret_literal(_literal_text(src, value)):
                hit(n, f"a value assigned to {name!r}")
        elif n.type == "pair":
            name = _property_name(src, n.child_by_field_name("key"))
            value = n.child_by_field_name("value")
            if secret_name(name) and value is not None and secret_literal(_literal_text(src, value)):
                hit(value, f"a value for the key {name!r}")
        elif n.type == "binary_expression" and n.child_by_field_name("operator").type in ("==", "===", "!=", "!=="):
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            for name_side, value_side in ((left, right), (right, left)):
                name = _property_name(src, name_side) if name_side.type != "string" else None
                if secret_name(name) and secret_literal(_literal_text(src, value_side)):
                    hit(n, f"{name!r} compared with a literal")
                    break
    for line, what in sorted(hits.items()):
        yield finding("hardcoded-secret",
                      f"credential written into the script ({what}); read it from configuration.KEY "
                      "and keep its value in the keychain", k.key, line)


# --- Login deleting users -------------------------------------------------------------------------

def delete_in_login(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    if k.key != "login":
        return
    lines: set[int] = set()
    for n in facts.nodes:
        if n.type == "string":
            text = string_value(src, n)
        elif n.type == "template_string":
            text = template_parts(src, n)[0]
        else:
            continue
        if text and looks_like_delete(text):
            lines.add(src.line(n))
    for line in sorted(lines):
        yield finding("delete-in-login",
                      "Login deletes from the legacy store; if migration fails midway the user is lost. "
                      "Mark the user migrated here and delete later, in a separate job", k.key, line)


# --- configuration.SOME-KEY -----------------------------------------------------------------------

def config_key_subtraction(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    for n in facts.nodes:
        if n.type != "binary_expression" or n.child_by_field_name("operator").type != "-":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left.type != "member_expression" or right.type not in ("identifier", "member_expression"):
            continue
        base = left.child_by_field_name("object")
        if _identifier(src, base) != "configuration":
            continue
        if right.start_byte - left.end_byte != 1:  # `configuration.A - b` with spaces: a real subtraction
            continue
        key = src.data[left.child_by_field_name("property").start_byte:right.end_byte].decode("utf-8", "replace")
        yield finding("config-key-as-subtraction",
                      f"configuration.{key} reads configuration.{src.node_text(left.child_by_field_name('property'))} "
                      f"minus {src.node_text(right)} (NaN); write configuration['{key}']", k.key, src.line(n))


# --- + "text" -------------------------------------------------------------------------------------

def unary_plus_string(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    for n in facts.nodes:
        if n.type != "unary_expression" or n.child_by_field_name("operator").type != "+":
            continue
        arg = n.child_by_field_name("argument")
        if arg is not None and arg.type in ("string", "template_string"):
            yield finding("unary-plus-string",
                          f"+{src.node_text(arg)[:30]} is a unary plus: it turns the text into NaN. A line that "
                          "starts with + after a finished statement does not continue the string above; "
                          "put the + at the end of the previous line", k.key, src.line(n))


# --- callback never called on a path -------------------------------------------------------------

def _references(src: Source, node: Node, names: set[str]) -> bool:
    return any(n.type == "identifier" and src.node_text(n) in names for n in walk(node))


def _mentions(src: Source, root: Node, names: set[str]) -> set[int]:
    """Ids of every node under `root` whose subtree mentions one of `names`: one pass, so asking
    about each nested function costs nothing more (deeply nested callbacks stay linear)."""
    order = list(walk(root))
    found: set[int] = set()
    for n in reversed(order):
        if (n.type == "identifier" and src.node_text(n) in names) or any(c.id in found for c in n.named_children):
            found.add(n.id)
    return found


class _Paths:
    """Does every way through a statement list reach callback (call it, pass it on, or throw)?"""

    def __init__(self, src: Source, mentions: set[int]):
        self.src = src
        self.mentions = mentions  # nodes that mention callback, or a local helper that calls it
        self.bare_returns: list[Node] = []

    def settles(self, stmts: list[Node]) -> bool:
        for s in stmts:
            if self.statement(s):
                return True
            if s.type == "return_statement":  # a return that did not reach callback ends this path
                return False
        return False

    def statement(self, s: Node) -> bool:
        t = s.type
        if t in ("comment", "empty_statement"):
            return False
        if t == "return_statement":
            if s.id in self.mentions:
                return True
            self.bare_returns.append(s)
            return False
        if t == "throw_statement":
            return True
        if t == "statement_block":
            return self.settles([c for c in s.named_children])
        if t == "if_statement":
            cond = s.child_by_field_name("condition")
            if cond is not None and cond.id in self.mentions:
                return True
            then = s.child_by_field_name("consequence")
            alt = s.child_by_field_name("alternative")
            then_ok = self.statement(then) if then is not None else False
            alt_body = alt.named_children[0] if alt is not None and alt.named_child_count else None
            alt_ok = self.statement(alt_body) if alt_body is not None else False
            return then_ok and alt_ok
        if t == "try_statement":
            body = s.child_by_field_name("body")
            handler = s.child_by_field_name("handler")
            final = s.child_by_field_name("finalizer")
            if final is not None and self.statement(final):
                return True
            body_ok = self.statement(body) if body is not None else False
            handler_body = handler.child_by_field_name("body") if handler is not None else None
            return body_ok and (handler_body is None or self.statement(handler_body))
        if t in ("function_declaration", "generator_function_declaration", "class_declaration"):
            return False  # a definition does not run anything
        # any other statement (expressions, declarations, loops, switch): it settles when it mentions
        # callback at all, also inside a function it hands on (an asynchronous answer)
        return s.id in self.mentions


def callback_paths(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    if entry is None or entry.has_rest or not entry.params:
        return
    body = entry.node.child_by_field_name("body")
    if body is None:
        return
    callback = entry.params[-1]
    if body.type != "statement_block":  # `(…, cb) => cb(null)`: an expression body
        if not _references(src, body, {callback}):
            yield finding("callback-not-called", f"the entry never calls {callback}", k.key, entry.line)
        return
    direct = _mentions(src, body, {callback})
    names = {callback}
    for n in walk(body):  # local helpers that answer: `function fail(e) { callback(e); }`
        if n.type == "function_declaration" and n.id in direct:
            names.add(src.node_text(n.child_by_field_name("name")))
        elif n.type == "variable_declarator":
            value = n.child_by_field_name("value")
            name = _identifier(src, n.child_by_field_name("name"))
            if name and value is not None and value.type in FUNCTION_TYPES and value.id in direct:
                names.add(name)
            elif name and value is not None and value.type == "identifier" and src.node_text(value) == callback:
                names.add(name)  # `var cb = callback`
    mentions = direct if names == {callback} else _mentions(src, body, names)
    if body.id not in mentions:
        yield finding("callback-not-called",
                      f"the entry never calls {callback}; the platform waits until the 20 s limit",
                      k.key, entry.line)
        return
    # the entry's own body, then every function it hands on as a call's last argument (the Node
    # callback convention: once called, that function must answer for the entry)
    bodies = [(body, entry.line)]
    for n in walk(body):
        if n.type != "call_expression" or _property_name(src, n.child_by_field_name("function")) in _ITERATORS:
            continue
        args = n.child_by_field_name("arguments")
        last = args.named_children[-1] if args is not None and args.named_child_count else None
        if last is not None and last.type in ("function_expression", "arrow_function"):
            inner = last.child_by_field_name("body")
            if inner is not None and inner.type == "statement_block" and inner.id in mentions:
                bodies.append((inner, src.line(last)))
    for block, line in bodies:
        paths = _Paths(src, mentions)
        settled = paths.settles(list(block.named_children))
        for r in paths.bare_returns:
            yield finding("callback-not-called",
                          f"this return leaves without calling {callback}; the platform waits until the 20 s "
                          f"limit — return {callback}(…) instead", k.key, src.line(r))
        if not settled and not paths.bare_returns:
            last = next((c for c in reversed(block.named_children) if c.type != "comment"), None)
            yield finding("callback-not-called",
                          f"on some path this function ends without calling {callback} (e.g. an if without an "
                          "else); the platform waits until the 20 s limit", k.key,
                          src.line(last) if last is not None else line)


_ITERATORS = {"forEach", "map", "filter", "some", "every", "reduce", "find", "findIndex", "sort", "flatMap",
              "then", "catch", "finally", "on", "once"}


# --- connections opened and never closed ----------------------------------------------------------

_OPENERS_NEW = {"Client": "pg Client", "Connection": "tedious Connection", "MongoClient": "MongoClient",
                "ConnectionPool": "mssql ConnectionPool"}
_OPENERS_CALL = {"createConnection"}
_CLOSERS = {"end", "close", "destroy", "release"}
# callback-style opens: (object name, method) -> index of the callback parameter that must be closed
_CALLBACK_OPENS = {("pg", "connect"): ("done", 2), ("MongoClient", "connect"): ("client", 1)}


def _closes(src: Source, facts: _Facts, name: str) -> bool:
    """Is `name.end()` / `.close()` / `.destroy()` / `.release()` called, or `name` handed on to a
    function that may close it (or, for a done-callback, `name()` called)?"""
    for n in facts.nodes:
        if n.type != "call_expression":
            continue
        callee = n.child_by_field_name("function")
        if _identifier(src, callee) == name:
            return True  # done()
        if callee.type == "member_expression" and _identifier(src, callee.child_by_field_name("object")) == name \
                and _property_name(src, callee) in _CLOSERS:
            return True
        args = n.child_by_field_name("arguments")
        if args is not None and any(_identifier(src, a) == name for a in args.named_children):
            return True
    return False


def connections_left_open(src: Source, k: ScriptKind, entry: JsEntry | None, facts: _Facts) -> Iterator[Finding]:
    for n in facts.nodes:
        what = name = None
        if n.type == "variable_declarator" or n.type == "assignment_expression":
            target = n.child_by_field_name("name") or n.child_by_field_name("left")
            value = n.child_by_field_name("value") or n.child_by_field_name("right")
            value = value.named_children[0] if value is not None and value.type == "await_expression" \
                and value.named_child_count else value
            if value is None or _identifier(src, target) is None:
                continue
            if value.type == "new_expression":
                what = _OPENERS_NEW.get(_property_name(src, value.child_by_field_name("constructor")) or "")
            elif value.type == "call_expression":
                callee = value.child_by_field_name("function")
                what = src.node_text(callee) if _property_name(src, callee) in _OPENERS_CALL else None
            name = _identifier(src, target)
        elif n.type == "call_expression":
            callee = n.child_by_field_name("function")
            if callee.type != "member_expression":
                continue
            key = (_identifier(src, callee.child_by_field_name("object")), _property_name(src, callee))
            spec = _CALLBACK_OPENS.get(key)  # type: ignore[arg-type]
            args = n.child_by_field_name("arguments")
            fn = args.named_children[-1] if args is not None and args.named_child_count else None
            if spec is None or fn is None or fn.type not in FUNCTION_TYPES:
                continue
            params = fn.child_by_field_name("parameters")
            names = [src.node_text(p) for p in params.named_children] if params is not None else []
            label, index = spec
            if len(names) <= index:
                yield finding("connection-left-open",
                              f"{key[0]}.{key[1]}(…, function ({', '.join(names)}) …) never takes {label}, so the "
                              f"connection is never closed or given back; take it and call it when done",
                              k.key, src.line(n))
                continue
            if label == "done":
                if not _closes(src, facts, names[index]):
                    yield finding("connection-left-open",
                                  f"{key[0]}.{key[1]} lends a pooled client that {names[index]}() gives back, and "
                                  f"{names[index]}() is never called: the pool runs dry", k.key, src.line(n))
                continue
            what, name = f"{key[0]}.{key[1]}", names[index]
        if what and name and not _closes(src, facts, name):
            yield finding("connection-left-open",
                          f"{name} ({what}) is opened but never closed; call {name}.end() / .close() when the "
                          "script is done, on every path, or the hosted container keeps it open",
                          k.key, src.line(n))


RULES = (sql_concat, hardcoded_secrets, delete_in_login, config_key_subtraction, unary_plus_string,
         callback_paths, connections_left_open)


def run_rules(src: Source, k: ScriptKind, entry: JsEntry | None) -> list[Finding]:
    facts = _Facts(src)
    out: list[Finding] = []
    for rule in RULES:
        out.extend(rule(src, k, entry, facts))
    return out
