#!/usr/bin/env bash
# Build dist/CustomDBStudio-<version>.dmg from "dist/Custom DB Studio.app" (macOS only).
# Uses dmgbuild (pip install dmgbuild) for the drag-to-Applications layout; falls back to a plain
# hdiutil image when dmgbuild is missing. Run after pyinstaller; sign-and-notarize.sh signs the dmg.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
app="dist/Custom DB Studio.app"
[[ -d $app ]] || { echo "build-dmg: $app not found: run pyinstaller packaging/customdb-studio.spec first" >&2; exit 2; }
version=$("$PYTHON" -c 'import sys; sys.path.insert(0, "packaging"); import build_info; print(build_info.read_version())')
dmg="dist/CustomDBStudio-${version}.dmg"
rm -f "$dmg"
if command -v dmgbuild >/dev/null; then
    dmgbuild -s packaging/macos/dmg_settings.py -D app="$app" \
        -D icon=build/icons/customdb-studio.icns "Custom DB Studio" "$dmg"
else
    echo "build-dmg: dmgbuild not installed, building a plain image with hdiutil"
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT
    ditto "$app" "$stage/$(basename "$app")"   # ditto keeps symlinks, extended attributes, signatures
    ln -s /Applications "$stage/Applications"
    hdiutil create -volname "Custom DB Studio" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
fi
echo "$dmg"
