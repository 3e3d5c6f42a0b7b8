"""A throwaway MariaDB server for the test suite, on the same pattern as tests/pg_server.py: its own
data directory, socket and loopback port, a database and a password-protected user, stopped (by the
process we started) and removed when the session ends. It never touches a server it did not start.

As root, `mariadb-install-db` and `mariadbd` run with `--user=mysql` (mariadbd refuses root).
Run `python -m tests.mariadb_server` to start one by hand and see how long it takes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.pg_server import PgUrl as DbUrl
from tests.pg_server import _as_root, _free_port, spawn_reaper

USER = "customdb_test"
DATABASE = "legacy"
SERVER_NAMES = ("mariadbd", "mysqld")


class MariaDbUnavailable(RuntimeError):
    """The MariaDB server binaries are not installed (skip locally, fail in CI)."""


@dataclass
class MariaDbServer:
    server_bin: Path
    base_dir: Path
    port: int
    password: str
    process: subprocess.Popen | None = None
    user: str = USER
    database: str = DATABASE
    startup_s: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket(self) -> Path:
        return self.base_dir / "mysqld.sock"

    @property
    def url(self) -> str:
        return f"mysql+pymysql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def admin_connect(self):
        """A PyMySQL connection as root over the private socket (root has no password; socket only)."""
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket), user="root", password="", autocommit=True)

    def stop(self) -> None:
        """Stop the server process we started and remove its files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def find_server() -> tuple[Path, Path] | None:
    """(mariadbd, mariadb-install-db) if MariaDB is installed."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    for name in SERVER_NAMES:
        for directory in ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"):
            candidate = Path(directory) / name
            if candidate.is_file() and install:
                return candidate, Path(install)
    return None


def _as_service_user(argv: list[str]) -> list[str]:
    """As root, let the tool itself drop to the `mysql` user: then the process we started is the
    server itself, so stopping it waits for the real shutdown."""
    return [*argv, "--user=mysql"] if _as_root() else argv


def start_server(timeout_s: float = 30) -> MariaDbServer:
    found = find_server()
    if found is None:
        raise MariaDbUnavailable("MariaDB server binaries (mariadbd, mariadb-install-db) not found; "
                                 "install the Debian package `mariadb-server` (make system-deps)")
    server_bin, install_db = found
    t0 = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="customdb-mariadb-"))
    server = MariaDbServer(server_bin, base, _free_port(), secrets.token_urlsafe(18))
    try:
        if _as_root():
            import pwd

            service = pwd.getpwnam("mysql")
            os.chown(base, service.pw_uid, service.pw_gid)
        result = subprocess.run(_as_service_user([
            str(install_db), "--no-defaults", f"--datadir={server.data_dir}",
            "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
        ]), capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {(result.stderr or result.stdout).strip()[-800:]}")
        log = open(base / "server.log", "wb")  # noqa: SIM115 - the server writes to it for its lifetime
        server.process = subprocess.Popen(_as_service_user([
            str(server_bin), "--no-defaults", f"--datadir={server.data_dir}", f"--socket={server.socket}",
            f"--port={server.port}", "--bind-address=127.0.0.1", f"--pid-file={base / 'mariadbd.pid'}",
            "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
        ]), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        spawn_reaper(base, [], kill_pid=server.process.pid)
        _wait_ready(server, timeout_s)
        with contextlib.closing(server.admin_connect()) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{server.database}`")
            cur.execute(f"CREATE USER '{server.user}'@'%%' IDENTIFIED BY %s", (server.password,))
            cur.execute(f"GRANT ALL PRIVILEGES ON `{server.database}`.* TO '{server.user}'@'%'")
    except BaseException:
        server.stop()
        raise
    server.startup_s = time.perf_counter() - t0
    atexit.register(server.stop)
    return server


def _wait_ready(server: MariaDbServer, timeout_s: float) -> None:
    import pymysql

    deadline = time.monotonic() + timeout_s
    while True:
        if server.process.poll() is not None:
            log = (server.base_dir / "server.log").read_text(errors="replace")[-800:]
            raise RuntimeError(f"mariadbd exited with {server.process.returncode}: {log}")
        try:
            server.admin_connect().close()
            return
        except pymysql.err.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd did not accept connections within {timeout_s:g} s") from None
            time.sleep(0.05)


@contextlib.contextmanager
def running_server():
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["DbUrl", "MariaDbServer", "MariaDbUnavailable", "running_server", "start_server"]

if __name__ == "__main__":
    with running_server() as srv:
        print(f"started {srv.url} in {srv.startup_s:.2f} s (data {srv.data_dir})")
    print("stopped")
