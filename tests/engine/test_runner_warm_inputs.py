"""What a warm container must read afresh for every run, however it saves work: the trust store
(trust taken back by this process, the CLI in another one, or a bundle unpacked over the folder
refuses the very next run) and the saved script."""

from __future__ import annotations

import pytest

from app.engine import trust
from app.engine.runner import RunInputError, RunnerClient
from tests.runner_support import GET_USER, make_project

ALICE = {"email": "alice@example.com"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.fixture
def client(tmp_path):
    c = RunnerClient(make_project(tmp_path / "proj", {"get_user": GET_USER}), use_spare=False)
    yield c
    c.close()


def test_every_change_of_trust_applies_to_the_next_run_of_a_warm_container(client):
    project = client.project
    assert client.run("get_user", ALICE).outcome == "ok"
    trust.revoke(project)
    with pytest.raises(trust.UntrustedProjectError):
        client.run("get_user", ALICE)
    trust.trust(project)
    assert client.run("get_user", ALICE).outcome == "ok"
    trust.mark_from_bundle(project, "repro.zip")  # unpacked over the folder: restricted again
    with pytest.raises(trust.UntrustedProjectError):
        client.run("get_user", ALICE)
    trust.trust(project)
    assert client.run("get_user", ALICE).outcome == "ok"


def test_a_store_edited_by_hand_or_another_user_data_folder_is_read_again(client, data_dir, tmp_path,
                                                                        monkeypatch):
    project = client.project
    assert client.run("get_user", ALICE).outcome == "ok"
    trust.revoke(project)
    revoked = (data_dir / "trust.json").read_text()
    trust.trust(project)
    assert client.run("get_user", ALICE).outcome == "ok"
    (data_dir / "trust.json").write_text(revoked)  # in place, not replaced
    with pytest.raises(trust.UntrustedProjectError):
        client.run("get_user", ALICE)
    other = tmp_path / "other-userdata"
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(other))
    assert client.run("get_user", ALICE).outcome == "ok"  # a store that never heard of the folder
    trust.revoke(project)
    with pytest.raises(trust.UntrustedProjectError):
        client.run("get_user", ALICE)


def test_the_saved_script_is_read_again_for_every_run(client):
    project = client.project
    path = project.script_path("get_user")
    assert client.run("get_user", ALICE).result["user_id"] == "legacy|1"
    path.write_text(GET_USER.replace('f"legacy|{row.id}"', 'f"legacz|{row.id}"'))  # same size, at once
    assert client.run("get_user", ALICE).result["user_id"] == "legacz|1"
    path.unlink()
    with pytest.raises(RunInputError, match="get_user.py does not exist; create it"):
        client.run("get_user", ALICE)
    path.mkdir()
    with pytest.raises(RunInputError, match="get_user.py does not exist; create it"):
        client.run("get_user", ALICE)


def test_a_script_saved_with_windows_or_old_mac_line_ends_runs_as_text_mode_reads_it(client):
    path = client.project.script_path("get_user")
    for newline in ("\r\n", "\r"):
        path.write_bytes(GET_USER.replace("\n", newline).encode("utf-8"))
        assert client.requests.read_script("get_user") == path.read_text(encoding="utf-8") == GET_USER
        assert client.run("get_user", ALICE).result["user_id"] == "legacy|1"
