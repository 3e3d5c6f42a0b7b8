"""The embedded sample database: a PostgreSQL that needs no server (PGlite, PostgreSQL compiled to
WebAssembly, run by Node: app/runtime/js/sampledb/server.js), so a new JavaScript project's
`require('pg')` scripts, and the IDE's own panels through psycopg, run at once.

A project uses it when its customdb.toml has a `[sample_database]` section (`engine = "pglite"`,
`port = N`); its `[database] url` then points at 127.0.0.1:N. The server is started on first use of
the project's database (`database_url()` asks `ensure_running`) and stopped when the project is
closed or this process ends; it also exits by itself when this process goes away (its stdin
closes).

Making a PGlite database runs initdb (6-8 s, ~700 MB here), so the seeded data folder (the
sample's users, app/engine/sample.py) is made once per user and version (`seeded_dir`) and each
project gets a copy under its `.customdb/` state folder, which is reopened in about a second.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from app.domain.templates import schema_path
from app.engine.userdata import user_data_dir

SECTION = "sample_database"
ENGINE = "pglite"
SEED_VERSION = 1  # bump when the seed's rows or schema change: a new seeded folder is made
SERVER_JS = Path(__file__).resolve().parent.parent / "runtime" / "js" / "sampledb" / "server.js"
USER = "postgres"
DATABASE = "postgres"
_START_TIMEOUT_S = 120.0  # a first seeding under load took 14 s here; reopening takes about 1-3 s


class SampleDatabaseError(RuntimeError):
    """The embedded database cannot be made or started; str() is one line saying why and what to do."""


def is_embedded(project: Any) -> bool:
    section = getattr(project, "extra", {}).get(SECTION)
    return isinstance(section, dict) and section.get("engine") == ENGINE


def port_of(project: Any) -> int:
    port = project.extra[SECTION].get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise SampleDatabaseError(f"customdb.toml: [{SECTION}] port must be a port number, not {port!r}")
    return port


def python_url(port: int) -> str:
    """The project's `[database] url` (SQLAlchemy/psycopg)."""
    return f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}"


def script_url(port: int) -> str:
    """The connection string a script's `require('pg')` uses (configuration DATABASE_URL)."""
    return f"postgres://{USER}@127.0.0.1:{port}/{DATABASE}"


def free_port() -> int:
    """A loopback port free now (a new project's sample database keeps it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_binary() -> str:
    """The Node that runs the server: the app's own (app.engine.node: bundled, else the pinned wheel)."""
    from app.engine.node import NodeError, find_node

    try:
        return find_node().path
    except NodeError as e:
        raise SampleDatabaseError(f"the embedded sample database needs Node: {e}") from None


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def seed_sql(users: int = 2000) -> str:
    """The sample store (the same users and passwords as the SQLite sample) as PostgreSQL SQL."""
    from app.engine.sample import _COLUMNS, generate_rows

    booleans = {"email_verified", "migrated"}
    lines = [schema_path("postgresql").read_text(encoding="utf-8"), ""]
    rows = generate_rows(users)
    values = []
    for row in rows:
        cells = [_sql_literal(bool(v) if c in booleans else v) for c, v in zip(_COLUMNS, row, strict=True)]
        values.append("(" + ", ".join(cells) + ")")
    lines.append(f"INSERT INTO users ({', '.join(_COLUMNS)}) VALUES\n" + ",\n".join(values) + ";")
    # generated ids were given explicitly: the identity goes on after them
    lines.append("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));")
    return "\n".join(lines) + "\n"


def _run_node(args: list[str], timeout: float) -> None:
    done = subprocess.run([node_binary(), str(SERVER_JS), *args], capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise SampleDatabaseError(f"the embedded sample database could not be made: {last}")


def seeded_dir() -> Path:
    """The seeded data folder of this version, made once per user (the slow initdb happens here)."""
    base = user_data_dir() / "sampledb"
    target = base / f"seed-v{SEED_VERSION}"
    if (target / "PG_VERSION").is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=base, prefix=".seed-"))
    try:
        seed = staging / "seed.sql"
        seed.write_text(seed_sql(), encoding="utf-8")
        _run_node(["--prepare", "--data", str(staging / "data"), "--seed", str(seed)], timeout=600)
        try:
            os.replace(staging / "data", target)
        except OSError:
            if not (target / "PG_VERSION").is_file():  # not a concurrent first use that won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def project_data_dir(project: Any) -> Path:
    """The project's own copy of the seeded folder (in its .customdb state folder, never bundled)."""
    target = Path(project.root) / ".customdb" / "sampledb"
    if (target / "PG_VERSION").is_file():
        return target
    seed = seeded_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".sampledb-"))
    try:
        shutil.copytree(seed, staging / "data")
        os.replace(staging / "data", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class EmbeddedServer:
    """One running server (a Node child) for one project's data folder."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        process = subprocess.Popen(
            [node_binary(), str(SERVER_JS), "--data", str(self.data_dir), "--port", str(self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        timer = threading.Timer(_START_TIMEOUT_S, process.kill)
        timer.start()
        try:
            line = process.stdout.readline() if process.stdout else ""
        finally:
            timer.cancel()
        try:
            ready = json.loads(line) if line.strip() else {}
        except ValueError:
            ready = {}
        if not ready.get("ready"):
            process.kill()
            _, err = process.communicate(timeout=10)
            lines = (err or "").strip().splitlines()
            if any("EADDRINUSE" in text for text in lines):
                raise SampleDatabaseError(
                    f"the embedded sample database cannot listen on 127.0.0.1:{self.port}: another program uses "
                    f"that port; choose another [{SECTION}] port (and the same in [database] url) in customdb.toml")
            detail = next((t for t in reversed(lines) if t.strip()), "it exited without saying why")
            raise SampleDatabaseError(f"the embedded sample database did not start: {detail[:300]}")
        self.process = process

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """Close the database cleanly (the server flushes it when its stdin closes), else kill it."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        for stream in (process.stdout, process.stderr):
            with contextlib.suppress(OSError, ValueError):
                if stream:
                    stream.close()


_servers: dict[Path, EmbeddedServer] = {}
_lock = threading.Lock()


def _serves_pglite(port: int) -> bool:
    """A sample database of another process of ours already serves this port (the same project open
    twice): use it rather than open the data folder a second time."""
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname=DATABASE, connect_timeout=3) as conn:
            return "PGlite" in str(conn.execute("SELECT version()").fetchone()[0])
    except Exception:  # noqa: BLE001 - anything else on that port is not ours
        return False


def ensure_running(project: Any) -> int:
    """Start the project's sample database unless it runs already; its port."""
    root = Path(project.root).resolve()
    port = port_of(project)
    with _lock:
        server = _servers.get(root)
        if server is not None and server.running():
            return server.port
        server = EmbeddedServer(project_data_dir(project), port)
        try:
            server.start()
        except SampleDatabaseError:
            if _serves_pglite(port):
                return port
            raise
        _servers[root] = server
        return port


def stop(project: Any) -> None:
    """Stop the project's sample database (the project was closed)."""
    with _lock:
        server = _servers.pop(Path(project.root).resolve(), None)
    if server is not None:
        server.stop()


@atexit.register
def stop_all() -> None:
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()
