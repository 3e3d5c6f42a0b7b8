"""Debug console completion inside the paused runner child: jedi over the selected frame's live
objects, with the standard library's `rlcompleter` as the fallback.

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

Safety: jedi does not run descriptors (`allow_unsafe_interpreter_executions` off), so completing
`obj.` never executes a property of the user's code (rlcompleter does not either). The
`configuration` mapping (and any alias of it) is replaced by a keys-only dict before jedi or
rlcompleter see the namespace, so its keys complete (`configuration["` → `"DB_PASSWORD"`) while
its secret values never reach a completion; every text of the answer is masked again on its way
out as well.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from app.runtime.masking import Masker

TIMEOUT_S = 1.0  # jedi's budget for one request; rlcompleter answers past it
MAX_ITEMS = 200
DOC_ITEMS = 8  # items that carry a signature and a short doc (each costs jedi a few ms)
DOC_CAP = 400  # characters of one short doc
_TOKEN = re.compile(r"[A-Za-z_][\w.]*$|$")  # the dotted name rlcompleter completes
_jedi_busy = threading.Lock()  # held while a jedi call runs (it may outlive its request)


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
    return {"engine": engine, "items": [_masked(item, masker) for item in items[:MAX_ITEMS]]}


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


def _jedi_items(text: str, namespaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import jedi

    jedi.settings.allow_unsafe_interpreter_executions = False  # never run the script's properties
    found = jedi.Interpreter(text, namespaces=namespaces).complete()
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
            name = match[token.rfind(".") + 1:].rstrip("(")
            if name not in names:
                names.add(name)
                items.append({"name": name, "type": "", "signature": "", "doc": "", "prefix_len": typed})
    except Exception:  # noqa: BLE001 - a property that raises while completing: no more matches
        pass
    return items


def _masked(item: dict[str, Any], masker: Masker) -> dict[str, Any]:
    return {k: masker.text(v) if isinstance(v, str) else v for k, v in item.items()}
