"""Replay and compare: the customer's trace beside the local one, frames matched by script and line."""

from __future__ import annotations

import pytest

from app.domain.traces import analyze
from app.engine import trust
from app.engine.bundles import BundleError, export_bundle, import_bundle
from app.engine.replay import align, compare, reproduce
from tests.runner_support import make_project

GET_USER = '''
def helper(row):
    return row.nickname

def get_user(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
    return callback(None, {"user_id": helper(row)})
'''
CUSTOMER_TRACE = """2026-11-02T10:00:00Z ERROR get_user failed
Traceback (most recent call last):
  File "/srv/customer/scripts/get_user.py", line 7, in get_user
    return callback(None, {"user_id": helper(row)})
  File "/srv/customer/scripts/get_user.py", line 3, in helper
    return row.nickname
AttributeError: 'Row' object has no attribute 'nickname'
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))


def frame(script, line, library=False, function="f"):
    return {"function": function, "file": f"/x/scripts/{script}.py" if script else "/lib/x.py", "line": line,
            "library": library, "script": script}


def test_align_matches_by_script_and_line_and_an_extra_frame_does_not_shift_the_rest():
    customer = [frame("login", 10), frame("login", 4)]
    local = [frame("login", 10), frame("login", 20), frame("login", 4), frame(None, 99, library=True)]
    rows = align(customer, local)
    assert [(r.customer, r.local, r.matched) for r in rows] == [
        (0, 0, True), (None, 1, False), (1, 2, True), (None, 3, False)]


def test_library_frames_never_match_even_on_the_same_line():
    rows = align([frame(None, 5, library=True)], [frame(None, 5, library=True)])
    assert not any(r.matched for r in rows) and len(rows) == 2


def _result(type_, frames, outcome="error"):
    return {"outcome": outcome, "error": {"type": type_, "message": "m", "traceback": frames}}


def test_reproduced_needs_the_same_type_and_the_innermost_customer_frame():
    trace = analyze(CUSTOMER_TRACE)[0]
    local = [{"function": "get_user", "file": "/here/scripts/get_user.py", "line": 7, "library": False},
             {"function": "helper", "file": "/here/scripts/get_user.py", "line": 3, "library": False}]
    c = compare("get_user", trace, _result("AttributeError", local))
    assert c.reproduced is True and c.same_type and c.matched_frames == 2
    assert compare("get_user", trace, _result("KeyError", local)).reproduced is False
    moved = [local[0], {**local[1], "line": 4}]
    c = compare("get_user", trace, _result("AttributeError", moved))
    assert c.reproduced is False and c.matched_frames == 1
    assert compare("get_user", trace, {"outcome": "ok", "result": {}, "error": None}).reproduced is False


def test_without_a_customer_trace_there_is_no_verdict():
    c = compare("get_user", None, _result("KeyError", []))
    assert c.reproduced is None and c.to_dict()["customer"] is None


def test_reproduce_runs_the_bundled_input_and_matches_the_customer_frames(tmp_path):
    p = make_project(tmp_path / "customer", {"get_user": GET_USER})
    export_bundle(p, tmp_path / "b.zip", script="get_user", input={"email": "alice@example.com"},
                  trace=CUSTOMER_TRACE, data=True)
    imported = import_bundle(tmp_path / "b.zip", tmp_path / "support")
    with pytest.raises(trust.UntrustedProjectError):
        reproduce(imported)
    trust.trust(imported)
    c = reproduce(imported).to_dict()
    assert c["reproduced"] is True and c["script"] == "get_user"
    assert c["customer"]["type"] == c["local"]["type"] == "AttributeError"
    matched = [r for r in c["rows"] if r["matched"]]
    assert [(r["script"], r["line"]) for r in matched] == [("get_user", 7), ("get_user", 3)]


def test_a_fixed_script_no_longer_reproduces(tmp_path):
    p = make_project(tmp_path / "customer", {"get_user": GET_USER.replace("row.nickname", "row.email")})
    export_bundle(p, tmp_path / "b.zip", script="get_user", input={"email": "alice@example.com"},
                  trace=CUSTOMER_TRACE, data=True)
    imported = import_bundle(tmp_path / "b.zip", tmp_path / "support")
    trust.trust(imported)
    c = reproduce(imported)
    assert c.reproduced is False and c.local["outcome"] == "ok"


def test_a_project_without_repro_is_refused(tmp_path):
    p = make_project(tmp_path / "p", {"get_user": GET_USER})
    with pytest.raises(BundleError, match="repro/repro.json"):
        reproduce(p)
