"""JavaScript projects for the Node host's tests: a SQLite legacy store the scripts read with
Node's built-in `node:sqlite` (no module store needed), passwords as salted SHA-256."""

from __future__ import annotations

import hashlib
import os
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
                    context_object: bool = False, database_url: str = "sqlite:///legacy.db") -> Project:
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
        url = "{database_url}"
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


# -- the Node host in the host conformance suite (tests/hosts) ---------------------------------------
# Its projects run on one embedded sample database for the whole session (PGlite: the sample's users,
# alice@example.com / wonderland-42 among them), reached by require('pg') with configuration.DATABASE_URL.

_EMBEDDED: dict = {}

NODE_SCRIPTS: dict[str, tuple[str, str]] = {
    "login_ok": ("login", r'''
        function login(email, password, callback) {
          const { Client } = require('pg');
          const bcrypt = require('bcrypt');
          const client = new Client(configuration.DATABASE_URL);
          client.connect((err) => {
            if (err) return callback(err);
            client.query('SELECT id, email, password_hash FROM users WHERE email = $1', [email], (err, res) => {
              client.end();
              if (err) return callback(err);
              const user = res.rows[0];
              if (!user) return callback(new WrongUsernameOrPasswordError(null));
              bcrypt.compare(password, user.password_hash, (err, ok) => {
                if (err || !ok) return callback(err || new WrongUsernameOrPasswordError(email));
                callback(null, { user_id: 'legacy|' + user.id, email: user.email });
              });
            });
          });
        }
        '''),
    "get_user_not_found": ("get_user", '''
        function getUser(email, callback) {
          callback(null);
        }
        '''),
    "get_user_profile": ("get_user", '''
        function getUser(email, callback) {
          callback(null, { user_id: 'legacy|1', email: email });
        }
        '''),
    "error_thrown": ("get_user", '''
        function getUser(email, callback) {
          throw new Error('the legacy API is down');
        }
        '''),
    "error_passed": ("get_user", '''
        function getUser(email, callback) {
          callback(new Error('the legacy API is down'));
        }
        '''),
    "validation_rejected": ("create", '''
        function create(user, callback) {
          callback(new ValidationError('user_exists', 'the user already exists'));
        }
        '''),
    "endless_loop": ("get_user", '''
        function getUser(email, callback) {
          while (true) {}
        }
        '''),
    "exit_process": ("get_user", '''
        function getUser(email, callback) {
          process.exit(3);
        }
        '''),
    "syntax_error": ("get_user", '''
        function getUser(email, callback)
          callback(null);
        }
        '''),
    "callback_twice": ("get_user", '''
        function getUser(email, callback) {
          callback(null, { user_id: 'first', email: email });
          callback(null, { user_id: 'second', email: email });
        }
        '''),
    "callback_never": ("get_user", '''
        function getUser(email, callback) {
          return;
        }
        '''),
    "output": ("get_user", '''
        function getUser(email, callback) {
          console.log('to stdout');
          console.error('to stderr');
          callback(null);
        }
        '''),
    "sql": ("get_user", r'''
        function getUser(email, callback) {
          const { Client } = require('pg');
          const client = new Client(configuration.DATABASE_URL);
          client.connect();
          client.query('SELECT id FROM users WHERE email = $1', [email], (err, res) => {
            client.end();
            if (err) return callback(err);
            callback(null, { user_id: 'legacy|' + res.rows[0].id, email: email });
          });
        }
        '''),
    "secret_everywhere": ("get_user", '''
        function getUser(email, callback) {
          const key = configuration.API_KEY;
          console.log('using', key);
          callback(null, { user_id: 'legacy|1', email: email, note: 'key ' + key });
        }
        '''),
    "keeps_global": ("get_user", '''
        function getUser(email, callback) {
          global.runs = (global.runs || 0) + 1;
          callback(null, { user_id: 'legacy|1', email: email, runs: global.runs });
        }
        '''),
    # the channel attacks (issue 19 D5/D6): the script finds its channel's socket and writes onto it
    "channel_garbage": ("get_user", r'''
        function getUser(email, callback) {
          const fs = require('fs');
          for (let fd = 3; fd < 256; fd++) {
            try {
              if (fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:')) {
                fs.writeSync(fd, Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('garbage-not-json')]));
              }
            } catch (e) {}
          }
          callback(null);
        }
        '''),
    "channel_partial_frame": ("get_user", r'''
        function getUser(email, callback) {
          const fs = require('fs');
          for (let fd = 3; fd < 256; fd++) {
            try {
              if (fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:')) {
                fs.writeSync(fd, Buffer.concat([Buffer.from([0, 0, 3, 0xe8]), Buffer.from('{"type": "log", "te')]));
              }
            } catch (e) {}
          }
          setTimeout(() => {}, 60000);
        }
        '''),
    # issue 19 (reliab): attacks every host must withstand
    # "dry_run_sql_commit" is left out: the store's pg holds a plain COMMIT back in a dry run (nothing is
    # committed, the run goes on) where the Python host refuses it with an error, which the case asserts.
    "spawns_processes": ("get_user", r'''
        function getUser(email, callback) {
          const { spawn } = require('child_process');
          const args = ['-e', 'setTimeout(() => {}, 300000)', configuration.MARK];
          spawn(process.execPath, args, { stdio: 'ignore' });
          spawn(process.execPath, args, { stdio: 'ignore', detached: true }).unref();
          callback(null);
        }
        '''),
    "error_str_raises": ("get_user", '''
        class Boom extends Error {
          get message() { throw new Error('str exploded'); }
        }
        function getUser(email, callback) {
          throw new Boom();
        }
        '''),
    "secret_rendered": ("get_user", r'''
        function getUser(email, callback) {
          const weird = configuration.WEIRD;
          console.log(require('util').inspect(weird), JSON.stringify({ w: weird }));
          console.log('x'.repeat(65536 - 10) + weird);
          callback(null);
        }
        '''),
}


def _embedded_port() -> int:
    """The session's embedded sample database (started on first use, stopped at exit)."""
    if "port" not in _EMBEDDED:
        import atexit
        import shutil
        import tempfile

        from app.domain.project import Project
        from app.engine import sampledb

        base = Path(tempfile.mkdtemp(prefix="customdb-node-host-"))
        previous = os.environ.get("CUSTOMDB_DATA_DIR")
        os.environ["CUSTOMDB_DATA_DIR"] = str(base / "userdata")  # the seeded folder is made once, here
        try:
            port = sampledb.free_port()
            project = Project(root=base / "db", name="embedded", database_url=sampledb.python_url(port),
                              extra={sampledb.SECTION: {"engine": sampledb.ENGINE, "port": port}})
            project.root.mkdir()
            sampledb.ensure_running(project)
        finally:
            if previous is None:
                os.environ.pop("CUSTOMDB_DATA_DIR", None)
            else:
                os.environ["CUSTOMDB_DATA_DIR"] = previous

        def stop() -> None:
            sampledb.stop(project)
            shutil.rmtree(base, ignore_errors=True)

        atexit.register(stop)
        _EMBEDDED["port"] = port
    return _EMBEDDED["port"]


def node_host_project(root: Path, scripts: dict[str, str], *, configuration: str = "", **options) -> Project:
    """A JavaScript project of the conformance suite, on the session's embedded database."""
    from app.engine import sampledb

    port = _embedded_port()
    return make_js_project(root, scripts, database_url=sampledb.python_url(port),
                           configuration=f'DATABASE_URL = "{sampledb.script_url(port)}"\n' + configuration,
                           **options)
