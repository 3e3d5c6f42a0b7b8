#!/usr/bin/env bash
# Sign, notarize and staple the disk image (macOS only). Every step runs only when its secrets exist:
#   MACOS_CODESIGN_IDENTITY    "Developer ID Application: Name (TEAMID)" in the login/CI keychain
#                              (import-certificate.sh puts it there). pyinstaller already signed the
#                              app with it (hardened runtime + entitlements.plist); here the dmg.
#   Notarization, either an App Store Connect API key:
#     NOTARY_KEY_PATH (AuthKey_XXXX.p8), NOTARY_KEY_ID, NOTARY_ISSUER
#   or an Apple ID with an app-specific password:
#     APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
# Usage: packaging/macos/sign-and-notarize.sh dist/CustomDBStudio-<version>.dmg
set -euo pipefail
dmg=${1:?usage: sign-and-notarize.sh DMG}
app="$(dirname "$0")/../../dist/Custom DB Studio.app"
identity=${MACOS_CODESIGN_IDENTITY:-}

if [[ -z $identity ]]; then
    echo "MACOS_CODESIGN_IDENTITY not set: leaving the app ad-hoc signed and the dmg unsigned (not notarizable)"
    exit 0
fi

# The app was signed by pyinstaller; refuse to ship it if that signature is broken.
codesign --verify --deep --strict --verbose=2 "$app"
codesign --display --verbose=2 "$app" 2>&1 | grep -E "^(Authority|TeamIdentifier|Runtime)" || true

codesign --force --sign "$identity" --timestamp "$dmg"
codesign --verify --verbose=2 "$dmg"

auth=()
if [[ -n ${NOTARY_KEY_PATH:-} && -n ${NOTARY_KEY_ID:-} && -n ${NOTARY_ISSUER:-} ]]; then
    auth=(--key "$NOTARY_KEY_PATH" --key-id "$NOTARY_KEY_ID" --issuer "$NOTARY_ISSUER")
elif [[ -n ${APPLE_ID:-} && -n ${APPLE_TEAM_ID:-} && -n ${APPLE_APP_PASSWORD:-} ]]; then
    auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
else
    echo "no notarization credentials: the dmg is signed but not notarized (Gatekeeper will warn)"
    exit 0
fi

# Notarizing the dmg covers the app inside it; --wait returns when Apple has decided.
out=$(xcrun notarytool submit "$dmg" "${auth[@]}" --wait --output-format json)
echo "$out"
status=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",""))')
if [[ $status != "Accepted" ]]; then
    id=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
    [[ -n $id ]] && xcrun notarytool log "$id" "${auth[@]}" || true
    echo "notarization ended with status '$status'" >&2
    exit 1
fi
xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
