import json
import re
import sqlite3

import bcrypt
import pytest

from app.domain.project import load_project
from app.engine.sample import (
    KNOWN_USERS,
    SAMPLE_CASES,
    SAMPLE_NAME,
    ensure_sample_project,
    generate_legacy_db,
    generate_rows,
)
from app.engine.userdata import user_data_dir


def rows(path, sql="SELECT * FROM users ORDER BY id"):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate_legacy_db(tmp_path_factory.mktemp("clean") / "legacy.db")


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return generate_legacy_db(tmp_path_factory.mktemp("dirty") / "legacy.db", dirty=True)


def test_deterministic_for_the_same_arguments_and_different_for_another_seed(tmp_path, clean):
    again = generate_legacy_db(tmp_path / "again.db")
    assert rows(again) == rows(clean)
    other = generate_rows(50, seed=2)
    assert other != generate_rows(50, seed=1)
    assert generate_rows(50, seed=2) == other


def test_at_least_2000_users_with_alice_and_bob_verifying(clean):
    assert rows(clean, "SELECT count(*) FROM users")[0][0] >= 2000
    for email, password in (("alice@example.com", "wonderland-42"), ("bob@example.com", "builder-7")):
        (stored,) = rows(clean, f"SELECT password_hash FROM users WHERE email = '{email}'")
        assert bcrypt.checkpw(password.encode(), stored[0].encode())
        assert not bcrypt.checkpw(b"wrong", stored[0].encode())


def test_every_named_user_logs_in_with_the_documented_password(clean):
    for u in KNOWN_USERS:
        (row,) = rows(clean, f"SELECT email, username, password_hash, email_verified FROM users WHERE id = {u.id}")
        assert row[0] == u.email and row[1] == u.username and row[3] == int(u.email_verified)
        assert bcrypt.checkpw(u.password.encode(), row[2].encode())


def test_edge_cases_are_present(clean):
    emails = [r[0] for r in rows(clean, "SELECT email FROM users")]
    mixed = [e for e in emails if e != e.lower()]
    assert "Carol.Mixed@Example.COM" in mixed and len(mixed) > 20
    assert rows(clean, "SELECT count(*) FROM users WHERE username IS NULL")[0][0] >= 10
    assert rows(clean, "SELECT count(*) FROM users WHERE email_verified = 0")[0][0] >= 10
    assert rows(clean, "SELECT count(*) FROM users WHERE migrated <> 0")[0][0] == 0


def test_clean_store_is_clean(clean):
    assert rows(clean, "SELECT count(*) FROM users WHERE email IS NULL OR email = ''")[0][0] == 0
    dupes = rows(clean, "SELECT lower(email), count(*) FROM users GROUP BY lower(email) HAVING count(*) > 1")
    assert dupes == []
    hashes = [r[0] for r in rows(clean, "SELECT password_hash FROM users")]
    assert all(re.fullmatch(r"\$2b\$04\$[./A-Za-z0-9]{53}", h) for h in hashes)
    usernames = [r[0] for r in rows(clean, "SELECT username FROM users WHERE username IS NOT NULL")]
    assert len(usernames) == len(set(usernames))


def test_schema_and_email_index(clean):
    columns = [(r[1], r[2], r[3]) for r in rows(clean, "PRAGMA table_info(users)")]
    assert columns == [
        ("id", "INTEGER", 0), ("email", "TEXT", 0), ("username", "TEXT", 0), ("password_hash", "TEXT", 1),
        ("nickname", "TEXT", 0), ("email_verified", "INTEGER", 1), ("migrated", "INTEGER", 1),
        ("migrated_at", "TEXT", 0), ("created_at", "TEXT", 1),
    ]
    plan = " ".join(str(r) for r in rows(
        clean, "EXPLAIN QUERY PLAN SELECT id FROM users WHERE lower(email) = lower('alice@example.com')"))
    assert "users_email_lower" in plan


def test_dirty_store_has_the_dirt_and_alice_still_logs_in(dirty):
    assert rows(dirty, "SELECT count(*) FROM users")[0][0] == 2000
    dupes = rows(dirty, "SELECT lower(email), count(*), count(DISTINCT email) FROM users "
                        "WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1")
    assert len(dupes) >= 10 and all(distinct > 1 for _, _, distinct in dupes)  # duplicates differ in case
    assert any(lowered == "alice@example.com" for lowered, _, _ in dupes)
    assert rows(dirty, "SELECT count(*) FROM users WHERE email IS NULL")[0][0] >= 10
    md5 = rows(dirty, "SELECT count(*) FROM users WHERE length(password_hash) = 32 "
                      "AND password_hash NOT GLOB '*[^0-9a-f]*'")[0][0]
    assert md5 >= 10
    (alice,) = rows(dirty, "SELECT password_hash FROM users WHERE id = 1")
    assert bcrypt.checkpw(b"wonderland-42", alice[0].encode())


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least"):
        generate_rows(2)
    with pytest.raises(ValueError, match="cost"):
        generate_rows(10, cost=3)


def test_user_data_dir_follows_the_os_convention(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "override"))
    assert user_data_dir() == tmp_path / "override"
    monkeypatch.delenv("CUSTOMDB_DATA_DIR")
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_data_dir() == tmp_path / "xdg" / "customdb-studio"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_data_dir() == tmp_path / "home" / ".local" / "share" / "customdb-studio"
    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert user_data_dir() == tmp_path / "roaming" / "CustomDBStudio"
    monkeypatch.setattr("sys.platform", "darwin")
    assert user_data_dir() == tmp_path / "home" / "Library" / "Application Support" / "CustomDBStudio"


def test_ensure_sample_project_creates_once_and_never_overwrites(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path))
    folder = ensure_sample_project()
    assert folder == tmp_path / "sample"
    project = load_project(folder)
    assert project.name == SAMPLE_NAME and project.mode == "legacy" and project.database_url == "sqlite:///legacy.db"
    assert project.script_keys() == ["login", "get_user", "create", "verify", "change_password", "delete",
                                     "change_email"]
    cases = {p.stem: json.loads(p.read_text()) for p in project.cases_dir.glob("*.json")}
    assert cases == SAMPLE_CASES
    assert rows(folder / "legacy.db", "SELECT count(*) FROM users")[0][0] >= 2000
    assert not [p for p in tmp_path.iterdir() if p.name != "sample"]  # no staging folder left behind

    project.write_script("login", "# my edit\n")
    (folder / "legacy.db").unlink()
    assert ensure_sample_project() == folder
    assert project.read_script("login") == "# my edit\n"  # the user's edit survives
    assert (folder / "legacy.db").is_file()  # a deleted store is generated again


def test_ensure_sample_project_leaves_a_foreign_folder_alone(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path))
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "notes.txt").write_text("mine")
    assert ensure_sample_project() == tmp_path / "sample"
    assert [p.name for p in (tmp_path / "sample").iterdir()] == ["notes.txt"]
