"""Reproduction bundles: what goes in (and never), masking, the data snapshot, and every refusal on
import (hostile zips are made by hand in tests/bundle_support.py)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import bcrypt
import pytest

from app.domain.project import load_project
from app.engine import bundles, trust
from app.engine.bundles import BundleError, export_bundle, import_bundle, read_repro
from app.engine.secrets import set_secret
from app.engine.snapshot import PLACEHOLDER_PASSWORD, pseudonym, touched_rows_snapshot
from tests.bundle_support import (
    shrink_declared_size,
    write_bomb,
    write_bundle,
    write_symlink_bundle,
)
from tests.runner_support import GET_USER, LOGIN, make_project

TRACE = """Traceback (most recent call last):
  File "/srv/customer/scripts/login.py", line 6, in login
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
KeyError: 'id'
"""
ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path / "proj", {"login": LOGIN, "get_user": GET_USER})
    (p.cases_dir).mkdir(exist_ok=True)
    (p.cases_dir / "alice.json").write_text(json.dumps({"script": "login", "input": ALICE,
                                                         "expect": {"outcome": "ok"}}))
    con = sqlite3.connect(p.root / "legacy.db")  # a second table that joins on the e-mail
    con.execute("CREATE TABLE logins (email TEXT, at TEXT)")
    con.executemany("INSERT INTO logins VALUES (?, ?)", [("bob@example.com", "monday"),
                                                        ("alice@example.com", "tuesday")])
    con.commit()
    con.close()
    return p


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def test_round_trip_unpacks_a_restricted_project_using_the_snapshot(project, tmp_path):
    out = tmp_path / "repro.zip"
    summary = export_bundle(project, out, script="login", input=ALICE, trace=TRACE, data=True)
    assert summary.data == "sqlite_copy" and summary.script == "login"
    assert set(names(out)) == {"manifest.json", "customdb.toml", "scripts/login.py", "scripts/get_user.py",
                               "cases/alice.json", "repro/repro.json", "repro/trace.txt", "data/legacy.db"}
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["format"] == bundles.FORMAT and manifest["format_version"] == 1
    assert manifest["app_version"] and manifest["created_at"] and manifest["data"] == "sqlite_copy"

    imported = import_bundle(out, tmp_path / "support")
    assert imported.database_url == "sqlite:///legacy.db" and imported.id != project.id
    assert imported.script_keys() == ["login", "get_user"]
    rows = sqlite3.connect(imported.root / "legacy.db").execute("SELECT email FROM users ORDER BY id").fetchall()
    assert rows == [("alice@example.com",), ("bob@example.com",)]
    assert read_repro(imported) == ("login", ALICE, TRACE)
    assert trust.is_restricted(imported)
    assert not (imported.root / "manifest.json").exists() and not (imported.root / "data").exists()


def test_never_bundles_state_caches_or_virtual_environments(project, tmp_path):
    for junk in (".customdb/simulation.db", "scripts/__pycache__/login.cpython-311.pyc", ".venv/bin/python",
                 "venv/pyvenv.cfg", ".pytest_cache/v/x", "scripts/notes.txt"):
        (project.root / junk).parent.mkdir(parents=True, exist_ok=True)
        (project.root / junk).write_text("x")
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    assert set(names(out)) == {"manifest.json", "customdb.toml", "scripts/login.py", "scripts/get_user.py",
                               "cases/alice.json"}


def test_a_script_holding_a_secret_value_is_refused_and_nothing_is_written(tmp_path):
    p = make_project(tmp_path / "p", {"get_user": "API = 'sk-live-123456'\n" + GET_USER},
                     configuration='API_KEY = { secret = true }\n')
    set_secret(p, "API_KEY", "sk-live-123456")
    out = tmp_path / "b.zip"
    with pytest.raises(BundleError) as e:
        export_bundle(p, out)
    assert "scripts/get_user.py" in str(e.value) and "'API_KEY'" in str(e.value)
    assert "sk-live-123456" not in str(e.value) and not out.exists()


def test_secret_values_in_the_trace_and_input_are_masked(tmp_path):
    p = make_project(tmp_path / "p", {"login": LOGIN}, configuration='API_KEY = { secret = true }\n')
    set_secret(p, "API_KEY", "sk-live-123456")
    out = tmp_path / "b.zip"
    export_bundle(p, out, script="login", input={"email": "a@b.co", "password": "sk-live-123456"},
                  trace=TRACE + "token was sk-live-123456\n")
    with zipfile.ZipFile(out) as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    assert b"sk-live-123456" not in everything and b"****" in everything


def test_mask_pseudonymises_emails_keeps_the_repro_user_and_replaces_hashes(project, tmp_path):
    out = tmp_path / "b.zip"
    export_bundle(project, out, script="login", input=ALICE, trace=TRACE + "also bob@example.com\n",
                  data=True, mask=True)
    imported = import_bundle(out, tmp_path / "support")
    con = sqlite3.connect(imported.root / "legacy.db")
    users = dict(con.execute("SELECT id, email FROM users"))
    hashes = [h for (h,) in con.execute("SELECT password_hash FROM users")]
    logins = dict(con.execute("SELECT at, email FROM logins"))
    assert users[1] == "alice@example.com"  # the repro input's user still reproduces
    assert users[2].endswith("@masked.invalid") and logins["monday"] == users[2]  # joins still work
    assert all(bcrypt.checkpw(PLACEHOLDER_PASSWORD.encode(), h.encode()) for h in hashes)
    script, repro_input, trace_text = read_repro(imported)
    assert repro_input == {"email": "alice@example.com", "password": PLACEHOLDER_PASSWORD}
    assert "bob@example.com" not in trace_text and users[2] in trace_text
    assert b"bob@example.com" not in (imported.root / "legacy.db").read_bytes()  # VACUUMed: no old pages


def test_pseudonyms_are_stable_and_case_insensitive():
    assert pseudonym("Bob@Example.com", b"k") == pseudonym("bob@example.com", b"k") != pseudonym("b@x.io", b"k")


def test_touched_rows_copies_only_the_rows_the_statements_name(project, tmp_path):
    sql = [{"statement": "BEGIN", "params": None},
           {"statement": "SELECT id, email, password_hash FROM users WHERE email = ?",
            "params": ["alice@example.com"]},
           {"statement": "SELECT * FROM logins l JOIN users u ON u.email = l.email WHERE l.email = :e",
            "params": {"e": "alice@example.com", "password": "****"}}]
    target = tmp_path / "snap.db"
    counts = touched_rows_snapshot(project.resolved_database_url(), sql, target)
    assert counts == {"users": 1, "logins": 1}
    con = sqlite3.connect(target)
    assert con.execute("SELECT id, email FROM users").fetchall() == [(1, "alice@example.com")]
    assert con.execute("SELECT at FROM logins").fetchall() == [("tuesday",)]


def test_server_snapshot_copies_the_touched_rows_of_a_dry_run(pg_url, tmp_path):
    import secrets as pysecrets

    import sqlalchemy

    from app.engine.secrets import DATABASE_PASSWORD

    table = f"repro_users_{pysecrets.token_hex(4)}"
    admin = sqlalchemy.create_engine(pg_url.url.replace("@", f":{pg_url.password}@", 1),
                                     poolclass=sqlalchemy.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table} (id integer primary key, email text, password_hash text)")
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1, 'alice@example.com', 'h1'), "
                             f"(2, 'bob@example.com', 'h2')")
    try:
        source = GET_USER.replace("FROM users", f"FROM {table}")
        p = make_project(tmp_path / "p", {"get_user": source}, db=False)
        p.database_url = pg_url.url
        p.save()
        set_secret(p, DATABASE_PASSWORD, pg_url.password)
        out = tmp_path / "b.zip"
        summary = export_bundle(p, out, script="get_user", input={"email": "alice@example.com"}, data=True)
        assert summary.data == "touched_rows" and summary.tables == {table: 1}
        imported = import_bundle(out, tmp_path / "support")
        rows = sqlite3.connect(imported.root / "legacy.db").execute(f"SELECT id, email FROM {table}").fetchall()
        assert rows == [(1, "alice@example.com")]
        assert imported.database_url == "sqlite:///legacy.db"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        admin.dispose()


def test_export_refusals(project, tmp_path):
    with pytest.raises(BundleError, match="unknown script 'nope'"):
        export_bundle(project, tmp_path / "b.zip", script="nope")
    with pytest.raises(BundleError, match="verify.py does not exist"):
        export_bundle(project, tmp_path / "b.zip", script="verify")
    with pytest.raises(BundleError, match="--script KEY"):
        export_bundle(project, tmp_path / "b.zip", input=ALICE)
    with pytest.raises(BundleError, match="does not exist"):
        export_bundle(project, tmp_path / "missing" / "b.zip")


# -- import refusals --------------------------------------------------------------------------------

def refused(zip_path: Path, target: Path, fragment: str) -> None:
    with pytest.raises(BundleError) as e:
        import_bundle(zip_path, target)
    assert fragment in str(e.value), str(e.value)
    assert not target.exists() or not any(target.iterdir())  # nothing half-unpacked
    assert not [p for p in target.parent.iterdir() if ".import-" in p.name]  # no staging left


@pytest.mark.parametrize(("entries", "fragment"), [
    ({"../evil.py": b"x"}, "escapes the target folder"),
    ({"scripts/../../evil.py": b"x"}, "escapes the target folder"),
    ({"/etc/cron.d/evil": b"x"}, "absolute path"),
    ({"C:/Windows/evil.py": b"x"}, "absolute path"),
    ({"scripts\\..\\..\\evil.py": b"x"}, "backslash"),
    ({".customdb/origin.json": b"{}"}, "not part of a reproduction bundle"),
    ({".venv/bin/python": b"x"}, "not part of a reproduction bundle"),
])
def test_entries_outside_the_bundle_layout_are_refused(tmp_path, entries, fragment):
    refused(write_bundle(tmp_path / "b.zip", entries), tmp_path / "t", fragment)


def test_not_a_zip_and_not_a_bundle_are_refused(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    refused(tmp_path / "x.zip", tmp_path / "t", "is not a zip file")
    refused(write_bundle(tmp_path / "n.zip", manifest=False), tmp_path / "t", "no manifest.json")
    refused(write_bundle(tmp_path / "f.zip", format="something-else"), tmp_path / "t", "not a reproduction bundle")
    refused(write_bundle(tmp_path / "v.zip", format_version=99), tmp_path / "t", "newer than this app")


def test_a_symbolic_link_entry_is_refused(tmp_path):
    refused(write_symlink_bundle(tmp_path / "l.zip"), tmp_path / "t", "symbolic link")


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path):
    refused(write_bomb(tmp_path / "bomb.zip"), tmp_path / "t", "like a zip bomb")


def test_a_bundle_over_the_total_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(bundles, "MAX_TOTAL_BYTES", 100)
    refused(write_bundle(tmp_path / "big.zip", {"cases/a.json": b"{" + b" " * 200 + b"}"}), tmp_path / "t",
            "more than 100 bytes")


def test_an_entry_that_lies_about_its_size_is_refused_while_extracting(tmp_path):
    path = write_bundle(tmp_path / "lie.zip", {"cases/a.json": b"{" + b" " * 5000 + b"}"})
    shrink_declared_size(path, "cases/a.json", 10)
    with pytest.raises(BundleError) as e:
        import_bundle(path, tmp_path / "t")
    assert "cases/a.json" in str(e.value) and "refusing to unpack" in str(e.value)
    assert not (tmp_path / "t").exists()


def test_an_entry_that_does_not_match_its_checksum_is_refused(tmp_path):
    path = tmp_path / "c.zip"
    write_bundle(path, {"cases/a.json": b"{}"})
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    entries["scripts/get_user.py"] = b"import os; os.system('evil')\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, b in entries.items():
            z.writestr(n, b)
    refused(path, tmp_path / "t", "does not match its checksum")


def test_unlisted_entries_are_refused(tmp_path):
    refused(write_bundle(tmp_path / "u.zip", {"cases/a.json": b"{}"}, list_extra=False), tmp_path / "t",
            "not listed in the manifest")


def test_a_non_empty_target_is_refused_and_left_alone(project, tmp_path):
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(BundleError, match="is not empty"):
        import_bundle(out, target)
    assert [p.name for p in target.iterdir()] == ["mine.txt"]


def test_a_broken_project_file_in_the_bundle_is_refused(tmp_path):
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as z:
        from tests.bundle_support import manifest_for

        z.writestr("manifest.json", manifest_for({"customdb.toml": b"name = ["}))
        z.writestr("customdb.toml", b"name = [")
    refused(path, tmp_path / "t", "customdb.toml is broken")


def test_an_empty_existing_target_is_used(project, tmp_path):
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    (tmp_path / "empty").mkdir()
    imported = import_bundle(out, tmp_path / "empty")
    assert load_project(tmp_path / "empty").name == imported.name
