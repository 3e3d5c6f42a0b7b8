"""Post-mortem capture in the child: what a failed run reports about each frame's variables and the
exceptions behind its error, as a support engineer will read it in the trace viewer."""

from __future__ import annotations

import logging
import textwrap

import pytest

from app.runtime.answer import Callback
from app.runtime.masking import Masker
from app.runtime.namespace import injected, module_globals
from app.runtime.postmortem import (
    MAX_FRAMES_WITH_LOCALS,
    MAX_NAMES,
    REPR_CAP,
    add_sources,
    describe_failure,
)

SECRET = "sk_live_9f8e7d6c5b4a"


def load(tmp_path, source, configuration=None):
    """The script compiled under its real file name, with the runtime's injected globals."""
    path = tmp_path / "scripts" / "get_user.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    source = textwrap.dedent(source)
    path.write_text(source, encoding="utf-8")
    names = injected(configuration or {}, {}, object(), logging.getLogger("test-postmortem"))
    g = module_globals(names, str(path), "get_user")
    exec(compile(source, str(path), "exec"), g)
    return g, str(path), source


def failure(tmp_path, source, *args, secrets=(), passwords=(), configuration=None):
    g, filename, text = load(tmp_path, source, configuration)
    callback = Callback(1, filename, Masker(secrets), passwords, lambda event: None)
    try:
        g["get_user"](*args, callback)
    except Exception as e:  # noqa: BLE001
        error = describe_failure(e, filename, Masker(secrets), passwords)
        add_sources(error, filename, text, Masker(secrets))
        return error
    pytest.fail("the script did not raise")


HELPER = """
def lookup(users, email):
    wanted = email.lower()
    return users[wanted]

def get_user(email, callback):
    users = {"bob@example.com": 2}
    attempts = 3
    return callback(None, lookup(users, email))
"""


def test_each_script_frame_carries_its_locals_as_they_were_at_the_error(tmp_path):
    error = failure(tmp_path, HELPER, "Alice@Example.com")
    entry, helper = error["traceback"]
    assert (entry["function"], helper["function"]) == ("get_user", "lookup")
    assert entry["locals"] == {"email": "'Alice@Example.com'", "users": "{'bob@example.com': 2}",
                               "attempts": "3"}
    assert helper["locals"] == {"users": "{'bob@example.com': 2}", "email": "'Alice@Example.com'",
                                "wanted": "'alice@example.com'"}
    assert helper["source"] == "return users[wanted]"
    assert "chain" not in error


def test_callback_and_injected_globals_are_left_out(tmp_path):
    error = failure(tmp_path, """
        def get_user(email, callback):
            cfg = configuration
            conn = db
            found = None
            raise LookupError(email)
        """, "a@b.c")
    assert error["traceback"][0]["locals"] == {"email": "'a@b.c'", "found": "None"}


def test_a_failure_at_module_level_shows_the_script_names_not_the_runtimes(tmp_path):
    path = tmp_path / "scripts" / "get_user.py"
    path.parent.mkdir(parents=True)
    source = "import json\nLIMIT = 5\nTABLE = 'users'\nraise RuntimeError('bad config')\n"
    g = module_globals(injected({}, {}, object(), logging.getLogger("t")), str(path), "get_user")
    with pytest.raises(RuntimeError) as info:
        exec(compile(source, str(path), "exec"), g)
    error = describe_failure(info.value, str(path), Masker(()))
    assert error["traceback"][0]["locals"] == {"LIMIT": "5", "TABLE": "'users'"}


def test_values_are_capped_and_frames_keep_at_most_fifty_names(tmp_path):
    names = "\n".join(f"    v{i} = {i}" for i in range(80))
    error = failure(tmp_path, f"""
def get_user(email, callback):
    blob = "x" * 10_000
    rows = list(range(1000))
{names}
    raise ValueError("too much")
""", "a@b.c")
    shown = error["traceback"][0]["locals"]
    assert len(shown) == MAX_NAMES
    assert list(shown)[:3] == ["email", "blob", "rows"]
    assert all(len(v) <= REPR_CAP for v in shown.values())
    assert shown["blob"].startswith("'xxxx") and shown["blob"].endswith("xx'") and "..." in shown["blob"]
    assert shown["rows"].startswith("[0, 1, 2") and "..." in shown["rows"]


def test_secret_values_and_the_typed_password_are_masked_even_where_a_value_is_cut(tmp_path):
    error = failure(tmp_path, """
        def get_user(email, callback):
            key = configuration["API_KEY"]
            header = {"Authorization": "Bearer " + key}
            long = "x" * 190 + key + "y" * 50
            class Token:
                def __repr__(self):
                    return "Token(" + "z" * 190 + key + ")"
            token = Token()
            typed = "hunter2-typed"
            raise PermissionError("denied")
        """, "a@b.c", secrets=(SECRET,), passwords=("hunter2-typed",), configuration={"API_KEY": SECRET})
    shown = error["traceback"][0]["locals"]
    assert shown["key"] == "'****'" and shown["header"] == "{'Authorization': 'Bearer ****'}"
    assert shown["typed"] == "'****'"
    text = repr(error)
    assert all(SECRET[:n] not in text for n in range(5, len(SECRET) + 1))  # not even a cut prefix


def test_library_frames_are_names_only(tmp_path):
    error = failure(tmp_path, """
        import json

        def get_user(email, callback):
            payload = "{broken"
            return callback(None, json.loads(payload))
        """, "a@b.c")
    library = [f for f in error["traceback"] if f["library"]]
    assert library and all("locals" not in f for f in library)
    assert error["traceback"][0]["locals"]["payload"] == "'{broken'"


def test_a_broken_repr_does_not_spoil_the_report(tmp_path):
    error = failure(tmp_path, """
        class Odd:
            def __repr__(self):
                raise RuntimeError("no repr for you")

        def get_user(email, callback):
            odd = Odd()
            raise KeyError(email)
        """, "a@b.c")
    assert error["traceback"][0]["locals"]["odd"] == "<Odd object (repr failed: RuntimeError)>"
    assert error["type"] == "KeyError"


def test_raise_from_gives_the_chain_earliest_first_with_its_relation(tmp_path):
    error = failure(tmp_path, """
        def parse(raw):
            number = raw.strip()
            return int(number)

        def get_user(email, callback):
            raw = " 12a "
            try:
                parse(raw)
            except ValueError as e:
                try:
                    {}["missing"]
                except KeyError:
                    raise LookupError(f"no user for {email}") from e
        """, "a@b.c")
    assert error["type"] == "LookupError"
    (cause,) = error["chain"]  # `from e` hides the KeyError context, as Python's printout does
    assert (cause["type"], cause["relation"]) == ("ValueError", "cause")
    assert "invalid literal" in cause["message"]
    assert [f["function"] for f in cause["traceback"]] == ["get_user", "parse"]
    assert cause["traceback"][1]["locals"] == {"raw": "' 12a '", "number": "'12a'"}
    assert cause["traceback"][1]["source"] == "return int(number)"


def test_an_error_while_handling_another_is_chained_as_context(tmp_path):
    error = failure(tmp_path, """
        def get_user(email, callback):
            try:
                1 / 0
            except ZeroDivisionError:
                try:
                    None.id
                except AttributeError:
                    raise RuntimeError("gave up")
        """, "a@b.c")
    assert [(c["type"], c["relation"]) for c in error["chain"]] == [
        ("ZeroDivisionError", "context"), ("AttributeError", "context")]


def test_raise_from_none_has_no_chain(tmp_path):
    error = failure(tmp_path, """
        def get_user(email, callback):
            try:
                {}[email]
            except KeyError:
                raise LookupError("unknown") from None
        """, "a@b.c")
    assert "chain" not in error


def test_an_exception_passed_to_callback_keeps_the_locals_of_the_moment_of_the_call(tmp_path):
    g, filename, text = load(tmp_path, """
        def check(email):
            domain = email.split("@")[1]
            raise ValueError(f"domain {domain} is not allowed")

        def get_user(email, callback):
            state = "before"
            try:
                check(email)
            except ValueError as e:
                callback(e)
                state = "after"
        """)
    calls = []
    callback = Callback(1, filename, Masker(()), (), calls.append)
    g["get_user"]("a@evil.test", callback)
    entry, helper = calls[0]["error"]["traceback"]
    assert entry["locals"]["state"] == "'before'"  # the call's moment, not the end of the run
    assert entry["locals"]["e"] == "ValueError('domain evil.test is not allowed')"
    assert helper["locals"] == {"email": "'a@evil.test'", "domain": "'evil.test'"}


def test_an_exception_passed_to_callback_without_a_traceback_has_no_locals(tmp_path):
    g, filename, _ = load(tmp_path, """
        def get_user(email, callback):
            note = "constructed, never raised"
            callback(ValueError("no"))
        """)
    calls = []
    callback = Callback(1, filename, Masker(()), (), calls.append)
    g["get_user"]("a@b.c", callback)
    assert all("locals" not in f for f in calls[0]["error"]["traceback"])


def test_deep_recursion_keeps_locals_for_the_innermost_frames_only(tmp_path):
    error = failure(tmp_path, """
        def walk(n):
            if n == 0:
                raise RecursionError("bottom")
            return walk(n - 1)

        def get_user(email, callback):
            walk(200)
        """, "a@b.c")
    with_locals = [f for f in error["traceback"] if "locals" in f]
    assert len(with_locals) == MAX_FRAMES_WITH_LOCALS
    assert with_locals[-1] is error["traceback"][-1] and with_locals[-1]["locals"] == {"n": "0"}


def test_sources_come_from_the_text_that_ran_not_the_file(tmp_path):
    g, filename, text = load(tmp_path, "def get_user(email, callback):\n    raise KeyError(email)\n")
    (tmp_path / "scripts" / "get_user.py").write_text("# changed on disk\n# since\n", encoding="utf-8")
    try:
        g["get_user"]("a@b.c", None)
    except KeyError as e:
        error = describe_failure(e, filename, Masker(()))
    add_sources(error, filename, text, Masker(()))
    assert error["traceback"][0]["source"] == "raise KeyError(email)"
