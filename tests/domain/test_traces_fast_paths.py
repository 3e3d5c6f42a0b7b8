"""Edge cases of the parsers' fast paths (one regex call per frame, JSON strings read with the
JSON decoder's scanner, the Python header found with str.find): what a user sees must not depend
on which path read the trace."""

import json

from app.domain.traces import analyze, to_json


def frames(text):
    return [(f.function, f.file, f.line, f.column) for t in analyze(text) for f in t.frames]


def test_python_frame_parts_lose_their_trailing_whitespace_and_carets_are_skipped():
    text = ('Traceback (most recent call last):\n'
            '  File "/srv/scripts/login.py", line 4, in login   \n'
            '    return callback(None, x)   \t\n'
            '           ^^^^^^^^^^^^^^^^^  \n'
            'NameError: x\n')
    [t] = analyze(text)
    assert [(f.function, f.line, f.text) for f in t.frames] == [("login", 4, "return callback(None, x)")]
    assert (t.exception_type, t.message) == ("NameError", "x")
    assert [s.to_dict()["reason"] for s in t.suggestions] == []  # `login` is the recommended name


def test_python_frame_with_an_empty_function_name_is_kept_and_gets_no_suggestion():
    text = 'Traceback (most recent call last):\n  File "/srv/login.py", line 4, in \n    x()\nNameError: x\n'
    [t] = analyze(text)
    assert [(f.function, f.text) for f in t.frames] == [("", "x()")]
    assert t.suggestions == []


def test_v8_locations_split_at_the_last_line_and_column():
    text = ("Error: boom\n"
            "    at getUser (C:\\app\\get_user.js:3:4)\n"
            "    at file:///srv/app/login.js:10:2\n"
            "    at run (/srv/a:b/x.js:1:2:3)\n")
    assert frames(text) == [  # outermost first
        ("run", "/srv/a:b/x.js:1", 2, 3),
        (None, "file:///srv/app/login.js", 10, 2),
        ("getUser", "C:\\app\\get_user.js", 3, 4),
    ]


def test_v8_frame_before_the_error_properties_block():
    text = "Error: boom\n    at login (/srv/login.js:3:4) {  \n  code: 'E_BOOM'\n}\n"
    [t] = analyze(text)
    assert [(f.function, f.line, f.column) for f in t.frames] == [("login", 3, 4)]
    assert (t.exception_type, t.message) == ("Error", "boom")


def test_json_stack_strings_are_decoded_as_json():
    stack = 'Error: café "quoted"\n    at getUser (/data/get_user.js:3:9)\n    at /data/webtask.js:1:1'
    for line in (json.dumps({"level": "error", "stack": stack}),
                 json.dumps({"stack": stack}, ensure_ascii=False)):
        [t] = analyze(line)
        assert (t.exception_type, t.message) == ("Error", 'café "quoted"')
        assert [(f.function, f.file) for f in t.frames] == [(None, "/data/webtask.js"),
                                                            ("getUser", "/data/get_user.js")]


def test_a_string_that_is_not_valid_json_is_still_unescaped():
    line = '{"stack": "Error: bad \\x escape\\n    at getUser (/data/get_user.js:3:9)"}'
    [t] = analyze(line)
    assert (t.exception_type, t.message) == ("Error", "bad \\x escape")
    assert [(f.function, f.line) for f in t.frames] == [("getUser", 3)]


def test_python_header_without_frames_is_no_trace_and_a_repeated_header_is_one():
    assert to_json(analyze("text Traceback (most recent call last):")) == {"traces": []}
    text = ('x Traceback (most recent call last): Traceback (most recent call last):\n'
            '  File "/a/login.py", line 1, in login\nValueError: v\n')
    assert [(t.exception_type, [f.function for f in t.frames]) for t in analyze(text)] == [("ValueError", ["login"])]
