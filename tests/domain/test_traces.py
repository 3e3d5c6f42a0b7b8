"""Behaviour of the trace parsers, the frame-to-script mapping and the name suggestions."""

import json

import pytest

from app.domain.traces import JAVASCRIPT, PYTHON, analyze, parse_traces, to_json
from app.domain.traces.v8 import parse_frame

PY = '''Traceback (most recent call last):
  File "/srv/runner.py", line 10, in main
    run()
  File "/srv/scripts/{file}", line 4, in {func}
    return callback(None, x)
NameError: name 'x' is not defined
'''

JS = """TypeError: boom
    at {inner}
    at {outer}
"""


def one(text, **kw):
    traces = analyze(text, **kw)
    assert len(traces) == 1, traces
    return traces[0]


# -- parsing ----------------------------------------------------------------------------------

def test_python_frames_are_outermost_first_with_exception():
    t = one(PY.format(file="login.py", func="login"))
    assert t.language == PYTHON
    assert (t.exception_type, t.message) == ("NameError", "name 'x' is not defined")
    assert [(f.function, f.line) for f in t.frames] == [("main", 10), ("login", 4)]
    assert t.frames[1].text == "return callback(None, x)"


def test_v8_frames_are_reversed_to_call_order():
    t = one(JS.format(inner="inner (/a/x.js:2:3)", outer="outer (/a/x.js:9:1)"))
    assert t.language == JAVASCRIPT
    assert [f.function for f in t.frames] == ["outer", "inner"]
    assert (t.frames[0].line, t.frames[0].column) == (9, 1)


def test_chained_python_exceptions_are_separate_traces_in_text_order():
    first = PY.format(file="a.py", func="a").replace("NameError", "KeyError")
    text = (first + "\nThe above exception was the direct cause of the following exception:\n\n"
            + PY.format(file="b.py", func="b")
            + "\nDuring handling of the above exception, another exception occurred:\n\n"
            + PY.format(file="c.py", func="c").replace("NameError", "OSError"))
    assert [t.exception_type for t in analyze(text)] == ["KeyError", "NameError", "OSError"]


@pytest.mark.parametrize("line, function, file, pos, anonymous, library", [
    ("at login (/data/login.js:3:9)", "login", "/data/login.js", (3, 9), False, False),
    ("at /data/io/webtask.js:18:27", None, "/data/io/webtask.js", (18, 27), True, False),
    ("at Object.<anonymous> (/srv/run.js:1:1)", "Object.<anonymous>", "/srv/run.js", (1, 1), True, False),
    ("at <anonymous> (/srv/run.js:2:5)", "<anonymous>", "/srv/run.js", (2, 5), True, False),
    ("at async getUser (/srv/get_user.js:4:2)", "getUser", "/srv/get_user.js", (4, 2), False, False),
    ("at new Pool (/srv/pool.js:8:16)", "Pool", "/srv/pool.js", (8, 16), False, False),
    ("at Array.forEach (<anonymous>)", "Array.forEach", "<anonymous>", (None, None), False, True),
    ("at async Promise.all (index 0)", "Promise.all", "index 0", (None, None), False, True),
    ("at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
     "process.processTicksAndRejections", "node:internal/process/task_queues", (95, 5), False, True),
    ("at node:internal/main/run_main_module:23:47", None, "node:internal/main/run_main_module", (23, 47), True, True),
    ("at Query.handle (/x/node_modules/pg/lib/query.js:1:2)", "Query.handle", "/x/node_modules/pg/lib/query.js",
     (1, 2), False, True),
    ("at eval (eval at compile (/srv/sandbox.js:31:18), <anonymous>:7:5)", "eval", "/srv/sandbox.js", (31, 18),
     False, False),
    ("at Object.login [as handler] (/srv/login.js:5:5)", "Object.login", "/srv/login.js", (5, 5), False, False),
    ("at C:\\Users\\ann\\getUser.js:21:23", None, "C:\\Users\\ann\\getUser.js", (21, 23), True, False),
    ("at file:///home/ann/run.mjs:5:1", None, "file:///home/ann/run.mjs", (5, 1), True, False),
])
def test_v8_frame_forms(line, function, file, pos, anonymous, library):
    f = parse_frame(line)
    assert f is not None
    assert (f.function, f.file, (f.line, f.column), f.anonymous, f.library) == (function, file, pos, anonymous, library)


@pytest.mark.parametrize("line", ["at noon", "at 10:12:00", "at the end (of the day)", "attach (x.js:1:2)", "at"])
def test_prose_with_at_is_not_a_frame(line):
    assert parse_frame(line) is None


@pytest.mark.parametrize("path, library", [
    ("/usr/lib/python3.11/json/decoder.py", True),
    ("/home/a/.venv/lib/python3.12/site-packages/sqlalchemy/engine/base.py", True),
    ("/usr/lib/python3/dist-packages/requests/api.py", True),
    ("<frozen importlib._bootstrap>", True),
    ("C:\\Program Files\\Python311\\Lib\\json\\decoder.py", True),
    ("C:\\Users\\ann\\acme\\scripts\\login.py", False),
    ("/home/ann/project/lib/login.py", False),
    ("<string>", False),
])
def test_python_library_frames(path, library):
    t = one(f'Traceback (most recent call last):\n  File "{path}", line 1, in f\nValueError: x\n')
    assert t.frames[0].library is library


def test_python_lambda_is_anonymous_and_module_is_not():
    t = one('Traceback (most recent call last):\n  File "/s/x.py", line 1, in <module>\n'
            '  File "/s/login.py", line 2, in <lambda>\nKeyError: 1\n')
    assert [f.anonymous for f in t.frames] == [False, True]


def test_python_syntax_error_without_header_and_exception_without_message():
    t = one('  File "/s/verify.py", line 6\n    return (\n           ^\nSyntaxError: \'(\' was never closed\n')
    assert t.exception_type == "SyntaxError" and t.frames[0].function is None and t.frames[0].line == 6
    t = one('Traceback (most recent call last):\n  File "/s/a.py", line 3, in run\n    loop()\nKeyboardInterrupt\n')
    assert (t.exception_type, t.message) == ("KeyboardInterrupt", "")


def test_exception_group_yields_the_group_and_its_sub_tracebacks():
    text = ('  + Exception Group Traceback (most recent call last):\n'
            '  |   File "/s/create.py", line 21, in create\n'
            '  |     raise ExceptionGroup("bad", errs)\n'
            '  | ExceptionGroup: bad (1 sub-exception)\n'
            '  +-+---------------- 1 ----------------\n'
            '    | Traceback (most recent call last):\n'
            '    |   File "/s/create.py", line 12, in check\n'
            '    |     raise ValueError("x")\n'
            '    | ValueError: x\n'
            '    +------------------------------------\n')
    traces = analyze(text)
    assert [(t.exception_type, [f.function for f in t.frames]) for t in traces] == [
        ("ExceptionGroup", ["create"]), ("ValueError", ["check"])]


def test_log_prefixes_with_changing_timestamps_are_stripped_from_every_line():
    text = ("2026-11-24T09:15:01.220931Z stderr F Traceback (most recent call last):\n"
            '2026-11-24T09:15:01.220975Z stderr F   File "/app/scripts/login.py", line 6, in login\n'
            "2026-11-24T09:15:01.220980Z stderr F     do()\n"
            "2026-11-24T09:15:01.221043Z stderr F OSError: gone\n"
            "2026-11-24T09:15:01.300000Z stdout F worker idle\n"
            "May  1 12:00:03 host node[77]: Error: late\n"
            "May  1 12:00:03 host node[77]:     at verify (/srv/verify.js:3:9)\n"
            "May 10 12:00:04 host node[77]:     at /srv/verify.js:9:1\n")
    py, js = analyze(text)
    assert (py.exception_type, py.message, py.frames[0].text) == ("OSError", "gone", "do()")
    assert (js.exception_type, js.message) == ("Error", "late")
    assert [f.line for f in js.frames] == [9, 3]


def test_node_error_with_code_and_cause():
    text = ("Error [ERR_INVALID_URL]: Invalid URL\n    at new URL (node:internal/url:676:13) {\n"
            "  [cause]: TypeError: bad port\n      at parse (/srv/url.js:1:1)\n}\n")
    outer, cause = analyze(text)
    assert (outer.exception_type, outer.message) == ("Error", "Invalid URL")
    assert (cause.exception_type, cause.message) == ("TypeError", "bad port")


def test_stack_inside_json_lines_and_json_documents():
    stack = "Error: boom\n    at getUser (/data/get_user.js:3:9)\n    at /data/webtask.js:1:1"
    py_tb = 'Traceback (most recent call last):\n  File "/app/login.py", line 2, in login\nValueError: v'
    lines = "\n".join(json.dumps(d) for d in (
        {"level": "info", "msg": "ok\nstill ok"}, {"err": {"stack": stack}}, {"exc_info": py_tb}))
    assert [(t.language, t.frames[-1].function if t.language == JAVASCRIPT else t.frames[0].function)
            for t in analyze(lines)] == [(JAVASCRIPT, "getUser"), (PYTHON, "login")]
    document = json.dumps([{"details": {"stack": stack}}, {"details": {"stack": stack.replace("boom", "two")}}],
                          indent=2)
    assert [t.message for t in analyze(document)] == ["boom", "two"]
    double = json.dumps({"body": json.dumps({"stack": stack})})  # a JSON string holding JSON
    assert [t.message for t in analyze(double)] == ["boom"]


def test_many_traces_amid_noise_in_order():
    noise = "2026-11-24 INFO request served at 12:00:00 in 3ms\n" * 5
    parts = []
    for i in range(40):
        if i % 2:
            parts.append(f"Error: js{i}\n    at f{i} (/srv/a.js:{i + 1}:1)\n")
        else:
            parts.append(PY.format(file="a.py", func=f"f{i}").replace("name 'x'", f"name 'x{i}'"))
        parts.append(noise)
    traces = analyze("".join(parts))
    assert len(traces) == 40
    assert [t.language for t in traces] == [PYTHON if i % 2 == 0 else JAVASCRIPT for i in range(40)]
    assert traces[1].message == "js1" and traces[2].message == "name 'x2' is not defined"


def test_no_trace_in_plain_text():
    assert parse_traces("nothing here\nat all\nFile \"x\" was moved\n") == []
    assert to_json(analyze("")) == {"traces": []}


# -- mapping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("file, key", [
    ("login.py", "login"), ("get_user.py", "get_user"), ("getUser.js", "get_user"), ("get_user.js", "get_user"),
    ("change_password.py", "change_password"), ("changeEmail.js", "change_email"), ("delete.py", "delete"),
    ("deleteUser.js", "delete"), ("helpers.py", None), ("webtask.js", None),
])
def test_frames_map_to_scripts_by_file_base_name(file, key):
    t = one(JS.format(inner=f"helper (/srv/{file}:2:2)", outer="run (/srv/harness.js:1:1)"))
    assert t.frames[1].script == key
    assert t.frames[0].script is None


@pytest.mark.parametrize("name, key", [
    ("getByEmail", "get_user"), ("loginByEmail", "login"), ("remove", "delete"), ("loginByUsername", "login"),
    ("getUser", "get_user"), ("get_user", "get_user"), ("changePassword", "change_password"),
    ("Object.deleteUser", "delete"), ("fetchRows", None),
])
def test_frames_map_to_scripts_by_function_name(name, key):
    t = one(JS.format(inner="/srv/webtask.js:9:9", outer=f"{name} (/srv/webtask.js:1:1)"))
    assert t.frames[0].script == key
    assert t.frames[1].script == key  # the anonymous frame shares the file of a mapped frame


def test_file_name_wins_over_a_helper_named_like_another_script():
    t = one(PY.format(file="login.py", func="verify"))
    assert t.frames[1].script == "login"


def test_script_option_claims_every_non_library_frame():
    text = JS.format(inner="/data/io/webtask.js:14:31", outer="process.tick (node:internal/x:1:1)")
    t = one(text, script="get_user")
    assert [f.script for f in t.frames] == [None, "get_user"]
    assert [(s.script, s.recommended_name, s.reason, s.frame) for s in t.suggestions] == [
        ("get_user", "getUser", "anonymous", 1)]


def test_project_sources_give_the_current_line():
    src = "import x\n\ndef login(email, password, callback):\n    return callback(None, x)\n"
    t = one(PY.format(file="login.py", func="login"), sources={"login": src})
    assert t.frames[1].source == "    return callback(None, x)"
    assert t.frames[0].source is None
    d = t.to_dict()["frames"]
    assert "source" in d[1] and "source" not in d[0]
    out_of_range = one(PY.format(file="login.py", func="login").replace("line 4", "line 40"), sources={"login": src})
    assert out_of_range.frames[1].source is None and out_of_range.frames[1].script == "login"


# -- suggestions --------------------------------------------------------------------------------

def test_python_suggestions_use_the_python_name():
    t = one(PY.format(file="get_user.py", func="getUser"))
    assert [(s.recommended_name, s.reason, s.frame) for s in t.suggestions] == [
        ("get_user", "non_recommended_name", 1)]
    assert one(PY.format(file="get_user.py", func="get_user")).suggestions == []
    t = one(PY.format(file="get_user.py", func="<lambda>"))
    assert [(s.recommended_name, s.reason) for s in t.suggestions] == [("get_user", "anonymous")]


def test_javascript_suggestions_use_the_js_name():
    t = one(JS.format(inner="x (/srv/b.js:1:1)", outer="get_user (/srv/get_user.js:1:1)"))
    assert [(s.recommended_name, s.reason) for s in t.suggestions] == [("getUser", "non_recommended_name")]
    assert one(JS.format(inner="x (/srv/b.js:1:1)", outer="getUser (/srv/get_user.js:1:1)")).suggestions == []


def test_no_suggestion_for_helpers_or_library_frames():
    text = ("Error: x\n    at /srv/login.js:9:1\n    at Array.map (<anonymous>)\n"
            "    at helper (/srv/login.js:5:1)\n    at login (/srv/login.js:1:1)\n")
    assert one(text).suggestions == []  # entry named; the anonymous and helper frames are inner
    lib = one("Error: x\n    at /x/node_modules/login.js:1:1\n    at run (/srv/harness.js:1:1)\n")
    assert lib.frames[1].script is None and lib.suggestions == []


def test_module_level_and_syntax_error_frames_get_no_suggestion():
    assert one('Traceback (most recent call last):\n  File "/s/login.py", line 2, in <module>\n'
               "ImportError: x\n").suggestions == []
    assert one('  File "/s/login.py", line 2\n    def (\n        ^\nSyntaxError: bad\n').suggestions == []


def test_one_suggestion_per_script_in_a_trace():
    text = ("Error: x\n    at inner (/srv/get_user.js:5:1)\n    at /srv/get_user.js:1:1\n"
            "    at fetchThem (/srv/login.js:3:3)\n")
    t = one(text)
    assert [(s.script, s.reason, s.frame) for s in t.suggestions] == [
        ("login", "non_recommended_name", 0), ("get_user", "anonymous", 1)]


def test_json_shape():
    doc = to_json(analyze(PY.format(file="login.py", func="<lambda>")))
    (trace,) = doc["traces"]
    assert set(trace) == {"language", "exception", "frames", "suggestions"}
    assert set(trace["exception"]) == {"type", "message"}
    assert set(trace["frames"][0]) == {"function", "file", "line", "column", "anonymous", "library", "script",
                                       "origin"}
    assert trace["suggestions"] == [
        {"script": "login", "recommended_name": "login", "reason": "anonymous", "frame": 1}]
    json.dumps(doc)


def test_pasted_without_indentation():
    t = one("Error: pasted\nat login (/x/login.js:1:2)\nat /x/webtask.js:3:4\n")
    assert (t.message, [f.function for f in t.frames]) == ("pasted", [None, "login"])
    t = one('File "/x/verify.py", line 3\n    x = (\nSyntaxError: bad\n')
    assert (t.exception_type, t.frames[0].file) == ("SyntaxError", "/x/verify.py")


@pytest.mark.parametrize("text", [
    "x  at y " * 50_000,  # one long line of would-be V8 anchors
    "Traceback (most recent call last)" * 50_000 + "\n" + "  File" * 50_000,
    "Error: x\n" + "y" * 400_000 + "\n    at f (/a.js:1:2)\n",  # the message line is far away
    '"\\n    at x (/a.js:1:1)" ' * 20_000,  # one line, thousands of escaped stacks
], ids=["at-line", "headers-line", "far-message", "escaped-line"])
def test_long_lines_full_of_anchors_stay_linear(text):
    # each anchor on a line once rescanned the whole line: these inputs then took minutes
    traces = analyze(text)
    assert all(t.frames for t in traces)
