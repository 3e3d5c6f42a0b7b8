"""Where the bundled resources live: beside the package in a checkout, under _MEIPASS when frozen."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    """The `resources/` folder (templates, icons, the default window layout)."""
    frozen = getattr(sys, "_MEIPASS", None)
    return (Path(frozen) if frozen else Path(__file__).resolve().parents[1]) / "resources"
