#!/usr/bin/env bash
# Refresh resources/screenshots/main-window.png (the README's screenshot): the IDE under Xvfb on a
# fresh copy of the sample project, after running Login for alice. The app grabs its own window
# when the result is shown (CUSTOMDB_SCREENSHOT, see app/ui/probes.py) and quits.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-resources/screenshots/main-window.png}
bash packaging/linux/install-system-deps.sh --gui
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$OUT")"
export CUSTOMDB_DATA_DIR="$tmp/data" CUSTOMDB_CACHE_DIR="$tmp/cache" XDG_CONFIG_HOME="$tmp/config"
export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring   # never touch a real keychain
export CUSTOMDB_SCREENSHOT="$PWD/$OUT"
export CUSTOMDB_SCREENSHOT_INPUT='{"email": "alice@example.com", "password": "wonderland-42"}'
export QT_QPA_PLATFORM=xcb
timeout 180 xvfb-run -a -s "-screen 0 1600x1000x24 -noreset" "$PY" -m app
test -s "$OUT" && echo "wrote $OUT"
