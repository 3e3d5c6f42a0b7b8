"""A connection project on disk: `customdb.toml` + `scripts/` + `cases/`.

Loading validates and reports problems with file, line and what is wrong; saving is atomic
(temp file + replace) and never writes a secret value: secret entries are only marked.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.languages import DEFAULT_LANGUAGE, PYTHON, Language, UnknownLanguage, get_language
from app.domain.platforms import AUTH0, DEFAULT_PLATFORM, Platform, UnknownPlatform, get_platform
from app.domain.scripts import Mode, ScriptKind

PROJECT_FILE = "customdb.toml"
SCRIPTS_DIR = "scripts"
CASES_DIR = "cases"
STATE_DIR = ".customdb"  # per-project machine state (simulation copies, caches); never bundled
DEFAULT_TIMEOUT_S = AUTH0.limits.timeout_s
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ProjectError(Exception):
    """A project that cannot be used; str() is one line naming file, line and problem."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass
class ConfigEntry:
    key: str
    value: str | None = None  # None for secrets: their values live in the keychain
    secret: bool = False


@dataclass
class Project:
    root: Path
    name: str
    mode: Mode = Mode.LEGACY
    database_url: str = "sqlite:///legacy.db"
    requires_username: bool = False
    context_object: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    configuration: dict[str, ConfigEntry] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # sections other floors own (e.g. [rehearsal]), kept on save
    id: str = ""  # stable identity for keychain entries; survives renames and moves of the folder
    language: Language = PYTHON  # what the scripts are written in (customdb.toml `language`)
    platform: Platform = AUTH0  # what calls them (customdb.toml `platform`)

    def __post_init__(self) -> None:
        if not self.id:
            import uuid  # here, not at the top: the IDE's start-up loads this module (and rarely needs it)

            self.id = uuid.uuid4().hex[:12]

    # -- paths ---------------------------------------------------------------------------
    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def scripts_dir(self) -> Path:
        return self.root / SCRIPTS_DIR

    @property
    def cases_dir(self) -> Path:
        return self.root / CASES_DIR

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def script_file_name(self, key: str) -> str:
        """`login.py` / `login.js`: the script's file name in the project's language."""
        return self.language.file_name(key)

    def script_path(self, key: str) -> Path:
        return self.scripts_dir / self.script_file_name(key)

    # -- scripts -------------------------------------------------------------------------
    def script_keys(self) -> list[str]:
        """Keys of the scripts present on disk, in the canonical order."""
        return [k for k in self.platform.kinds if self.script_path(k).is_file()]

    def read_script(self, key: str) -> str:
        return self.script_path(key).read_text(encoding="utf-8")

    def write_script(self, key: str, source: str) -> None:
        atomic_write(self.script_path(key), source)

    def kinds_in_mode(self) -> list[ScriptKind]:
        return self.platform.kinds_for_mode(self.mode)

    # -- database ------------------------------------------------------------------------
    def resolved_database_url(self) -> str:
        """The URL with a relative SQLite path made absolute against the project folder."""
        return resolve_sqlite_url(self.database_url, self.root)

    def secret_keys(self) -> list[str]:
        return [k for k, e in self.configuration.items() if e.secret]

    # -- persistence ---------------------------------------------------------------------
    def to_toml_dict(self) -> dict:
        config: dict = {}
        for key, entry in self.configuration.items():
            config[key] = {"secret": True} if entry.secret else ("" if entry.value is None else entry.value)
        data = {
            "id": self.id,
            "name": self.name,
            # the defaults are left out, so a project saved by this version reads as it did before
            **({"language": self.language.name} if self.language.name != DEFAULT_LANGUAGE else {}),
            **({"platform": self.platform.name} if self.platform.name != DEFAULT_PLATFORM else {}),
            "mode": str(self.mode),
            "database": {"url": self.database_url},
            "options": {
                "requires_username": self.requires_username,
                "context_object": self.context_object,
                "timeout_s": self.timeout_s,
            },
            "configuration": config,
        }
        data.update(self.extra)
        return data

    def save(self) -> None:
        """Write customdb.toml atomically; refuses to hold a password in the database URL."""
        if url_password(self.database_url):
            raise ProjectError(self.file, "the database URL holds a password; store it in the keychain instead")
        self.root.mkdir(parents=True, exist_ok=True)
        import tomli_w

        atomic_write(self.file, tomli_w.dumps(self.to_toml_dict()))


def atomic_write(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and os.replace, so a crash never leaves half a file."""
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_sqlite_url(url: str, root: Path) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix):]
    path_part, sep, query = rest.partition("?")
    if not path_part or path_part == ":memory:" or Path(path_part).is_absolute():
        return url
    absolute = (Path(root) / path_part).resolve()
    return f"{prefix}{absolute.as_posix()}{sep}{query}"


def url_password(url: str) -> str | None:
    """The password embedded in a database URL, if any (user:password@host)."""
    m = re.match(r"^[A-Za-z0-9+_.-]+://[^/@:]*:([^/@]*)@", url)
    return m.group(1) if m and m.group(1) else None


def _line_of(text: str, pattern: str) -> int | None:
    """Best-effort line of the first match, since tomllib gives no positions for valid TOML."""
    m = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def load_project(root: Path | str) -> Project:
    """Load and validate a project folder. Raises ProjectError with file and line on any problem."""
    root = Path(root)
    file = root / PROJECT_FILE
    if not root.is_dir():
        raise ProjectError(root, "no such project folder")
    if not file.is_file():
        raise ProjectError(file, f"not a Custom DB Studio project (no {PROJECT_FILE})")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ProjectError(file, f"not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise ProjectError(file, f"cannot read: {e.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ProjectError(file, f"invalid TOML: {msg}", int(m.group(1)) if m else None) from None
    except RecursionError:
        raise ProjectError(file, "invalid TOML: tables or arrays nested too deeply") from None
    # Absolute, so every path derived from it (state copies, script files) means the same thing in
    # the runner child, which works in the project folder, as in the process that loaded it.
    return _validate(Path(os.path.abspath(root)), file, text, data)


def _validate(root: Path, file: Path, text: str, data: dict) -> Project:
    def fail(message: str, pattern: str | None = None) -> ProjectError:
        return ProjectError(file, message, _line_of(text, pattern) if pattern else None)

    known = {"id", "name", "language", "platform", "mode", "database", "options", "configuration"}
    name = data.get("name", root.resolve().name)
    if not isinstance(name, str) or not name.strip():
        raise fail("'name' must be a non-empty string", r"^\s*name\s*=")

    try:
        language = get_language(data.get("language", DEFAULT_LANGUAGE))
    except UnknownLanguage as e:
        raise fail(str(e), r"^\s*language\s*=") from None
    try:
        platform = get_platform(data.get("platform", DEFAULT_PLATFORM))
    except UnknownPlatform as e:
        raise fail(str(e), r"^\s*platform\s*=") from None

    mode = data.get("mode", "legacy")
    if mode not in {m.value for m in Mode}:
        raise fail(f"'mode' must be \"legacy\" or \"migration\", not {mode!r}", r"^\s*mode\s*=")

    database = data.get("database", {})
    if not isinstance(database, dict):
        raise fail("'database' must be a table with a 'url'", r"^\s*database\s*=")
    url = database.get("url", "sqlite:///legacy.db")
    if not isinstance(url, str) or "://" not in url:
        raise fail("[database] url must be a SQLAlchemy URL such as sqlite:///legacy.db", r"^\s*url\s*=")
    if url_password(url):
        raise fail("[database] url holds a password: remove it and store the password in the keychain "
                   "(customdb config set DIR DATABASE_PASSWORD --secret)", r"^\s*url\s*=")

    options = data.get("options", {})
    if not isinstance(options, dict):
        raise fail("'options' must be a table", r"^\s*options\s*=")
    for flag in ("requires_username", "context_object"):
        if flag in options and not isinstance(options[flag], bool):
            raise fail(f"[options] {flag} must be true or false", rf"^\s*{flag}\s*=")
    timeout = options.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3600:
        raise fail("[options] timeout_s must be a number of seconds between 0 and 3600", r"^\s*timeout_s\s*=")
    unknown_opts = set(options) - {"requires_username", "context_object", "timeout_s"}
    if unknown_opts:
        opt = sorted(unknown_opts)[0]
        raise fail(f"[options] has an unknown option {opt!r}", rf"^\s*{re.escape(opt)}\s*=")

    configuration: dict[str, ConfigEntry] = {}
    raw_config = data.get("configuration", {})
    if not isinstance(raw_config, dict):
        raise fail("'configuration' must be a table", r"^\s*configuration\s*=")
    for key, value in raw_config.items():
        where = rf"^\s*\[?\s*(configuration\.)?{re.escape(key)}\b"
        if not _KEY_RE.match(key):
            raise fail(f"configuration key {key!r} must be a Python identifier", where)
        if isinstance(value, dict):
            if value.get("secret") is not True or set(value) - {"secret"}:
                raise fail(f"configuration {key!r}: a table entry must be exactly {{ secret = true }} "
                           "(secret values live in the keychain, never in this file)", where)
            configuration[key] = ConfigEntry(key, None, True)
        elif isinstance(value, str | int | float | bool):
            configuration[key] = ConfigEntry(key, str(value).lower() if isinstance(value, bool) else str(value))
        else:
            raise fail(f"configuration {key!r} must be a string, number, boolean or {{ secret = true }}", where)

    project_id = data.get("id", "")
    if not isinstance(project_id, str) or (project_id and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", project_id)):
        raise fail("'id' must be letters, digits, '-' or '_'", r"^\s*id\s*=")
    if not project_id:  # hand-written file: derive a stable id from the folder until it is saved
        import hashlib

        project_id = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return Project(
        id=project_id, root=root, name=name.strip(), language=language, platform=platform, mode=Mode(mode),
        database_url=url,
        requires_username=options.get("requires_username", False),
        context_object=options.get("context_object", False),
        timeout_s=float(timeout), configuration=configuration,
        extra={k: v for k, v in data.items() if k not in known},
    )
