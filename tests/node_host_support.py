"""JavaScript projects for the Node host's tests: a SQLite legacy store the scripts read with
Node's built-in `node:sqlite` (no module store needed), passwords as salted SHA-256."""

from __future__ import annotations

import hashlib
import sqlite3
import textwrap
from pathlib import Path

from app.domain.project import Project, load_project

USERS = [(1, "alice@example.com", "wonderland-42"), (2, "bob@example.com", "builder-7")]

LOGIN_JS = r'''
function login(email, password, callback) {
  const { DatabaseSync } = require('node:sqlite');
  const crypto = require('crypto');
  const db = new DatabaseSync(configuration.DB_PATH);
  try {
    const row = db.prepare('SELECT id, email, salt, password_hash FROM users WHERE email = ?').get(email);
    if (!row) return callback(new WrongUsernameOrPasswordError(null, 'unknown user'));
    const hash = crypto.createHash('sha256').update(row.salt + password).digest('hex');
    if (hash !== row.password_hash) return callback(new WrongUsernameOrPasswordError(email));
    return callback(null, { user_id: 'legacy|' + row.id, email: row.email });
  } finally {
    db.close();
  }
}
'''

GET_USER_JS = r'''
function getUser(email, callback) {
  const { DatabaseSync } = require('node:sqlite');
  const db = new DatabaseSync(configuration.DB_PATH);
  const row = db.prepare('SELECT id, email FROM users WHERE email = ?').get(email);
  db.close();
  if (!row) return callback(null);
  callback(null, { user_id: 'legacy|' + row.id, email: row.email });
}
'''


# A Login over the module store's pg and bcrypt (TABLE: the users table of the suite's PostgreSQL).
PG_LOGIN = """
function login(email, password, callback) {
  const { Client } = require('pg');
  const bcrypt = require('bcrypt');
  const client = new Client(configuration.PG_URL);
  console.log("login for " + email);
  client.connect((err) => {
    if (err) return callback(err);
    client.query('SELECT id, email, password_hash FROM TABLE WHERE email = $1', [email], (err, res) => {
      client.end();
      if (err) return callback(err);
      const user = res.rows[0];
      if (!user) return callback(new WrongUsernameOrPasswordError(email));
      bcrypt.compare(password, user.password_hash, (err, ok) => {
        if (err || !ok) return callback(err || new WrongUsernameOrPasswordError(email));
        callback(null, { user_id: 'legacy|' + user.id, email: user.email });
      });
    });
  });
}
"""


def make_js_legacy_db(path: Path, users=USERS) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, salt TEXT, password_hash TEXT)")
    for i, email, password in users:
        salt = f"salt{i}"
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                    (i, email, salt, hashlib.sha256((salt + password).encode()).hexdigest()))
    con.commit()
    con.close()
    return path


def make_js_project(root: Path, scripts: dict[str, str] | None = None, *, timeout_s: float = 20,
                    runtime: str = "", configuration: str = "", mode: str = "legacy",
                    context_object: bool = False) -> Project:
    """A JavaScript project folder: customdb.toml (language = "javascript"), legacy.db, scripts/*.js."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "scripts").mkdir(exist_ok=True)
    db = root / "legacy.db"
    if not db.exists():
        make_js_legacy_db(db)
    (root / "customdb.toml").write_text(textwrap.dedent(f"""\
        name = "js-test"
        language = "javascript"
        mode = "{mode}"
        [database]
        url = "sqlite:///legacy.db"
        [options]
        timeout_s = {timeout_s}
        context_object = {str(context_object).lower()}
        [configuration]
        DB_PATH = "{db.as_posix()}"
        """) + textwrap.dedent(configuration) + (f"[runtime]\n{textwrap.dedent(runtime)}" if runtime else ""),
        encoding="utf-8")
    for key, source in (scripts or {}).items():
        (root / "scripts" / f"{key}.js").write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return load_project(root)
