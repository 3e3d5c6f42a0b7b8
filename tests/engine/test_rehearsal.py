"""The migration rehearsal: Get User for every legacy user, checked, always a dry run; failures by
code with examples, progress, cancel and CSV export."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from collections import Counter

import pytest

from app.engine.rehearsal import Rehearsal, RehearsalError, rehearsal_query
from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project

USERS = 300


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path):
    p = create_project(tmp_path / "proj", mode="migration")
    generate_legacy_db(p.root / "legacy.db", users=USERS)
    return p


@pytest.fixture
def dirty(tmp_path):
    p = create_project(tmp_path / "dirty", mode="migration")
    generate_legacy_db(p.root / "legacy.db", users=USERS, dirty=True)
    return p


def _patch(project, old: str, new: str) -> None:
    source = project.read_script("get_user")
    assert old in source
    project.write_script("get_user", source.replace(old, new))


def test_clean_store_passes_and_stays_unchanged_although_get_user_marks_users(project):
    db = project.root / "legacy.db"
    before = _digest(db)
    report = Rehearsal(project).run()
    assert (report.users, report.ok, report.failed, report.by_code) == (USERS, USERS, 0, {})
    assert report.to_dict()["examples"] == [] and report.duration_s > 0
    assert _digest(db) == before  # the migration template's UPDATE ... migrated = 1 was rolled back
    assert sqlite3.connect(db).execute("SELECT count(*) FROM users WHERE migrated = 1").fetchone() == (0,)


def test_dirty_store_reports_users_without_email_and_case_duplicates(dirty):
    rows = sqlite3.connect(dirty.root / "legacy.db").execute("SELECT email FROM users").fetchall()
    no_email = sum(1 for (e,) in rows if e is None)
    groups = Counter(e.lower() for (e,) in rows if e is not None)
    shadowed = sum(n for n in groups.values() if n > 1)
    report = Rehearsal(dirty).run()
    # the template looks users up case-insensitively: both spellings get the lowest id
    assert report.by_code == {"not-found": no_email, "duplicate-user-id": shadowed}
    assert report.failed == no_email + shadowed and report.ok == USERS - report.failed
    example = next(e for e in report.to_dict()["examples"] if e["code"] == "duplicate-user-id")
    assert example["user_id"] == "legacy|1" and example["identifier"].lower() == "alice@example.com"


def test_a_case_sensitive_get_user_on_the_dirty_store_gives_duplicate_emails(dirty):
    _patch(dirty, "WHERE lower(email) = lower(:email)", "WHERE email = :email")
    report = Rehearsal(dirty).run()
    assert report.by_code.get("duplicate-email", 0) >= 2 and "duplicate-user-id" not in report.by_code
    failure = next(f for f in report.failures if f.code == "duplicate-email")
    assert "ignoring case" in failure.message


def test_random_user_ids_are_unstable(project):
    _patch(project, 'f"legacy|{row.id}"', '"legacy|" + __import__("uuid").uuid4().hex')
    report = Rehearsal(project, limit=20).run()
    assert report.by_code == {"unstable-user-id": 20}


def test_missing_user_id_and_secrets_in_the_profile(project):
    _patch(project, '"user_id": f"legacy|{row.id}",', '"id": None, "password_hash": "$2b$04$" + "x" * 53,')
    report = Rehearsal(project, limit=10).run()
    assert report.by_code == {"missing-user-id": 10, "secret-in-profile": 10}
    assert report.failed == 10


def test_errors_and_exceptions_are_counted_per_user_with_the_message(project):
    _patch(project, "    if row is None:\n        return callback(None)",
           "    if row.id % 2:\n        raise RuntimeError(f'broken row {row.id}')\n"
           "    if row.id % 5 == 0:\n        return callback(Exception('store says no'))\n"
           "    if row is None:\n        return callback(None)")
    report = Rehearsal(project, limit=10).run()
    assert report.by_code == {"error": 6}  # ids 1,3,5,7,9 raise; 10 answers an error
    messages = {f.identifier: f.message for f in report.failures}
    assert messages["alice@example.com"] == "RuntimeError: broken row 1"
    assert any(m == "Exception: store says no" for m in messages.values())


def test_a_login_profile_seen_in_simulation_is_compared(project):
    seen = {"alice@example.com": {"user_id": "legacy|1", "email": "alice@example.com", "nickname": "Al",
                                  "email_verified": True, "username": "alice"},
            "bob@example.com": {"user_id": "legacy|999"}}
    report = Rehearsal(project, limit=5, login_profiles=seen).run()
    assert report.by_code == {"unstable-user-id": 1, "profile-mismatch": 1}


def test_query_from_the_project_and_limit(project):
    assert rehearsal_query(project) == "SELECT email FROM users"
    project.extra["rehearsal"] = {"query": "SELECT email FROM users WHERE id <= 7"}
    assert Rehearsal(project).run().users == 7
    assert Rehearsal(project, limit=3).run().users == 3
    assert Rehearsal(project, limit=0).run().users == 0
    project.extra["rehearsal"] = {"query": "SELECT nope FROM nowhere"}
    with pytest.raises(RehearsalError, match="identifier query failed"):
        Rehearsal(project).run()


def test_progress_reaches_the_total_and_cancel_keeps_what_was_checked(project):
    seen = []
    Rehearsal(project, chunk=50, on_progress=lambda *a: seen.append(a)).run()
    assert seen[0][:2] == (0, USERS) and seen[-1][:2] == (USERS, USERS)
    assert all(rate >= 0 for _, _, rate, _ in seen)
    rehearsal = Rehearsal(project, chunk=50)

    def stop_early(done, total, rate, eta):
        if done >= 50:
            rehearsal.cancel()

    rehearsal.on_progress = stop_early
    report = rehearsal.run()
    assert report.cancelled and 50 <= report.users < USERS


def test_failures_export_as_csv(dirty, tmp_path):
    report = Rehearsal(dirty).run()
    path = report.write_csv(tmp_path / "failures.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(report.failures) and set(rows[0]) == {"identifier", "code", "user_id", "message"}
    assert Counter(r["code"] for r in rows) == Counter(report.by_code)


def test_a_secret_configuration_value_never_reaches_a_message(project, memory_keyring):
    from app.domain.project import ConfigEntry
    from app.engine.secrets import set_secret

    project.configuration["API_KEY"] = ConfigEntry("API_KEY", None, secret=True)
    set_secret(project, "API_KEY", "topsecret-value")
    _patch(project, "    if row is None:\n        return callback(None)",
           "    raise RuntimeError('key ' + configuration['API_KEY'])")
    report = Rehearsal(project, limit=2).run()
    assert report.by_code == {"error": 2}
    assert all("topsecret-value" not in f.message and "****" in f.message for f in report.failures)


def test_without_get_user_there_is_nothing_to_rehearse(project):
    from app.engine.run_inputs import RunInputError

    project.script_path("get_user").unlink()
    with pytest.raises(RunInputError, match="get_user.py does not exist"):
        Rehearsal(project).run()


@pytest.mark.parametrize("ending", ["", "    db.rollback()\n", "    db.begin()\n", "    db.commit()\n"])
def test_every_call_sees_the_database_as_it_was_before_the_rehearsal(project, ending):
    """A Get User that writes on every call (and may end or nest the transaction itself) must still
    get the same answer twice per user and for every user: nothing one call wrote reaches the next."""
    before = _digest(project.root / "legacy.db")
    project.write_script("get_user", (
        "def get_user(email, callback):\n"
        "    db.execute(text(\"INSERT INTO users (email, password_hash, email_verified, created_at) "
        "VALUES ('x@example.com', 'h', 0, '2020-01-01')\"))\n"
        "    db.execute(text('CREATE TABLE IF NOT EXISTS scratch (n INTEGER)'))\n"
        "    db.execute(text('INSERT INTO scratch VALUES (1)'))\n"
        "    users = db.execute(text('SELECT count(*) FROM users')).scalar()\n"
        "    scratch = db.execute(text('SELECT count(*) FROM scratch')).scalar()\n"
        + ending +
        "    callback(None, {'user_id': f'{email}|{users}|{scratch}', 'email': email})\n"))
    report = Rehearsal(project, limit=120, chunk=50).run()
    assert (report.users, report.failed) == (120, 0), report.to_dict()
    assert _digest(project.root / "legacy.db") == before


OWN_ENGINE = '''
from sqlalchemy import create_engine

def get_user(email, callback):
    if "conn" not in global_:  # kept across calls: it stays dry for the whole rehearsal
        global_["conn"] = create_engine(db.engine.url).connect()
    kept = global_["conn"]
    where = "WHERE lower(email) = lower(:e)"
    kept.execute(text(f"UPDATE users SET nickname = coalesce(nickname, '') || '+' {where}"), {"e": email})
    kept.commit()
    grown = kept.execute(text(f"SELECT length(nickname) FROM users {where} ORDER BY id"), {"e": email}).scalar()
    callback(None, {"user_id": f"{email}|{grown}", "email": email})
'''


def test_writes_through_the_scripts_own_engines_are_undone_after_every_call(project):
    """Commits through a connection the script made and kept in global_ are held back and undone after
    each call: the second call per user sees the store as it was (else its nickname grew twice: an
    unstable user_id), and the store is unchanged afterwards."""
    db = project.root / "legacy.db"
    before = _digest(db)
    project.write_script("get_user", OWN_ENGINE)
    report = Rehearsal(project, limit=80, chunk=30).run()
    assert (report.users, report.failed) == (80, 0), report.to_dict()  # stable ids: nothing carried over
    with sqlite3.connect(db) as check:  # a connection of its own, outside the rehearsal
        assert check.execute("SELECT count(*) FROM users WHERE nickname LIKE '%+'").fetchone() == (0,)
    assert _digest(db) == before


@pytest.mark.postgres
def test_a_postgresql_rehearsal_undoes_the_scripts_own_engine_and_refuses_autocommit(tmp_path, pg_server):
    from app.domain.scripts import Mode
    from tests.flow_support import pg_project, table_rows

    project, admin = pg_project(tmp_path / "pg", pg_server, Mode.LEGACY, users=30)
    before = table_rows(admin)
    project.write_script("get_user", OWN_ENGINE)
    report = Rehearsal(project).run()
    assert (report.users, report.failed) == (30, 0), report.to_dict()
    assert table_rows(admin) == before
    project.write_script("get_user", OWN_ENGINE.replace("create_engine(db.engine.url)",
                                                        "create_engine(db.engine.url, isolation_level='AUTOCOMMIT')"))
    report = Rehearsal(project, limit=3).run()
    assert report.by_code == {"error": 3}
    assert all("DryRunRefused" in f.message and "AUTOCOMMIT" in f.message for f in report.failures)
    assert table_rows(admin) == before


@pytest.mark.postgres
def test_a_postgresql_store_is_rehearsed_with_a_rollback_after_every_call(tmp_path, pg_server):
    from app.domain.scripts import Mode
    from tests.flow_support import pg_project, table_rows

    project, admin = pg_project(tmp_path / "pg", pg_server, Mode.MIGRATION, users=60)
    before = table_rows(admin)
    report = Rehearsal(project).run()
    assert (report.users, report.ok, report.by_code) == (60, 60, {})  # marking is undone before the next call
    assert table_rows(admin) == before


def test_an_async_get_user_is_awaited(project):
    project.write_script("get_user", "async def get_user(email, callback):\n"
                                     "    callback(None, {'user_id': 'legacy|' + email, 'email': email})\n")
    report = Rehearsal(project, limit=25).run()
    assert (report.users, report.failed) == (25, 0)


def test_a_get_user_that_ends_the_process_or_hangs_stops_the_rehearsal_with_a_reason(project):
    project.write_script("get_user", "import sys\n\ndef get_user(email, callback):\n    sys.exit(3)\n")
    with pytest.raises(RehearsalError, match=r"sys.exit"):
        Rehearsal(project).run()
    project.write_script("get_user", "def get_user(email, callback):\n    while True:\n        pass\n")
    project.timeout_s = 0.5
    with pytest.raises(RehearsalError, match=r"did not answer within the time limit \(0.5 s\) after 0 users"):
        Rehearsal(project).run()


def test_a_get_user_that_runs_out_of_memory_ends_the_rehearsal_as_a_crash_and_its_child(project, monkeypatch):
    """Issue 19 D16: like a run, a MemoryError is `crashed` and the container ends (exit code 70);
    it used to be "the rehearsal failed: MemoryError" with the child kept serving."""
    from app.engine.child import Child

    exit_codes = []
    close = Child.close

    def close_after_its_own_exit(child):
        exit_codes.append(child.wait_exit(5))  # the child ends by itself; it is not killed first
        close(child)

    monkeypatch.setattr(Child, "close", close_after_its_own_exit)
    project.write_script("get_user", "def get_user(email, callback):\n    raise MemoryError()\n")
    with pytest.raises(RehearsalError, match=r"ran out of memory; the container was recycled"):
        Rehearsal(project).run()
    assert exit_codes == [70]
