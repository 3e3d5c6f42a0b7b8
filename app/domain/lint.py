"""Static best-practice checks on an action script's source (ast-based, no execution).

The hosted platform only tells you a script is wrong when it runs; these checks catch what can be
seen in the text: no usable entry, an entry the platform cannot call, SQL built from strings,
credentials written into the script, Login deleting users, and scripts over the 100 kB limit.
Every finding names the script key and, where there is one, the line. Messages never repeat a
secret's value.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator

from app.domain.entry import Entry, find_entry, top_level_callables
from app.domain.findings import Finding, finding
from app.domain.platforms.auth0 import AUTH0
from app.domain.scripts import Mode, ScriptKind, kind

MAX_SCRIPT_BYTES = AUTH0.limits.max_script_bytes  # the hosted limit for one script

# --- what SQL looks like ---------------------------------------------------------------------------
_SQL_RE = re.compile(
    r"\bselect\b[\s\S]*?\bfrom\b"
    r"|\binsert\s+into\b"
    r"|\bupdate\s+[\w.\"`\[\]]+\s+set\b"
    r"|\bdelete\s+from\b"
    r"|^\s*delete\s+[\w.\"`\[\]]+\s+where\b"
    r"|\bmerge\s+into\b"
    r"|\btruncate\s+table\b"
    r"|\b(?:create|drop|alter)\s+(?:table|index|view)\b"
    r"|\bwhere\s+[\w.\"`\[\]]+\s*(?:=|<|>|!=|<>|\blike\b|\bin\b)",
    re.IGNORECASE,
)
_DELETE_RE = re.compile(r"\bdelete\s+from\b|^\s*delete\s+(?:top\s*\(\s*\d+\s*\)\s+)?[\w.\"`\[\]]+", re.IGNORECASE)
_SQL_SINKS = {"text", "execute", "exec_driver_sql", "executemany", "executescript", "scalar", "scalars"}

# --- what a credential looks like ------------------------------------------------------------------
_SECRET_NAME_RE = re.compile(
    r"(?:^|_)(?:pass|passwd|password|pwd|secret|token|apikey|api_key|access_key|secret_key|private_key|"
    r"client_secret|auth_token|credentials?)(?:_|$)",
    re.IGNORECASE,
)
# names that hold *about* a secret rather than the secret (column names, prompts, config keys ...)
_NOT_SECRET_NAME_RE = re.compile(
    r"(?:^|_)(?:column|col|field|name|names|key_name|label|prompt|message|msg|query|sql|hash|hashed|"
    r"policy|length|len|min|max|rounds|regex|pattern|env|var|header|param|setting)(?:_|$)",
    re.IGNORECASE,
)
_URL_CREDENTIALS_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@]+:([^\s/@]+)@", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"^(?:\*+|x+|\.+|<[^>]*>|\{[^}]*\}|\$\{[^}]*\}|\$\w+|%s|%\(\w+\)s|\?|:\w+)$",
                             re.IGNORECASE)
_CONFIG_KEY_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # "DB_PASSWORD": the *name* of a configuration entry
_KEY_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}"), "a live API secret key"),
    (re.compile(r"\bgh[pousr]_[0-9A-Za-z]{30,}"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"), "a Slack token"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"), "a private key"),
)


def lint_source(key: str, source: str, *, mode: Mode | str = "legacy", context: bool = False) -> list[Finding]:
    """Every static finding for one script's source, in line order (file-level findings first)."""
    k = kind(key)
    out = file_findings(k, source, mode)
    try:
        with warnings.catch_warnings():  # invalid-escape warnings would go to the IDE's stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=f"scripts/{key}.py")
    except SyntaxError as e:
        out.append(finding("syntax-error", f"{e.msg}", key, e.lineno))
        return out
    except ValueError as e:  # e.g. a NUL byte in the source
        out.append(finding("syntax-error", str(e), key, 1))
        return out
    except (RecursionError, MemoryError):  # CPython's parser gives up on absurdly deep nesting
        out.append(finding("syntax-error", "the script nests expressions too deeply to be parsed", key, None))
        return out

    nodes = _all_nodes(tree)
    body: list[Finding] = []
    body.extend(_entry_findings(tree, k, context))
    body.extend(_SqlConcat(key).run(nodes))
    body.extend(_secret_findings(nodes, key))
    if k.key == "login":
        body.extend(_delete_findings(nodes, key))
    body.sort(key=lambda f: (f.line or 0))
    return out + body


def file_findings(k: ScriptKind, source: str, mode: Mode | str, max_bytes: int = MAX_SCRIPT_BYTES) -> list[Finding]:
    """What any language's lint says about the file as a whole: over the size limit, never called."""
    out: list[Finding] = []
    size = len(source.encode("utf-8"))
    if size > max_bytes:
        out.append(finding("script-too-large",
                           f"the script is {size / 1024:.1f} kB; the hosted platform accepts at most "
                           f"{max_bytes // 1024} kB", k.key, None))
    if not k.used_in(mode):
        out.append(finding("unused-in-mode",
                           f"{k.title} is never called in {Mode(mode)} mode; the platform ignores this script",
                           k.key, None))
    return out


def lint_project(project) -> list[Finding]:
    """Lint every script present with the project's language, and report scripts the project's
    mode requires but lacks."""
    out: list[Finding] = []
    present = set(project.script_keys())
    for k in project.kinds_in_mode():
        if k.required(project.mode) and k.key not in present:
            out.append(finding("missing-entry",
                               f"scripts/{project.script_file_name(k.key)} is missing; {project.mode} mode "
                               f"needs the {k.title} script", k.key, None))
    for key in project.script_keys():
        try:
            source = project.read_script(key)
        except UnicodeDecodeError as e:
            out.append(finding("syntax-error", f"the file is not UTF-8 text ({e.reason})", key, None))
            continue
        except OSError as e:
            out.append(finding("syntax-error", f"cannot read the file: {e.strerror}", key, None))
            continue
        out.extend(project.language.lint(key, source, mode=project.mode, context=project.context_object))
    return out


def _all_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, parents before children: one walk shared by all checks. Faster than ast.walk
    because it reads `_fields` directly and skips the Load/Store/Del context singletons."""
    out: list[ast.AST] = []
    stack = [tree]
    push, add, ast_node, ctx = stack.append, out.append, ast.AST, ast.expr_context
    while stack:
        node = stack.pop()
        add(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in reversed(value):
                    if isinstance(item, ast_node):
                        push(item)
            elif isinstance(value, ast_node) and not isinstance(value, ctx):
                push(value)
    return out


# --- entry ----------------------------------------------------------------------------------------

def _entry_findings(tree: ast.Module, k: ScriptKind, context: bool) -> Iterator[Finding]:
    signature = f"def {k.python_name}({', '.join(k.python_signature(context))})"
    entry = find_entry(tree, k)
    if entry is None:
        callables = top_level_callables(tree)
        if not callables:
            msg = f"no top-level function; the platform calls {signature}"
        else:
            names = ", ".join(c.name for c in callables)
            msg = (f"{len(callables)} top-level functions ({names}) and none is named {k.python_name}; "
                   f"name the entry {k.python_name}")
        yield finding("missing-entry", msg, k.key, callables[0].line if callables else None)
        return
    if entry.is_lambda:
        yield finding("anonymous-entry",
                      f"the entry {entry.name} is a lambda, so stack traces show <lambda>; "
                      f"write {signature}: instead", k.key, entry.line)
    elif not entry.recommended:
        yield finding("non-recommended-name",
                      f"the entry is named {entry.name}; the recommended name is {k.python_name}",
                      k.key, entry.line)
    problem = _arity_problem(entry, k.python_signature(context))
    if problem:
        yield finding("wrong-arity", f"{entry.name} {problem}; the platform calls {signature}",
                      k.key, entry.line)


def _arguments(entry: Entry) -> ast.arguments:
    node = entry.node
    if isinstance(node, ast.Assign | ast.AnnAssign):
        return node.value.args  # type: ignore[union-attr]
    return node.args  # type: ignore[attr-defined]


def _arity_problem(entry: Entry, expected: tuple[str, ...]) -> str | None:
    """Why the platform's positional call would fail, or None when it binds."""
    args = _arguments(entry)
    n = len(expected)
    total = len(entry.params)
    required = total - len(args.defaults)
    kw_required = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    if kw_required:
        return f"has keyword-only parameters without defaults ({', '.join(kw_required)})"
    if required > n:
        return f"requires {required} arguments but the platform passes {n}"
    if total < n and not entry.has_varargs:
        return f"takes {total} arguments but the platform passes {n}"
    return None


# --- SQL built from strings -----------------------------------------------------------------------

def _const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _flatten_add(node: ast.AST) -> list[ast.AST]:
    """The operands of an a + b + c chain, left to right (iterative: chains can be thousands long)."""
    parts: list[ast.AST] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            stack.append(n.right)
            stack.append(n.left)
        else:
            parts.append(n)
    return parts


def _add_links(node: ast.AST) -> Iterator[ast.AST]:
    """The BinOp(+) nodes inside an a + b + c chain, below its top."""
    stack = [node.left, node.right] if isinstance(node, ast.BinOp) else []
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            yield n
            stack.extend((n.left, n.right))


def _is_literal(node: ast.AST, consts: frozenset[str] | set[str] = frozenset()) -> bool:
    """A value fixed in the source: a constant, or a name only ever bound to a string constant."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in consts
    if isinstance(node, ast.Tuple | ast.List):
        return all(_is_literal(e, consts) for e in node.elts)
    if isinstance(node, ast.FormattedValue):
        return _is_literal(node.value, consts)
    return isinstance(node, ast.JoinedStr) and all(_is_literal(v, consts) for v in node.values)


def _constant_names(nodes: list[ast.AST]) -> set[str]:
    """Names whose every binding in the file is a string literal (COLUMNS = "id, email"): building
    SQL from them is building it from constants, not from input."""
    stores: dict[str, int] = {}
    literal: dict[str, int] = {}
    params: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.arg):
            params.add(node.arg)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _const_str(node.value) is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    literal[t.id] = literal.get(t.id, 0) + 1
    return {name for name, n in stores.items() if literal.get(name) == n and name not in params}


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


class _SqlConcat:
    """Find strings that look like SQL combined with non-literal parts (+, %, .format(), f-strings),
    and any built string handed straight to text() / execute()."""

    def __init__(self, key: str):
        self.key = key
        self.sql_names: set[str] = set()  # names bound to a SQL-looking literal somewhere in the file
        self.consts: set[str] = set()  # names only ever bound to string literals
        self.seen: set[int] = set()
        self.found: list[Finding] = []

    def run(self, nodes: list[ast.AST]) -> list[Finding]:
        self.consts = _constant_names(nodes)
        for node in nodes:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                text_ = _const_str(node.value)
                if text_ is not None and _SQL_RE.search(text_):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    self.sql_names.update(t.id for t in targets if isinstance(t, ast.Name))
        links: set[int] = set()  # inner links of a + chain already judged with their whole chain
        for node in nodes:
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                if id(node) in links:
                    continue
                links.update(id(n) for n in _add_links(node))
            how = self._built_sql(node, require_sql=True)
            if how:
                self._report(node, how)
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Mod) \
                    and isinstance(node.target, ast.Name) and node.target.id in self.sql_names \
                    and not _is_literal(node.value, self.consts):
                self._report(node, "extended with += / %=")
            elif isinstance(node, ast.Call) and _call_name(node) in _SQL_SINKS and node.args:
                how = self._built_sql(node.args[0], require_sql=False)
                if how:
                    self._report(node.args[0], f"{how} and passed to {_call_name(node)}()")
        return self.found

    def _report(self, node: ast.AST, how: str) -> None:
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        # one finding per expression: the inner links of an a + b + c chain are the same SQL
        for inner in ast.walk(node):
            if isinstance(inner, ast.BinOp | ast.JoinedStr):
                self.seen.add(id(inner))
        self.found.append(finding(
            "sql-string-concat",
            f"SQL {how}: pass values as parameters, e.g. text(\"... WHERE email = :email\"), {{\"email\": email}}",
            self.key, getattr(node, "lineno", None)))

    def _looks_sql(self, parts: Iterable[ast.AST]) -> bool:
        joined = " ".join(s for p in parts if (s := _const_str(p)) is not None)
        return bool(_SQL_RE.search(joined)) or any(isinstance(p, ast.Name) and p.id in self.sql_names
                                                    for p in parts)

    def _built_sql(self, node: ast.AST, *, require_sql: bool) -> str | None:
        """How `node` builds a string from non-literal parts ('built with +', ...), or None."""
        how, parts = _building(node, self.consts)
        if how is None or (require_sql and not self._looks_sql(parts)):
            return None
        return how


def _building(node: ast.AST, consts: set[str]) -> tuple[str | None, list[ast.AST]]:
    """(how, the parts whose literal text tells whether it is SQL) when `node` builds a string from
    non-literal parts; (None, []) otherwise."""
    stringish = (ast.JoinedStr, ast.Name)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = _flatten_add(node)
        if any(not _is_literal(p, consts) for p in parts) and any(
                _const_str(p) is not None or isinstance(p, stringish) for p in parts):
            return "built with +", parts
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        if not _is_literal(node.right, consts) and (
                _const_str(node.left) is not None or isinstance(node.left, ast.Name)):
            return "formatted with %", [node.left]
    elif isinstance(node, ast.JoinedStr):
        if not _is_literal(node, consts):
            return "built with an f-string", list(node.values)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        base = node.func.value
        values = [*node.args, *(k.value for k in node.keywords)]
        if values and not all(_is_literal(v, consts) for v in values) and (
                _const_str(base) is not None or isinstance(base, ast.Name)):
            return "formatted with .format()", [base]
    return None, []


# --- hard-coded credentials -----------------------------------------------------------------------

def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _const_str(node.slice)
    return None


def secret_name(name: str | None) -> bool:
    """A variable, key or argument name that holds a credential (password, apiKey, DB_TOKEN...)."""
    if not name:
        return False
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_")
    return bool(_SECRET_NAME_RE.search(snake)) and not _NOT_SECRET_NAME_RE.search(snake)


def secret_literal(value: str | None) -> bool:
    """A non-empty literal that is not a placeholder or the *name* of a configuration entry."""
    if not value or not value.strip():
        return False
    v = value.strip()
    return not (_PLACEHOLDER_RE.match(v) or _CONFIG_KEY_RE.match(v))


def credential_in_text(text: str) -> str | None:
    """What credential a string literal carries (a URL with a password, a known key format), or None."""
    m = _URL_CREDENTIALS_RE.search(text)
    if m and not _PLACEHOLDER_RE.match(m.group(1)):
        return "a URL with a user name and password"
    for pattern, label in _KEY_FORMATS:
        if pattern.search(text):
            return label
    return None


def looks_like_sql(text: str) -> bool:
    return bool(_SQL_RE.search(text))


def looks_like_delete(text: str) -> bool:
    """SQL text that deletes rows (DELETE FROM, DELETE TOP (n) ...)."""
    return bool(_DELETE_RE.search(text) and _SQL_RE.search(text))


_secret_name = secret_name


def _secret_value(node: ast.AST | None) -> bool:
    return secret_literal(_const_str(node) if node is not None else None)


def _secret_findings(nodes: list[ast.AST], key: str) -> list[Finding]:
    hits: dict[int, str] = {}  # line -> what was found (one finding per line)

    def hit(node: ast.AST, what: str) -> None:
        hits.setdefault(getattr(node, "lineno", 0), what)

    for node in nodes:
        s = _const_str(node)
        if s is not None:
            what = credential_in_text(s)
            if what:
                hit(node, what)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if _secret_name(_target_name(t)) and _secret_value(node.value):
                    hit(node, f"a value assigned to {_target_name(t)!r}")
        elif isinstance(node, ast.Dict):
            for k_node, v_node in zip(node.keys, node.values, strict=True):
                if _secret_name(_const_str(k_node) if k_node is not None else None) and _secret_value(v_node):
                    hit(v_node, f"a value for the key {_const_str(k_node)!r}")
        elif isinstance(node, ast.keyword):
            if _secret_name(node.arg) and _secret_value(node.value):
                hit(node.value, f"a value for the argument {node.arg!r}")
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1 \
                and isinstance(node.ops[0], ast.Eq | ast.NotEq):
            left, right = node.left, node.comparators[0]
            for name_side, value_side in ((left, right), (right, left)):
                if _secret_name(_target_name(name_side)) and _secret_value(value_side):
                    hit(node, f"{_target_name(name_side)!r} compared with a literal")
    return [finding("hardcoded-secret",
                    f"credential written into the script ({what}); read it from configuration[...] "
                    "and keep its value in the keychain", key, line or None)
            for line, what in sorted(hits.items())]


# --- Login deleting users -------------------------------------------------------------------------

def _delete_findings(nodes: list[ast.AST], key: str) -> list[Finding]:
    lines: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.JoinedStr):
            s = " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        else:
            s = _const_str(node)
        if s and _DELETE_RE.search(s) and _SQL_RE.search(s):
            lines.add(node.lineno)
    return [finding("delete-in-login",
                    "Login deletes from the legacy store; if migration fails midway the user is lost. "
                    "Mark the user migrated here and delete later, in a separate job", key, line)
            for line in sorted(lines)]
