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
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.engine.completion_rank import Ranker
from app.engine.userdata import app_cache_dir
from app.runtime.api import INJECTED_NAMES
from app.runtime.completion_stub import HIDDEN_PREFIX, Prelude, build_prelude
from app.runtime.jedi_cache import use_jedi_cache

_log = logging.getLogger(__name__)

DEFAULT_EAGER_DOCS = 8
"""complete() fills `doc`/`signature` for this many leading items (~10 ms each); `details()` the rest."""


_TYPED = re.compile(r"\w*$")
_CONFIG_SUBSCRIPT = re.compile(r"(?<![\w.])configuration\s*\[\s*(?:([\"'])(\w*))?$")
_MEMBER = re.compile(r"(?<![\w.)\]\"'])([A-Za-z_]\w*)\.(\w*)$")
_STUB_NAMES = frozenset(INJECTED_NAMES) | {"callback"}
_MEMO_SIZE = 64
_CONFIG_KEY_DOC = ("configuration[\"{key}\"]: a key of this project's configuration (customdb.toml, "
                   "File › Configuration & secrets…).")


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
        self._config_keys: tuple[str, ...] = tuple(sorted(set(config_keys)))
        self._last: list[Any] = []  # jedi Completion objects of the last complete(), for details()
        self._memo_keys: list[tuple | None] = []  # per item: its `_members` key when memoised
        self._last_items: list[Completion] = []
        self._members: dict[tuple[str, str], list[Any]] = {}  # (stub, injected name) -> jedi's members
        self._fill_memo: dict[tuple[tuple[str, str], str], tuple[str, str]] = {}
        self.ranker = Ranker()

    # -- configuration --------------------------------------------------------------------------
    def configure(self, kind_key: str | None, config_keys: Iterable[str] = ()) -> None:
        """Fit the stub to a script kind (its `callback` contract) and the project's config keys.
        An unknown kind completes as a script of no particular kind rather than not at all."""
        self._config_keys = tuple(sorted({k for k in config_keys if isinstance(k, str) and k}))
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
        """Completions at (line, col), most likely first (`completion_rank`); the first `docs`
        items carry their doc and signature. Never file names: jedi's path completion inside a
        string names files of the IDE's working directory, which no script can reach."""
        pairs: list[tuple[Any, Completion, tuple | None]] = []
        typed = ""
        try:
            jl, jc = self._position(source, line, col)
            user_line = jl - self._prelude.line_count
            before = source.split("\n")[user_line - 1][:jc]
            typed = _TYPED.search(before).group()
            keys = self._config_key_items(before)
            if keys is not None:
                pairs = [(None, item, None) for item in keys]
                typed = before[len(before) - keys[0].prefix_len:] if keys else typed
            else:
                pairs = self._stub_members(source, user_line, before)
                if pairs is None:
                    pairs = [(c, Completion(c.name, c.type, prefix_len=max(0, len(c.name) - len(c.complete or ""))),
                              None) for c in self._script(source).complete(jl, jc)
                             if not c.name.startswith(HIDDEN_PREFIX) and c.type != "path"]
        except Exception:  # noqa: BLE001 - jedi has internal errors on odd buffers: no completion, never a crash
            _log.debug("completion failed", exc_info=True)
            pairs = []
        pairs = self.ranker.rank(pairs, typed, source, name_of=lambda p: p[1].name)
        self._last = [p[0] for p in pairs]
        self._memo_keys = [p[2] for p in pairs]
        items = [p[1] for p in pairs]
        for i in range(min(docs, len(items))):
            items[i] = self._fill(i, items[i])
        self._last_items = items
        return list(items)

    def _config_key_items(self, before: str) -> list[Completion] | None:
        """`configuration["` / `configuration['` / `configuration[`: the project's keys (all of
        them, keywords too), from the configured list rather than jedi, so they are there even
        when the project has no keys yet (jedi then offered file names) and as soon as a key is
        added. None when the cursor is not in such a subscript."""
        m = _CONFIG_SUBSCRIPT.search(before)
        if m is None:
            return None
        quote, typed = m.group(1) or "", m.group(2) or ""
        q = quote or '"'
        return [Completion(f"{q}{k}{q}", "string", doc=_CONFIG_KEY_DOC.format(key=k), prefix_len=len(quote + typed))
                for k in self._config_keys if k.lower().startswith(typed.lower())]

    def _stub_members(self, source: str, line: int, before: str) -> list[tuple[Any, Completion, tuple]] | None:
        """`db.exe`: the members of an injected name, from a memo of jedi's answer for the stub.

        jedi starts every `Script` with a fresh inference state, so each `db.` inferred SQLAlchemy's
        Connection class again (~60 ms, most of a warm completion). What an injected name's members
        are depends only on the stub, so they are asked once per stub and filtered by the typed
        prefix afterwards, as jedi filters them. Taken only when the name certainly is the stub's:
        it is a plain name (not `x.db`) in code (not in a string or comment) and the buffer never
        binds it (no assignment, parameter, import, loop or `with` target, no star import); else
        None, and jedi answers as usual."""
        m = _MEMBER.search(before)
        if m is None or m.group(1) not in _STUB_NAMES:
            return None
        name, prefix = m.group(1), m.group(2)
        if not self._is_stub_name(source, line, m.start(1), name):
            return None
        key = (self._prelude.text, name)
        members = self._members.get(key)
        if members is None:
            probe = f"{name}."
            members = [c for c in self._script(probe).complete(self._prelude.line_count + 1, len(probe))
                       if not c.name.startswith(HIDDEN_PREFIX)]
            if len(self._members) >= _MEMO_SIZE:
                self._members.clear()
                self._fill_memo.clear()
            self._members[key] = members
        low = prefix.lower()
        return [(c, Completion(c.name, c.type, prefix_len=len(prefix)), key) for c in members
                if c.name.lower().startswith(low)]

    def _is_stub_name(self, source: str, line: int, col: int, name: str) -> bool:
        import parso

        module = parso.load_grammar().parse(source, error_recovery=True)
        leaf = module.get_leaf_for_position((line, col))
        if leaf is None or leaf.type != "name" or leaf.value != name or leaf.start_pos != (line, col):
            return False
        if any(n.is_definition() for n in module.get_used_names().get(name, ())):
            return False
        return not any(i.type == "import_from" and i.is_star_import() for i in module.iter_imports())

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
        if c is None:  # a configuration key: its doc is already there
            return item
        memo = self._memo_keys[index]
        if memo is not None and (memo, item.name) in self._fill_memo:
            signature, doc = self._fill_memo[(memo, item.name)]
            return replace(item, signature=signature, doc=doc)
        try:
            sigs = c.get_signatures() if c.type in ("function", "class", "instance", "statement") else []
            signature = sigs[0].to_string() if sigs else ""
            doc = c.docstring(raw=True) or ""
            if not doc and c.type not in ("keyword", "path"):
                doc = c.docstring() or ""
        except Exception:  # noqa: BLE001 - jedi fails in many ways on odd buffers: no completion, never a crash
            _log.debug("completion details failed", exc_info=True)
            signature, doc = "", ""
        if memo is not None:
            self._fill_memo[(memo, item.name)] = (signature, doc)
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
