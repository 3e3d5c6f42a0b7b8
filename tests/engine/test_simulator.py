"""The flow simulator with the bundled templates and with broken scripts: what runs when, what the
managed store ends up holding, which findings a user gets, and that the real legacy data never changes."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from app.domain.project import ConfigEntry, load_project
from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project
from app.engine.simulator import SimulationError, Simulator

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
BOB = {"email": "bob@example.com", "password": "builder-7"}

# Migration Login that checks the password but never marks the legacy user migrated (best practice 2 broken).
UNMARKED_LOGIN = '''
def login(email, password, callback):
    row = db.execute(text("SELECT id, email, username, nickname, email_verified, password_hash FROM users "
                          "WHERE lower(email) = lower(:email)"), {"email": email}).first()
    if row is None:
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    if not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
        return callback(WrongUsernameOrPasswordError(email, "Wrong email or password."))
    user = {"user_id": f"legacy|{row.id}", "email": row.email, "nickname": row.nickname,
            "email_verified": bool(row.email_verified)}
    if row.username:
        user["username"] = row.username
    return callback(None, user)
'''


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _steps(result) -> list[tuple[str, str | None, str]]:
    return [(s.actor, s.script, s.outcome) for s in result.steps]


@pytest.fixture
def legacy(tmp_path):
    project = create_project(tmp_path / "legacy", mode="legacy")
    project.configuration["BCRYPT_ROUNDS"].value = "4"  # Create / Change Password hash quickly in tests
    project.save()
    sim = Simulator(load_project(project.root))
    yield sim
    sim.close()


@pytest.fixture
def migration(tmp_path):
    project = create_project(tmp_path / "migration", mode="migration")
    sim = Simulator(project)
    yield sim
    sim.close()


def _codes(result) -> set[str]:
    return {f.code for f in result.findings}


# -- legacy mode ---------------------------------------------------------------------------------------

def test_legacy_login_right_and_wrong_password(legacy):
    ok = legacy.run("login", ALICE)
    assert (ok.outcome, ok.log_event, _steps(ok)) == ("success", "s", [("script", "login", "ok")])
    assert ok.steps[0].input == {"email": "alice@example.com", "password": "****"}
    assert ok.managed_user is None and ok.exit_code == 0
    wrong = legacy.run("login", {**ALICE, "password": "nope"})
    assert (wrong.outcome, wrong.log_event, wrong.exit_code) == ("failure", "fp", 1)
    unknown = legacy.run("login", {"email": "nobody@example.com", "password": "x"})
    assert unknown.log_event == "fu"


def test_legacy_signup_then_login_and_signup_of_an_existing_user(legacy):
    new = {"email": "new@example.com", "password": "s3cret-pw"}
    signup = legacy.run("signup", {**new, "user": {"nickname": "Newbie"}})
    assert (signup.outcome, signup.log_event) == ("success", "ss")
    assert _steps(signup) == [("script", "get_user", "not_found"), ("script", "create", "ok"),
                              ("script", "login", "ok")]
    assert signup.steps[1].input["user"] == {"nickname": "Newbie", "email": "new@example.com", "password": "****"}
    assert legacy.run("login", new).outcome == "success"
    again = legacy.run("signup", BOB)
    assert (again.outcome, again.log_event, _steps(again)) == ("failure", "fs", [("script", "get_user", "ok")])


def test_legacy_reset_password_then_the_new_password_works(legacy):
    reset = legacy.run("reset-password", {"email": "bob@example.com", "new_password": "brand-new"})
    assert (reset.outcome, reset.log_event) == ("success", "scp")
    assert _steps(reset) == [("script", "get_user", "ok"), ("script", "change_password", "ok")]
    assert reset.steps[1].input["new_password"] == "****"
    assert legacy.run("login", {"email": "bob@example.com", "password": "brand-new"}).outcome == "success"
    assert legacy.run("login", BOB).log_event == "fp"
    missing = legacy.run("reset-password", {"email": "nobody@example.com", "new_password": "x"})
    assert (missing.outcome, missing.log_event, len(missing.steps)) == ("failure", "fcp", 1)


def test_legacy_verify_change_email_and_delete(legacy):
    verify = legacy.run("verify", {"email": "erin@example.net"})
    assert (verify.outcome, verify.log_event) == ("success", "sv")
    change = legacy.run("change-email", {"email": "bob@example.com", "new_email": "robert@example.com"})
    assert (change.outcome, change.log_event) == ("success", "sce")
    assert legacy.run("login", {"email": "robert@example.com", "password": "builder-7"}).outcome == "success"
    delete = legacy.run("delete", {"user": "auth0|legacy|2"})
    assert (delete.outcome, delete.log_event) == ("success", "sdu")
    assert delete.steps[-1].input == {"user_id": "legacy|2"}  # Delete gets the id without auth0|
    gone = legacy.run("login", {"email": "robert@example.com", "password": "builder-7"})
    assert (gone.outcome, gone.log_event) == ("failure", "fu")


def test_simulation_never_changes_the_real_legacy_database_and_reset_restores_the_copy(legacy):
    real = legacy.project.root / "legacy.db"
    before = _digest(real)
    legacy.run("delete", {"email": "alice@example.com"})
    legacy.run("signup", {"email": "x@example.com", "password": "pw-12345"})
    legacy.run("reset-password", {"email": "bob@example.com", "new_password": "other"})
    assert _digest(real) == before
    # the state persists for the next process (a new Simulator on the same project) ...
    later = Simulator(load_project(legacy.project.root))
    try:
        assert later.run("login", ALICE).outcome == "failure"
        later.reset()
        assert later.run("login", ALICE).outcome == "success"  # ... until reset
    finally:
        later.close()
    assert _digest(real) == before


# -- migration mode ------------------------------------------------------------------------------------

def test_migration_login_migrates_once_then_the_managed_store_answers(migration):
    first = migration.run("login", ALICE)
    assert (first.outcome, first.log_event) == ("success", "s")
    assert _steps(first) == [("managed_store", None, "not_found"), ("script", "login", "ok"),
                             ("managed_store", None, "ok")]
    user = first.managed_user
    assert user.user_id == "legacy|1" and user.password_hash.startswith("$2") and user.migrated_at
    assert user.to_dict()["has_password"] is True and "password_hash" not in user.to_dict()
    assert not _codes(first)  # the template marks the user migrated
    second = migration.run("login", ALICE)
    assert _steps(second) == [("managed_store", None, "ok")] and second.log_event == "s"
    wrong = migration.run("login", {**ALICE, "password": "nope"})
    assert (wrong.outcome, wrong.log_event, _steps(wrong)) == ("failure", "fp", [("managed_store", None, "rejected")])
    assert [u.user_id for u in migration.managed_users()] == ["legacy|1"]


def test_migration_signup_refuses_legacy_users_and_creates_new_ones_directly(migration):
    existing = migration.run("signup", BOB)
    assert (existing.outcome, existing.log_event) == ("failure", "fs")
    assert _steps(existing)[-1] == ("script", "get_user", "ok")
    new = migration.run("signup", {"email": "new@example.com", "password": "pw"})
    assert (new.outcome, new.log_event) == ("success", "ss")
    assert new.managed_user.user_id.startswith("auth0|") and new.managed_user.migrated_at is None
    assert migration.run("login", {"email": "new@example.com", "password": "pw"}).outcome == "success"
    taken = migration.run("signup", {"email": "NEW@example.com", "password": "pw"})
    assert _steps(taken) == [("managed_store", None, "ok")] and taken.log_event == "fs"


def test_migration_reset_password_creates_a_not_yet_migrated_user_from_get_user(migration):
    reset = migration.run("reset-password", {"email": "carol.mixed@example.com", "new_password": "fresh-1"})
    assert (reset.outcome, reset.log_event) == ("success", "scp")
    assert reset.managed_user.user_id == "legacy|3" and reset.managed_user.via == "reset-password"
    assert reset.managed_user.profile["email"] == "Carol.Mixed@Example.COM"
    login = migration.run("login", {"email": "carol.mixed@example.com", "password": "fresh-1"})
    assert _steps(login) == [("managed_store", None, "ok")]
    assert migration.run("reset-password", {"email": "nobody@example.com", "new_password": "x"}).log_event == "fcp"


def test_migration_delete_touches_only_the_managed_store_and_the_template_keeps_users_deleted(migration):
    real = migration.project.root / "legacy.db"
    before = _digest(real)
    migration.run("login", ALICE)
    copy_rows = sqlite3.connect(migration.legacy_copy()).execute("SELECT count(*) FROM users").fetchone()
    delete = migration.run("delete", {"user": "legacy|1"})
    assert (delete.outcome, delete.log_event, _steps(delete)) == ("success", "sdu", [("managed_store", None, "ok")])
    assert sqlite3.connect(migration.legacy_copy()).execute("SELECT count(*) FROM users").fetchone() == copy_rows
    again = migration.run("login", ALICE)  # marked migrated: Login refuses, nobody comes back
    assert (again.outcome, again.log_event) == ("failure", "fu") and "resurrected-user" not in _codes(again)
    assert migration.run("delete", {"email": "alice@example.com"}).log_event == "fdu"
    assert _digest(real) == before


def test_migration_change_email(migration):
    migration.run("login", BOB)
    moved = migration.run("change-email", {"email": "bob@example.com", "new_email": "robert@example.com"})
    assert (moved.outcome, moved.log_event) == ("success", "sce")
    assert moved.managed_user.email == "robert@example.com"
    assert migration.run("login", {"email": "robert@example.com", "password": "builder-7"}).outcome == "success"
    # a management API call on users the platform has: Get User only checks the new address; nobody is created
    not_managed = migration.run("change-email", {"email": "dave@example.org", "new_email": "david@example.org"})
    assert (not_managed.outcome, not_managed.log_event) == ("failure", "fce") and not_managed.managed_user is None
    assert [u.email for u in migration.managed_users()] == ["robert@example.com"]
    clash = migration.run("change-email", {"email": "robert@example.com", "new_email": "ERIN@example.net"})
    assert (clash.outcome, clash.log_event) == ("failure", "fce")  # a legacy user's address


# -- broken scripts ------------------------------------------------------------------------------------

def test_login_that_does_not_mark_users_migrated_brings_deleted_users_back(migration):
    migration.project.write_script("login", UNMARKED_LOGIN)
    first = migration.run("login", ALICE)
    assert first.outcome == "success" and "not-marked-migrated" in _codes(first)
    migration.run("delete", {"email": "alice@example.com"})
    back = migration.run("login", ALICE)
    assert back.outcome == "success" and "resurrected-user" in _codes(back)
    message = next(f.message for f in back.findings if f.code == "resurrected-user")
    assert "legacy|1" in message and "deleted" in message


def test_get_user_with_another_id_than_login_is_an_unstable_user_id(legacy):
    source = legacy.project.read_script("get_user").replace('f"legacy|{row.id}"', 'f"user-{row.id}"')
    legacy.project.write_script("get_user", source)
    legacy.run("login", ALICE)
    reset = legacy.run("reset-password", {"email": "alice@example.com", "new_password": "x-1"})
    assert "unstable-user-id" in _codes(reset)


def test_get_user_with_a_random_id_is_unstable_across_calls(migration):
    source = migration.project.read_script("get_user")
    source = source.replace('f"legacy|{row.id}"', '"legacy|" + __import__("uuid").uuid4().hex')
    migration.project.write_script("get_user", source)
    migration.run("signup", BOB)
    second = migration.run("signup", BOB)
    assert "unstable-user-id" in _codes(second)


def test_login_and_get_user_with_different_profiles_is_a_profile_mismatch(legacy):
    source = legacy.project.read_script("get_user").replace('"nickname": row.nickname,', "")
    legacy.project.write_script("get_user", source)
    legacy.run("login", BOB)
    change = legacy.run("reset-password", {"email": "bob@example.com", "new_password": "other-1"})
    mismatch = [f for f in change.findings if f.code == "profile-mismatch"]
    assert mismatch and "nickname" in mismatch[0].message


def test_a_failing_script_fails_the_flow_and_keeps_its_error(legacy):
    legacy.project.write_script("verify", "def verify(email, callback):\n    raise RuntimeError('boom')\n")
    result = legacy.run("verify", {"email": "bob@example.com"})
    assert (result.outcome, result.log_event) == ("failure", "fv")
    assert result.steps[0].outcome == "error" and result.steps[0].run.error["message"] == "boom"


# -- unusable input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("flow", "data", "message"), [
    ("verify", {"email": "a@b.c"}, "unknown flow 'verify' for migration mode"),
    ("login", {"email": "a@b.c"}, "needs 'password'"),
    ("login", {"mail": "a@b.c"}, "unknown input key 'mail'"),
    ("delete", {}, "needs 'user'"),
])
def test_unusable_input_is_a_simulation_error(migration, flow, data, message):
    with pytest.raises(SimulationError, match=message):
        migration.run(flow, data)


def test_a_missing_script_or_legacy_database_is_a_simulation_error(legacy):
    legacy.project.script_path("create").unlink()
    with pytest.raises(SimulationError, match="create.py does not exist"):
        legacy.run("signup", {"email": "n@example.com", "password": "x"})
    (legacy.project.root / "legacy.db").unlink()
    legacy.reset()
    with pytest.raises(SimulationError, match="does not exist"):
        legacy.run("login", ALICE)


def test_dirty_store_duplicate_emails_are_one_user_for_the_template(tmp_path):
    project = create_project(tmp_path / "dirty", mode="migration")
    generate_legacy_db(project.root / "legacy.db", dirty=True)
    sim = Simulator(project)
    try:
        upper = sim.run("reset-password", {"email": "ALICE@EXAMPLE.COM", "new_password": "n-1"})
        assert upper.managed_user.user_id == "legacy|1"  # the lowest id wins; the shadow never migrates
    finally:
        sim.close()


# -- a server database ---------------------------------------------------------------------------------

@pytest.mark.postgres
def test_on_a_server_database_every_step_is_a_dry_run_unless_writes_are_enabled(tmp_path, pg_server):
    from app.domain.scripts import Mode
    from tests.flow_support import pg_project, table_rows

    project, admin = pg_project(tmp_path / "pg", pg_server, Mode.LEGACY)
    project.configuration["BCRYPT_ROUNDS"] = ConfigEntry("BCRYPT_ROUNDS", "4")
    before = table_rows(admin)
    sim = Simulator(project)
    try:
        assert sim.run("login", ALICE).outcome == "success"
        signup = sim.run("signup", {"email": "new@example.com", "password": "pw-1"})
        # Create ran and was rolled back, so the Login that confirms it cannot find the user
        assert _steps(signup) == [("script", "get_user", "not_found"), ("script", "create", "ok"),
                                  ("script", "login", "rejected")]
        assert signup.steps[1].run.committed is False
        assert sim.run("delete", {"user": "legacy|2"}).outcome == "success"
        assert table_rows(admin) == before and not sim.legacy_copy().exists()
    finally:
        sim.close()
    writing = Simulator(project, writes=True)
    try:
        assert writing.run("signup", {"email": "new@example.com", "password": "pw-1"}).outcome == "success"
        assert len(table_rows(admin)) == len(before) + 1  # the user asked for writes to the server
    finally:
        writing.close()


@pytest.mark.postgres
def test_migration_flows_on_a_server_database(tmp_path, pg_server):
    from app.domain.scripts import Mode
    from tests.flow_support import pg_project, table_rows

    project, admin = pg_project(tmp_path / "pgm", pg_server, Mode.MIGRATION)
    before = table_rows(admin)
    sim = Simulator(project)
    try:
        first = sim.run("login", ALICE)
        assert first.outcome == "success" and first.managed_user.user_id == "legacy|1"
        assert "not-marked-migrated" not in _codes(first)  # nothing persisted: the probe cannot judge
        assert _steps(sim.run("login", ALICE)) == [("managed_store", None, "ok")]
        assert table_rows(admin) == before  # Login's UPDATE ... migrated was rolled back
    finally:
        sim.close()


def test_a_login_that_echoes_the_password_is_flagged_and_the_password_is_never_stored(migration):
    source = migration.project.read_script("login").replace(
        'return callback(None, profile(row))', 'return callback(None, {**profile(row), "pw": password})')
    migration.project.write_script("login", source)
    result = migration.run("login", ALICE)
    assert "secret-in-profile" in _codes(result)
    assert result.managed_user.profile["pw"] == "****"
    stored = migration.store.path.read_bytes()
    assert b"wonderland-42" not in stored and b"wonderland-42" not in str(result.to_dict()).encode()
