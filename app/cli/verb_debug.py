"""`customdb debug DIR SCRIPT [--input JSON] [--database URL] [--break LINE | --break "LINE if COND"]...
[--steps over,into,out,continue,...] [--json]`: a debug session without a GUI.

Every stop is recorded as {reason, file, line, function, locals}. At each stop the next item of
--steps is applied; when they are used up the session continues (still stopping, and recording,
at breakpoints). With --steps and no --break the session first stops on the entry's first line.
Exit codes are those of `customdb run`.
"""

from __future__ import annotations

import argparse

from app.cli import add_script_arguments

STEPS = {"over": "step_over", "into": "step_into", "out": "step_out", "continue": "continue", "stop": "stop"}
MAX_STOPS = 10_000  # a breakpoint inside a long loop must not record forever


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "debug", help="run one script under the step debugger and record every stop",
        description="Run SCRIPT of the project in DIR under the debugger (a dry run). Each stop at a "
                    "breakpoint, step or uncaught exception is recorded with the current function's locals.")
    add_script_arguments(parser)
    parser.add_argument("--break", dest="breaks", metavar="LINE", action="append", default=[],
                        help='a breakpoint: LINE or "LINE if CONDITION" (repeatable)')
    parser.add_argument("--steps", metavar="LIST", default=None,
                        help="what to do at each stop, in order: over, into, out, continue, stop "
                             "(comma-separated); afterwards the session continues")
    parser.add_argument("--timeout", metavar="S", type=float,
                        help="time limit in seconds of running time (paused time does not count)")
    parser.add_argument("--json", action="store_true", help='print {"stops": [...], "run": <run result>}')
    parser.set_defaults(func=run)


def parse_steps(raw: str | None) -> list[str]:
    from app.cli import UsageError

    if raw is None:
        return []
    items = [s.strip().lower() for s in raw.split(",") if s.strip()]
    unknown = [s for s in items if s not in STEPS]
    if unknown:
        raise UsageError(f"--steps: unknown step {unknown[0]!r}; use over, into, out, continue or stop")
    return [STEPS[s] for s in items]


def format_stop(number: int, stop: dict) -> str:
    names = ", ".join(f"{k}={v}" for k, v in stop["locals"].items())
    return f"stop {number}: {stop['reason']} at line {stop['line']} in {stop['function']}" + (
        f"\n  {names}" if names else "")


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.cli.verb_run import format_result, parse_input
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.database import DatabaseUrlError
    from app.engine.debug_session import Finished, breakpoint_spec
    from app.engine.js_debug_session import debug_session_for, js_breakpoint_spec
    from app.engine.node import project_language
    from app.engine.runner import RunInputError, RunnerClient
    from app.engine.secrets import SecretsError
    from app.runtime.debugger import BreakpointError

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)  # restricted mode: exit 2 naming `customdb trust DIR`
    data = parse_input(args.input)
    steps = parse_steps(args.steps)
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise UsageError("--timeout must be a number of seconds between 0 and 3600")
    try:
        spec = js_breakpoint_spec if project_language(project) == "javascript" else breakpoint_spec
        breakpoints = [spec(b) for b in args.breaks]
    except BreakpointError as e:
        raise UsageError(f"--break: {e}") from None
    client = RunnerClient(project, use_spare=False)
    session = debug_session_for(client)  # Python's or JavaScript's debugger
    stops: list[dict] = []
    try:
        try:
            session.start(args.script, data, breakpoints, stop_on_entry=bool(steps) and not breakpoints,
                          timeout=args.timeout, database=args.database)
        except (RunInputError, SecretsError, DatabaseUrlError, BreakpointError) as e:
            raise UsageError(str(e)) from None  # DatabaseUrlError never repeats the URL
        while True:
            outcome = session.wait_stop()
            if isinstance(outcome, Finished):
                result = outcome.result
                break
            stops.append(outcome.to_dict())
            if not args.json:
                print(format_stop(len(stops), stops[-1]), flush=True)
            action = steps.pop(0) if steps else "continue"
            if len(stops) >= MAX_STOPS:
                action = "stop"
            if action == "stop":
                session.stop()
            else:
                getattr(session, "continue_" if action == "continue" else action)()
    finally:
        session.close()
        client.close()
    if args.json:
        emit_json({"stops": stops, "run": result.to_dict()})
    else:
        print(format_result(result.to_dict(), project.language.suffix))
    return result.exit_code


__all__ = ["register", "run", "parse_steps", "STEPS"]
