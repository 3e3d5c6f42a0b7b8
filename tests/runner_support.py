"""Small legacy databases and projects for the runner's tests (runtime, engine, CLI)."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import bcrypt

from app.domain.project import Project, load_project

USERS = [  # id, email, password
    (1, "alice@example.com", "wonderland-42"),
    (2, "bob@example.com", "builder-7"),
]

LOGIN = '''
def login(email, password, callback):
    row = db.execute(text("SELECT id, email, password_hash FROM users WHERE email = :e"),
                     {"e": email}).first()
    if row is None or not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
        return callback(WrongUsernameOrPasswordError(email if row else None))
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''

GET_USER = '''
def get_user(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
    if row is None:
        return callback(None)
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''


def make_legacy_db(path: Path, users=USERS, rounds: int = 4) -> Path:
    """A SQLite legacy store: users(id, email, password_hash, migrated)."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT, "
                "migrated INTEGER NOT NULL DEFAULT 0)")
    salt = bcrypt.gensalt(rounds)
    con.executemany("INSERT INTO users (id, email, password_hash) VALUES (?, ?, ?)",
                    [(i, e, bcrypt.hashpw(p.encode(), salt).decode()) for i, e, p in users])
    con.commit()
    con.close()
    return path


def make_project(root: Path, scripts: dict[str, str] | None = None, *, mode: str = "legacy",
                 context_object: bool = False, timeout_s: float = 20, configuration: str = "",
                 db: bool = True) -> Project:
    """A project folder with a legacy.db and the given scripts (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "scripts").mkdir(exist_ok=True)
    if db and not (root / "legacy.db").exists():
        make_legacy_db(root / "legacy.db")
    (root / "customdb.toml").write_text(textwrap.dedent(f"""\
        name = "test"
        mode = "{mode}"
        [database]
        url = "sqlite:///legacy.db"
        [options]
        context_object = {"true" if context_object else "false"}
        timeout_s = {timeout_s}
        [configuration]
        """) + textwrap.dedent(configuration), encoding="utf-8")
    for key, source in (scripts or {}).items():
        (root / "scripts" / f"{key}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return load_project(root)
