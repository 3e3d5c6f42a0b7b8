"""Whose code a frame is: the tenant's `script`, the hosted `platform`'s, or a `library`'s.

Hosted stacks mix three kinds of frames: the tenant's script, compiled by the sandbox into
`/data/io/<uuid>/webtask.js` (`/data/io/node18/<uuid>/webtask.js` on versioned runtimes); the
sandbox's own code (`/data/sandbox/…`, the runner `/data/io/<hex>.js`, the module store
`/data/_verquire/…`); and Node's internals and npm modules. Only the first is the user's to fix.
"""

from __future__ import annotations

import re
from functools import lru_cache

SCRIPT = "script"
PLATFORM = "platform"
LIBRARY = "library"

# the sandbox, its module store, its compiler, and the runner (`/data/io/<hex>.js`)
_PLATFORM = re.compile(r"^(?:file://)?/data/(?:sandbox/|_verquire/|io/sandbox/|io/[0-9a-fA-F]+\.js$)")
# the tenant's code: webtask.js (and any other file the sandbox keeps under /data/io/)
_SCRIPT = re.compile(r"^(?:file://)?/data/io/.+\.js$")


@lru_cache(maxsize=4096)
def hosted_origin(file: str | None) -> str | None:
    """`script` or `platform` for a hosted sandbox path, None for any other path."""
    if not file:
        return None
    if _PLATFORM.match(file):
        return PLATFORM
    if _SCRIPT.match(file):
        return SCRIPT
    return None


def frame_origin(file: str | None, library: bool) -> str:
    """The origin of a frame whose library flag the parser already set (node_modules, stdlib...)."""
    hosted = hosted_origin(file)
    if hosted is not None:
        return hosted
    return LIBRARY if library else SCRIPT
