"""Deploy CLI exports the tests write themselves, in the two forms the Deploy CLI produces."""

from __future__ import annotations

import json
from pathlib import Path

LOGIN = """function login(email, password, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });
  client.connect();
  client.query('SELECT id, email, password_hash FROM users WHERE email = $1', [email], (err, res) => {
    client.end();
    if (err) return callback(err);
    if (res.rows.length === 0) return callback(new WrongUsernameOrPasswordError(email));
    callback(null, { user_id: String(res.rows[0].id), email: res.rows[0].email });
  });
}
"""
GET_USER = """function getUser(email, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });
  client.connect();
  client.query('SELECT id, email FROM users WHERE email = $1', [email], (err, res) => {
    client.end();
    if (err) return callback(err);
    if (res.rows.length === 0) return callback(null);
    callback(null, { user_id: String(res.rows[0].id), email: res.rows[0].email });
  });
}
"""
STUB = """function create(user, callback) {
  // This script should create a user entry in your existing database.
  const msg = 'Please implement the Create script for this database connection ' +
    'at https://manage.auth0.com/#/connections/database';
  return callback(new Error(msg));
}
"""
CHANGE_USERNAME = """function changeUsername(oldUsername, newUsername, callback) {
  callback(null, true);
}
"""


def connection_object(name: str = "legacy-users", scripts: dict[str, str] | None = None, **options) -> dict:
    opts = {"enabledDatabaseCustomization": True, "import_mode": False, "requires_username": False,
            "configuration": {"DB_URL": "##DB_URL##"}}
    opts.update(options)
    if scripts is not None:
        opts["customScripts"] = scripts
    return {"name": name, "strategy": "auth0", "enabled_clients": ["My App"], "is_domain_connection": False,
            "options": opts, "realms": [name]}


def write_directory_export(root: Path, name: str = "legacy-users", files: dict[str, str] | None = None,
                           paths: dict[str, str] | None = None, **options) -> Path:
    """database-connections/<name>/database.json + the files; customScripts names each file (or `paths`)."""
    files = {"login": LOGIN, "get_user": GET_USER} if files is None else files
    folder = root / "database-connections" / name
    folder.mkdir(parents=True)
    scripts = paths if paths is not None else {slot: f"./{slot}.js" for slot in files}
    for slot, text in files.items():
        (folder / f"{slot}.js").write_text(text, encoding="utf-8")
    (folder / "database.json").write_text(
        json.dumps(connection_object(name, scripts or None, **options), indent=2), encoding="utf-8")
    return folder


def write_yaml_export(root: Path, name: str = "legacy-users", files: dict[str, str] | None = None,
                      **options) -> Path:
    import yaml

    files = {"login": LOGIN, "get_user": GET_USER} if files is None else files
    folder = root / "databases" / name
    folder.mkdir(parents=True)
    for slot, text in files.items():
        (folder / f"{slot}.js").write_text(text, encoding="utf-8")
    scripts = {slot: f"./databases/{name}/{slot}.js" for slot in files}
    tenant = {"tenant": {"friendly_name": "Acme"}, "databases": [connection_object(name, scripts, **options)],
              "clients": [{"name": "My App"}]}
    (root / "tenant.yaml").write_text(yaml.safe_dump(tenant, sort_keys=False), encoding="utf-8")
    return root / "tenant.yaml"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
