"""Facts about the release build that the PyInstaller spec, the installers and the tests share.

Pure Python (tomllib only), so `tests/test_packaging.py` checks them without PyInstaller. The spec
(`packaging/customdb-studio.spec`) imports this module from its own folder.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"

APP_NAME = "Custom DB Studio"  # the .app name, Start-menu entry, window title
EXE_NAME = "customdb-studio"  # the executable and the one-folder directory under dist/
BUNDLE_ID = "com.customdbstudio.app"
PUBLISHER = "Custom DB Studio"
MACOS_MINIMUM = "13.0"  # PySide6 6.11 wheels are built for macOS 13 (macosx_13_0_universal2)
BUNDLE_EXTENSION = "cdbbundle"  # a reproduction bundle (a zip) saved under the app's own extension
BUNDLE_UTI = "com.customdbstudio.reproduction-bundle"

# Database drivers: the extras we ship are required; the rest are bundled only where installed.
REQUIRED_DRIVERS = ("psycopg", "psycopg_binary", "pymysql")
OPTIONAL_DRIVERS = ("pymssql",)
# Drivers whose modules are listed instead of discovered (collect_submodules imports them).
DRIVER_MODULES = {"psycopg_binary": ["psycopg_binary", "psycopg_binary.pq", "psycopg_binary._psycopg"]}

# Environment variables read at build time (all optional; without them the build is unsigned/ad hoc).
ENV_CODESIGN_IDENTITY = "MACOS_CODESIGN_IDENTITY"  # e.g. "Developer ID Application: Acme (TEAMID)"
ENV_ENTITLEMENTS = "MACOS_ENTITLEMENTS"  # defaults to packaging/macos/entitlements.plist
DEFAULT_ENTITLEMENTS = ROOT / "packaging" / "macos" / "entitlements.plist"


def read_version(pyproject: Path = PYPROJECT) -> str:
    """The one version number of a release: `[project] version` in pyproject.toml."""
    with pyproject.open("rb") as f:
        data = tomllib.load(f)
    try:
        version = data["project"]["version"]
    except KeyError:
        raise ValueError(f"{pyproject} has no [project] version") from None
    if not isinstance(version, str) or not version.strip():
        raise ValueError(f"{pyproject}: [project] version must be a non-empty string")
    return version.strip()


def numeric_version(version: str) -> tuple[int, int, int, int]:
    """`1.2.3rc1` -> (1, 2, 3, 0): the four numbers a Windows version resource and a plist want."""
    numbers: list[int] = []
    for part in version.split(".")[:3]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        numbers.append(int(digits or 0))
        if len(digits) < len(part):  # a pre-release suffix ends the numeric part
            break
    while len(numbers) < 4:
        numbers.append(0)
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def info_plist(version: str) -> dict[str, object]:
    """Info.plist entries merged over PyInstaller's defaults for the macOS `.app`."""
    short = ".".join(str(n) for n in numeric_version(version)[:3])
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": short,
        "CFBundleVersion": version,
        "LSMinimumSystemVersion": MACOS_MINIMUM,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,  # follow the system's dark mode
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "NSHumanReadableCopyright": f"Copyright © {PUBLISHER}",
        # Reproduction bundles: our own extension is ours to open; plain .zip files only list the
        # app under "Open With" (rank Alternate), so we never take .zip away from the Archive Utility.
        "UTExportedTypeDeclarations": [{
            "UTTypeIdentifier": BUNDLE_UTI,
            "UTTypeDescription": "Custom DB Studio reproduction bundle",
            "UTTypeConformsTo": ["public.zip-archive", "public.data"],
            "UTTypeTagSpecification": {"public.filename-extension": [BUNDLE_EXTENSION]},
        }],
        "CFBundleDocumentTypes": [
            {
                "CFBundleTypeName": "Custom DB Studio reproduction bundle",
                "CFBundleTypeRole": "Editor",
                "LSHandlerRank": "Owner",
                "LSItemContentTypes": [BUNDLE_UTI],
            },
            {
                "CFBundleTypeName": "Reproduction bundle (zip)",
                "CFBundleTypeRole": "Viewer",
                "LSHandlerRank": "Alternate",
                "LSItemContentTypes": ["public.zip-archive"],
            },
        ],
    }


def codesign_settings(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(identity, entitlements file) for PyInstaller's codesign on macOS; (None, None) = ad hoc.

    With an identity PyInstaller signs every binary with the hardened runtime (`--options=runtime`),
    so the entitlements the embedded Python needs must come with it.
    """
    env = os.environ if environ is None else environ
    identity = (env.get(ENV_CODESIGN_IDENTITY) or "").strip() or None
    if identity is None:
        return None, None
    entitlements = Path(env.get(ENV_ENTITLEMENTS) or DEFAULT_ENTITLEMENTS)
    if not entitlements.is_file():
        raise FileNotFoundError(f"{ENV_ENTITLEMENTS}: entitlements file {entitlements} not found")
    return identity, str(entitlements)


def installed(module: str) -> bool:
    """True if `module` can be imported in the build environment (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def drivers_to_bundle() -> list[str]:
    """The DBAPI modules the bundle carries; a missing required one stops the build with a reason."""
    missing = [m for m in REQUIRED_DRIVERS if not installed(m)]
    if missing:
        raise SystemExit(
            f"the release ships {', '.join(missing)}: install the extras first "
            '(pip install ".[postgresql,mysql,package]")'
        )
    return [*REQUIRED_DRIVERS, *(m for m in OPTIONAL_DRIVERS if installed(m))]
