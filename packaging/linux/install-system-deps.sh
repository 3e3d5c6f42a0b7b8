#!/usr/bin/env bash
# Debian packages the IDE and its tests need on a bare machine: Qt's offscreen libraries and a
# PostgreSQL and a MariaDB server for the runner's database tests (the tests start private instances
# of their own on loopback ports; the system services are never used). Installs only what is missing, only as root.
set -euo pipefail
want=(libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libsqlite3-0 postgresql)
# MariaDB conflicts with an installed MySQL server package: never replace one (its tests then skip locally).
if ! dpkg-query -W -f='${Status}' 'mysql-server*' 2>/dev/null | grep -q "install ok installed"; then
    want+=(mariadb-server)
fi
[[ ${1:-} == --gui ]] && want+=(xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
    libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0)
missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
(( ${#missing[@]} == 0 )) && exit 0
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "note: missing system packages (${missing[*]}); install them with your package manager" >&2
    exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
