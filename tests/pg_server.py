"""A throwaway PostgreSQL server for the test suite: its own data directory, socket directory and
loopback port, a database and a password-protected user (so authentication is real), stopped by
its data directory when the session ends. It never touches a server it did not start.

`initdb`/`pg_ctl` refuse to run as root, so as root they run as the `postgres` user via `runuser`.
Run `python -m tests.pg_server` to start one by hand and see how long it takes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ADMIN = "customdb_admin"
USER = "customdb_test"
DATABASE = "legacy"


class PgUnavailable(RuntimeError):
    """The PostgreSQL binaries are not installed (skip locally, fail in CI)."""


class PgUrl(NamedTuple):
    """What tests connect with: a URL without the password, and the password."""

    url: str
    password: str


@dataclass
class PgServer:
    bin_dir: Path
    base_dir: Path
    port: int
    password: str
    user: str = USER
    database: str = DATABASE
    startup_s: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def url_with_password(self) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def admin_connect(self, dbname: str = "postgres"):
        """A psycopg connection as the superuser over the private socket (trust auth, local only)."""
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=ADMIN, dbname=dbname,
                               autocommit=True)

    def stop(self) -> None:
        """Stop this server (by its data directory) and remove its files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            _run_pg([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w",
                     "-t", "20", "stop"], check=False)
        shutil.rmtree(self.base_dir, ignore_errors=True)


_REAPER = r"""
import json, os, shutil, signal, subprocess, sys, time
job = json.loads(sys.argv[1])
base = job["base_dir"]
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
while alive(job["owner"]):
    if not os.path.isdir(base):
        sys.exit(0)  # stopped normally
    time.sleep(0.5)
for argv in job["commands"]:
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
pid = job.get("kill_pid")
if pid and alive(pid):
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not alive(pid):
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
shutil.rmtree(base, ignore_errors=True)
"""


def spawn_reaper(base_dir: Path, commands: list[list[str]], kill_pid: int | None = None) -> None:
    """A detached watcher that stops this server if the test process dies without its finalizers
    (SIGTERM from `timeout`, SIGKILL, a crash). It only ever touches this server's own directory and
    process, and exits by itself once the server was stopped normally."""
    job = {"owner": os.getpid(), "base_dir": str(base_dir), "commands": commands, "kill_pid": kill_pid}
    subprocess.Popen([sys.executable, "-c", _REAPER, json.dumps(job)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                     close_fds=True)


def find_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: $CUSTOMDB_PG_BIN, Debian's /usr/lib/postgresql/<ver>/bin
    (newest first), or the PATH."""
    candidates: list[Path] = []
    if os.environ.get("CUSTOMDB_PG_BIN"):
        candidates.append(Path(os.environ["CUSTOMDB_PG_BIN"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if re.fullmatch(r"\d+(\.\d+)?", p.name)]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: float(p.name), reverse=True)]
    for tool in ("initdb", "pg_ctl"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file() and (directory / "postgres").is_file():
            return directory
    return None


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run_pg(argv: list[str], check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool, as the postgres user when we are root."""
    tool = Path(argv[0]).name
    if _as_root():
        argv = ["runuser", "-u", "postgres", "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{tool} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()[-800:]}")
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(attempts: int = 3) -> PgServer:
    """initdb + pg_ctl start in a fresh temp directory; returns a running server or raises."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                            "install the Debian package `postgresql` (make system-deps)")
    if _as_root() and not shutil.which("runuser"):
        raise PgUnavailable("running as root but `runuser` is missing: initdb refuses to run as root")
    t0 = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="customdb-pg-"))
    server = PgServer(bin_dir, base, 0, secrets.token_urlsafe(18))
    try:
        _init(server)
        for attempt in range(attempts):
            server.port = _free_port()
            result = _run_pg([
                str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-l", str(base / "server.log"),
                "-w", "-t", "30", "-o",
                f"-p {server.port} -k {server.socket_dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "start",
            ], check=False)
            if result.returncode == 0:
                break
            if attempt == attempts - 1:  # a port taken between probe and bind: retry, then give up
                log = (base / "server.log").read_text(errors="replace")[-800:] if (base / "server.log").exists() else ""
                raise RuntimeError(f"pg_ctl start failed: {result.stderr.strip()} {log}")
        stop = [str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "-w", "stop"]
        spawn_reaper(base, [["runuser", "-u", "postgres", "--", *stop] if _as_root() else stop])
        _create_user_and_database(server)
    except BaseException:
        server.stop()
        raise
    server.startup_s = time.perf_counter() - t0
    atexit.register(server.stop)  # a backstop if the session ends without running its finalizers
    return server


def _init(server: PgServer) -> None:
    server.socket_dir.mkdir(parents=True)
    if _as_root():
        import pwd

        pg = pwd.getpwnam("postgres")
        for path in (server.base_dir, server.socket_dir):
            os.chown(path, pg.pw_uid, pg.pw_gid)
    # Local socket: trust (only our own process can reach this private directory); TCP: a real password.
    _run_pg([str(server.bin_dir / "initdb"), "-D", str(server.data_dir), "-U", ADMIN, "-E", "UTF8",
             "--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"])


def _create_user_and_database(server: PgServer) -> None:
    from psycopg import sql

    with server.admin_connect() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(server.user), sql.Literal(server.password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(server.database), sql.Identifier(server.user)))


@contextlib.contextmanager
def running_server():
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    with running_server() as srv:
        print(f"started {srv.url} in {srv.startup_s:.2f} s (data {srv.data_dir})")
    print("stopped")
