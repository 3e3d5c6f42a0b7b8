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


DB_LOGIN = '''
def login(email, password, callback):
    conn = db
    row = db.execute(text("SELECT 1 AS one")).first()
    return callback(None, {"user_id": "legacy|1", "email": email})
'''


def test_console_completes_db_with_jedi_in_a_real_debug_run_despite_a_damaged_cache(tmp_path, monkeypatch):
    """`db.` in the paused child (jedi 0.20.1 crashes on the live Connection) completes from the
    editor's stub, with signatures and docs, even when the jedi cache folder holds damaged files."""
    from app.runtime import debug_completion
    from app.runtime.masking import Masker
    from app.runtime.namespace import make_engine

    cache = tmp_path / "jedi-cache"
    monkeypatch.setenv("CUSTOMDB_JEDI_CACHE_DIR", str(cache))  # the child inherits it
    monkeypatch.setattr("jedi.settings.cache_directory", str(cache))
    engine = make_engine("sqlite://")
    with engine.connect() as live:  # fill the folder here, as an earlier session would have
        filled = debug_completion.complete("db.", {"db": live}, {}, Masker([]), timeout=60)
    engine.dispose()
    assert "execute" in [i["name"] for i in filled["items"]]
    for i, p in enumerate(sorted(cache.rglob("*.pkl"))):  # killed mid-write / another parso's
        p.write_bytes(p.read_bytes()[:10] if i % 2 else b"cno_such_parso_module\nNodeCacheItem\n.")

    project = make_project(tmp_path / "db", {"login": DB_LOGIN})
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, ["5"])
        assert session.wait_stop().line == 5
        replies = {t: session.complete(t, 0, timeout=60) for t in ("db.", "db.exe", "conn.roll", "row.")}
        assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
        assert {"execute", "begin", "commit", "rollback"} <= {i["name"] for i in replies["db."]["items"]}
        execute = next(i for i in replies["db.exe"]["items"] if i["name"] == "execute")
        assert execute["signature"].startswith("execute(statement") and execute["doc"]
        assert "rollback" in [i["name"] for i in replies["conn.roll"]["items"]]  # an alias of db
        assert replies["row."]["items"][0]["name"] == "one"  # a Row's columns first (issue 17)
        assert session.evaluate("1 + 1")["repr"] == "2"  # the session goes on
        session.continue_()
        assert session.wait_stop().result.outcome == "ok"
    assert not any(p.stat().st_size == 10 for p in cache.rglob("*.pkl"))  # the damaged files were rewritten
