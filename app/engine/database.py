"""The legacy database: URLs with the password from the keychain, engines, "Test connection" and
the schema for the Schema panel.

A URL returned by `database_url()` may hold the password: hand it to SQLAlchemy or the runner
child, and show only `redact_url(url)`. No message built here ever contains a password.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import URL, create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from app.domain.project import resolve_sqlite_url
from app.engine.secrets import DATABASE_PASSWORD, KeychainUnavailable, get_secret, mask

# The drivers we ship, per dialect (the connection dialog offers exactly these).
DRIVERS: dict[str, str] = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mssql": "mssql+pymssql",
}
DEFAULT_PORTS: dict[str, int] = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}
PIP_EXTRAS: dict[str, str] = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql", "mssql": "mssql"}
DISPLAY_NAMES: dict[str, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL",
                                 "mariadb": "MariaDB", "mssql": "SQL Server"}
CATEGORIES = ("timeout", "refused", "auth", "missing-driver", "unknown-database", "other")


class DatabaseUrlError(ValueError):
    """A database URL SQLAlchemy cannot parse; the message never repeats the URL (it may hold a password)."""


class MissingDriverError(RuntimeError):
    """The URL names a driver that is not installed; the message names the pip extra to install."""


# -- URLs ----------------------------------------------------------------------------------------

def parse_url(url: str | URL) -> URL:
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise DatabaseUrlError("not a database URL; expected dialect+driver://user@host:port/database "
                               "or sqlite:///path/to/file.db") from None


def dialect_of(url: str | URL) -> str:
    """The backend name: "sqlite", "postgresql", "mysql", "mariadb", "mssql", ..."""
    return parse_url(url).get_backend_name()


def redact_url(url: str | URL) -> str:
    """The URL for display: any password becomes ****."""
    try:
        parsed = parse_url(url)
    except DatabaseUrlError:
        return re.sub(r"([^\s/@:]*:)[^\s/@]+@", r"\1****@", str(url))
    if parsed.password is None:
        return parsed.render_as_string(hide_password=False)
    return parsed.render_as_string(hide_password=True).replace(":***@", ":****@", 1)


def split_password(url: str) -> tuple[str, str | None]:
    """(URL without its password, the password or None): for moving a typed password to the keychain."""
    parsed = parse_url(url)
    password = parsed.password
    if password is None:
        return url, None
    return parsed._replace(password=None).render_as_string(hide_password=False), str(password)


def database_url(project: Any, override: str | None = None, *,
                 environ: Mapping[str, str] | None = None) -> str:
    """The URL to connect with: `override` or the project's URL, relative SQLite paths resolved
    against the project folder, and the password (keychain entry DATABASE_PASSWORD, or the
    CUSTOMDB_DATABASE_PASSWORD environment variable) filled in when the URL names a user without one.

    The result can hold the password: never display it; use redact_url(). A project on the embedded
    sample database gets it started here (app.engine.sampledb), on first use.
    """
    if override is None:
        from app.engine import sampledb

        if sampledb.is_embedded(project):
            sampledb.ensure_running(project)
    raw = resolve_sqlite_url(override, project.root) if override else project.resolved_database_url()
    parsed = parse_url(raw)
    if parsed.username and parsed.password is None:
        try:
            password = get_secret(project, DATABASE_PASSWORD, environ=environ)
        except KeychainUnavailable:
            password = None  # the server will answer with an auth error the user can act on
        if password is not None:
            return parsed.set(password=password).render_as_string(hide_password=False)
    return raw


# -- engines -------------------------------------------------------------------------------------

def _missing_driver_message(parsed: URL, error: BaseException) -> str:
    backend = parsed.get_backend_name()
    extra = PIP_EXTRAS.get(backend)
    shipped = DRIVERS.get("mysql" if backend == "mariadb" else backend)
    driver = parsed.get_driver_name() if "+" in parsed.drivername else None
    if isinstance(error, ModuleNotFoundError) and error.name:
        head = f"the Python driver {error.name!r} for {DISPLAY_NAMES.get(backend, backend)} is not installed"
    elif driver:
        head = f"SQLAlchemy has no driver {driver!r} for {DISPLAY_NAMES.get(backend, backend)}"
    else:
        head = f"SQLAlchemy does not know the database {backend!r}"
    if extra:
        tail = f"; install it with: pip install \"customdb-studio[{extra}]\""
        if shipped and driver and f"{backend}+{driver}" != shipped:
            tail = f"; use {shipped}://... (pip install \"customdb-studio[{extra}]\")"
        return head + tail
    return head + "; supported: " + ", ".join(DRIVERS.values())


def _connect_args(backend: str, timeout_s: float) -> dict[str, Any]:
    seconds = max(1, int(round(timeout_s)))
    if backend == "postgresql":
        return {"connect_timeout": max(2, seconds)}  # libpq ignores values under 2
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": seconds, "read_timeout": seconds}
    if backend == "mssql":
        return {"login_timeout": seconds, "timeout": seconds}
    if backend == "sqlite":
        return {"timeout": timeout_s}
    return {}


def make_engine(url: str | URL, *, timeout_s: float | None = None, **kw: Any) -> Engine:
    """An engine for `url`; a missing driver raises MissingDriverError naming the pip extra.
    `timeout_s` sets the driver's connect timeout."""
    parsed = parse_url(url)
    if timeout_s is not None:
        kw["connect_args"] = {**_connect_args(parsed.get_backend_name(), timeout_s), **kw.get("connect_args", {})}
    try:
        return create_engine(parsed, **kw)
    except (NoSuchModuleError, ModuleNotFoundError) as e:
        raise MissingDriverError(_missing_driver_message(parsed, e)) from None


# -- Test connection -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionReport:
    """What "Test connection" shows: ok + server version + latency, or a category and a message."""

    ok: bool
    dialect: str
    url: str  # redacted
    server_version: str | None = None
    latency_ms: float | None = None  # one SELECT 1 round trip on the open connection
    connect_ms: float | None = None
    category: str | None = None  # one of CATEGORIES when not ok
    message: str = ""

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # MySQL/MariaDB 1044: the password was right, the database is missing or not granted to this user
    ("unknown-database", re.compile(r"\b1044\b|access denied for user \S+ to database", re.I)),
    ("auth", re.compile(r"password authentication failed|authentication failed|no password supplied|"
                        r"access denied|login failed|role \S+ does not exist|\b1045\b|"
                        r"password is required|pg_hba\.conf rejects", re.I)),
    ("unknown-database", re.compile(r"database \S+ does not exist|unknown database|\b1049\b|"
                                    r"cannot open database|unable to open database file", re.I)),
    ("timeout", re.compile(r"timeout expired|timed out|timeout", re.I)),
    ("refused", re.compile(r"connection refused|errno 111|actively refused|\b10061\b|can't connect", re.I)),
]


def classify_error(error: BaseException) -> str:
    """The category of a connection failure, from the driver's message (drivers share no codes)."""
    if isinstance(error, MissingDriverError | NoSuchModuleError | ModuleNotFoundError):
        return "missing-driver"
    text_ = " ".join(str(e) for e in (error, getattr(error, "orig", None)) if e is not None)
    for category, pattern in _PATTERNS:
        if pattern.search(text_):
            return category
    return "other"


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    # psycopg puts "connection to server at ... failed:" first and the reason after it
    return "; ".join(lines[:2])[:300] if lines else type(orig).__name__


def _server_version(conn: Any) -> str:
    dialect = conn.dialect
    info = dialect.server_version_info
    name = DISPLAY_NAMES.get(dialect.name, dialect.name)
    if dialect.name == "mysql" and getattr(dialect, "is_mariadb", False):
        name = "MariaDB"
    return f"{name} {'.'.join(str(p) for p in info)}" if info else name


def _sqlite_file_problem(parsed: URL) -> str | None:
    """Connecting to a missing SQLite file would create it: check first."""
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if not Path(database).is_file():
        return f"no SQLite database file at {database}"
    return None


def test_connection(url: str | URL, timeout_s: float = 5, *, secret_values: frozenset[str] = frozenset()
                    ) -> ConnectionReport:
    """Open one connection, ask the server version and time a round trip; never raises for a
    connection problem. The message never holds the password (it is masked if a driver echoes it)."""
    try:
        parsed = parse_url(url)
    except DatabaseUrlError as e:
        return ConnectionReport(False, "", redact_url(str(url)), category="other", message=str(e))
    hidden = set(secret_values) | ({str(parsed.password)} if parsed.password else set())
    backend = parsed.get_backend_name()
    shown = redact_url(parsed)

    if backend == "sqlite" and (problem := _sqlite_file_problem(parsed)):
        return ConnectionReport(False, backend, shown, category="unknown-database", message=problem)

    outcome: dict[str, Any] = {}

    def attempt() -> None:
        engine = None
        try:
            engine = make_engine(parsed, timeout_s=timeout_s, poolclass=_null_pool())
            t0 = time.perf_counter()
            with engine.connect() as conn:
                connected = time.perf_counter()
                conn.execute(text("SELECT 1")).scalar()
                latency = time.perf_counter() - connected
                outcome["report"] = ConnectionReport(
                    True, backend, shown, server_version=_server_version(conn),
                    latency_ms=round(latency * 1000, 3), connect_ms=round((connected - t0) * 1000, 3),
                    message="connected")
        except BaseException as e:  # noqa: BLE001 - every failure becomes a report
            outcome["error"] = e
        finally:
            if engine is not None:
                engine.dispose()

    worker = threading.Thread(target=attempt, name="customdb-test-connection", daemon=True)
    worker.start()
    worker.join(timeout_s + 1.0)  # the driver's own timeout should fire first; this is the backstop
    if worker.is_alive():
        return ConnectionReport(False, backend, shown, category="timeout",
                                message=f"no answer from {parsed.host or 'the server'} within {timeout_s:g} s")
    if "report" in outcome:
        return outcome["report"]
    error = outcome["error"]
    category = classify_error(error)
    message = str(error) if isinstance(error, MissingDriverError) else _first_line(error)
    if category == "timeout" and "timeout" not in message.lower():
        message = f"no answer within {timeout_s:g} s: {message}"
    return ConnectionReport(False, backend, shown, category=category, message=mask(message, frozenset(hidden)))


test_connection.__test__ = False  # not a pytest test, despite the name


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


# -- schema --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    primary_key: bool


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)


def inspect_schema(url: str | URL, *, timeout_s: float = 10) -> list[Table]:
    """Tables and columns of the database's default schema, sorted by table name (views excluded)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and (problem := _sqlite_file_problem(parsed)):
        raise FileNotFoundError(problem)
    engine = make_engine(parsed, timeout_s=timeout_s, poolclass=_null_pool())
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables = []
            for name in sorted(inspector.get_table_names()):
                pk = set(inspector.get_pk_constraint(name).get("constrained_columns") or ())
                columns = [Column(c["name"], _type_name(c["type"]), bool(c.get("nullable", True)),
                                  c["name"] in pk) for c in inspector.get_columns(name)]
                tables.append(Table(name, columns))
            return tables
    finally:
        engine.dispose()


def _type_name(sa_type: Any) -> str:
    try:
        return str(sa_type)
    except Exception:  # noqa: BLE001 - some dialect types cannot compile without a dialect
        return type(sa_type).__name__.upper()


# -- the connection dialog's model ---------------------------------------------------------------

@dataclass
class ConnectionSettings:
    """What the connection dialog edits. Never holds a password: that lives in the keychain.

    `raw_url` set means "use this URL as typed" (a driver or option the form does not know).
    """

    dialect: str = "sqlite"  # a key of DRIVERS
    host: str = ""
    port: int | None = None
    database: str = ""  # for SQLite: the file path (relative to the project folder is fine)
    user: str = ""
    query: dict[str, str] = field(default_factory=dict)
    raw_url: str | None = None

    def to_url(self) -> str:
        """The URL to save in customdb.toml (without a password, ever)."""
        if self.raw_url:
            return split_password(self.raw_url)[0]
        if self.dialect not in DRIVERS:
            raise DatabaseUrlError(f"unknown database type {self.dialect!r}; choose one of {', '.join(DRIVERS)}")
        if self.dialect == "sqlite":
            return f"sqlite:///{self.database}" if self.database else "sqlite://"
        url = URL.create(DRIVERS[self.dialect], username=self.user or None, host=self.host or None,
                         port=self.port, database=self.database or None, query=self.query)
        return url.render_as_string(hide_password=False)

    @classmethod
    def from_url(cls, url: str) -> ConnectionSettings:
        """Settings for a URL; a URL the form cannot represent is kept whole in raw_url."""
        parsed = parse_url(url)
        backend = parsed.get_backend_name()
        clean = split_password(url)[0]
        if backend == "sqlite":
            form = cls("sqlite", database=parsed.database or "")
            form.raw_url = None if not parsed.query and form.to_url() == clean else clean
            return form
        dialect = "mysql" if backend == "mariadb" else backend
        query = {k: (v if isinstance(v, str) else ",".join(v)) for k, v in parsed.query.items()}
        form = cls(dialect, host=parsed.host or "", port=parsed.port, database=parsed.database or "",
                   user=parsed.username or "", query=query)
        if DRIVERS.get(dialect) != parsed.drivername:
            form.raw_url = clean
        return form
