"""The step debugger's semantics, driven in-process: each test steps through a script and asserts
the exact sequence of (reason, line, function, locals) a user would see."""

from __future__ import annotations

import asyncio
import inspect
import textwrap
from pathlib import Path

import pytest

from app.runtime.debugger import BreakpointError, Debugger, DebugStopped, parse_breakpoints, statement_starts
from app.runtime.masking import Masker

STEP = {"over": "step_over", "into": "step_into", "out": "step_out"}


class Driver:
    """Plays the parent: records each stop, answers with the next step (then `continue`)."""

    def __init__(self, steps, inline=()):
        self.steps = [s if isinstance(s, dict) else STEP.get(s, s) for s in steps]
        self.inline = list(inline)  # commands sent at the first stop, before resuming
        self.stops: list[tuple] = []
        self.events: list[dict] = []
        self.replies: list[dict] = []
        self._queue: list[dict] = []

    def send(self, event):
        if event["type"] == "paused":
            self.events.append(event)
            self.stops.append((event["reason"], event["line"], event["function"],
                               {v["name"]: v["repr"] for v in event["variables"]}))
            self._queue.extend(self.inline)
            self.inline = []
            step = self.steps.pop(0) if self.steps else "continue"
            self._queue.append(step if isinstance(step, dict) else {"type": step})
        else:
            self.replies.append(event)

    def recv(self):
        return self._queue.pop(0)


def debug(tmp_path: Path, source: str, entry: str, args=(), steps=(), inline=(), **options):
    """Run `entry(*args)` of `source` under the debugger; returns (driver, result or exception)."""
    path = tmp_path / "script.py"
    text = textwrap.dedent(source).lstrip("\n")
    path.write_text(text)
    namespace: dict = {"__name__": "script"}
    exec(compile(text, str(path), "exec"), namespace)
    driver = Driver(steps, inline)
    debugger = Debugger(str(path), entry, driver.send, driver.recv, source=text, **options)

    def call():
        value = namespace[entry](*args)
        return asyncio.run(value) if inspect.isawaitable(value) else value

    try:
        result = debugger.runcall(call)
    except BaseException as e:  # noqa: BLE001 - the test looks at it
        result = e
    return driver, result


HELPER = """
def helper(n):
    m = n * 2
    return m

def entry(a):
    x = helper(a)
    y = x + 1
    return y
"""


def test_step_into_stops_on_the_callee_body_and_back_in_the_caller_on_the_call_line(tmp_path):
    driver, result = debug(tmp_path, HELPER, "entry", (3,), ["into"] * 6, stop_on_entry=True)
    assert result == 7
    assert driver.stops == [
        ("step", 6, "entry", {"a": "3"}),
        ("step", 2, "helper", {"n": "3"}),  # the body's first line, not the def line
        ("step", 3, "helper", {"n": "3", "m": "6"}),
        ("step", 6, "entry", {"a": "3"}),  # after the call returned, before x is assigned
        ("step", 7, "entry", {"a": "3", "x": "6"}),
        ("step", 8, "entry", {"a": "3", "x": "6", "y": "7"}),
    ]


def test_step_over_never_enters_the_callee(tmp_path):
    driver, _ = debug(tmp_path, HELPER, "entry", (3,), ["over"] * 5, stop_on_entry=True)
    assert [(s[1], s[2]) for s in driver.stops] == [(6, "entry"), (7, "entry"), (8, "entry")]


def test_step_out_and_step_over_a_return_line_stop_in_the_caller(tmp_path):
    driver, _ = debug(tmp_path, HELPER, "entry", (3,), ["into", "out", "over"], stop_on_entry=True)
    assert [(s[1], s[2]) for s in driver.stops] == [(6, "entry"), (2, "helper"), (6, "entry"), (7, "entry")]
    driver, _ = debug(tmp_path, HELPER, "entry", (3,), ["over", "over"], breakpoints=[3])
    assert [(s[0], s[1], s[2]) for s in driver.stops] == [
        ("breakpoint", 3, "helper"), ("step", 6, "entry"), ("step", 7, "entry")]


def test_a_breakpoint_in_a_helper_shows_its_locals_and_continue_runs_to_the_end(tmp_path):
    driver, result = debug(tmp_path, HELPER, "entry", (5,), [], breakpoints=[3])
    assert driver.stops == [("breakpoint", 3, "helper", {"n": "5", "m": "10"})]
    assert result == 11
    stack = driver.events[0]["stack"]
    assert [(f["function"], f["line"], f["library"]) for f in stack[:2]] == [("helper", 3, False), ("entry", 6, False)]


def test_step_out_of_the_entry_finishes_the_run(tmp_path):
    driver, result = debug(tmp_path, HELPER, "entry", (1,), ["out"], stop_on_entry=True)
    assert [(s[1], s[2]) for s in driver.stops] == [(6, "entry")]
    assert result == 3


RECURSION = """
def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)

def entry(a):
    r = fact(a)
    return r
"""


def test_recursion_hit_count_and_step_out_frame_by_frame(tmp_path):
    driver, result = debug(tmp_path, RECURSION, "entry", (4,), ["out", "out", "out"],
                           breakpoints=[{"line": 2, "hit": "2"}])
    assert result == 24
    assert driver.stops == [
        ("breakpoint", 2, "fact", {"n": "3"}),  # the 2nd hit: fact(3)
        ("step", 4, "fact", {"n": "4"}),  # step out: back in fact(4) on the recursive call
        ("step", 7, "entry", {"a": "4"}),
    ]
    assert len(driver.events[0]["stack"]) >= 3  # fact(3), fact(4), entry


def test_step_over_a_recursive_return_line_runs_the_inner_calls_and_stops_in_the_caller(tmp_path):
    driver, _ = debug(tmp_path, RECURSION, "entry", (3,), ["over", "over"], breakpoints=[{"line": 4, "hit": "1"}])
    assert driver.stops == [("breakpoint", 4, "fact", {"n": "3"}),  # fact(2), fact(1) run without stopping
                            ("step", 7, "entry", {"a": "3"}),
                            ("step", 8, "entry", {"a": "3", "r": "6"})]


def test_conditional_breakpoints_and_hit_conditions(tmp_path):
    driver, _ = debug(tmp_path, RECURSION, "entry", (5,), [], breakpoints=[{"line": 3, "condition": "n == 1"}])
    assert driver.stops == [("breakpoint", 3, "fact", {"n": "1"})]
    driver, _ = debug(tmp_path, RECURSION, "entry", (5,), [], breakpoints=[{"line": 2, "hit": "%2"}])
    assert [s[3]["n"] for s in driver.stops] == ["4", "2"]
    driver, _ = debug(tmp_path, RECURSION, "entry", (5,), [], breakpoints=[{"line": 2, "hit": ">3"}])
    assert [s[3]["n"] for s in driver.stops] == ["2", "1"]


def test_a_failing_condition_stops_and_says_why(tmp_path):
    driver, _ = debug(tmp_path, RECURSION, "entry", (2,), [], breakpoints=[{"line": 2, "condition": "missing > 1"}])
    assert driver.stops[0][:3] == ("breakpoint", 2, "fact")
    assert driver.events[0]["condition_error"].startswith("NameError")


EXCEPTIONS = """
def bad(x):
    y = x - 1
    return 10 / y

def entry(a):
    try:
        bad(1)
    except ZeroDivisionError:
        z = "caught"
    w = bad(a)
    return w
"""


def test_exceptions_caught_are_stepped_through_and_uncaught_ones_stop_where_raised(tmp_path):
    driver, result = debug(tmp_path, EXCEPTIONS, "entry", (1,), ["over"] * 6, stop_on_entry=True)
    assert isinstance(result, ZeroDivisionError)
    assert driver.stops == [
        ("step", 6, "entry", {"a": "1"}),
        ("step", 7, "entry", {"a": "1"}),
        ("step", 8, "entry", {"a": "1"}),  # the except clause
        ("step", 9, "entry", {"a": "1"}),
        ("step", 10, "entry", {"a": "1", "z": "'caught'"}),
        ("exception", 3, "bad", {"x": "1", "y": "0"}),  # post mortem, where it was raised
    ]
    assert driver.events[-1]["exception"] == {"type": "ZeroDivisionError", "message": "division by zero"}


def test_uncaught_exceptions_can_be_ignored(tmp_path):
    driver, result = debug(tmp_path, EXCEPTIONS, "entry", (1,), [], break_on_uncaught=False)
    assert driver.stops == [] and isinstance(result, ZeroDivisionError)


ASYNC = """
import asyncio

async def helper(n):
    await asyncio.sleep(0)
    return n + 1

async def entry(a):
    b = await helper(a)
    c = b * 2
    return c
"""


def test_async_entry_step_over_an_await_waits_for_the_same_coroutine(tmp_path):
    driver, result = debug(tmp_path, ASYNC, "entry", (1,), ["over"] * 4, stop_on_entry=True)
    assert result == 4
    assert driver.stops == [("step", 8, "entry", {"a": "1"}), ("step", 9, "entry", {"a": "1", "b": "2"}),
                            ("step", 10, "entry", {"a": "1", "b": "2", "c": "4"})]


def test_async_step_into_a_coroutine_and_back(tmp_path):
    driver, _ = debug(tmp_path, ASYNC, "entry", (1,), ["into"] * 5, stop_on_entry=True)
    assert [(s[1], s[2]) for s in driver.stops] == [(8, "entry"), (4, "helper"), (5, "helper"), (8, "entry"),
                                                   (9, "entry"), (10, "entry")]


BREAKPOINT_CALL = """
def entry(a):
    b = a + 1
    breakpoint()
    c = b + 1
    return c
"""


def test_breakpoint_builtin_stops_there_and_stepping_goes_on(tmp_path):
    driver, result = debug(tmp_path, BREAKPOINT_CALL, "entry", (1,), ["over", "over"])
    assert result == 3
    assert driver.stops == [("breakpoint", 3, "entry", {"a": "1", "b": "2"}),
                            ("step", 4, "entry", {"a": "1", "b": "2"}),
                            ("step", 5, "entry", {"a": "1", "b": "2", "c": "3"})]


def test_stop_unwinds_the_script_with_an_exception_except_exception_cannot_swallow(tmp_path):
    source = """
    def entry(a):
        try:
            b = a + 1
        except Exception:
            return "swallowed"
        return b
    """
    driver, result = debug(tmp_path, source, "entry", (1,), ["stop"], breakpoints=[3])
    assert isinstance(result, DebugStopped)
    assert len(driver.stops) == 1


def test_a_multi_line_statement_is_one_step(tmp_path):
    source = """
    def entry(a):
        total = sum([
            a,
            a * 2,
        ])
        return total
    """
    driver, _ = debug(tmp_path, source, "entry", (2,), ["over", "over"], stop_on_entry=True)
    assert [s[1] for s in driver.stops] == [2, 6]
    driver, _ = debug(tmp_path, source, "entry", (2,), [], breakpoints=[4])  # on a continuation line
    assert [(s[0], s[1]) for s in driver.stops] == [("breakpoint", 2)]


def test_run_to_cursor_and_breakpoints_sent_with_a_resume(tmp_path):
    source = """
    def entry(a):
        x = 1
        y = 2
        z = 3
        w = 4
        return x + y + z + w
    """
    driver, _ = debug(tmp_path, source, "entry", (0,),
                      [{"type": "run_to_cursor", "line": 5}, {"type": "continue", "breakpoints": [6]}],
                      stop_on_entry=True)
    assert [(s[0], s[1]) for s in driver.stops] == [("step", 2), ("step", 5), ("breakpoint", 6)]


def test_frames_without_breakpoints_run_untraced_while_continuing(tmp_path):
    source = """
    def busy(n):
        t = 0
        for i in range(n):
            t += i
        return t

    def target(v):
        return v

    def entry(a):
        s = busy(a)
        return target(s)
    """
    events = []
    driver, result = debug(tmp_path, source, "entry", (1000,), [], breakpoints=[8])
    assert result == sum(range(1000)) and [s[1] for s in driver.stops] == [8]
    path = str(tmp_path / "script.py")
    debugger = Debugger(path, "entry", events.append, lambda: {"type": "continue"}, breakpoints=[8])
    code = compile(textwrap.dedent(source).lstrip("\n"), path, "exec")
    namespace: dict = {}
    exec(code, namespace)
    assert debugger.global_trace(_frame_of(namespace["busy"]), "call", None) is None
    assert debugger.global_trace(_frame_of(namespace["target"]), "call", None) is not None


def _frame_of(fn):
    """A frame executing `fn`'s code (for asking the global trace function about it)."""
    import sys

    frames = []

    def tracer(frame, event, arg):
        if frame.f_code is fn.__code__:
            frames.append(frame)
        return None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*([1] * fn.__code__.co_argcount))
    finally:
        sys.settrace(old)
    return frames[0]


def test_variables_expand_and_evaluate_while_paused_with_secrets_masked(tmp_path):
    source = """
    class Box:
        def __init__(self):
            self.inner = {"key": "s3cr3t-value", "n": [1, 2]}

    def entry(a):
        box = Box()
        token = "prefix-s3cr3t-value"
        return box
    """
    inline = [{"type": "frame_vars", "req": 1, "frame": 0},
              {"type": "expand", "req": 2, "id": 1},
              {"type": "evaluate", "req": 3, "expr": "token.upper()", "frame": 0},
              {"type": "evaluate", "req": 4, "expr": "nope + 1", "frame": 0},
              {"type": "frame_vars", "req": 5, "frame": 9}]
    driver, _ = debug(tmp_path, source, "entry", (1,), [], inline, breakpoints=[8],
                      masker=Masker(["s3cr3t-value"]), watches=["len(token)"])
    assert driver.stops[0][3]["token"] == "'prefix-****'"
    replies = {r["req"]: r for r in driver.replies}
    box = next(v for v in replies[1]["value"] if v["name"] == "box")
    assert box["type"] == "Box" and box["id"] is not None
    expanded = [r for r in driver.replies if r["req"] == 2][0]["value"]
    assert [(v["name"], v["type"]) for v in expanded] == [("inner", "dict")]
    assert "s3cr3t" not in str(driver.replies) and "s3cr3t" not in str(driver.events)
    assert replies[3]["value"]["repr"] == "'PREFIX-S3CR3T-VALUE'"  # masking is exact-case, like the platform
    assert replies[4]["value"]["error"].startswith("NameError")
    assert "no frame 9" in replies[5]["error"]
    assert driver.events[0]["watches"][0]["repr"] == "19"


def test_a_long_repr_is_capped(tmp_path):
    source = """
    def entry(a):
        big = "x" * 100000
        return big
    """
    driver, _ = debug(tmp_path, source, "entry", (1,), [], breakpoints=[3])
    assert len(driver.stops[0][3]["big"]) <= 300


def test_bad_breakpoints_are_refused_with_a_message():
    with pytest.raises(BreakpointError, match="condition"):
        parse_breakpoints([{"line": 3, "condition": "x ==="}])
    with pytest.raises(BreakpointError, match="line number"):
        parse_breakpoints([{"line": 0}])
    with pytest.raises(BreakpointError, match="hit count"):
        parse_breakpoints([{"line": 1, "hit": "sometimes"}])


def test_statement_starts_map_continuation_lines_and_only_headers_of_compound_statements():
    starts = statement_starts("x = (1,\n     2)\nif x:\n    y = 1\n")
    assert starts == {1: 1, 2: 1, 3: 3, 4: 4}


def test_continuing_without_breakpoints_runs_with_no_trace_function_at_all(tmp_path):
    source = """
    import sys

    def entry(a):
        tracer = sys.gettrace()
        return tracer is None
    """
    _, untraced = debug(tmp_path, source, "entry", (1,))
    assert untraced is True
    _, untraced = debug(tmp_path, source, "entry", (1,), breakpoints=[99])
    assert untraced is False  # a breakpoint somewhere: calls are watched (but this frame is not traced)


def test_breakpoint_in_a_thread_the_script_started_is_ignored(tmp_path):
    source = """
    import threading

    def entry(a):
        worker = threading.Thread(target=breakpoint)
        worker.start()
        worker.join()
        return a
    """
    driver, result = debug(tmp_path, source, "entry", (5,))
    assert result == 5 and driver.stops == []


def test_step_into_libraries_when_asked(tmp_path):
    source = """
    import textwrap

    def entry(a):
        text = textwrap.dedent(a)
        return text
    """
    driver, _ = debug(tmp_path, source, "entry", ("  x",), ["into", "into"], stop_on_entry=True,
                      step_into_libraries=True)
    assert driver.stops[0][1:3] == (4, "entry")
    assert driver.stops[1][2] == "dedent" and driver.events[1]["library"] is True
    driver, _ = debug(tmp_path, source, "entry", ("  x",), ["into", "into"], stop_on_entry=True)
    assert [(s[1], s[2]) for s in driver.stops] == [(4, "entry"), (5, "entry")]


def test_console_completion_over_live_names_and_attributes(tmp_path):
    source = """
    class Box:
        def __init__(self):
            self.inner = 1

    def entry(a):
        box = Box()
        return box
    """
    inline = [{"type": "complete", "req": 1, "text": "bo", "frame": 0},
              {"type": "complete", "req": 2, "text": "box.in", "frame": 0}]
    driver, _ = debug(tmp_path, source, "entry", (1,), [], inline, breakpoints=[7])
    replies = {r["req"]: r["value"] for r in driver.replies}
    assert {"box", "bool"} <= {i["name"] for i in replies[1]["items"]}
    assert [i["name"] for i in replies[2]["items"]] == ["inner"]
    assert replies[2]["items"][0]["prefix_len"] == 2  # "in" is replaced by "inner"
