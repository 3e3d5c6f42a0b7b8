"""Restricted mode: a project from a bundle cannot run until trusted; trust lives outside the project."""

from __future__ import annotations

import json

import pytest

from app.domain.project import load_project
from app.engine import trust
from app.engine.runner import RunInputError, RunnerClient
from tests.runner_support import GET_USER, make_project


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", {"get_user": GET_USER})


def test_own_project_is_not_restricted(project):
    assert not trust.is_restricted(project)
    trust.require_trusted(project)  # no error


def test_bundle_project_is_refused_until_trusted_then_again_after_revoke(project):
    trust.mark_from_bundle(project, "repro.zip")
    assert trust.is_restricted(project)
    with pytest.raises(trust.UntrustedProjectError) as e:
        trust.require_trusted(project)
    assert f"customdb trust {project.root}" in str(e.value)
    assert isinstance(e.value, RunInputError)  # every caller's "unusable run input" path handles it

    trust.trust(project)
    assert not trust.is_restricted(project)
    trust.revoke(project)
    assert trust.is_restricted(project)


def test_trust_is_stored_outside_the_project(project, data_dir):
    trust.mark_from_bundle(project, "repro.zip")
    trust.trust(project)
    store = json.loads((data_dir / "trust.json").read_text())
    entry = store["folders"][str(project.root.resolve())]
    assert entry["state"] == "trusted" and entry["fingerprint"] == project.id
    written = {p.relative_to(project.root).as_posix() for p in project.root.rglob("*") if p.is_file()}
    assert "trust.json" not in " ".join(written) and ".customdb/origin.json" in written


def test_deleting_the_marker_does_not_lift_the_restriction(project):
    trust.mark_from_bundle(project, "repro.zip")
    trust.origin_path(project.root).unlink()
    assert trust.is_restricted(project)


def test_a_different_project_at_a_trusted_path_is_not_trusted(project, tmp_path):
    trust.mark_from_bundle(project, "a.zip")
    trust.trust(project)
    other = load_project(project.root)
    other.id = "someoneelse1"  # another bundle unpacked at the same path gets its own id
    assert trust.is_restricted(other)


def test_a_damaged_store_trusts_nothing(project, data_dir):
    trust.mark_from_bundle(project, "repro.zip")
    trust.trust(project)
    (data_dir / "trust.json").write_text("{not json")
    assert trust.is_restricted(project)


def test_revoke_restricts_even_an_own_project(project):
    trust.revoke(project)
    assert trust.is_restricted(project)


def test_the_runner_itself_refuses_a_restricted_project(project):
    trust.mark_from_bundle(project, "repro.zip")
    client = RunnerClient(project, use_spare=False)
    try:
        with pytest.raises(trust.UntrustedProjectError):
            client.run("get_user", {"email": "alice@example.com"})
        assert client.state == "dead"  # refused before any child started
    finally:
        client.close()


def test_the_debugger_refuses_a_restricted_project(project):
    from app.engine.debug_session import DebugSession

    trust.mark_from_bundle(project, "repro.zip")
    client = RunnerClient(project, use_spare=False)
    try:
        with pytest.raises(trust.UntrustedProjectError):
            DebugSession(client).start("get_user", {"email": "alice@example.com"})
    finally:
        client.close()


def test_the_rehearsal_refuses_a_restricted_project(project):
    from app.engine.rehearsal import Rehearsal

    trust.mark_from_bundle(project, "repro.zip")
    with pytest.raises(trust.UntrustedProjectError):
        Rehearsal(project).run()


def test_refusal_is_the_message_or_none(project):
    assert trust.refusal(project) is None
    trust.mark_from_bundle(project, "repro.zip")
    assert "customdb trust" in trust.refusal(project)
