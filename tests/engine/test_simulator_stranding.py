"""Stranded users (issue 18): the platform's real call sites of Get User in migration mode, the
`stranded-user` finding with the flow that caused it, and the bundled migration templates walked
through every sequence of two and three flows for one user: nobody stranded, nobody resurrected,
and a user who was not deleted can always log in afterwards."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from app.engine.runner import RunnerClient
from app.engine.scaffold import create_project
from app.engine.simulator import Simulator

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
BOB = {"email": "bob@example.com", "password": "builder-7"}

# The Get User the templates shipped before issue 18: it marks the user migrated on every lookup.
MARKING_GET_USER = '''
def get_user(email, callback):
    row = db.execute(text("SELECT id, email, username, nickname, email_verified, migrated FROM users "
                          "WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"), {"email": email}).first()
    if row is None or row.migrated:
        return callback(None)
    db.execute(text("UPDATE users SET migrated = 1 WHERE id = :id"), {"id": row.id})
    user = {"user_id": f"legacy|{row.id}", "email": row.email, "nickname": row.nickname,
            "email_verified": bool(row.email_verified)}
    if row.username:
        user["username"] = row.username
    return callback(None, user)
'''

# A Login that marks the user before it checks the password.
EAGER_LOGIN = '''
def login(email, password, callback):
    row = db.execute(text("SELECT id, email, nickname, email_verified, password_hash, migrated FROM users "
                          "WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"), {"email": email}).first()
    if row is None or row.migrated:
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    db.execute(text("UPDATE users SET migrated = 1 WHERE id = :id"), {"id": row.id})
    if not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
        return callback(WrongUsernameOrPasswordError(email, "Wrong email or password."))
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email, "nickname": row.nickname,
                           "email_verified": bool(row.email_verified)})
'''


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "migration", mode="migration")
    project.configuration["BCRYPT_ROUNDS"].value = "4"  # Change Password hashes quickly in tests
    project.save()
    return project


@pytest.fixture
def sim(project):
    sim = Simulator(project)
    yield sim
    sim.close()


def _codes(result) -> set[str]:
    return {f.code for f in result.findings}


def _marked(sim, email: str) -> bool:
    with sqlite3.connect(sim.legacy_copy()) as db:
        return bool(db.execute("SELECT migrated FROM users WHERE lower(email) = lower(?)", (email,)).fetchone()[0])


# -- the finding -------------------------------------------------------------------------------------

def test_a_marking_get_user_strands_a_user_on_a_signup_check_and_names_the_flow(sim):
    sim.project.write_script("get_user", MARKING_GET_USER)
    signup = sim.run("signup", {"email": BOB["email"], "password": "attacker-1"})
    assert (signup.outcome, signup.log_event) == ("failure", "fs")  # refused: the address is a legacy user's
    assert signup.managed_user is None and sim.managed_users() == []
    assert "stranded-user" in _codes(signup)
    finding = next(f for f in signup.findings if f.code == "stranded-user")
    assert finding.severity == "error" and "legacy|2" in finding.message and "signup" in finding.message
    assert signup.stranded[0]["flow"] == "signup" and signup.stranded[0]["user_id"] == "legacy|2"
    assert "stranded-user" in [f["code"] for f in signup.to_dict()["findings"]]
    # Bob can never get in again, and every later flow says who did it
    login = sim.run("login", BOB)
    assert login.outcome == "failure" and "stranded-user" in _codes(login)
    assert "an earlier signup flow" in next(f.message for f in login.findings if f.code == "stranded-user")
    assert sim.run("reset-password", {"email": BOB["email"], "new_password": "x-1"}).outcome == "failure"


@pytest.mark.parametrize("flow", ["identifier-first", "management-lookup"])
def test_lookups_create_nobody_and_a_marking_get_user_strands_there_too(sim, flow):
    found = sim.run(flow, {"email": ALICE["email"]})
    assert found.outcome == "success" and found.managed_user is None and sim.managed_users() == []
    assert [s.script for s in found.steps if s.actor == "script"] == ["get_user"]
    assert not _codes(found) & {"stranded-user", "marked-in-get-user"} and not _marked(sim, ALICE["email"])
    assert sim.run(flow, {"email": "nobody@example.com"}).outcome == "failure"
    sim.project.write_script("get_user", MARKING_GET_USER)
    stranded = sim.run(flow, {"email": BOB["email"]})
    assert "stranded-user" in _codes(stranded) and stranded.stranded[0]["flow"] == flow
    assert "marked-in-get-user" in _codes(stranded)  # the run's own SQL says so too


def test_a_login_that_marks_before_checking_the_password_strands_on_a_wrong_password(sim):
    sim.project.write_script("login", EAGER_LOGIN)
    wrong = sim.run("login", {**ALICE, "password": "typo"})
    assert wrong.log_event == "fp" and "stranded-user" in _codes(wrong)
    assert wrong.stranded[0]["flow"] == "login" and wrong.stranded[0]["script"] == "login"


def test_a_user_deleted_on_purpose_is_not_stranded(sim):
    assert sim.run("login", ALICE).outcome == "success"
    deleted = sim.run("delete", {"email": ALICE["email"]})
    assert deleted.outcome == "success"
    again = sim.run("login", ALICE)
    assert again.outcome == "failure" and not _codes(again) & {"stranded-user", "resurrected-user"}


# -- the templates' design ---------------------------------------------------------------------------

def test_the_template_get_user_never_marks_and_change_password_marks_on_a_reset(sim):
    assert sim.run("signup", {"email": ALICE["email"], "password": "x"}).outcome == "failure"
    assert not _marked(sim, ALICE["email"])
    reset = sim.run("reset-password", {"email": ALICE["email"], "new_password": "fresh-1"})
    assert (reset.outcome, reset.log_event) == ("success", "scp")
    assert [s.script for s in reset.steps if s.actor == "script"] == ["get_user", "change_password"]
    assert _marked(sim, ALICE["email"]) and reset.managed_user.user_id == "legacy|1"
    assert not _codes(reset) & {"not-marked-migrated", "stranded-user"}
    sim.run("delete", {"email": ALICE["email"]})
    back = sim.run("reset-password", {"email": ALICE["email"], "new_password": "fresh-2"})
    assert back.outcome == "failure" and "resurrected-user" not in _codes(back)


def test_a_failed_reset_creates_nobody_and_locks_nobody_out(sim):
    sim.project.write_script("change_password", "def change_password(email, new_password, callback):\n"
                                                "    callback(Exception('the store is read-only today'))\n")
    failed = sim.run("reset-password", {"email": ALICE["email"], "new_password": "fresh-1"})
    assert (failed.outcome, failed.log_event) == ("failure", "fcp") and sim.managed_users() == []
    assert "stranded-user" not in _codes(failed) and not _marked(sim, ALICE["email"])
    assert sim.run("login", ALICE).outcome == "success"


def test_a_reset_without_a_change_password_script_migrates_but_is_not_marked(sim):
    sim.project.script_path("change_password").unlink()
    reset = sim.run("reset-password", {"email": ALICE["email"], "new_password": "fresh-1"})
    assert reset.outcome == "success" and "not-marked-migrated" in _codes(reset)
    message = next(f.message for f in reset.findings if f.code == "not-marked-migrated")
    assert "Change Password" in message


def test_change_email_is_a_management_call_on_a_managed_user_and_creates_nobody(sim):
    not_yet = sim.run("change-email", {"email": ALICE["email"], "new_email": "alice@new.example"})
    assert (not_yet.outcome, not_yet.log_event) == ("failure", "fce") and sim.managed_users() == []
    sim.run("login", ALICE)
    taken = sim.run("change-email", {"email": ALICE["email"], "new_email": BOB["email"]})
    assert taken.outcome == "failure" and [s.input for s in taken.steps if s.actor == "script"] == [
        {"email": BOB["email"]}]  # Get User asked whether the new address is a legacy user's: it is Bob's
    assert not _marked(sim, BOB["email"]) and "stranded-user" not in _codes(taken)
    moved = sim.run("change-email", {"email": ALICE["email"], "new_email": "alice@new.example"})
    assert moved.outcome == "success" and moved.managed_user.email == "alice@new.example"
    assert sim.run("login", {"email": "alice@new.example", "password": ALICE["password"]}).outcome == "success"


# -- every sequence of two and three flows -----------------------------------------------------------

FLOWS = ("login", "signup", "reset", "change-email", "delete", "wrong-login")


def _walk(sim, sequence) -> list:
    """Run `sequence` for Alice, following her e-mail and password through the flows; the results
    and whether she still has an account at the end (False once deleted and not signed up again)."""
    email, password, alive, results = ALICE["email"], ALICE["password"], True, []
    for i, name in enumerate(sequence):
        if name == "login":
            result = sim.run("login", {"email": email, "password": password})
        elif name == "wrong-login":
            result = sim.run("login", {"email": email, "password": "not-her-password"})
        elif name == "signup":
            result = sim.run("signup", {"email": email, "password": f"signup-{i}"})
            if result.outcome == "success":
                password, alive = f"signup-{i}", True
        elif name == "reset":
            result = sim.run("reset-password", {"email": email, "new_password": f"reset-{i}"})
            if result.outcome == "success":
                password = f"reset-{i}"
        elif name == "change-email":
            result = sim.run("change-email", {"email": email, "new_email": f"alice.{i}@example.com"})
            if result.outcome == "success":
                email = f"alice.{i}@example.com"
        else:
            result = sim.run("delete", {"email": email})
            if result.outcome == "success":
                alive = False
        results.append(result)
    return results, alive, {"email": email, "password": password}


@pytest.mark.slow
@pytest.mark.parametrize("length", [2, 3])
def test_every_sequence_of_flows_strands_and_resurrects_nobody(project, length):
    with RunnerClient(project, use_spare=False) as client:
        sim = Simulator(project, client=client)
        for sequence in itertools.product(FLOWS, repeat=length):
            sim.reset()
            results, alive, credentials = _walk(sim, sequence)
            for name, result in zip(sequence, results, strict=True):
                bad = _codes(result) & {"stranded-user", "resurrected-user", "marked-in-get-user"}
                assert not bad, (sequence, name, [f.message for f in result.findings])
            if alive:  # never locked out: whatever happened, she can still log in
                final = sim.run("login", credentials)
                assert final.outcome == "success", (sequence, final.to_dict())
                assert not _codes(final) & {"stranded-user", "resurrected-user"}, sequence
