"""The rehearsal over worker processes and what its report claims (issue 18): the same report, in
the query's order, whatever the number of workers; a cancelled rehearsal counts only the users it
reached; the editor's unsaved text runs when given; a result knows when it is stale; a sample of
users is replayed through the simulator's lookups for stranded users."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from app.engine.rehearsal import Rehearsal, fingerprint
from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project

USERS = 400

MARKING_GET_USER = '''
def get_user(email, callback):
    row = db.execute(text("SELECT id, email, migrated FROM users WHERE lower(email) = lower(:email) "
                          "ORDER BY id LIMIT 1"), {"email": email}).first()
    if row is None or row.migrated:
        return callback(None)
    db.execute(text("UPDATE users SET migrated = 1 WHERE id = :id"), {"id": row.id})
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''


@pytest.fixture
def dirty(tmp_path):
    p = create_project(tmp_path / "dirty", mode="migration")
    generate_legacy_db(p.root / "legacy.db", users=USERS, dirty=True)
    return p


@pytest.fixture
def clean(tmp_path):
    p = create_project(tmp_path / "clean", mode="migration")
    generate_legacy_db(p.root / "legacy.db", users=USERS)
    return p


def _rows(report):
    return [(f.identifier, f.code, f.user_id, f.message) for f in report.failures]


def test_two_workers_give_the_report_one_worker_gives_in_the_query_order(dirty):
    one = Rehearsal(dirty, workers=1, chunk=37).run()
    two = Rehearsal(dirty, workers=2, chunk=37).run()
    assert (one.workers, two.workers) == (1, 2)
    assert (two.users, two.ok, two.failed, two.by_code) == (one.users, one.ok, one.failed, one.by_code)
    assert _rows(two) == _rows(one) and one.failed > 0
    emails = [e for (e,) in sqlite3.connect(dirty.root / "legacy.db").execute("SELECT email FROM users")]
    positions = [f.index for f in two.failures]
    assert positions == sorted(positions)  # the report follows the identifier query
    assert all(emails[f.index] == f.identifier for f in two.failures)


def test_a_get_user_that_writes_does_not_lock_the_other_worker_out(clean):
    clean.write_script("get_user", MARKING_GET_USER)
    report = Rehearsal(clean, workers=2, chunk=25, stranded_sample=0).run()
    assert (report.users, report.failed, report.workers) == (USERS, 0, 2), report.examples
    marked = sqlite3.connect(clean.root / "legacy.db").execute("SELECT count(*) FROM users WHERE migrated = 1")
    assert marked.fetchone() == (0,)  # every worker's writes were undone, on its own snapshot


def test_more_workers_than_chunks_start_only_the_workers_needed(clean):
    report = Rehearsal(clean, workers=8, chunk=1000).run()
    assert report.workers == 1 and report.users == USERS


def test_a_cancelled_rehearsal_claims_nothing_about_the_users_it_did_not_reach(clean):
    clean.write_script("get_user", clean.read_script("get_user").replace(
        "def get_user(email, callback):", "import time\n\n\ndef get_user(email, callback):\n    time.sleep(0.004)"))
    reached = threading.Event()
    rehearsal = Rehearsal(clean, workers=2, chunk=20, stranded_sample=0,
                          on_progress=lambda done, *_: done >= 40 and reached.set())
    thread = threading.Thread(target=lambda: setattr(rehearsal, "report", rehearsal.run()))
    thread.start()
    assert reached.wait(60)
    rehearsal.cancel()
    thread.join(60)
    report = rehearsal.report
    assert report.cancelled and 40 <= report.users < USERS and report.total == USERS
    assert report.unchecked == USERS - report.users
    text = report.summary()
    assert f"of {USERS:,} users" in text and "not checked" in text and "every one" not in text
    assert "migrate cleanly" not in text


def test_the_editor_text_runs_instead_of_the_saved_file(clean):
    saved = clean.read_script("get_user")
    unsaved = saved.replace("def get_user(email, callback):",
                            "def get_user(email, callback):\n    raise RuntimeError('not saved yet')")
    report = Rehearsal(clean, limit=30, source=unsaved, stranded_sample=0).run()
    assert report.script == "editor" and report.by_code == {"error": 30}
    assert "not saved yet" in report.failures[0].message
    assert clean.read_script("get_user") == saved
    assert Rehearsal(clean, limit=30, stranded_sample=0).run().script == "saved"


def test_a_result_is_stale_once_the_database_or_get_user_changes(clean):
    report = Rehearsal(clean, limit=10, stranded_sample=0).run()
    source = clean.read_script("get_user")
    assert report.stale_reason(fingerprint(clean, source)) is None
    assert report.stale_reason(fingerprint(clean, source + "\n# edited\n")) == "Get User changed since this rehearsal"
    assert "another database" in report.stale_reason(fingerprint(clean, source, "sqlite:///other.db"))
    with sqlite3.connect(clean.root / "legacy.db") as db:
        db.execute("UPDATE users SET nickname = 'Al' WHERE id = 1")
    assert report.stale_reason(fingerprint(clean, source)) == "the database changed since this rehearsal"


def test_the_stranded_sample_finds_a_get_user_that_marks(clean):
    clean.write_script("get_user", MARKING_GET_USER)
    report = Rehearsal(clean).run()
    assert report.by_code.get("stranded-user", 0) >= 1 and report.failed >= 1
    failure = next(f for f in report.failures if f.code == "stranded-user")
    assert "signup" in failure.message and failure.user_id.startswith("legacy|")
    assert report.to_dict()["stranded_sample"]["stranded"] == report.by_code["stranded-user"]
    assert sqlite3.connect(clean.root / "legacy.db").execute(
        "SELECT count(*) FROM users WHERE migrated = 1").fetchone() == (0,)  # replayed on a copy


def test_the_bundled_templates_pass_the_stranded_sample_and_say_how_many_were_replayed(clean):
    report = Rehearsal(clean).run()
    assert report.failed == 0 and report.stranded_checked >= 5
    assert f"{report.stranded_checked} of {USERS:,} users replayed" in report.stranded_note
    assert report.to_dict()["stranded_sample"]["users"] == report.stranded_checked
