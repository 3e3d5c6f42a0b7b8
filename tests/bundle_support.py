"""Hand-made zips for the bundle tests: well-formed bundles and hostile ones (escaping paths, links,
zip bombs, lying headers), written byte by byte with zipfile so each test shows what it attacks."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path

from app.engine.bundles import FORMAT, FORMAT_VERSION

TOML = b'name = "customer"\nmode = "legacy"\n[database]\nurl = "sqlite:///legacy.db"\n'
SCRIPT = b"def get_user(email, callback):\n    return callback(None)\n"


def manifest_for(files: dict[str, bytes], **over) -> bytes:
    data = {"format": FORMAT, "format_version": FORMAT_VERSION, "app_version": "0.1.0",
            "created_at": "2026-01-01T00:00:00+00:00",
            "files": [{"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for n, b in files.items()]}
    data.update(over)
    return json.dumps(data).encode()


def write_bundle(path: Path, extra: dict[str, bytes] | None = None, *, manifest: bool = True,
                 list_extra: bool = True, **manifest_over) -> Path:
    """A bundle with customdb.toml and scripts/get_user.py plus `extra` entries (listed in the
    manifest unless list_extra=False)."""
    files = {"customdb.toml": TOML, "scripts/get_user.py": SCRIPT}
    listed = dict(files)
    if extra:
        files.update(extra)
        if list_extra:
            listed.update(extra)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if manifest:
            z.writestr("manifest.json", manifest_for(listed, **manifest_over))
        for name, body in files.items():
            z.writestr(name, body)
    return path


def write_symlink_bundle(path: Path, name: str = "scripts/get_user.py", target: str = "/etc/passwd") -> Path:
    """A bundle whose script entry is a symbolic link (Unix mode in the external attributes)."""
    files = {"customdb.toml": TOML}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", manifest_for({**files, name: target.encode()}))
        z.writestr("customdb.toml", TOML)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, target)
    return path


def write_bomb(path: Path, size: int = 8 * 1024 * 1024) -> Path:
    """A bundle whose snapshot entry is `size` zero bytes: deflate squeezes it about 1000:1."""
    blob = b"\0" * size
    return write_bundle(path, {"data/legacy.db": blob})


def shrink_declared_size(path: Path, name: str, new_size: int) -> None:
    """Make the central directory lie about an entry's uncompressed size (a classic bomb trick)."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    raw = bytearray(path.read_bytes())
    encoded = name.encode()
    central = raw.find(b"PK\x01\x02" + b"", 0)
    while central != -1:
        name_len = int.from_bytes(raw[central + 28:central + 30], "little")
        if raw[central + 46:central + 46 + name_len] == encoded:
            raw[central + 24:central + 28] = new_size.to_bytes(4, "little")
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    local = info.header_offset
    raw[local + 22:local + 26] = new_size.to_bytes(4, "little")
    path.write_bytes(bytes(raw))
