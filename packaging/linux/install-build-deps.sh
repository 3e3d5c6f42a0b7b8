#!/usr/bin/env bash
# What `make package` needs beyond the runtime libraries: PyInstaller runs `objdump` (binutils) on
# every collected ELF file and `ldd` (libc-bin, always present) to find their dependencies.
# Installs only what is missing, only as root; otherwise says what to install.
set -euo pipefail
command -v objdump >/dev/null && exit 0
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "note: PyInstaller needs objdump: install binutils with your package manager" >&2
    exit 0
fi
echo "installing system packages: binutils"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends binutils >/dev/null
