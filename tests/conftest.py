"""Suite-wide guards: Qt renders offscreen and no test can ever reach a real OS keychain."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Child processes (runner children, the frozen app) inherit this: they get the null backend.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in a dict for the length of one test."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)
    from app.engine.secrets import reset_keychain_state, session_secrets

    session_secrets.clear()  # secrets typed "for this session" must not leak into the next test
    reset_keychain_state()


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server on a loopback port (tests/pg_server.py), started on first use and
    stopped at the end of the session. Missing binaries: skipped locally, a failure when CI is set."""
    from tests.pg_server import PgUnavailable, start_server

    try:
        server = start_server()
    except PgUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the PostgreSQL test server: {e}")
        pytest.skip(str(e))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server):
    """`PgUrl(url, password)`: postgresql+psycopg://customdb_test@127.0.0.1:PORT/legacy and its password."""
    from tests.pg_server import PgUrl

    return PgUrl(pg_server.url, pg_server.password)


@pytest.fixture(scope="session")
def mariadb_url():
    """`DbUrl(url, password)` of a private MariaDB server (tests/mariadb_server.py), same rules as pg_url."""
    from tests.mariadb_server import DbUrl, MariaDbUnavailable, start_server

    try:
        server = start_server()
    except MariaDbUnavailable as e:
        # make system-deps installs MariaDB unless a MySQL server package is there (never replaced)
        if os.environ.get("CI") and not os.path.exists("/usr/sbin/mysqld"):
            pytest.fail(f"CI needs the MariaDB test server: {e}")
        pytest.skip(str(e))
    try:
        yield DbUrl(server.url, server.password)
    finally:
        server.stop()
