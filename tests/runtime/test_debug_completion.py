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
    inline = [{"cmd": "complete", "req": i, "text": t, "frame": 0, "timeout": timeout} for i, t in enumerate(texts)]
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
    replies = _complete(tmp_path, "ro", "user.lo", "user.gr")
    assert {r["engine"] for r in replies.values()} == {"rlcompleter"}
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
