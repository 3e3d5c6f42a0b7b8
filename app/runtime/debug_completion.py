"""Debug console completion inside the paused runner child: jedi over the selected frame's live
objects, the runtime's injected names from the editor's stub, and the standard library's
`rlcompleter` as the fallback.

Why here, when editor completion never runs in the runner: the editor completes source text
against a generated stub, which any process can do; the debug console completes *values* that
exist only in the paused script's frame (`row` is the dict the query returned, `user` an instance
of a class the script defined, `configuration` the project's real keys). Only this process holds
them, and they cannot be sent to another one (no pickle on the wire). So completion runs here, but
only on request while paused: jedi is imported lazily by the first request (the child's start-up
and every ordinary run stay jedi-free), in a daemon thread bounded by a timeout — jedi on a live
namespace can be slow (cold caches) or crash on odd objects, and a paused IDE must still get an
answer, so past ~1 s (or on any error, or without jedi) the answer comes from rlcompleter. A jedi
call that overran keeps running in its thread (it cannot be interrupted); until it ends, requests
are answered by rlcompleter at once (jedi is not thread-safe, so never two calls at a time).

Injected names: jedi 0.20.1 crashes on the live `db` (jedi#1990: a property of SQLAlchemy 2.1's
Connection, `default_isolation_level`, is annotated `Optional[IsolationLevel]`, a `Literal` alias,
and jedi evaluates that annotation with a typing object that lacks `with_generics`). So `db`,
`text`, `bcrypt`, `log` and the error classes are completed as in the editor, from the stub
generated from `app.runtime.api` (`app.runtime.completion_stub`), prepended to the console text:
the same names, signatures and docs the editor offers. Only a name whose value in the frame is
still what the runtime injected (a Connection, sqlalchemy's `text`, the bcrypt module, a Logger,
the runtime's error class) is taken from the stub; a name the script rebound stays live, and
another name holding the same value (`conn = db`) is written as an alias of the stubbed one.
`configuration` and `global_` stay live: their real keys are what users want to complete.

The jedi cache is parso's pickle folder, hardened like the editor's (`app.runtime.jedi_cache`): a
truncated or foreign cache file is a miss, so it never makes the console fall back.
`$CUSTOMDB_JEDI_CACHE_DIR` names the folder (the editor's, ideally); jedi's default otherwise.

Safety: jedi does not run descriptors (`allow_unsafe_interpreter_executions` off), so completing
`obj.` never executes a property of the user's code (rlcompleter does not either). The
`configuration` mapping (and any alias of it) is replaced by a keys-only dict before jedi or
rlcompleter see the namespace, so its keys complete (`configuration["` → `"DB_PASSWORD"`) while
its secret values never reach a completion; every text of the answer is masked again on its way
out as well.
"""

from __future__ import annotations

import keyword
import logging
import re
import sys
import threading
import types
from collections.abc import Callable, Mapping
from typing import Any

from app.runtime import errors
from app.runtime.masking import Masker

TIMEOUT_S = 1.0  # jedi's budget for one request; rlcompleter answers past it
MAX_ITEMS = 200
DOC_ITEMS = 8  # items that carry a signature and a short doc (each costs jedi a few ms)
DOC_CAP = 400  # characters of one short doc
_TOKEN = re.compile(r"[A-Za-z_][\w.]*$|$")  # the dotted name rlcompleter completes
_CALL_SUFFIX = re.compile(r"\(\)?$")  # rlcompleter's "(" after a callable, "()" when it takes no argument
_jedi_busy = threading.Lock()  # held while a jedi call runs (it may outlive its request)


def _is_connection(value: Any) -> bool:
    engine = sys.modules.get("sqlalchemy.engine")  # never imported here: no SQLAlchemy, no Connection
    return engine is not None and isinstance(value, engine.Connection)


def _is_text(value: Any) -> bool:
    sqlalchemy = sys.modules.get("sqlalchemy")
    return sqlalchemy is not None and value is getattr(sqlalchemy, "text", None)


def _is_error_class(name: str) -> Callable[[Any], bool]:
    return lambda value: value is getattr(errors, name)


STUBBED: dict[str, Callable[[Any], bool]] = {
    "db": _is_connection,
    "text": _is_text,
    "bcrypt": lambda value: isinstance(value, types.ModuleType) and value.__name__ == "bcrypt",
    "log": lambda value: isinstance(value, logging.Logger),
    **{name: _is_error_class(name) for name in ("WrongUsernameOrPasswordError", "ValidationError",
                                                 "UnauthorizedError")},
}
"""The injected names completed from the stub, each with the test that the frame's value is still
the one the runtime injects (a rebound name stays live). Not here: `configuration` and `global_`,
whose live keys beat a static type, and any name `app.runtime.api` may add later (live until
listed)."""


def complete(text: str, global_ns: Mapping[str, Any], local_ns: Mapping[str, Any], masker: Masker,
             timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """Completions of `text` (the console input up to the cursor) over a frame's live names:
    `{"engine": "jedi" | "rlcompleter", "items": [{"name", "type", "signature", "doc", "prefix_len"}]}`
    where `prefix_len` characters before the cursor are what `name` replaces."""
    namespaces = _without_secret_values(dict(global_ns), dict(local_ns))
    items = _jedi_bounded(text, namespaces, timeout)
    engine = "jedi"
    if not items:  # jedi missing, failed, slow, or found nothing (e.g. a name it cannot infer)
        items, engine = _rlcompleter(text, namespaces), "rlcompleter"
    if columns := _row_columns(text, namespaces):  # `row.` → its columns first (jedi sees a tuple)
        have = {c["name"] for c in columns}
        items = columns + [i for i in items if i["name"] not in have]
    return {"engine": engine, "items": [_masked(item, masker) for item in items[:MAX_ITEMS]]}


_ROW_MEMBER = re.compile(r"(?<![\w.)\]])([A-Za-z_]\w*)\.(\w*)$")


def _row_columns(text: str, namespaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`row.em` where `row` is a SQLAlchemy `Row`: its columns (`email`, `password_hash`, …) that
    start with what is typed. jedi and rlcompleter only see a tuple (`count`, `index`); the
    columns are in `Row._fields`, read without running any of the script's code."""
    m = _ROW_MEMBER.search(text)
    if m is None:
        return []
    name, typed = m.groups()
    global_ns, local_ns = namespaces
    value = local_ns[name] if name in local_ns else global_ns.get(name)
    row_module = sys.modules.get("sqlalchemy.engine.row")  # loaded when the script got a row
    if row_module is None or not isinstance(value, row_module.Row):
        return []
    try:
        fields = [f for f in value._fields if isinstance(f, str) and f.isidentifier()]
        values = tuple(value)
    except Exception:  # noqa: BLE001 - an odd row: no columns
        return []
    return [{"name": f, "type": "column", "signature": "",
             "doc": f"column {f} of the row ({type(v).__name__})", "prefix_len": len(typed)}
            for f, v in zip(fields, values, strict=False) if f.startswith(typed)]


def _without_secret_values(global_ns: dict[str, Any], local_ns: dict[str, Any]) -> list[dict[str, Any]]:
    """The namespaces with the injected `configuration` (and any alias of it) as {key: ""}."""
    config = global_ns.get("configuration")
    if not isinstance(config, Mapping):
        return [global_ns, local_ns]
    keys_only = {k: "" for k in list(config)}
    for ns in (global_ns, local_ns):
        for name, value in list(ns.items()):
            if value is config:
                ns[name] = keys_only
    return [global_ns, local_ns]


def _jedi_bounded(text: str, namespaces: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    """jedi's items, or [] when jedi is busy, missing, raising or slower than `timeout`."""
    if not _jedi_busy.acquire(blocking=False):
        return []  # an earlier call overran and still runs
    result: list[list[dict[str, Any]]] = []
    done = threading.Event()

    def work() -> None:
        try:
            result.append(_jedi_items(text, namespaces))
        except BaseException:  # noqa: BLE001 - ImportError, jedi's internal errors: rlcompleter answers
            pass
        finally:
            _jedi_busy.release()
            done.set()

    try:
        threading.Thread(target=work, name="customdb-console-completion", daemon=True).start()
    except RuntimeError:  # no thread could be started
        _jedi_busy.release()
        return []
    return result[0] if done.wait(max(0.0, timeout)) and result else []


def _stub_source(namespaces: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Source to put before the console text (the stub of the injected names the frame still
    holds, and `alias = name` lines for other names bound to their values) and the namespaces
    without those names, so jedi takes them from the source."""
    global_ns, local_ns = namespaces
    visible = {**global_ns, **local_ns}  # a local shadows a global
    stubbed = {name: visible[name] for name, check in STUBBED.items() if name in visible and _safe(check, visible[name])}
    if not stubbed:
        return "", namespaces
    from app.runtime.completion_stub import build_prelude

    aliases = {}
    for name, value in visible.items():
        if name in stubbed or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
            continue
        of = next((s for s, v in stubbed.items() if v is value or (s == "db" and _safe(_is_connection, value))), None)
        if of is not None:  # `conn = db`, a helper's `connection` parameter: same value, same type
            aliases[name] = of
    gone = stubbed.keys() | aliases.keys()
    source = build_prelude(names=stubbed, callback=False).text + "".join(f"{a} = {s}\n" for a, s in aliases.items())
    return source, [{k: v for k, v in ns.items() if k not in gone} for ns in namespaces]


def _safe(check: Callable[[Any], bool], value: Any) -> bool:
    try:
        return bool(check(value))
    except Exception:  # noqa: BLE001 - an odd object (isinstance can run user code): keep it live
        return False


def _jedi_items(text: str, namespaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import jedi

    from app.runtime.completion_stub import HIDDEN_PREFIX
    from app.runtime.jedi_cache import cache_dir_from_environment, use_jedi_cache

    use_jedi_cache(jedi, cache_dir_from_environment())  # a damaged cache file is a miss, never a crash
    jedi.settings.allow_unsafe_interpreter_executions = False  # never run the script's properties
    source, (global_ns, local_ns) = _stub_source(namespaces)
    # jedi looks a name up in the first namespace that has it: locals first, as Python does
    found = [c for c in jedi.Interpreter(source + text, namespaces=[local_ns, global_ns]).complete()
             if not c.name.startswith(HIDDEN_PREFIX)]
    items = []
    for i, c in enumerate(found[:MAX_ITEMS]):
        item = {"name": c.name, "type": c.type, "signature": "", "doc": "",
                "prefix_len": max(0, len(c.name) - len(c.complete or ""))}
        if i < DOC_ITEMS:
            item["signature"], item["doc"] = _details(c)
        items.append(item)
    return items


def _details(c: Any) -> tuple[str, str]:
    """The first signature and the doc's first paragraph, capped ("" where jedi has none)."""
    try:
        sigs = c.get_signatures() if c.type in ("function", "class") else []
        signature = sigs[0].to_string() if sigs else ""
        doc = (c.docstring(raw=True) or "").strip().split("\n\n", 1)[0]
    except Exception:  # noqa: BLE001 - details are optional
        return "", ""
    return signature[:DOC_CAP], doc if len(doc) <= DOC_CAP else doc[: DOC_CAP - 1] + "…"


def _rlcompleter(text: str, namespaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The standard library's completion of the dotted name before the cursor (no types)."""
    import rlcompleter

    token = _TOKEN.search(text).group()
    if not token:
        return []
    completer = rlcompleter.Completer({**namespaces[0], **namespaces[1]})
    typed = len(token) - (token.rfind(".") + 1)
    items: list[dict[str, Any]] = []
    names: set[str] = set()
    try:
        for state in range(MAX_ITEMS * 2):
            match = completer.complete(token, state)
            if match is None or len(items) >= MAX_ITEMS:
                break
            name = _CALL_SUFFIX.sub("", match[token.rfind(".") + 1:])
            if name not in names:
                names.add(name)
                items.append({"name": name, "type": "", "signature": "", "doc": "", "prefix_len": typed})
    except Exception:  # noqa: BLE001 - a property that raises while completing: no more matches
        pass
    return items


def _masked(item: dict[str, Any], masker: Masker) -> dict[str, Any]:
    return {k: masker.text(v) if isinstance(v, str) else v for k, v in item.items()}
