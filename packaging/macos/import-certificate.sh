#!/usr/bin/env bash
# CI only: put the Developer ID certificate into a temporary keychain so codesign can use it.
#   MACOS_CERTIFICATE           base64 of the .p12 (Developer ID Application certificate + key)
#   MACOS_CERTIFICATE_PASSWORD  its password
# Does nothing (and says so) when the certificate is not provided.
set -euo pipefail
if [[ -z ${MACOS_CERTIFICATE:-} ]]; then
    echo "MACOS_CERTIFICATE not set: building without a signing identity"
    exit 0
fi
keychain="$RUNNER_TEMP/signing.keychain-db"
keychain_password=$(uuidgen)
p12="$RUNNER_TEMP/certificate.p12"
trap 'rm -f "$p12"' EXIT
printf '%s' "$MACOS_CERTIFICATE" | base64 --decode > "$p12"
security create-keychain -p "$keychain_password" "$keychain"
security set-keychain-settings -lut 21600 "$keychain"
security unlock-keychain -p "$keychain_password" "$keychain"
security import "$p12" -k "$keychain" -P "${MACOS_CERTIFICATE_PASSWORD:-}" -T /usr/bin/codesign
security set-key-partition-list -S apple-tool:,apple: -s -k "$keychain_password" "$keychain" >/dev/null
# Search this keychain first, keep the existing ones after it.
security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
security find-identity -v -p codesigning "$keychain"
