"""Generate the jedi stub prelude: the runtime's injected globals written as Python source.

The prelude is prepended to the user's buffer before it goes to `jedi.Script` (PLATFORM-NOTES §6,
approach B), so `db.`, `configuration["`, `callback(` and the error classes complete like real
names. It is generated from the same tables the runtime uses (`app.runtime.api.INJECTED`,
`app.runtime.errors`, `app.domain.scripts`), so what users complete is what their scripts get.

Two users: the editor's completion (app/engine/completion.py, the whole prelude) and the debug
console in the paused runner child (app/runtime/debug_completion.py, `build_prelude(names=...)`
with only the injected names whose live value jedi cannot complete as well, such as `db`, whose
live SQLAlchemy Connection crashes jedi 0.20.1). That is why it lives in app/runtime: the child
must not import app/engine. It is imported only when completion is asked for, never by a run.

Pure Python: no Qt, no jedi. Helper names the prelude needs for itself start with `_cdb_`; the
completion service hides them.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from app.runtime import errors as runtime_errors
from app.runtime.api import INJECTED, InjectedName

HIDDEN_PREFIX = "_cdb_"
"""Names the prelude defines for its own use; never offered as completions."""

# The "no / not found" answer of each kind and any extra success forms (DOMAIN.md §2, "What each
# script must answer"). The plain success answer comes from `ScriptKind.success`.
_REFUSALS: dict[str, str] = {
    "login": "callback(WrongUsernameOrPasswordError(email)) when the password is wrong (logged `fp`); "
             "callback(WrongUsernameOrPasswordError()) when the user is unknown (logged `fu`)",
    "get_user": "callback(None) when the user does not exist (no profile means not found)",
    "create": 'callback(ValidationError("user_exists", message)) when the user already exists (logged `fs`)',
    "verify": "callback(None, False) when the e-mail could not be verified",
    "change_password": "callback(None, False) when the password was not changed",
    "delete": "",
    "change_email": "callback(None, False) when the e-mail was not changed",
}
_EXTRA_SUCCESS: dict[str, str] = {
    "change_password": 'callback(None, {"last_password_reset": ...}) is also accepted',
}
# What the second argument of callback carries, per kind (None: the kind answers with no result).
_RESULT_ANNOTATION: dict[str, str | None] = {
    "login": "dict | None",
    "get_user": "dict | None",
    "create": None,
    "verify": "bool",
    "change_password": "bool | dict",
    "delete": None,
    "change_email": "bool",
}


@dataclass(frozen=True)
class Prelude:
    """Source to prepend to a buffer and how many lines it occupies (jedi lines shift by that)."""

    text: str
    line_count: int


def callback_doc(kind_key: str | None) -> str:
    """The docstring of `callback` for one script kind: its contract in the platform's words."""
    lines = ["Answer the platform. Call it exactly once; returning without calling it stalls the run",
             "until the time limit, and a second call gives unpredictable results.", ""]
    if kind_key is not None:
        from app.domain.scripts import kind

        k = kind(kind_key)
        lines.append(f"{k.title} script. Success: {k.success}.")
        if extra := _EXTRA_SUCCESS.get(k.key):
            lines.append(f"Also: {extra}.")
        if refusal := _REFUSALS.get(k.key):
            lines.append(f"Refusal: {refusal}.")
    else:
        lines.append("Success: callback(None, result); refusal: an error class from the runtime.")
    lines.append("Failure: callback(Exception(message)); an uncaught exception fails the run too.")
    lines.append("Any script may answer callback(UnauthorizedError(message)).")
    return "\n".join(lines)


def _callback_source(kind_key: str | None, renames: dict[str, str]) -> str:
    result = _RESULT_ANNOTATION.get(kind_key, "object") if kind_key else "object"
    params = "error: BaseException | None = None"
    if result is not None:
        params += f", result: {_rename(result, renames)} = None"
    doc = callback_doc(kind_key).replace('"""', "'''")
    body = "\n".join("    " + line if line else "" for line in doc.splitlines())
    return f'def callback({params}) -> None:\n    """\n{body}\n    """\n'


def _alias_imports(import_lines: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Rewrite `from m import A` as `from m import A as _cdb_A` so helper types never complete."""
    out: list[str] = []
    renames: dict[str, str] = {}
    seen: set[str] = set()
    for line in import_lines:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.ImportFrom):
            parts = []
            for a in node.names:
                bound = a.asname or a.name
                if bound in seen:
                    continue
                seen.add(bound)
                renames[bound] = HIDDEN_PREFIX + bound
                parts.append(f"{a.name} as {renames[bound]}")
            if parts:
                out.append(f"from {'.' * node.level}{node.module or ''} import {', '.join(parts)}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                renames[bound] = HIDDEN_PREFIX + bound
                out.append(f"import {a.name} as {renames[bound]}")
    return out, renames


def _rename(annotation: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        annotation = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, annotation)
    return annotation


def _error_class_source(name: str) -> str:
    """The class as written in app/runtime/errors.py (its docstrings are what users read)."""
    try:
        return inspect.getsource(getattr(runtime_errors, name))
    except (OSError, TypeError):  # frozen build without sources: import it instead
        return f"from app.runtime.errors import {name}\n"


def _configuration_source(config_keys: Iterable[str], renames: dict[str, str]) -> str:
    # Class syntax: jedi 0.20 completes `configuration["` keys only for class-based TypedDicts.
    keys = [k for k in config_keys if k.isidentifier() and not keyword.iskeyword(k)]
    body = "".join(f"    {k}: str\n" for k in keys) or "    pass\n"
    return (f"class {HIDDEN_PREFIX}Configuration({renames.get('TypedDict', 'TypedDict')}, total=False):\n"
            f"{body}")


def _injected_source(name: InjectedName, renames: dict[str, str], config_keys: tuple[str, ...]) -> str:
    if name.annotation == f"type[{name.name}]" and hasattr(runtime_errors, name.name):
        return _error_class_source(name.name)
    if name.annotation == "ModuleType":  # a module injected as is (bcrypt): import the real one
        line = f"import {name.name}\n"
    elif name.name == "configuration":
        line = f"configuration: {HIDDEN_PREFIX}Configuration\n"
    else:
        line = f"{name.name}: {_rename(name.annotation, renames)}\n"
    doc = name.doc.replace('"""', "'''").replace("\\", "\\\\")
    return f'{line}"""{doc}"""\n'


@lru_cache(maxsize=64)
def _build(kind_key: str | None, config_keys: tuple[str, ...], names: tuple[str, ...] | None,
           with_callback: bool) -> Prelude:
    chosen = [n for n in INJECTED if names is None or n.name in names]
    imports = ["from typing import Any, TypedDict"]
    for n in chosen:
        if n.annotation == f"type[{n.name}]" and hasattr(runtime_errors, n.name):
            continue  # the class itself is written into the prelude
        imports.extend(n.stub_imports)
    aliased, renames = _alias_imports(imports)
    parts = ["# Custom DB Studio: names the runtime injects (generated; not part of your script)\n",
             *(line + "\n" for line in aliased)]
    if any(n.name == "configuration" for n in chosen):
        parts.append(_configuration_source(config_keys, renames))
    for n in chosen:
        parts.append(_injected_source(n, renames, config_keys))
    if with_callback:
        parts.append(_callback_source(kind_key, renames))
    text = "".join(parts)
    if not text.endswith("\n"):
        text += "\n"
    return Prelude(text, text.count("\n"))


def build_prelude(kind_key: str | None = None, config_keys: Iterable[str] = (), *,
                  names: Iterable[str] | None = None, callback: bool = True) -> Prelude:
    """The prelude for a script of `kind_key` (None: kind unknown) in a project whose
    configuration has `config_keys`. `names` keeps only those injected names (unknown ones are
    ignored; None: all of them) and `callback=False` leaves `callback` out. Cached: the same
    arguments give the same object."""
    if kind_key is not None:
        from app.domain.scripts import kind

        kind(kind_key)  # KeyError naming the valid keys
    keys = tuple(sorted({k for k in config_keys if isinstance(k, str) and k}))
    chosen = None if names is None else tuple(sorted(set(names)))
    return _build(kind_key, keys, chosen, callback)
