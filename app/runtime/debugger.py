"""The step debugger inside the runner child: a `bdb.Bdb` subclass with IDE-style stepping.

Speed comes from not tracing: the global trace function returns no local trace function for
library and runtime frames (unless "step into libraries" is on) and, while continuing, also for
the user's own frames whose code holds no breakpoint (Thonny's fast-tracer idea). Only the frames
that can stop get line events.

Stepping means what it means in VS Code's Python debugger, not pdb's raw events: step into stops
at the first line of the callee's body; step over on a `return` line and step out stop in the
caller, on the line of the call, right after the call returned; call/return events never stop by
themselves. An `await`/`yield` suspension is not a return: stepping over it waits for the same
coroutine to resume.

While paused the child answers inline requests (`frame_vars`, `expand`, `evaluate`, `watches`,
`complete` — the debug console's jedi completion, see `app.runtime.debug_completion`) on
the same channel and resumes on `continue | step_over | step_into | step_out | run_to_cursor |
stop`. Each resume command may carry the full breakpoint set and the watch expressions, so the
child keeps no state the parent has to remember to resend. Every repr that leaves is capped and
has the project's secret values masked.
"""

from __future__ import annotations

import ast
import bdb
import contextlib
import dis
import functools
import os
import re
import reprlib
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

from app.runtime.answer import Callback, safe_str
from app.runtime.api import INJECTED_NAMES
from app.runtime.masking import Masker

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
REPR_CAP = 300  # characters of one value's repr
CHILDREN_CAP = 200  # children listed when an object is expanded
RESUME_COMMANDS = frozenset({"continue", "step_over", "step_into", "step_out", "run_to_cursor", "stop"})
INLINE_COMMANDS = frozenset({"frame_vars", "expand", "evaluate", "watches", "complete"})
REASONS = ("breakpoint", "step", "exception")
_YIELD = dis.opmap["YIELD_VALUE"]
_HIT = re.compile(r"^\s*(==|>=|>|%)?\s*(\d+)\s*$")
_HIDDEN_MODULE_NAMES = frozenset(INJECTED_NAMES) | {"__builtins__"}


_paused_total = 0.0  # seconds this process spent paused at a stop (the run's duration leaves it out)


def _add_paused(seconds: float) -> None:
    global _paused_total
    _paused_total += seconds


def paused_seconds() -> float:
    """Seconds spent paused in the debugger so far in this process: a run subtracts what passed
    during it, so its duration is the script's time, not the time the user looked at a stop."""
    return _paused_total


class DebugStopped(BaseException):
    """The user stopped the session: unwinds the script (`except Exception` cannot swallow it)."""


class BreakpointError(ValueError):
    """A breakpoint the debugger cannot use (bad line, condition syntax or hit count)."""


@dataclass
class Breakpoint:
    """One line breakpoint; `hit` is "N" / "==N" (the N-th hit), ">=N", ">N" or "%N" (every N-th)."""

    line: int
    condition: str | None = None
    hit: str | None = None
    hits: int = 0
    _compiled: Any = None

    def __post_init__(self) -> None:
        if self.condition:
            try:
                self._compiled = compile(self.condition, "<breakpoint condition>", "eval")
            except SyntaxError as e:
                raise BreakpointError(f"line {self.line}: the condition {self.condition!r} is not an "
                                      f"expression ({e.msg})") from None
        if self.hit is not None and not _HIT.match(str(self.hit)):
            raise BreakpointError(f"line {self.line}: hit count {self.hit!r} must be N, >=N, >N or %N")

    def hit_matches(self) -> bool:
        if self.hit is None:
            return True
        op, n = _HIT.match(str(self.hit)).groups()
        count = int(n)
        if op in (None, "=="):
            return self.hits == count
        if op == ">=":
            return self.hits >= count
        if op == ">":
            return self.hits > count
        return count > 0 and self.hits % count == 0


def parse_breakpoints(items: Iterable[Any]) -> dict[int, Breakpoint]:
    """The wire form ([{"line", "condition"?, "hit"?}] or plain line numbers) as {line: Breakpoint}."""
    out: dict[int, Breakpoint] = {}
    for item in items or ():
        spec = {"line": item} if isinstance(item, int) else item
        if not isinstance(spec, Mapping):
            raise BreakpointError(f"a breakpoint must be an object with a line, not {item!r}")
        line = spec.get("line")
        if not isinstance(line, int) or isinstance(line, bool) or line < 1:
            raise BreakpointError(f"a breakpoint needs a line number >= 1, not {line!r}")
        condition = spec.get("condition") or None
        hit = spec.get("hit")
        out[line] = Breakpoint(line, str(condition) if condition else None,
                               None if hit in (None, "") else str(hit))
    return out


@functools.lru_cache(maxsize=16)
def statement_starts(source: str) -> dict[int, int]:
    """line -> first line of the innermost statement on it, so a statement spread over several
    lines is one step (CPython reports a line event each time execution moves between its lines).
    Cached: the same script is debugged again and again (callers must not change the dict)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    starts: dict[int, int] = {}
    for node in ast.walk(tree):  # outer statements first: inner ones overwrite their lines
        if isinstance(node, ast.stmt):
            end = node.end_lineno or node.lineno
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.If | ast.For
                          | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.Try) and node.body:
                end = max(node.lineno, node.body[0].lineno - 1)  # only the header belongs to it
            for line in range(node.lineno, end + 1):
                starts[line] = node.lineno
    return starts


class _Repr(reprlib.Repr):
    """reprlib with every string masked before it is shortened (a cut secret is still a secret)."""

    def __init__(self, masker: Masker):
        super().__init__()
        self.masker = masker
        self.maxstring = self.maxother = REPR_CAP
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = 30
        self.maxlevel = 4

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(self.masker.text(x), level)

    def repr_instance(self, x: Any, level: int) -> str:  # reprlib's signature
        try:
            s = self.masker.text(repr(x))
        except Exception as e:  # noqa: BLE001 - a broken __repr__ must not break the debugger
            return f"<{type(x).__name__} object (repr failed: {type(e).__name__})>"
        return s if len(s) <= self.maxother else s[: self.maxother - 1] + "…"


class Debugger(bdb.Bdb):
    """One debug run of one script. `send(event)` and `recv() -> command` are the channel."""

    def __init__(self, script_file: str, entry_name: str, send: Callable[[dict[str, Any]], None],
                 recv: Callable[[], dict[str, Any]], *, masker: Masker | None = None,
                 breakpoints: Iterable[Any] = (), stop_on_entry: bool = False,
                 step_into_libraries: bool = False, break_on_uncaught: bool = True,
                 break_on_callback_error: bool = False, watches: Iterable[str] = (), run_id: Any = None,
                 source: str | None = None):
        super().__init__()
        self.script_file = script_file
        self.entry_name = entry_name
        self.send = send
        self.recv = recv
        self.masker = masker or Masker(())
        self._starts = statement_starts(source) if source else {}
        self._last: dict[FrameType, tuple[int, int]] = {}  # frame -> (statement start, line) of its last event
        self.bps = self._on_statements(parse_breakpoints(breakpoints))  # bdb's `breaks` is keyed by file
        self.step_into_libraries = step_into_libraries
        self.break_on_uncaught = break_on_uncaught
        self.break_on_callback_error = break_on_callback_error
        self.watches = [str(w) for w in watches]
        self.run_id = run_id
        self.mode = "entry" if stop_on_entry else "continue"
        self.target: FrameType | None = None  # the frame a step over / step out is about
        self.cursor: int | None = None
        self.parent_gone = False
        self.stops = 0
        self._decisions: dict[CodeType, Any] = {}
        self._lines: dict[CodeType, frozenset[int]] = {}
        self._frames: list[FrameType] = []
        self._objects: dict[int, Any] = {}
        self._next_id = 1
        self._repr = _Repr(self.masker)
        self._in_tracer = False
        self._paused = False
        self._condition_error: str | None = None
        self._thread = threading.get_ident()  # only the thread that runs the entry is debugged

    def _on_statements(self, bps: dict[int, Breakpoint]) -> dict[int, Breakpoint]:
        """A breakpoint on a continuation line belongs to its statement's first line."""
        out: dict[int, Breakpoint] = {}
        for line, bp in bps.items():
            out.setdefault(self._starts.get(line, line), bp)
        return out

    # -- which frames are traced -------------------------------------------------------------------
    def _code_lines(self, code: CodeType) -> frozenset[int]:
        lines = self._lines.get(code)
        if lines is None:
            lines = self._lines[code] = frozenset(ln for _, _, ln in code.co_lines() if ln is not None)
        return lines

    def _is_user(self, code: CodeType) -> bool:
        return code.co_filename == self.script_file

    def _is_runtime(self, filename: str) -> bool:
        return filename.startswith(RUNTIME_DIR + os.sep)

    def _decide(self, code: CodeType) -> Any:
        """The local trace function for frames of `code` in the current mode, or None (not traced)."""
        if self.mode == "quit":
            return None
        if not self._is_user(code):
            if (self.step_into_libraries and self.mode == "step_into"
                    and not self._is_runtime(code.co_filename) and not code.co_filename.startswith("<")):
                return self.trace_dispatch
            return None
        if self.mode == "step_into":
            return self.trace_dispatch
        lines = self._code_lines(code)
        if self.mode == "entry" and code.co_qualname == self.entry_name:
            return self.trace_dispatch
        if self.mode == "cursor" and self.cursor in lines:
            return self.trace_dispatch
        if not self.bps or lines.isdisjoint(self.bps):
            return None  # the fast path: a user frame that cannot stop runs untraced
        return self.trace_dispatch

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        """sys.settrace's function: called for 'call' events only; decides per code object."""
        code = frame.f_code
        if code.co_filename != self.script_file and not self.step_into_libraries:
            return None
        decision = self._decisions.get(code, _UNSET)
        if decision is _UNSET:
            decision = self._decisions[code] = self._decide(code)
        if decision is None and frame is self.target:
            return self.trace_dispatch  # a stepped coroutine resuming after an await
        return decision

    # -- bdb's dispatch, with IDE semantics ---------------------------------------------------------
    def trace_dispatch(self, frame: FrameType, event: str, arg: Any) -> Any:
        if self.mode == "quit":
            return None
        if event == "line":
            return self.dispatch_line(frame)
        if event == "return":
            return self.dispatch_return(frame, arg)
        return self.trace_dispatch  # 'call' and 'exception' never stop by themselves

    def dispatch_line(self, frame: FrameType) -> Any:
        if self._starts and self._is_user(frame.f_code):
            line = frame.f_lineno
            start = self._starts.get(line, line)
            last = self._last.get(frame)
            self._last[frame] = (start, line)
            if last is not None and last[0] == start and last[1] != line:
                return self.trace_dispatch  # still the same statement, on another of its lines
        self._in_tracer = True
        try:
            if self.break_here(frame):
                self._pause(frame, "breakpoint")
            elif self.stop_here(frame):
                self._pause(frame, "step")
        finally:
            self._in_tracer = False
        return self.trace_dispatch if self.mode != "quit" else None

    def dispatch_return(self, frame: FrameType, arg: Any) -> Any:
        self._last.pop(frame, None)
        if frame is not self.target or self.mode not in ("step_over", "step_out", "step_into"):
            return self.trace_dispatch
        code = frame.f_code
        if frame.f_lasti >= 0 and code.co_code[frame.f_lasti] == _YIELD:
            return self.trace_dispatch  # suspended at await/yield: keep waiting for this frame
        caller = frame.f_back
        while caller is not None and not self._is_user(caller.f_code) and not self._is_runtime(
                caller.f_code.co_filename):
            caller = caller.f_back  # a user function called from a library: its user caller
        if caller is not None and self._is_user(caller.f_code):
            self._in_tracer = True
            try:
                self._pause(caller, "step")
            finally:
                self._in_tracer = False
        else:
            self._set_mode("step_into", None)  # returned into the runtime: stop at any later user line
        return None

    def stop_here(self, frame: FrameType) -> bool:
        mode = self.mode
        if mode == "step_into":
            return True
        if mode == "step_over":
            return frame is self.target
        if mode == "entry":
            return frame.f_code.co_qualname == self.entry_name and self._is_user(frame.f_code)
        if mode == "cursor":
            return frame.f_lineno == self.cursor and self._is_user(frame.f_code)
        return False

    def break_here(self, frame: FrameType) -> bool:
        if not self._is_user(frame.f_code):
            return False
        bp = self.bps.get(frame.f_lineno)
        if bp is None:
            return False
        if bp._compiled is not None:
            try:
                if not eval(bp._compiled, frame.f_globals, frame.f_locals):  # noqa: S307 - the user's own condition
                    return False
            except Exception as e:  # noqa: BLE001 - a failing condition stops, and says why
                self._condition_error = f"{type(e).__name__}: {self.masker.text(safe_str(e))}"
                bp.hits += 1
                return True
        bp.hits += 1
        return bp.hit_matches()

    # -- running -----------------------------------------------------------------------------------
    def runcall(self, func: Callable[..., Any], /, *args: Any, **kwds: Any) -> Any:
        """Call `func` with the debugger active; an uncaught exception is shown where it was raised."""
        previous_trace, previous_hook = sys.gettrace(), sys.breakpointhook
        sys.breakpointhook = self._breakpoint_hook
        if self._needs_trace():
            sys.settrace(self.global_trace)
        try:
            return func(*args, **kwds)
        except DebugStopped:
            raise
        except BaseException as e:
            if (self.break_on_uncaught and self.mode != "quit"
                    and not isinstance(e, SystemExit | MemoryError | KeyboardInterrupt)):
                self._post_mortem(e)
            raise
        finally:
            sys.settrace(previous_trace)
            sys.breakpointhook = previous_hook
            self._frames, self._objects, self._last = [], {}, {}

    def _needs_trace(self) -> bool:
        """Continuing without breakpoints needs no trace function at all: breakpoint(), callback
        errors and uncaught exceptions stop without one, so such a run goes at full speed."""
        return self.mode != "quit" and (self.mode != "continue" or bool(self.bps))

    def _breakpoint_hook(self, *args: Any, **kwargs: Any) -> None:  # breakpoint(*a, **kw)
        """`breakpoint()` in the script: stop right there."""
        frame = sys._getframe(1)
        if self.mode != "quit" and not self._paused and threading.get_ident() == self._thread:
            self._pause_outside_tracer(frame, "breakpoint")

    def callback_error(self, frame: FrameType | None) -> None:
        """The script passed an error to callback: stop at the call when that option is on."""
        if (self.break_on_callback_error and frame is not None and self.mode != "quit" and not self._paused
                and threading.get_ident() == self._thread):
            self._pause_outside_tracer(frame, "exception")

    def _post_mortem(self, exc: BaseException) -> None:
        tb, last = exc.__traceback__, None
        while tb is not None:
            if self._is_user(tb.tb_frame.f_code):
                last = tb
            tb = tb.tb_next
        if last is None:
            return
        self._pause_outside_tracer(last.tb_frame, "exception", line=last.tb_lineno, exception=exc,
                                   post_mortem=True)

    def _pause_outside_tracer(self, frame: FrameType, reason: str, **extra: Any) -> None:
        """A stop from ordinary code (not a trace event): no tracing while the user evaluates things."""
        sys.settrace(None)
        try:
            self._pause(frame, reason, **extra)
        finally:
            if self.mode != "quit" and not extra.get("post_mortem") and self._needs_trace():
                sys.settrace(self.global_trace)
        if self.mode == "quit":
            raise DebugStopped("stopped by the user")

    # -- paused ------------------------------------------------------------------------------------
    def _stack(self, frame: FrameType) -> list[FrameType]:
        """Frames from `frame` outwards, up to the runtime that called the entry."""
        out = []
        while frame is not None and not self._is_runtime(frame.f_code.co_filename):
            out.append(frame)
            frame = frame.f_back
        return out

    def _describe(self, frame: FrameType, index: int, line: int | None = None) -> dict[str, Any]:
        code = frame.f_code
        return {"index": index, "function": code.co_name, "file": code.co_filename,
                "line": line if line is not None else frame.f_lineno, "library": not self._is_user(code)}

    def _pause(self, frame: FrameType, reason: str, *, line: int | None = None,
               exception: BaseException | None = None, post_mortem: bool = False) -> None:
        self.stops += 1
        self._objects.clear()
        self._frames = self._stack(frame) or [frame]
        if not post_mortem:
            for f in self._frames:  # stepping from here needs line events in every user frame
                if self._is_user(f.f_code):
                    f.f_trace = self.trace_dispatch
        stack = [self._describe(f, i, line if i == 0 else None) for i, f in enumerate(self._frames)]
        event: dict[str, Any] = {"type": "paused", "run": self.run_id, "reason": reason, **stack[0],
                                 "stack": stack, "variables": self.frame_vars(0),
                                 "watches": self._watches(self.watches, 0)}
        if self._condition_error:
            event["condition_error"], self._condition_error = self._condition_error, None
        if exception is not None:
            event["exception"] = {"type": type(exception).__name__,
                                  "message": self.masker.text(safe_str(exception))[:REPR_CAP * 4]}
        self.send(event)
        self._paused = True
        since = time.perf_counter()
        try:
            self._serve(post_mortem)
        finally:
            self._paused = False
            _add_paused(time.perf_counter() - since)

    def _serve(self, post_mortem: bool) -> None:
        """Answer inline requests until a resume command arrives (no other loop runs meanwhile)."""
        while True:
            try:
                command = self.recv()
            except (EOFError, OSError):
                self.parent_gone = True  # nobody is left to resume us: end the script
                self._set_mode("quit", None)
                raise DebugStopped("the IDE went away") from None
            name = command.get("type")
            if name in INLINE_COMMANDS:
                self.send(self._inline(command))
            elif name in RESUME_COMMANDS:
                self._resume(command, self._frames[0], post_mortem)
                if self.mode == "quit" and self._in_tracer:
                    raise DebugStopped("stopped by the user")
                return
            else:
                self.send({"type": "reply", "run": self.run_id, "req": command.get("req"),
                           "error": f"not available while paused: {name!r}"})

    def _resume(self, command: dict[str, Any], frame: FrameType, post_mortem: bool) -> None:
        if "breakpoints" in command:
            with contextlib.suppress(BreakpointError):  # the parent validates; a bad set keeps the old one
                self.bps = self._on_statements(parse_breakpoints(command["breakpoints"]))
        if "watches" in command:
            self.watches = [str(w) for w in command.get("watches") or ()]
        name = command["type"]
        if name == "stop":
            self._set_mode("quit", None)
            sys.settrace(None)
            for f in self._frames:
                f.f_trace = None
            return
        if post_mortem:
            name = "continue"  # the frames already unwound: nothing left to step through
        if name == "step_over":
            self._set_mode("step_over", frame)
        elif name == "step_into":
            self._set_mode("step_into", frame)
        elif name == "step_out":
            self._set_mode("step_out", frame)
        elif name == "run_to_cursor" and isinstance(command.get("line"), int):
            self.cursor = command["line"]
            self._set_mode("cursor", None)
        else:
            self._set_mode("continue", None)
        if self.mode in ("continue", "cursor"):
            for f in self._frames:  # the fast path again for frames that cannot stop
                if f.f_trace is not None and self._decide(f.f_code) is None:
                    f.f_trace = None
        if self._in_tracer:
            sys.settrace(self.global_trace if self._needs_trace() else None)

    def _set_mode(self, mode: str, target: FrameType | None) -> None:
        self.mode, self.target = mode, target
        self._decisions.clear()

    # -- inline requests ---------------------------------------------------------------------------
    def _inline(self, command: dict[str, Any]) -> dict[str, Any]:
        name = command["type"]
        reply: dict[str, Any] = {"type": "reply", "run": self.run_id, "req": command.get("req")}
        index = command.get("frame", 0)
        if name != "expand" and (not isinstance(index, int) or not 0 <= index < len(self._frames)):
            reply["error"] = f"no frame {index!r} (the stack has {len(self._frames)})"
            return reply
        if name == "frame_vars":
            reply["value"] = self.frame_vars(index)
        elif name == "expand":
            reply["value"] = self.expand(command.get("id"))
        elif name == "evaluate":
            reply["value"] = self.evaluate(str(command.get("expr", "")), index)
        elif name == "complete":
            timeout = command.get("timeout")
            reply["value"] = self.complete(str(command.get("text", "")), index,
                                           float(timeout) if isinstance(timeout, int | float) else None)
        else:
            reply["value"] = self._watches([str(w) for w in command.get("exprs") or ()], index)
        return reply

    def describe_value(self, name: str, value: Any) -> dict[str, Any]:
        """{name, type, repr, id}: `id` is set when the value can be expanded."""
        item = {"name": self.masker.text(str(name)), "type": type(value).__name__, "repr": self.safe_repr(value),
                "id": None}
        if _expandable(value):
            item["id"] = self._next_id
            self._objects[self._next_id] = value
            self._next_id += 1
        return item

    def safe_repr(self, value: Any) -> str:
        try:
            text = self._repr.repr(value)
        except Exception as e:  # noqa: BLE001 - a broken __repr__ must not break the debugger
            text = f"<{type(value).__name__} object (repr failed: {type(e).__name__})>"
        text = self.masker.text(text)
        return text if len(text) <= REPR_CAP else text[: REPR_CAP - 1] + "…"

    def frame_vars(self, index: int) -> list[dict[str, Any]]:
        frame = self._frames[index]
        names = frame.f_locals
        module_level = frame.f_code.co_name == "<module>"
        return [self.describe_value(k, v) for k, v in list(names.items())
                if not (module_level and (k in _HIDDEN_MODULE_NAMES or k.startswith("__")))]

    def expand(self, object_id: Any) -> list[dict[str, Any]]:
        if object_id not in self._objects:
            return []
        return [self.describe_value(k, v) for k, v in _children(self._objects[object_id])]

    def evaluate(self, expr: str, index: int) -> dict[str, Any]:
        """The value of `expr` in frame `index` (statements are executed and give None)."""
        frame = self._frames[index]
        try:
            try:
                code = compile(expr, "<debug console>", "eval")
            except SyntaxError:
                code = compile(expr, "<debug console>", "exec")
            value = eval(code, frame.f_globals, frame.f_locals)  # noqa: S307 - the user's own expression
        except Exception as e:  # noqa: BLE001 - reported to the user, the session goes on
            return {"expr": expr, "error": f"{type(e).__name__}: {self.masker.text(str(e))}"}
        return {"expr": expr, **self.describe_value(expr, value)}

    def complete(self, text: str, index: int, timeout: float | None = None) -> dict[str, Any]:
        """Completions of `text` (the console input up to the cursor) over the live names of frame
        `index`: jedi, bounded in time, with rlcompleter as the fallback (`app.runtime.debug_completion`)."""
        from app.runtime import debug_completion

        frame = self._frames[index]
        return debug_completion.complete(text, frame.f_globals, frame.f_locals, self.masker,
                                         debug_completion.TIMEOUT_S if timeout is None else timeout)

    def _watches(self, exprs: list[str], index: int) -> list[dict[str, Any]]:
        return [self.evaluate(e, index) for e in exprs] if self._frames else []


_UNSET = object()


def _expandable(value: Any) -> bool:
    if isinstance(value, str | bytes | bytearray | int | float | complex | bool) or value is None:
        return False
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value) > 0
    return bool(getattr(value, "_mapping", None) or getattr(value, "__dict__", None))


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        items = [(repr(k), v) for k, v in list(value.items())[:CHILDREN_CAP]]
    elif isinstance(value, list | tuple) and not hasattr(value, "_mapping"):
        items = [(f"[{i}]", v) for i, v in enumerate(value[:CHILDREN_CAP])]
    elif isinstance(value, set | frozenset):
        items = [(f"[{i}]", v) for i, v in enumerate(list(value)[:CHILDREN_CAP])]
    elif getattr(value, "_mapping", None) is not None:  # a SQLAlchemy Row: its columns by name
        items = [(str(k), v) for k, v in list(value._mapping.items())[:CHILDREN_CAP]]
    else:
        items = [(k, v) for k, v in list(vars(value).items())[:CHILDREN_CAP]]
    return items


class DebugCallback(Callback):
    """The script's `callback` during a debug run: can stop when an error is passed to it."""

    debugger: Debugger | None = None

    def __repr__(self) -> str:
        return "<callback>"

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        debugger = self.debugger
        if debugger is not None and args and args[0] is not None:
            frame = sys._getframe(1)
            while frame is not None and not debugger._is_user(frame.f_code):
                frame = frame.f_back
            debugger.callback_error(frame)
        return super().__call__(*args, **kwargs)


def debug_command(conn: Any, channel: Any, runner: Any, command: dict[str, Any]) -> int | None:
    """Serve one `run` command with `debug` settings in the child: the same run as any other, with
    the entry under the debugger. Returns an exit code when the child must end (the parent went
    away while paused)."""
    state: dict[str, Debugger] = {}
    settings = command.get("debug") or {}

    def recv() -> dict[str, Any]:
        try:
            return conn.recv()
        except ValueError:  # ProtocolError: a broken channel ends the debug run like a closed one
            raise EOFError("the channel broke") from None

    def traced_call(call: Callable[..., Any], *args: Any) -> Any:
        """The runner's call with the debugger around it; its arguments are found by type, not
        position, so the runner's own signature may change without breaking this hook."""
        from app.domain.entry import Entry

        entry = next(v for v in args if isinstance(v, Entry))
        callback = next((v for v in args if isinstance(v, Callback)), None)
        debugger = state["debugger"] = Debugger(
            command["filename"], entry.name, channel.send, recv,
            masker=Masker(s for s in command.get("secrets") or () if isinstance(s, str)),
            breakpoints=settings.get("breakpoints") or (), stop_on_entry=bool(settings.get("stop_on_entry")),
            step_into_libraries=bool(settings.get("step_into_libraries")),
            break_on_uncaught=settings.get("break_on_uncaught", True) is not False,
            break_on_callback_error=bool(settings.get("break_on_callback_error")),
            watches=settings.get("watches") or (), run_id=command.get("run"), source=command.get("source"))
        if callback is not None and type(callback) is Callback:
            callback.__class__ = DebugCallback  # same layout; adds the stop on errors passed to it
            callback.debugger = debugger
        return debugger.runcall(call, *args)

    try:
        return runner.run(command, wrap=traced_call)
    except (EOFError, OSError):
        if state.get("debugger") is not None and state["debugger"].parent_gone:
            return 0
        raise
