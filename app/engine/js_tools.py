"""Where the JavaScript editor tools live: TypeScript's native language server and the modules'
type declarations (resources/typescript, installed by `make` with `npm ci`; bundled when frozen),
and the names the offline module store offers to `require()`."""

from __future__ import annotations

import json
import platform
import sys
from functools import lru_cache
from pathlib import Path

from app.resources import resources_root

# Node's built-in modules a script may require (as `crypto` or `node:crypto`)
NODE_BUILTINS = ("assert", "buffer", "child_process", "crypto", "dns", "events", "fs", "http", "https", "net",
                 "os", "path", "querystring", "stream", "string_decoder", "timers", "tls", "url", "util", "zlib")


def tools_dir() -> Path:
    return resources_root() / "typescript"


def _platform_package() -> str:
    """The npm package of TypeScript's native binary for this machine, e.g. typescript-linux-x64."""
    system = {"win32": "win32", "darwin": "darwin"}.get(sys.platform, "linux")
    machine = platform.machine().lower()
    arch = "arm64" if machine in ("arm64", "aarch64") else "x64"
    return f"typescript-{system}-{arch}"


def tsc_path() -> Path | None:
    """TypeScript's native compiler (it serves the language server with `--lsp --stdio`), or None."""
    exe = "tsc.exe" if sys.platform == "win32" else "tsc"
    root = tools_dir()
    for candidate in (root / "bin" / exe,  # the frozen app's copy
                      root / "node_modules" / "@typescript" / _platform_package() / "lib" / exe):
        if candidate.is_file():
            return candidate
    return None


def types_dir() -> Path:
    return tools_dir() / "node_modules" / "@types"


def store_dir() -> Path:
    """The offline module store's node_modules (app/runtime/js/store)."""
    return Path(__file__).resolve().parents[1] / "runtime" / "js" / "store" / "node_modules"


@lru_cache(maxsize=1)
def store_modules() -> dict[str, tuple[str, ...]]:
    """name -> the pinned versions `require('name@version')` may ask for (the default first when known)."""
    manifest = store_dir().parent / "package.json"
    try:
        deps = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies", {})
    except (OSError, ValueError):
        return {}
    modules: dict[str, list[str]] = {}
    for key in deps:
        name, _, version = key.partition("--")  # the store's alias for an exact version: NAME--VERSION
        versions = modules.setdefault(name, [])
        if version:
            versions.append(version)
        else:
            default = _installed_version(name)
            if default:
                versions.insert(0, default)
    if "bcryptjs" in modules:  # the store serves require('bcrypt') with bcryptjs
        modules.setdefault("bcrypt", list(modules["bcryptjs"]))
    return {name: tuple(v) for name, v in sorted(modules.items())}


def _installed_version(name: str) -> str | None:
    try:
        return json.loads((store_dir() / name / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
