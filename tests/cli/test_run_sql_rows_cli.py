"""`customdb run --json`: each SQL entry's `rows` is an int or null — the rows a SELECT read, the
rows an UPDATE changed — and a dry run leaves the database as it was even when the script writes
through an engine of its own."""

from __future__ import annotations

import json
import sqlite3

from app.cli import main
from tests.runner_support import make_project

GET_USER = '''
def get_user(email, callback):
    first = db.execute(text("SELECT id FROM users ORDER BY id")).first()
    every = db.execute(text("SELECT id FROM users ORDER BY id")).fetchall()
    db.execute(text("UPDATE users SET migrated = 1"))
    callback(None, {"user_id": f"legacy|{first.id}", "email": email})
'''

LOGIN = '''
from sqlalchemy import create_engine

def login(email, password, callback):
    with create_engine(db.engine.url).begin() as own:  # the script's own engine, not `db`
        own.execute(text("UPDATE users SET email = 'changed@example.com' WHERE id = 1"))
    callback(None, {"user_id": "legacy|1", "email": email})
'''


def run_json(capsys, root, script, inputs, *extra):
    code = main(["run", str(root), script, "--input", json.dumps(inputs), "--json", *extra])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def emails(root) -> list[str]:
    con = sqlite3.connect(root / "legacy.db")
    try:
        return [r[0] for r in con.execute("SELECT email FROM users ORDER BY id")]
    finally:
        con.close()


def test_run_json_rows_are_what_a_select_read_and_what_an_update_changed(tmp_path, capsys):
    project = make_project(tmp_path / "proj", {"get_user": GET_USER})
    code, data = run_json(capsys, project.root, "get_user", {"email": "alice@example.com"})
    assert code == 0 and data["outcome"] == "ok", data["error"]
    assert all(e["rows"] is None or type(e["rows"]) is int for e in data["sql"])
    counted = [(e["statement"].split()[0], e["rows"]) for e in data["sql"] if e["statement"][:6] in ("SELECT", "UPDATE")]
    assert counted == [("SELECT", 1), ("SELECT", 2), ("UPDATE", 2)]


def test_a_dry_run_through_the_scripts_own_engine_leaves_the_file_alone(tmp_path, capsys):
    project = make_project(tmp_path / "proj", {"login": LOGIN})
    before = emails(project.root)
    inputs = {"email": "alice@example.com", "password": "x"}
    code, data = run_json(capsys, project.root, "login", inputs)
    assert code == 0 and data["outcome"] == "ok" and data["committed"] is False, data["error"]
    assert "COMMIT -- held back: dry run (run with commit to write)" in [e["statement"] for e in data["sql"]]
    assert emails(project.root) == before

    code, data = run_json(capsys, project.root, "login", inputs, "--commit")
    assert code == 0 and data["committed"] is True
    assert emails(project.root)[0] == "changed@example.com"
