"""Secrets typed during a session reach the next run of a warm container (issue 17 item 3: the UX
review had to press Recycle after typing the database password again)."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from app.domain.project import load_project
from app.engine.runner import RunnerClient
from app.engine.secrets import DATABASE_PASSWORD, session_secrets
from tests.runner_support import make_project

PROBE = '''
def get_user(email, callback):
    row = db.execute(text("SELECT 1 AS one")).first()
    return callback(None, {"user_id": "legacy|1", "email": email, "seen": configuration.get("TOKEN", "")})
'''


@pytest.mark.postgres
def test_a_database_password_typed_again_is_used_by_the_next_run_without_recycle(tmp_path, pg_url, monkeypatch):
    monkeypatch.delenv("CUSTOMDB_DATABASE_PASSWORD", raising=False)
    keyring.set_keyring(FailKeyring())  # no keychain: the session store, as on a headless Linux
    root = make_project(tmp_path / "p", {"get_user": PROBE}).root
    toml = (root / "customdb.toml").read_text().replace('url = "sqlite:///legacy.db"', f'url = "{pg_url.url}"')
    (root / "customdb.toml").write_text(toml, encoding="utf-8")
    project = load_project(root)
    with RunnerClient(project, use_spare=False) as client:
        first = client.run("get_user", {"email": "a@x"})
        assert first.outcome == "error" and "password" in str(first.error).lower()
        session_secrets.set(project, DATABASE_PASSWORD, "wrong-one")
        second = client.run("get_user", {"email": "a@x"})
        assert second.outcome == "error" and "authentication failed" in str(second.error)
        session_secrets.set(project, DATABASE_PASSWORD, pg_url.password)  # typed again: no Recycle
        third = client.run("get_user", {"email": "a@x"})
        assert third.outcome == "ok", third.error
        assert pg_url.password not in repr(third.to_dict() if hasattr(third, "to_dict") else third)


def test_a_secret_set_during_the_session_reaches_the_next_run(tmp_path, monkeypatch):
    monkeypatch.delenv("CUSTOMDB_CONFIG_TOKEN", raising=False)
    keyring.set_keyring(FailKeyring())
    probe = PROBE.replace('configuration.get("TOKEN", "")', 'configuration["TOKEN"].startswith("second")')
    project = make_project(tmp_path / "p", {"get_user": probe},
                           configuration="TOKEN = { secret = true }\n")
    with RunnerClient(project, use_spare=False) as client:
        session_secrets.set(project, "TOKEN", "first-token")
        first = client.run("get_user", {"email": "a@x"})
        assert first.outcome == "ok" and first.result["seen"] is False
        session_secrets.set(project, "TOKEN", "second-token")
        again = client.run("get_user", {"email": "a@x"})
        assert again.outcome == "ok" and again.result["seen"] is True  # the same container saw the new value
