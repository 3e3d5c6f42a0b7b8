"""The simulator's stand-in for the platform's managed user store: a SQLite file in the project's
`.customdb/simulation/` folder that persists between flows (and between CLI calls) until reset.

It holds the users the platform would have (user_id, e-mail, bcrypt hash of the password, profile,
migration time), tombstones of deleted users (so a user who migrates again after deletion is
noticed), the legacy users found stranded and the flow that stranded them, and the profiles Login and Get User returned per e-mail (so a later answer that differs
is noticed). Passwords are only ever stored hashed; nothing here holds a secret in clear.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt

from app.domain.project import Project

SIMULATION_DIR = "simulation"
STORE_FILE = "managed.db"
HASH_ROUNDS = 4  # the platform's cost is higher; the simulation only needs a real bcrypt check

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    email TEXT,
    password_hash TEXT,
    profile TEXT NOT NULL,
    migrated_at TEXT,
    created_at TEXT NOT NULL,
    via TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_email ON users (lower(email));
CREATE TABLE IF NOT EXISTS tombstones (
    user_id TEXT NOT NULL,
    email TEXT,
    deleted_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stranded (
    user_id TEXT PRIMARY KEY,
    email TEXT,
    flow TEXT NOT NULL,
    script TEXT,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observations (
    email TEXT NOT NULL,
    script TEXT NOT NULL,
    user_id TEXT,
    profile TEXT NOT NULL,
    PRIMARY KEY (email, script)
);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def simulation_dir(project: Project) -> Path:
    return project.state_dir / SIMULATION_DIR


@dataclass
class ManagedUser:
    user_id: str
    email: str | None
    password_hash: str | None
    profile: dict[str, Any]
    migrated_at: str | None
    created_at: str
    via: str  # the flow that created the user: login, signup, reset-password, change-email

    def to_dict(self) -> dict[str, Any]:
        """Shown in `customdb simulate --json` (`managed_user`): never the hash itself."""
        return {"user_id": self.user_id, "email": self.email, "has_password": self.password_hash is not None,
                "profile": self.profile, "migrated_at": self.migrated_at, "created_at": self.created_at,
                "via": self.via}

    def password_matches(self, password: str | None) -> bool:
        if not self.password_hash or not isinstance(password, str):
            return False
        return bcrypt.checkpw(password.encode("utf-8"), self.password_hash.encode("ascii"))


class ManagedStore:
    """One project's managed store file. Each method is one short transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def for_project(cls, project: Project) -> ManagedStore:
        return cls(simulation_dir(project) / STORE_FILE)

    @classmethod
    def existing(cls, project: Project) -> ManagedStore:
        """The store if a simulation ever ran; FileNotFoundError otherwise (nothing is created)."""
        path = simulation_dir(project) / STORE_FILE
        if not path.is_file():
            raise FileNotFoundError(path)
        return cls(path)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # -- users -------------------------------------------------------------------------------------
    @staticmethod
    def _user(row: sqlite3.Row | None) -> ManagedUser | None:
        if row is None:
            return None
        return ManagedUser(row["user_id"], row["email"], row["password_hash"], json.loads(row["profile"]),
                           row["migrated_at"], row["created_at"], row["via"])

    def find_by_email(self, email: str | None) -> ManagedUser | None:
        if not email:
            return None
        with self._db() as db:
            return self._user(db.execute("SELECT * FROM users WHERE lower(email) = lower(?) ORDER BY created_at",
                                         (email,)).fetchone())

    def find(self, user_id: str) -> ManagedUser | None:
        with self._db() as db:
            return self._user(db.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone())

    def users(self) -> list[ManagedUser]:
        with self._db() as db:
            return [u for u in (self._user(r) for r in db.execute("SELECT * FROM users ORDER BY created_at"))
                    if u is not None]

    def create(self, user_id: str, email: str | None, password: str | None, profile: dict[str, Any], *,
               via: str, migrated: bool) -> ManagedUser:
        """Add (or replace) a user; the password is stored as a bcrypt hash only."""
        hashed = (bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(HASH_ROUNDS)).decode("ascii")
                  if isinstance(password, str) and password else None)
        now = _now()
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO users (user_id, email, password_hash, profile, migrated_at, "
                       "created_at, via) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (user_id, email, hashed, json.dumps(profile, default=str), now if migrated else None,
                        now, via))
        user = self.find(user_id)
        assert user is not None
        return user

    def set_password(self, user_id: str, password: str) -> None:
        hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(HASH_ROUNDS)).decode("ascii")
        with self._db() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE user_id = ?", (hashed, user_id))

    def set_email(self, user_id: str, email: str) -> None:
        user = self.find(user_id)
        if user is None:
            return
        profile = dict(user.profile)
        if "email" in profile or email:
            profile["email"] = email
        with self._db() as db:
            db.execute("UPDATE users SET email = ?, profile = ? WHERE user_id = ?",
                       (email, json.dumps(profile, default=str), user_id))

    def delete(self, user_id: str) -> bool:
        """Remove the user and keep a tombstone; False when there was no such user."""
        user = self.find(user_id)
        if user is None:
            return False
        with self._db() as db:
            db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            db.execute("INSERT INTO tombstones (user_id, email, deleted_at) VALUES (?, ?, ?)",
                       (user_id, user.email, _now()))
        return True

    def tombstone(self, user_id: str) -> str | None:
        """When the user with this id was deleted (the latest time), or None."""
        with self._db() as db:
            row = db.execute("SELECT max(deleted_at) AS at FROM tombstones WHERE user_id = ?", (user_id,)).fetchone()
        return row["at"] if row is not None else None

    # -- what the scripts answered -----------------------------------------------------------------
    def observe(self, email: str, script: str, profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Record `script`'s profile for `email`; returns the earlier observations {script: profile}."""
        key = email.lower()
        user_id = profile.get("user_id", profile.get("id"))
        with self._db() as db:
            earlier = {r["script"]: json.loads(r["profile"])
                       for r in db.execute("SELECT script, profile FROM observations WHERE email = ?", (key,))}
            db.execute("INSERT OR REPLACE INTO observations (email, script, user_id, profile) VALUES (?, ?, ?, ?)",
                       (key, script, None if user_id is None else str(user_id), json.dumps(profile, default=str)))
        return earlier

    def known_user_id(self, email: str) -> str | None:
        """The user_id Login or Get User last answered for `email`, if either ever did."""
        with self._db() as db:
            row = db.execute("SELECT user_id FROM observations WHERE email = ? AND user_id IS NOT NULL "
                             "ORDER BY script = 'get_user' DESC", (email.lower(),)).fetchone()
        return row["user_id"] if row is not None else None

    def strand(self, user_id: str, email: str, flow: str, script: str | None) -> tuple[dict[str, Any], bool]:
        """Record that `flow` stranded the user (the first flow found keeps the blame): (the record,
        whether it is new)."""
        with self._db() as db:
            new = db.execute("INSERT OR IGNORE INTO stranded (user_id, email, flow, script, at) "
                             "VALUES (?, ?, ?, ?, ?)", (user_id, email, flow, script, _now())).rowcount == 1
            row = db.execute("SELECT * FROM stranded WHERE user_id = ?", (user_id,)).fetchone()
        return ({"user_id": row["user_id"], "email": row["email"], "flow": row["flow"], "script": row["script"],
                 "at": row["at"]}, new)

    def forget(self, *emails: str | None) -> None:
        """Drop the observations of users whose data a flow just changed (their profile may differ now)."""
        with self._db() as db:
            for email in emails:
                if email:
                    db.execute("DELETE FROM observations WHERE email = ?", (email.lower(),))

    def login_profiles(self) -> dict[str, dict[str, Any]]:
        """{lower e-mail: profile} of every Login answer seen (the rehearsal compares Get User with them)."""
        with self._db() as db:
            return {r["email"]: json.loads(r["profile"])
                    for r in db.execute("SELECT email, profile FROM observations WHERE script = 'login'")}
