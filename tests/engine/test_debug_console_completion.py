"""The debug console's completion through a real runner child: jedi is imported only by the first
completion request (never by start-up or pausing), completes the paused frame's live objects and
the project's configuration keys, and no secret value comes back."""

from __future__ import annotations

from app.engine.debug_session import DebugSession
from app.engine.runner import RunnerClient
from tests.engine.test_debug_session import ALICE, SECRET_LOGIN
from tests.runner_support import make_project

JEDI_IMPORTED = "'jedi' in __import__('sys').modules"


def test_console_completion_in_the_child_is_jedi_over_live_objects(tmp_path, monkeypatch):
    secret = "s3cr3t-Value-9"
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", secret)
    project = make_project(tmp_path / "sec", {"login": SECRET_LOGIN}, configuration="API_KEY = { secret = true }\n")
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, ["6"])
        assert session.wait_stop().line == 6
        assert session.evaluate(JEDI_IMPORTED)["repr"] == "False"  # paused, but nothing asked yet
        texts = ('configuration["', 'profile["', "salted.up", "configuration.", "ke")
        replies = {t: session.complete(t, 0, timeout=60) for t in texts}  # generous: a cold jedi still answers
        assert session.evaluate(JEDI_IMPORTED)["repr"] == "True"
        assert {r["engine"] for r in replies.values()} == {"jedi"}
        assert [i["name"] for i in replies['configuration["']["items"]] == ['"API_KEY"']
        assert sorted(i["name"] for i in replies['profile["']["items"]) == ['"email"', '"user_id"']
        upper = replies["salted.up"]["items"][0]
        assert (upper["name"], upper["type"], upper["prefix_len"]) == ("upper", "function", 2)
        assert "key" in [i["name"] for i in replies["ke"]["items"]]
        assert secret not in repr(replies)
        session.continue_()
        assert session.wait_stop().result.outcome == "ok"
