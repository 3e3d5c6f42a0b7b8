"""Code completion with jedi for action scripts, no Qt.

`CompletionService` prepends the generated stub prelude (`completion_stub`) to the buffer so the
runtime's injected names complete like real ones, and shifts line numbers back. jedi is imported
lazily (it costs ~100 ms) and is not thread-safe: use one service from one thread at a time (the
editor runs it on a single worker thread). Its pickle cache lives in the app's cache folder so the
expensive first completion is paid once per machine, not once per start; `app.runtime.jedi_cache`
keeps that cache safe to share (it is also what the debug console's jedi uses).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.engine.userdata import app_cache_dir
from app.runtime.completion_stub import HIDDEN_PREFIX, Prelude, build_prelude
from app.runtime.jedi_cache import use_jedi_cache

_log = logging.getLogger(__name__)

DEFAULT_EAGER_DOCS = 8
"""complete() fills `doc`/`signature` for this many leading items (~10 ms each); `details()` the rest."""


@dataclass(frozen=True)
class Completion:
    name: str  # what the completed word becomes, e.g. `execute` or `"dsn"`
    type: str  # jedi's type: function, class, instance, statement, module, keyword, param, path...
    signature: str = ""  # e.g. `execute(statement, parameters=None, ...)`, "" when not callable
    doc: str = ""  # the docstring, "" until filled (see `CompletionService.details`)
    prefix_len: int = 0  # how many characters of `name` were already typed before the cursor


@dataclass(frozen=True)
class SignatureHelp:
    name: str
    text: str  # `callback(error: ... = None, result: ... = None) -> None`
    params: tuple[str, ...]  # each parameter as written, e.g. `error: BaseException | None=None`
    index: int | None  # the parameter the cursor is on, None when past the last one
    doc: str


class CompletionService:
    """jedi over `prelude + buffer`. Lines are 1-based, columns 0-based in code points (jedi's)."""

    def __init__(self, cache_dir: Path | str | None = None, kind_key: str | None = None,
                 config_keys: Iterable[str] = ()):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else app_cache_dir() / "jedi"
        self._prelude = build_prelude(kind_key, config_keys)
        self._jedi: Any = None
        self._env: Any = None
        self._last: list[Any] = []  # jedi Completion objects of the last complete(), for details()
        self._last_items: list[Completion] = []

    # -- configuration --------------------------------------------------------------------------
    def configure(self, kind_key: str | None, config_keys: Iterable[str] = ()) -> None:
        """Fit the stub to a script kind (its `callback` contract) and the project's config keys.
        An unknown kind completes as a script of no particular kind rather than not at all."""
        try:
            self._prelude = build_prelude(kind_key, config_keys)
        except KeyError:
            _log.warning("completion: unknown script kind %r; completing without its contract", kind_key)
            self._prelude = build_prelude(None, config_keys)

    @property
    def prelude(self) -> Prelude:
        return self._prelude

    def _ensure_jedi(self) -> Any:
        if self._jedi is None:
            import jedi

            use_jedi_cache(jedi, self.cache_dir)  # atomic writes; a damaged file is a miss
            # The running interpreter (also in the frozen app): no subprocess, and it sees
            # sqlalchemy and bcrypt exactly as the runtime does.
            self._env = jedi.InterpreterEnvironment()
            self._jedi = jedi
        return self._jedi

    def _script(self, source: str, prelude: Prelude | None = None) -> Any:
        jedi = self._ensure_jedi()
        p = prelude or self._prelude
        return jedi.Script(p.text + source, environment=self._env)

    def _position(self, source: str, line: int, col: int) -> tuple[int, int]:
        """Clamp (line, col) into the buffer and shift past the prelude; jedi raises otherwise."""
        lines = source.split("\n")
        line = min(max(line, 1), len(lines))
        col = min(max(col, 0), len(lines[line - 1]))
        return line + self._prelude.line_count, col

    # -- queries --------------------------------------------------------------------------------
    def complete(self, source: str, line: int, col: int, *, docs: int = DEFAULT_EAGER_DOCS) -> list[Completion]:
        """Completions at (line, col); the first `docs` items carry their doc and signature."""
        try:
            jl, jc = self._position(source, line, col)
            found = [c for c in self._script(source).complete(jl, jc)
                     if not c.name.startswith(HIDDEN_PREFIX)]
        except Exception:  # noqa: BLE001 - jedi has internal errors on odd buffers: no completion, never a crash
            _log.debug("completion failed", exc_info=True)
            found = []
        self._last = found
        items = [Completion(c.name, c.type, prefix_len=max(0, len(c.name) - len(c.complete or "")))
                 for c in found]
        for i in range(min(docs, len(items))):
            items[i] = self._fill(i, items[i])
        self._last_items = items
        return list(items)

    def details(self, index: int) -> Completion | None:
        """Item `index` of the last complete() with its doc and signature filled in."""
        if not 0 <= index < len(self._last_items):
            return None
        item = self._last_items[index]
        if not item.doc and not item.signature:
            item = self._fill(index, item)
            self._last_items[index] = item
        return item

    def _fill(self, index: int, item: Completion) -> Completion:
        c = self._last[index]
        try:
            sigs = c.get_signatures() if c.type in ("function", "class", "instance", "statement") else []
            signature = sigs[0].to_string() if sigs else ""
            doc = c.docstring(raw=True) or ""
            if not doc and c.type not in ("keyword", "path"):
                doc = c.docstring() or ""
        except Exception:  # noqa: BLE001 - jedi fails in many ways on odd buffers: no completion, never a crash
            _log.debug("completion details failed", exc_info=True)
            signature, doc = "", ""
        return replace(item, signature=signature, doc=doc)

    def signatures(self, source: str, line: int, col: int) -> list[SignatureHelp]:
        """Call signatures around (line, col): what `callback(` or `db.execute(` takes."""
        try:
            jl, jc = self._position(source, line, col)
            out = []
            for s in self._script(source).get_signatures(jl, jc):
                out.append(SignatureHelp(s.name, s.to_string(),
                                         tuple(p.to_string() for p in s.params), s.index, s.docstring(raw=True)))
            return out
        except Exception:  # noqa: BLE001 - jedi fails in many ways on odd buffers: no completion, never a crash
            _log.debug("signature help failed", exc_info=True)
            return []

    def warm_up(self, snippets: tuple[str, ...] | list[str] | None = None) -> None:
        """Pay jedi's cold cost now (imports, sqlalchemy's Connection, builtins, logging) with
        throw-away completions, so the user's first one is fast. `snippets` runs only those
        (each completed at its end; a trailing `(` asks for signature help)."""
        kept = self._last, self._last_items  # details() must still see the user's last list
        for src in WARM_UP_SNIPPETS if snippets is None else snippets:
            if src.endswith("("):
                self.signatures(src, 1, len(src))
            else:
                self.complete(src, 1, len(src), docs=1)
        self._last, self._last_items = kept


WARM_UP_SNIPPETS: tuple[str, ...] = ("db.", "log.", "WrongUsernameOrPasswordError(", 'configuration["',
                                     "callback(")
"""Most expensive first: `db.` pulls in SQLAlchemy's sources, the slowest cold completion."""
