"""Reproduction bundles: one zip a customer sends so support can reproduce a failing run.

Layout (format 1):
    manifest.json          format, format_version, app_version, created_at, what is inside, files
    customdb.toml          the project file (secret entries are markers only, never values)
    scripts/<key>.py       the scripts (<key>.js in a JavaScript project)
    cases/<name>.json      the saved cases
    repro/repro.json       {"script": KEY, "input": {...} | null, "masked": bool}
    repro/trace.txt        the customer's stack trace, as pasted or read from the log
    data/legacy.db         with --data: a SQLite snapshot of the legacy store (app/engine/snapshot.py)

Never inside: secret values (scripts and cases holding one are refused; the repro input and trace
have them masked), keychain entries, `.customdb/`, caches, `__pycache__`, virtual environments.

`import_bundle` unpacks into a new folder, refusing (BundleError, the CLI's exit 2) anything that is
not a bundle, entries that escape the folder, links, unexpected entries and absurd sizes (declared
sizes and per-entry compression ratio are checked first, then the bytes are counted while
extracting). The new project uses the snapshot as its database and starts restricted
(app/engine/trust.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets as _random
import shutil
import stat
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from app.domain.languages import LANGUAGES
from app.domain.project import CASES_DIR, PROJECT_FILE, SCRIPTS_DIR, Project, ProjectError, load_project

FORMAT = "customdb-reproduction-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPRO_FILE = "repro/repro.json"
TRACE_FILE = "repro/trace.txt"
SNAPSHOT = "data/legacy.db"
SNAPSHOT_URL = "sqlite:///legacy.db"
IMPORTED_DB = "legacy.db"

MAX_TOTAL_BYTES = 512 * 1024 * 1024  # everything unpacked
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per entry above RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 5000
MAX_TRACE_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024
_SUFFIXES = "|".join(re.escape(lang.suffix) for lang in LANGUAGES.values())
_SCRIPT_NAME = re.compile(rf"^[A-Za-z_][A-Za-z0-9_]*(?:{_SUFFIXES})$")
_CASE_NAME = re.compile(r"^[^/\\]+\.json$")
_SQLITE_HEADER = b"SQLite format 3\x00"


class BundleError(Exception):
    """The bundle cannot be made or unpacked; str() is one line saying why (never a secret)."""


@dataclass
class ExportSummary:
    path: Path
    files: list[str]
    script: str | None
    data: str | None  # None, "sqlite_copy" or "touched_rows"
    masked: bool
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows (touched rows)

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": str(self.path), "files": self.files, "script": self.script, "data": self.data,
                "masked": self.masked, "tables": self.tables}


# -- export ------------------------------------------------------------------------------------------

def _project_files(project: Project) -> dict[str, bytes]:
    """customdb.toml, scripts/*.py (*.js) and cases/*.json: regular files only (no links, caches, venvs)."""
    files = {PROJECT_FILE: project.file.read_bytes()}
    for folder, pattern in ((project.scripts_dir, _SCRIPT_NAME), (project.cases_dir, _CASE_NAME)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_symlink() or not path.is_file() or not pattern.match(path.name):
                continue
            files[f"{folder.name}/{path.name}"] = path.read_bytes()
    for name in (REPRO_FILE, TRACE_FILE):  # a re-export of an imported bundle keeps its repro
        path = project.root / name
        if path.is_file() and not path.is_symlink():
            files[name] = path.read_bytes()
    return files


def project_secret_values(project: Project) -> dict[str, str]:
    """key -> value of every secret this machine knows for the project (keychain, session, env)."""
    from app.engine.secrets import DATABASE_PASSWORD, KeychainUnavailable, get_secret

    values: dict[str, str] = {}
    for key in [*project.secret_keys(), DATABASE_PASSWORD]:
        try:
            value = get_secret(project, key)
        except KeychainUnavailable:
            value = None
        if isinstance(value, str) and value:
            values[key] = value
    return values


def _refuse_secrets(files: Mapping[str, bytes], secrets: Mapping[str, str]) -> None:
    """A file holding a secret, in any of its escaped renderings (repr, JSON, bytes) or as a Python
    string literal spelled with other escapes or quotes, is refused."""
    from app.runtime.masking import renderings

    forms = {key: renderings(value) for key, value in secrets.items() if len(value) >= 4}
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        literals = _python_strings(text) if name.endswith(".py") else ()
        for key, spelled in forms.items():
            if any(form in text for form in spelled) or any(secrets[key] in lit for lit in literals):
                raise BundleError(f"{name} holds the value of the secret {key!r}; read it from "
                                  f"configuration['{key}'] instead, then export again (nothing was written)")


def _python_strings(source: str) -> list[str]:
    """The value of every str and bytes literal in a Python source (empty when it does not parse)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                found.append(node.value)
            elif isinstance(node.value, bytes):
                found.append(node.value.decode("utf-8", "replace"))
    return found


def _emails_in(data: Any) -> set[str]:
    from app.engine.snapshot import EMAIL_RE

    if isinstance(data, str):
        return {m.group(0).lower() for m in EMAIL_RE.finditer(data)}
    if isinstance(data, Mapping):
        return set().union(*(_emails_in(v) for v in data.values())) if data else set()
    if isinstance(data, list | tuple):
        return set().union(*(_emails_in(v) for v in data)) if data else set()
    return set()


def _placeholder_passwords(data: Any) -> Any:
    """The input with every password-named value replaced by the documented placeholder, so the
    masked snapshot's placeholder hashes still accept it."""
    from app.engine.snapshot import PLACEHOLDER_PASSWORD

    if isinstance(data, Mapping):
        return {k: (PLACEHOLDER_PASSWORD if isinstance(v, str) and re.search(r"pass|pwd", str(k), re.I)
                    else _placeholder_passwords(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_placeholder_passwords(v) for v in data]
    return data


def infer_script(trace: str | None) -> str | None:
    """The script a trace is about: the first project frame's script, if any."""
    if not trace:
        return None
    from app.domain.traces import analyze

    for t in reversed(analyze(trace)):
        for f in reversed(t.frames):
            if f.script and not f.library:
                return f.script
    return None


RunnerFactory = Callable[[Project], Any]


def export_bundle(project: Project, out: Path | str, *, script: str | None = None,
                  input: Mapping[str, Any] | None = None, trace: str | None = None,  # noqa: A002
                  data: bool = False, mask: bool = False,
                  runner_factory: RunnerFactory | None = None) -> ExportSummary:
    """Write the bundle to `out` (atomically). Raises BundleError for anything the user must change."""
    from app.engine.secrets import mask as mask_secrets
    from app.engine.secrets import mask_data
    from app.engine.snapshot import mask_text

    out = Path(out)
    if not out.parent.is_dir():
        raise BundleError(f"{out.parent} does not exist; choose where the bundle goes")
    if out.is_dir():
        raise BundleError(f"{out} is a folder; give the bundle a file name such as repro.zip")
    if input is not None and not isinstance(input, Mapping):
        raise BundleError("the input must be a JSON object")
    if script is None and (input is not None or trace is not None or data):
        script = infer_script(trace)
    if script is not None and script not in project.platform.kinds:
        raise BundleError(f"unknown script {script!r}; expected one of {', '.join(project.platform.order)}")
    if script is not None and not project.script_path(script).is_file():
        raise BundleError(f"{project.script_path(script)} does not exist; pick the script that failed")
    if input is not None and script is None:
        raise BundleError("say which script failed with --script KEY (the trace names none)")

    try:
        files = _project_files(project)
    except OSError as e:
        raise BundleError(f"cannot read the project: {e.strerror or e}") from None
    secrets = project_secret_values(project)
    _refuse_secrets(files, secrets)
    if script is None and input is None and trace is None and REPRO_FILE in files:
        try:  # re-exporting an imported bundle: its repro goes along (masked again if asked)
            script, input, trace = read_repro(project)  # noqa: A001
        except BundleError:
            script = None
    secret_values = frozenset(secrets.values())

    salt = _random.token_bytes(16)
    keep = _emails_in(input) if input is not None else set()
    repro_input = dict(input) if input is not None else None
    if repro_input is not None:
        repro_input = mask_data(repro_input, secret_values)
        if mask:
            repro_input = _placeholder_passwords(repro_input)
    if trace is not None:
        trace = mask_secrets(trace, secret_values)
        if mask:
            trace = mask_text(trace, keep, salt)
        files[TRACE_FILE] = trace.encode("utf-8")
    if script is not None:
        files[REPRO_FILE] = json.dumps({"script": script, "input": repro_input, "masked": mask},
                                       indent=2, ensure_ascii=False).encode("utf-8")

    kind_of_data: str | None = None
    tables: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="customdb-bundle-") as tmp:
        snapshot_path: Path | None = None
        if data:
            snapshot_path = Path(tmp) / "legacy.db"
            kind_of_data, tables = _snapshot(project, snapshot_path, script, input, runner_factory)
            if mask:
                from app.engine.snapshot import mask_snapshot

                mask_snapshot(snapshot_path, keep, salt)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": _app_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "project": project.name, "script": script, "input": repro_input is not None,
            "trace": trace is not None, "data": kind_of_data, "masked": mask,
            "database_dialect": _dialect(project.database_url), "tables": tables,
            "files": [{"path": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
                      for name, body in files.items()],
        }
        if snapshot_path is not None:
            manifest["files"].append({"path": SNAPSHOT, "size": snapshot_path.stat().st_size,
                                      "sha256": _sha256_file(snapshot_path)})
        _write_zip(out, manifest, files, snapshot_path)
    names = [MANIFEST, *files, *([SNAPSHOT] if kind_of_data else [])]
    return ExportSummary(out, names, script, kind_of_data, mask, tables)


def _app_version() -> str:
    from app import __version__

    return __version__


def _dialect(url: str) -> str:
    return url.split("://", 1)[0].split("+", 1)[0]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _snapshot(project: Project, target: Path, script: str | None, input: Mapping[str, Any] | None,  # noqa: A002
              runner_factory: RunnerFactory | None) -> tuple[str, dict[str, int]]:
    from app.engine.database import DatabaseUrlError, MissingDriverError, database_url
    from app.engine.snapshot import SnapshotError, copy_sqlite, touched_rows_snapshot

    if _dialect(project.database_url) == "sqlite":
        path = project.resolved_database_url()[len("sqlite:///"):].partition("?")[0]
        try:
            copy_sqlite(Path(path), target)
        except SnapshotError as e:
            raise BundleError(str(e)) from None
        return "sqlite_copy", {}
    if script is None:
        raise BundleError("--data for a server database copies the rows the failing script touches: "
                          "give --script KEY and --input JSON")
    from app.engine.runner import RunInputError, RunnerClient
    from app.engine.secrets import SecretsError

    client = (runner_factory or (lambda p: RunnerClient(p, use_spare=False)))(project)
    try:
        result = client.run(script, input or {}, commit=False)
    except (RunInputError, SecretsError, DatabaseUrlError) as e:
        raise BundleError(f"the dry run that finds the touched rows could not start: {e}") from None
    finally:
        client.close()
    if not result.sql:
        raise BundleError(f"the dry run of {script} sent no SQL ({result.outcome}); no rows to copy")
    try:
        return "touched_rows", touched_rows_snapshot(database_url(project), result.sql, target)
    except (SnapshotError, MissingDriverError, DatabaseUrlError) as e:
        raise BundleError(str(e)) from None


def _write_zip(out: Path, manifest: dict, files: Mapping[str, bytes], snapshot: Path | None) -> None:
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
            for name, body in files.items():
                z.writestr(name, body)
            if snapshot is not None:
                z.write(snapshot, SNAPSHOT)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- import ------------------------------------------------------------------------------------------

def _allowed(name: str) -> bool:
    parts = name.split("/")
    if name in (MANIFEST, PROJECT_FILE, SNAPSHOT, REPRO_FILE, TRACE_FILE):
        return True
    if len(parts) == 2 and parts[0] == SCRIPTS_DIR:
        return bool(_SCRIPT_NAME.match(parts[1]))
    return len(parts) == 2 and parts[0] == CASES_DIR and bool(_CASE_NAME.match(parts[1]))


def _unsafe_name(name: str) -> str | None:
    """Why the entry name is unsafe, or None."""
    if not name or "\x00" in name:
        return "has an empty or invalid name"
    if "\\" in name:
        return "uses a backslash in its path"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if any(part == ".." for part in PurePosixPath(name).parts):
        return "escapes the target folder (..)"
    return None


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def check_bundle(z: zipfile.ZipFile) -> dict[str, Any]:
    """Validate a bundle's entries (names, links, sizes) and manifest before anything is written."""
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"the bundle has {len(infos)} entries; at most {MAX_ENTRIES} are accepted")
    total = 0
    names = set()
    for info in infos:
        name = info.filename
        problem = _unsafe_name(name)
        if problem:
            raise BundleError(f"entry {name!r} {problem}; refusing to unpack")
        if _is_link(info):
            raise BundleError(f"entry {name!r} is a symbolic link; refusing to unpack")
        if info.is_dir():
            continue
        if name in names:
            raise BundleError(f"entry {name!r} appears twice; refusing to unpack")
        names.add(name)
        if info.file_size > MAX_ENTRY_BYTES:
            raise BundleError(f"entry {name!r} would unpack to {info.file_size} bytes "
                              f"(limit {MAX_ENTRY_BYTES}); refusing to unpack")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleError(f"entry {name!r} is compressed {info.file_size // max(info.compress_size, 1)}:1 "
                              f"(limit {MAX_RATIO}:1), like a zip bomb; refusing to unpack")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BundleError(f"the bundle would unpack to more than {MAX_TOTAL_BYTES} bytes; refusing to unpack")
    if MANIFEST not in names:
        raise BundleError(f"not a reproduction bundle (no {MANIFEST})")
    try:
        with z.open(MANIFEST) as f:
            manifest = json.loads(f.read(1024 * 1024 + 1))
    except (json.JSONDecodeError, UnicodeDecodeError, zipfile.BadZipFile, OSError):
        raise BundleError(f"not a reproduction bundle ({MANIFEST} is not valid JSON)") from None
    except RecursionError:
        raise BundleError(f"not a reproduction bundle ({MANIFEST} is nested too deeply)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"not a reproduction bundle ({MANIFEST} does not say format {FORMAT!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BundleError(f"the bundle's format version {version!r} is newer than this app understands "
                          f"({FORMAT_VERSION}); update Custom DB Studio")
    if PROJECT_FILE not in names:
        raise BundleError(f"not a reproduction bundle (no {PROJECT_FILE})")
    for name in sorted(names):
        if not _allowed(name):
            raise BundleError(f"entry {name!r} is not part of a reproduction bundle; refusing to unpack")
    files = manifest.get("files") or []
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise BundleError(f"not a reproduction bundle ({MANIFEST}'s \"files\" must be a list of objects)")
    for entry in files:
        if not isinstance(entry.get("path"), str) or not isinstance(entry.get("sha256"), str | None) \
                or not isinstance(entry.get("size"), int | None):
            raise BundleError(f"not a reproduction bundle ({MANIFEST} lists a file without a text \"path\", "
                              "or with a \"sha256\" or \"size\" of the wrong type)")
    listed = {f["path"]: f for f in files}
    for name in names - {MANIFEST}:
        if name not in listed:
            raise BundleError(f"entry {name!r} is not listed in the manifest; refusing to unpack")
    manifest["_listed"] = listed
    return manifest


def _extract(z: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: list[int],
             expected_sha: str | None) -> None:
    """Copy one entry, counting bytes: never more than it declared, never past the total budget."""
    written = 0
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with z.open(info) as src, open(target, "xb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            budget[0] -= len(chunk)
            if written > info.file_size:
                raise BundleError(f"entry {info.filename!r} is larger than it declares; refusing to unpack")
            if budget[0] < 0:
                raise BundleError(f"the bundle unpacks to more than {MAX_TOTAL_BYTES} bytes; refusing to unpack")
            digest.update(chunk)
            dst.write(chunk)
    if expected_sha and digest.hexdigest() != expected_sha:
        raise BundleError(f"entry {info.filename!r} does not match its checksum in the manifest (damaged bundle)")


def import_bundle(zip_path: Path | str, target: Path | str) -> Project:
    """Unpack the bundle into `target` (absent or empty) as a restricted project; returns it."""
    from app.engine import trust

    zip_path, target = Path(zip_path), Path(target)
    if not zip_path.is_file():
        raise BundleError(f"{zip_path}: no such file")
    if target.exists() and not target.is_dir():
        raise BundleError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise BundleError(f"{target} is not empty; unpack into a new or empty folder")
    if not target.parent.is_dir():
        raise BundleError(f"{target.parent} does not exist")
    try:
        z = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        raise BundleError(f"{zip_path} is not a zip file, so not a reproduction bundle") from None
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.import-"))
    try:
        with z:
            manifest = check_bundle(z)
            budget = [MAX_TOTAL_BYTES]
            for info in z.infolist():
                if info.is_dir() or info.filename == MANIFEST:
                    continue
                name = IMPORTED_DB if info.filename == SNAPSHOT else info.filename
                sha = (manifest["_listed"].get(info.filename) or {}).get("sha256")
                try:
                    _extract(z, info, staging / name, budget, sha if isinstance(sha, str) else None)
                except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                    raise BundleError(f"entry {info.filename!r} is damaged ({e}); refusing to unpack") from None
        snapshot = staging / IMPORTED_DB
        if snapshot.exists():
            with open(snapshot, "rb") as f:
                if f.read(16) != _SQLITE_HEADER:
                    raise BundleError(f"{SNAPSHOT} is not a SQLite database; refusing to unpack")
        try:
            project = load_project(staging)
        except ProjectError as e:
            raise BundleError(f"the bundle's {PROJECT_FILE} is broken: {e.message}") from None
        project.id = uuid.uuid4().hex[:12]  # its own keychain entries, never the customer's
        if snapshot.exists():
            project.database_url = SNAPSHOT_URL
        project.save()
        manifest.pop("_listed", None)
        (staging / ".customdb").mkdir(exist_ok=True)
        (staging / ".customdb" / "bundle-manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for folder in (SCRIPTS_DIR, CASES_DIR):
            (staging / folder).mkdir(exist_ok=True)
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp made it private; the project is an ordinary folder
        if target.is_dir():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    project = load_project(target)
    trust.mark_from_bundle(project, zip_path.name)
    return project


def read_repro(project: Project) -> tuple[str, dict[str, Any] | None, str | None]:
    """(script, input, trace text) of a project's repro/ folder; BundleError when there is none."""
    path = project.root / REPRO_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{project.root} has no {REPRO_FILE}; export a bundle with --script "
                          "(and --input/--trace) to reproduce a run") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"{path} is not readable JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("script"), str):
        raise BundleError(f"{path} must be an object with a \"script\" key")
    repro_input = data.get("input")
    if repro_input is not None and not isinstance(repro_input, dict):
        raise BundleError(f"{path}: \"input\" must be an object or null")
    trace_path = project.root / TRACE_FILE
    trace = None
    if trace_path.is_file():
        with open(trace_path, "rb") as f:
            trace = f.read(MAX_TRACE_BYTES).decode("utf-8", errors="replace")
    return data["script"], repro_input, trace


__all__ = ["BundleError", "ExportSummary", "export_bundle", "import_bundle", "read_repro", "check_bundle"]
