"""The debug console's completion in the paused child: jedi over the selected frame's live objects
(dict keys, instance attributes of a class the script defined, the project's configuration keys),
never a secret value, and rlcompleter when jedi is missing, raising or too slow."""

from __future__ import annotations

import sys
import threading
import types

import pytest

from app.runtime import debug_completion
from app.runtime.masking import Masker
from tests.runtime.test_debugger import debug

SECRET = "s3cr3t-value-42"
JEDI_TIME = 60  # jedi's budget in these tests: a cold jedi on a loaded machine still answers itself

SOURCE = """
import types

configuration = types.MappingProxyType({"DB_PASSWORD": "s3cr3t-value-42", "API_BASE": "https://api"})

class User:
    def __init__(self, name):
        self.name = name
        self.logins = 0

    def greet(self, who: str) -> str:
        "Say hello to someone."
        return who

def entry(email):
    row = {"email": email, "id": 7}
    user = User("alice")
    password = configuration["DB_PASSWORD"]
    return row, user
"""


def _complete(tmp_path, *texts, timeout=JEDI_TIME, masker=None):
    """Pause on the entry's return line and ask for each text's completions; {text: reply value}."""
    inline = [{"type": "complete", "req": i, "text": t, "frame": 0, "timeout": timeout} for i, t in enumerate(texts)]
    driver, result = debug(tmp_path, SOURCE, "entry", ("alice@example.com",), [], inline, breakpoints=[18],
                           masker=masker or Masker([SECRET]))
    assert driver.stops and driver.stops[0][1] == 18, result
    return {texts[r["req"]]: r["value"] for r in driver.replies}


def _names(reply):
    return [i["name"] for i in reply["items"]]


def _item(reply, name):
    return next(i for i in reply["items"] if i["name"] == name)


def test_jedi_completes_the_live_objects_of_the_frame(tmp_path):
    replies = _complete(tmp_path, 'row["', "ro", "row.", "user.", "user.gr", 'configuration["')
    assert all(r["engine"] == "jedi" for r in replies.values()), replies
    assert _names(replies['row["']) == ['"email"', '"id"']  # dict keys of the live dict: jedi only
    assert _item(replies['row["'], '"email"')["prefix_len"] == 1
    row = _item(replies["ro"], "row")
    assert row["type"] == "instance" and row["prefix_len"] == 2
    keys = _item(replies["row."], "keys")
    assert keys["type"] == "function" and keys["signature"].startswith("keys(")
    user = replies["user."]
    assert {"name", "logins", "greet"} <= set(_names(user))
    greet = _item(replies["user.gr"], "greet")
    assert (greet["type"], greet["doc"]) == ("function", "Say hello to someone.")
    assert greet["signature"].startswith("greet(who")
    assert set(_names(replies['configuration["'])) == {'"DB_PASSWORD"', '"API_BASE"'}


def test_no_secret_value_reaches_a_completion(tmp_path):
    texts = ('configuration["', 'configuration["DB_PASSWORD"].', "configuration.", "password.", "pass", "p")
    replies = _complete(tmp_path, *texts)
    assert _names(replies['configuration["DB_PASSWORD"].'])  # its str methods, not its value
    assert SECRET not in repr(replies) and "s3cr3t" not in repr(replies)


def test_configuration_and_its_aliases_are_keys_only_for_the_completers():
    config = types.MappingProxyType({"DB_PASSWORD": SECRET})
    g, loc = debug_completion._without_secret_values({"configuration": config}, {"cfg": config, "n": 1})
    assert g["configuration"] == {"DB_PASSWORD": ""} and loc["cfg"] is g["configuration"]
    assert loc["n"] == 1


def test_without_jedi_rlcompleter_answers(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jedi", None)  # `import jedi` raises ImportError
    replies = _complete(tmp_path, "ro", "user.lo", "user.gr", "row.cop")
    assert {r["engine"] for r in replies.values()} == {"rlcompleter"}
    assert _names(replies["row.cop"]) == ["copy"]  # rlcompleter's "()" is not part of the name either
    assert "row" in _names(replies["ro"])
    assert _names(replies["user.lo"]) == ["logins"] and _item(replies["user.lo"], "logins")["prefix_len"] == 2
    assert _names(replies["user.gr"]) == ["greet"]  # a callable: rlcompleter's "(" is not part of the name


def test_jedi_raising_falls_back_to_rlcompleter(tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise AttributeError("'TreeInstance' object has no attribute 'with_generics'")  # seen with db.

    monkeypatch.setitem(sys.modules, "jedi", types.SimpleNamespace(settings=types.SimpleNamespace(),
                                                                    Interpreter=broken))
    replies = _complete(tmp_path, "user.na")
    assert replies["user.na"] == {"engine": "rlcompleter", "items": [
        {"name": "name", "type": "", "signature": "", "doc": "", "prefix_len": 2}]}


@pytest.fixture
def slow_jedi(monkeypatch):
    """A jedi whose completion blocks until the test releases it (a slow live namespace)."""
    release, entered = threading.Event(), threading.Event()

    class Interpreter:
        def __init__(self, *_args, **_kwargs):
            entered.set()
            release.wait(30)

        def complete(self):
            return []

    monkeypatch.setitem(sys.modules, "jedi", types.SimpleNamespace(settings=types.SimpleNamespace(),
                                                                    Interpreter=Interpreter))
    yield entered
    release.set()
    assert debug_completion._jedi_busy.acquire(timeout=30)  # the overrunning call has ended
    debug_completion._jedi_busy.release()


def test_slow_jedi_is_answered_by_rlcompleter_and_not_called_again_while_busy(tmp_path, slow_jedi):
    replies = _complete(tmp_path, "us", "row.ke", timeout=0.05)
    assert slow_jedi.is_set()  # jedi was asked first
    assert replies["us"]["engine"] == "rlcompleter" and "user" in _names(replies["us"])
    assert replies["row.ke"] == {"engine": "rlcompleter", "items": [
        {"name": "keys", "type": "", "signature": "", "doc": "", "prefix_len": 2}]}
    assert debug_completion._jedi_busy.locked()  # the first call still runs: the second never reached jedi


# -- the runtime's injected names: completed from the editor's stub ------------------------------
INJECTED_SOURCE = """
def helper(connection, note):
    return connection, note


def entry(email):
    conn = db
    found = db.execute(text("SELECT 1 AS one")).first()
    pair = helper(db, "x")
    return found, pair
"""


def _complete_injected(tmp_path, texts, source=INJECTED_SOURCE, line=8, extra_globals=None):
    """Pause on `line` of `source` run with the runtime's real injected globals (a dry-run
    Connection to SQLite, text, bcrypt, log, the error classes) and complete each text there;
    {text: reply value}."""
    import logging
    import textwrap

    from app.runtime import namespace
    from app.runtime.debugger import Debugger
    from tests.runtime.test_debugger import Driver

    engine = namespace.make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    db = namespace.DryRunConnection(engine)
    db.begin()
    text = textwrap.dedent(source).lstrip("\n")
    path = tmp_path / "script.py"
    path.write_text(text)
    names = namespace.injected({"API_BASE": "https://api"}, {}, db, logging.getLogger("customdb.test"))
    module = namespace.module_globals({**names, **(extra_globals or {})}, str(path), "login")
    exec(compile(text, str(path), "exec"), module)
    inline = [{"type": "complete", "req": i, "text": t, "frame": 0, "timeout": JEDI_TIME} for i, t in enumerate(texts)]
    driver = Driver([], inline)
    debugger = Debugger(str(path), "entry", driver.send, driver.recv, source=text, breakpoints=[line],
                        masker=Masker([]))
    try:
        debugger.runcall(lambda: module["entry"]("alice@example.com"))
    finally:
        db.rollback()
        db.close()
        engine.dispose()
    assert driver.stops and driver.stops[0][1] == line, driver.stops
    return {texts[r["req"]]: r["value"] for r in driver.replies}


def test_db_completes_through_jedi_with_signatures_and_docs(tmp_path):
    replies = _complete_injected(tmp_path, ["db.", "db.exe", "conn.comm", "d"])
    assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
    assert {"execute", "begin", "commit", "rollback", "close"} <= set(_names(replies["db."]))
    execute = _item(replies["db.exe"], "execute")
    assert execute["type"] == "function" and execute["prefix_len"] == 3
    assert execute["signature"].startswith("execute(statement") and "SQL statement" in execute["doc"]
    assert _item(replies["conn.comm"], "commit")["signature"] == "commit() -> None"  # an alias of db
    db = _item(replies["d"], "db")  # the bare name carries the runtime's description, as in the editor
    assert "SQLAlchemy Connection" in db["doc"]
    assert not [n for n in _names(replies["d"]) if n.startswith("_cdb")]


def test_the_other_injected_names_complete_like_in_the_editor(tmp_path):
    replies = _complete_injected(tmp_path, ["log.war", "bcrypt.chec", "Wrong", "Valid", "Unauth", "tex",
                                            'configuration["', "global_.", "fou"])
    assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
    assert "warning" in _names(replies["log.war"])
    assert _names(replies["bcrypt.chec"]) == ["checkpw"]
    wrong = _item(replies["Wrong"], "WrongUsernameOrPasswordError")
    assert wrong["type"] == "class" and wrong["signature"].startswith("WrongUsernameOrPasswordError(")
    assert "ValidationError" in _names(replies["Valid"]) and "UnauthorizedError" in _names(replies["Unauth"])
    assert "text" in _names(replies["tex"])
    assert _names(replies['configuration["']) == ['"API_BASE"']  # still the live keys
    assert {"get", "setdefault"} <= set(_names(replies["global_."]))
    assert _item(replies["fou"], "found")["type"] == "instance"  # the script's own names: live


def test_a_helper_parameter_holding_db_completes_as_a_connection(tmp_path):
    replies = _complete_injected(tmp_path, ["connection.exe", "note.up"], line=2)
    assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
    assert "execute" in _names(replies["connection.exe"])
    assert _names(replies["note.up"]) == ["upper"]


def test_a_rebound_injected_name_completes_its_live_value(tmp_path):
    source = """
class Store:
    def fetch(self):
        return 1


def entry(email):
    db = Store()
    log = {"lines": 1}
    return db, log
"""
    replies = _complete_injected(tmp_path, ["db.", 'log["'], source=source, line=9)
    assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
    assert "fetch" in _names(replies["db."]) and "execute" not in _names(replies["db."])
    assert _names(replies['log["']) == ['"lines"']  # the local dict, not the injected logger


def test_a_connection_jedi_cannot_read_falls_back_but_the_session_goes_on(tmp_path, monkeypatch):
    monkeypatch.delitem(debug_completion.STUBBED, "db")  # as before: jedi on the live Connection
    replies = _complete_injected(tmp_path, ["db.exe", "found."])
    assert replies["db.exe"]["engine"] == "rlcompleter" and "execute" in _names(replies["db.exe"])
    assert replies["found."]["engine"] == "jedi"  # the next request is jedi's again


def test_a_damaged_jedi_cache_still_completes_db_with_jedi(tmp_path, monkeypatch):
    import parso.cache

    cache = tmp_path / "jedi-cache"
    monkeypatch.setenv("CUSTOMDB_JEDI_CACHE_DIR", str(cache))
    monkeypatch.setattr("jedi.settings.cache_directory", str(cache))  # restored after the test
    parso.cache.parser_cache.clear()  # parse (and cache) SQLAlchemy's sources into the folder
    assert "execute" in _names(_complete_injected(tmp_path, ["db."])["db."])
    pickles = list(cache.rglob("*.pkl"))
    assert pickles
    for i, p in enumerate(pickles):  # half killed mid-write, half written by another parso
        p.write_bytes(p.read_bytes()[:10] if i % 2 else b"cno_such_parso_module\nNodeCacheItem\n.")
    parso.cache.parser_cache.clear()  # the next completion reads the damaged files
    replies = _complete_injected(tmp_path, ["db.exe", "found."])
    assert {r["engine"] for r in replies.values()} == {"jedi"}, replies
    assert _item(replies["db.exe"], "execute")["signature"].startswith("execute(")
    parso.cache.parser_cache.clear()


def test_a_rows_columns_complete_first():
    """`row.` on a SQLAlchemy Row offers its columns (jedi alone sees a tuple: count, index)."""
    import sqlalchemy

    from app.runtime.debug_completion import complete
    from app.runtime.masking import Masker

    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as conn:
        row = conn.execute(sqlalchemy.text(
            "SELECT 'a@x' AS email, 'hash-s3cret' AS password_hash, 1 AS id")).first()
    engine.dispose()
    reply = complete("row.", {}, {"row": row}, Masker(["hash-s3cret"]), timeout=30)
    names = [i["name"] for i in reply["items"]]
    assert names[:3] == ["email", "password_hash", "id"]
    assert "count" in names  # the tuple's own members stay
    assert "hash-s3cret" not in repr(reply)
    narrowed = complete("row.pa", {}, {"row": row}, Masker([]), timeout=30)["items"]
    assert narrowed[0]["name"] == "password_hash" and narrowed[0]["prefix_len"] == 2
    assert complete("x.row.", {}, {"row": row}, Masker([]), timeout=30)["items"][:1] != [narrowed[0]]
