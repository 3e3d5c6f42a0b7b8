"""Completion and live diagnostics for JavaScript action scripts, from TypeScript's language server.

`TypeScriptService` has the editor's completion-service interface (configure / complete /
signatures / details / warm_up / close, as `app.engine.completion.CompletionService`) plus
`diagnostics()`. It keeps one `tsc --lsp` process and a private workspace in the app's cache
folder: a generated `globals.d.ts` (the runtime's injected names, `app.domain.js_declarations`), a
`jsconfig.json` that maps `require('pg')` and `require('pg@8.7.1')` to the modules' types, and the
script being edited (sent as an open document; its entry line gets a `/** @type {LoginScript} */`
prefix in the server's copy so its parameters have types, and positions are mapped back).

Lines are 1-based and columns 0-based in code points, as in the jedi service. Thread-safe.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.domain.findings import Finding, finding
from app.domain.js_declarations import globals_declarations, type_name
from app.domain.platforms.auth0 import AUTH0
from app.engine.completion import Completion, SignatureHelp
from app.engine.js_tools import NODE_BUILTINS, store_dir, store_modules, tsc_path, types_dir
from app.engine.lsp import LspClient, LspError
from app.engine.userdata import app_cache_dir

_ENTRY = re.compile(r"^(?P<indent>[ \t]*)function\b")  # a named, non-async entry at the start of a line
_REQUIRE = re.compile(r"""\brequire\(\s*(['"`])(?P<typed>[^'"`]*)$""")
_WORD = re.compile(r"[\w$]*$")
# LSP CompletionItemKind -> the editor's type marks (app/ui/editor/completion.py)
_KINDS = {2: "function", 3: "function", 4: "function", 5: "property", 6: "instance", 7: "class", 8: "class",
          9: "module", 10: "property", 12: "statement", 13: "class", 14: "keyword", 17: "path", 18: "instance",
          20: "property", 21: "statement", 22: "class", 23: "instance", 25: "param"}
_TEXT_KIND = 1  # plain words of the file, which the server adds after the real members
# diagnostics worth showing while typing (TypeScript codes), beside our own lint
_DIAGNOSTICS = {2304: "undefined-name", 2552: "undefined-name", 2339: "unknown-member", 2551: "unknown-member"}


@dataclass(frozen=True)
class JsDiagnostic:
    code: str  # undefined-name | unknown-member | unknown-configuration-key
    message: str
    line: int  # 1-based
    column: int  # 0-based


class TypeScriptUnavailable(RuntimeError):
    """The language server is not installed (run `make`) or cannot start."""


class TypeScriptService:
    def __init__(self, workspace: Path | str | None = None, tsc: Path | str | None = None):
        self.workspace = Path(workspace) if workspace else app_cache_dir() / "typescript" / f"ws-{os.getpid()}"
        self.tsc = Path(tsc) if tsc else tsc_path()
        self._lock = threading.RLock()
        self._client: LspClient | None = None
        self._kind: str = "login"
        self._config: tuple[str, ...] = ()
        self._context = False
        self._versions: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        self._last: list[dict] = []
        self._last_items: list[Completion] = []
        self.started_at: float | None = None

    # -- configuration --------------------------------------------------------------------------
    def configure(self, kind_key: str | None, config_keys: Iterable[str] = (), context: bool = False) -> None:
        with self._lock:
            kind = kind_key if kind_key in AUTH0.kinds else "login"
            keys = tuple(config_keys)
            changed = (keys, context) != (self._config, self._context)
            self._kind, self._config, self._context = kind, keys, context
            if changed and self._client is not None:
                self._update(self.workspace / "globals.d.ts", self._declarations())

    def _declarations(self) -> str:
        return globals_declarations({k: True for k in self._config}, self._context)

    def _start(self) -> LspClient:
        if self._client is not None and self._client.alive:
            return self._client
        if self.tsc is None:
            raise TypeScriptUnavailable("TypeScript's language server is not installed (run make)")
        self._write_workspace()
        self.started_at = time.perf_counter()
        client = LspClient([str(self.tsc), "--lsp", "--stdio"], cwd=self.workspace)
        root = self.workspace.as_uri()
        client.request("initialize", {"processId": os.getpid(), "rootUri": root, "capabilities": {
            "textDocument": {"completion": {"completionItem": {"documentationFormat": ["plaintext"]}},
                             "signatureHelp": {"signatureInformation": {"documentationFormat": ["plaintext"]}}}},
            "workspaceFolders": [{"uri": root, "name": "scripts"}]}, timeout=30)
        client.notify("initialized", {})
        self._client, self._versions, self._texts = client, {}, {}
        self._update(self.workspace / "globals.d.ts", self._declarations())
        return client

    def _write_workspace(self) -> None:
        scripts = self.workspace / "scripts"
        scripts.mkdir(parents=True, exist_ok=True)
        for key in AUTH0.kinds:
            file = scripts / f"{key}.js"
            if not file.exists():
                file.write_text("", encoding="utf-8")
        (self.workspace / "globals.d.ts").write_text(self._declarations(), encoding="utf-8")
        (self.workspace / "jsconfig.json").write_text(json.dumps(self._jsconfig(), indent=2), encoding="utf-8")

    def _jsconfig(self) -> dict:
        types, store = types_dir(), store_dir()
        paths: dict[str, list[str]] = {}
        for name in store_modules() or {}:
            target = "bcryptjs" if name == "bcrypt" else name
            places = [str(types / target), str(store / target)]
            paths[name] = places
            paths[f"{name}@*"] = places
        paths["*"] = [str(types / "*"), str(store / "*")]
        return {"compilerOptions": {
            "allowJs": True, "checkJs": True, "strict": False, "noImplicitAny": False, "noEmit": True,
            "target": "es2022", "lib": ["es2022"], "module": "commonjs", "moduleResolution": "bundler",
            "types": ["node"], "typeRoots": [str(types)], "paths": paths, "skipLibCheck": True},
            "files": ["globals.d.ts", *(f"scripts/{k}.js" for k in AUTH0.kinds)]}

    # -- documents ------------------------------------------------------------------------------
    def _update(self, path: Path, text: str) -> str:
        """Make the server's copy of `path` hold `text`; returns its URI."""
        client = self._client
        uri = path.as_uri()
        if self._texts.get(uri) == text:
            return uri
        language = "typescript" if path.suffix == ".ts" else "javascript"
        version = self._versions.get(uri, 0) + 1
        self._versions[uri] = version
        if version == 1:
            client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language,
                                                                     "version": version, "text": text}})
        else:
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                       "contentChanges": [{"text": text}]})
        self._texts[uri] = text
        return uri

    def _script(self, source: str) -> tuple[str, int | None, int]:
        """(uri, the entry's 0-based line or None, how many characters were put before it)."""
        lines = source.split("\n")
        entry, shift = None, 0
        for i, line in enumerate(lines):
            m = _ENTRY.match(line)
            if m:
                prefix = f"/** @type {{{type_name(AUTH0.kinds[self._kind])}}} */ "
                lines[i] = m.group("indent") + prefix + line[len(m.group("indent")):]
                entry, shift = i, len(prefix)
                break
            if line.strip() and not line.lstrip().startswith(("//", "/*", "*", "'use strict'", '"use strict"')):
                break  # the entry is the file's first statement in hosted scripts; do not guess further
        uri = self._update(self.workspace / "scripts" / f"{self._kind}.js", "\n".join(lines))
        return uri, entry, shift

    # -- the editor's interface ---------------------------------------------------------------------
    def complete(self, source: str, line: int, col: int, *, docs: int = 8) -> list[Completion]:
        before = source.split("\n")[line - 1][:col] if 0 < line <= source.count("\n") + 1 else ""
        required = _REQUIRE.search(before)
        if required:
            return self._require_items(required.group("typed"))
        with self._lock:
            client = self._start()
            uri, entry, shift = self._script(source)
            position = {"line": line - 1, "character": _utf16(before, col) + (shift if line - 1 == entry else 0)}
            try:
                result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                                    "position": position}, timeout=10)
            except LspError:
                self._reset()
                raise
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        items = [it for it in items if it.get("kind") != _TEXT_KIND]
        items.sort(key=lambda it: (it.get("sortText") or it.get("label", ""), it.get("label", "")))
        typed = len(_WORD.search(before).group(0))
        self._last = items
        self._last_items = [self._completion(it, typed) for it in items]
        return list(self._last_items)

    def _completion(self, item: dict, typed: int) -> Completion:
        doc = item.get("documentation")
        if isinstance(doc, dict):
            doc = doc.get("value", "")
        return Completion(name=item.get("insertText") or item.get("label", ""),
                          type=_KINDS.get(item.get("kind"), "statement"),
                          signature=item.get("detail") or "", doc=doc or "", prefix_len=typed)

    def _require_items(self, typed: str) -> list[Completion]:
        names: list[Completion] = []
        for name, versions in store_modules().items():
            names.append(Completion(name, "module", doc=f"from the offline module store ({', '.join(versions)})",
                                    prefix_len=len(typed)))
            names.extend(Completion(f"{name}@{v}", "module", doc="exactly this version", prefix_len=len(typed))
                         for v in versions)
        names.extend(Completion(b, "module", doc="Node's built-in module", prefix_len=len(typed)) for b in NODE_BUILTINS)
        self._last, self._last_items = [], names
        return [c for c in names if c.name.startswith(typed)]

    def details(self, index: int) -> Completion | None:
        with self._lock:
            if not 0 <= index < len(self._last) or self._client is None:
                return self._last_items[index] if 0 <= index < len(self._last_items) else None
            try:
                item = self._client.request("completionItem/resolve", self._last[index], timeout=5)
            except LspError:
                return self._last_items[index]
        return self._completion(item or self._last[index], self._last_items[index].prefix_len)

    def signatures(self, source: str, line: int, col: int) -> list[SignatureHelp]:
        with self._lock:
            client = self._start()
            uri, entry, shift = self._script(source)
            before = source.split("\n")[line - 1][:col] if 0 < line <= source.count("\n") + 1 else ""
            position = {"line": line - 1, "character": _utf16(before, col) + (shift if line - 1 == entry else 0)}
            try:
                result = client.request("textDocument/signatureHelp", {"textDocument": {"uri": uri},
                                                                       "position": position}, timeout=10)
            except LspError:
                self._reset()
                raise
        out = []
        for n, sig in enumerate((result or {}).get("signatures") or []):
            params = tuple(p.get("label") if isinstance(p.get("label"), str) else "" for p in sig.get("parameters") or [])
            active = sig.get("activeParameter", (result or {}).get("activeParameter")) if n == (result or {}).get(
                "activeSignature", 0) else None
            doc = sig.get("documentation")
            out.append(SignatureHelp(name=sig.get("label", "").split("(")[0], text=sig.get("label", ""),
                                     params=params, index=active if isinstance(active, int) else None,
                                     doc=(doc.get("value", "") if isinstance(doc, dict) else doc or "")))
        return out

    def diagnostics(self, source: str, kind_key: str | None = None,
                    config_keys: Iterable[str] | None = None) -> list[JsDiagnostic]:
        """Undefined names and mistyped members in `source` (the editor shows them with the lint).
        With `kind_key`/`config_keys`, for that script and configuration; the completion settings
        are restored afterwards, so lint on another thread never changes what completion sees."""
        with self._lock:
            saved = (self._kind, self._config, self._context)
            if kind_key is not None or config_keys is not None:
                self.configure(kind_key or self._kind, self._config if config_keys is None else config_keys,
                               self._context)
            try:
                return self._diagnostics(source)
            finally:
                self.configure(*saved)

    def _diagnostics(self, source: str) -> list[JsDiagnostic]:
        with self._lock:
            client = self._start()
            uri, entry, shift = self._script(source)
            try:
                result = client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=10)
            except LspError:
                self._reset()
                raise
        lines = source.split("\n")
        out = []
        for d in (result or {}).get("items") or []:
            code = _DIAGNOSTICS.get(d.get("code"))
            if code is None:
                continue
            start = d["range"]["start"]
            line0, ch = start["line"], start["character"] - (shift if start["line"] == entry else 0)
            text = lines[line0] if 0 <= line0 < len(lines) else ""
            column = _code_points(text, max(ch, 0))
            message = d.get("message", "")
            if code == "unknown-member":
                owner = text[:column].rstrip().removesuffix(".").rstrip()
                if owner.endswith(("global", "globalThis")):
                    continue  # scripts keep anything they like on `global`
                if owner.endswith("configuration"):
                    key = re.match(r"Property '([^']+)'", message)
                    name = key.group(1) if key else "?"
                    code, message = "unknown-configuration-key", (
                        f"configuration has no key {name}: add it under Configuration & secrets "
                        "(on the platform it would be undefined)")
            out.append(JsDiagnostic(code, message, line0 + 1, column))
        return out

    def warm_up(self, snippets: Iterable[str] | None = None) -> None:
        """Start the server and load the workspace, so the first real request is quick."""
        with self._lock:
            self.complete(next(iter(snippets or ())) if snippets else "configuration.", 1, len("configuration."))

    def _reset(self) -> None:
        """Forget a server that failed a request (it is killed; the next request starts a new one)."""
        client, self._client = self._client, None
        if client is not None:
            client.close(wait=False)

    def close(self, wait: bool = True) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close(wait=wait)


def _utf16(text: str, col: int) -> int:
    """A code-point column as LSP's UTF-16 one."""
    head = text[:col]
    return len(head) + sum(1 for ch in head if ord(ch) > 0xFFFF)


def _code_points(text: str, utf16: int) -> int:
    n = units = 0
    for ch in text:
        if units >= utf16:
            break
        units += 2 if ord(ch) > 0xFFFF else 1
        n += 1
    return n


_shared: TypeScriptService | None = None
_shared_lock = threading.Lock()


def shared_service() -> TypeScriptService:
    """The application's one TypeScript server: the editor's completion and live lint share it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TypeScriptService()
        return _shared


def language_service_findings(key: str, source: str, config_keys: Iterable[str]) -> list[Finding]:
    """The language service's diagnostics of a script as lint findings (none when it is not installed)."""
    if tsc_path() is None:
        return []
    try:
        found = shared_service().diagnostics(source, key, config_keys)
    except (LspError, TypeScriptUnavailable):
        return []  # the service is down: the static lint still stands; the next keystroke tries again
    return [finding(d.code, d.message, key, d.line) for d in found]
