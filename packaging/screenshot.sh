#!/usr/bin/env bash
# Refresh the README's screenshots: the IDE under Xvfb at 1366x768 (a laptop screen, the xcb
# platform as on a user's desktop) on a fresh copy of the sample project:
#   resources/screenshots/main-window.png       light theme, after running Login for alice
#   resources/screenshots/main-window-dark.png  dark theme, Login paused at a breakpoint
# The app grabs its own window when the result (or the paused frame) is shown (CUSTOMDB_SCREENSHOT,
# see app/ui/probes.py) and quits.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-resources/screenshots}
bash packaging/linux/install-system-deps.sh --gui
mkdir -p "$OUT"
export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring   # never touch a real keychain
export CUSTOMDB_SCREENSHOT_INPUT='{"email": "alice@example.com", "password": "wonderland-42"}'
export QT_QPA_PLATFORM=xcb
shoot() {  # shoot THEME FILE [BREAKPOINT_LINE]
  local tmp
  tmp=$(mktemp -d)
  CUSTOMDB_DATA_DIR="$tmp/data" CUSTOMDB_CACHE_DIR="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" \
    CUSTOMDB_THEME="$1" CUSTOMDB_SCREENSHOT="$PWD/$OUT/$2" CUSTOMDB_SCREENSHOT_BREAKPOINT="${3:-}" \
    timeout 180 xvfb-run -a -s "-screen 0 1366x768x24 -noreset" "$PY" -m app
  rm -rf "$tmp"
  test -s "$OUT/$2" && echo "wrote $OUT/$2"
}
shoot light main-window.png
shoot dark main-window-dark.png 14
