"""`customdb simulate DIR FLOW [--input JSON] [--json]` and `customdb simulate DIR --reset`:
walk one flow of the project's mode the way the platform would (which script runs when, the
managed store in migration mode), against a simulation copy of the legacy data.

Exit 0 when the flow succeeded, 1 when it failed (refused login, signup of an existing user,
failing script, ...), 2 for unusable input (missing project, unknown flow, malformed --input,
a flow input that is missing, a script file the flow needs that does not exist).
"""

from __future__ import annotations

import argparse
import json

FLOW_HELP = ("login, signup, reset-password, verify, delete or change-email; migration mode: not verify, and "
             "also identifier-first and management-lookup (Get User only, nobody created)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate", help="simulate a platform flow (login, signup, ...) against a copy of the legacy data",
        description="Run FLOW of the project in DIR the way the identity platform would, in the project's "
                    "mode. Scripts write to a simulation copy of the legacy database (.customdb/simulation), "
                    "never to the real one; the managed store and the copy persist until --reset.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("flow", metavar="FLOW", nargs="?", help=FLOW_HELP)
    parser.add_argument("--input", metavar="JSON", default="{}",
                        help='the flow input: keys email, password, new_password, new_email, user, e.g. '
                             '\'{"email": "a@b.c", "password": "x"}\'')
    parser.add_argument("--reset", action="store_true",
                        help="forget the managed store and restore the simulation copy from the legacy database")
    parser.add_argument("--json", action="store_true", help="print the flow result as one JSON object")
    parser.set_defaults(func=run)


def format_result(result: dict, suffix: str = ".py") -> str:
    """The human summary: one line per step, then the log event, findings and the managed user."""
    lines = [f"{result['flow']} ({result['mode']} mode): {result['outcome']}"
             + (f"  (log event {result['log_event']})" if result.get("log_event") else "")]
    for i, step in enumerate(result["steps"], 1):
        who = f"script {step['script']}" if step["actor"] == "script" else step["actor"]
        duration = step.get("duration_ms")
        took = f"  {duration:.1f} ms" if step["actor"] == "script" and isinstance(duration, int | float) else ""
        lines.append(f"  {i}. {who}: {step['action']} -> {step['outcome']}{took}")
        if step.get("input"):
            lines.append(f"     input {json.dumps(step['input'], ensure_ascii=False)}")
        if step.get("error"):
            lines.append(f"     error {step['error']['type']}: {step['error']['message']}")
    for f in result.get("findings") or ():
        where = f"scripts/{f['script']}{suffix}" + (f":{f['line']}" if f.get("line") else "") if f.get("script") else ""
        lines.append(f"{where}: {f['severity']} [{f['code']}] {f['message']}")
    user = result.get("managed_user")
    if user:
        lines.append(f"managed store: {user['user_id']} <{user.get('email') or ''}>"
                     + (f", migrated {user['migrated_at']}" if user.get("migrated_at") else "")
                     + ("" if user.get("has_password") else ", no password yet"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.cli.verb_run import parse_input
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.database import DatabaseUrlError
    from app.engine.secrets import SecretsError
    from app.engine.simulator import SimulationError, Simulator

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)  # restricted mode: exit 2 naming `customdb trust DIR`
    if args.reset:
        if args.flow:
            raise UsageError("--reset takes no FLOW; run the flow in a second call")
        Simulator(project).reset()
        if args.json:
            emit_json({"reset": True})
        else:
            print("simulation reset: managed store emptied, legacy copy will be made again from the real database")
        return 0
    if not args.flow:
        raise UsageError(f"name a FLOW ({FLOW_HELP}) or give --reset")
    data = parse_input(args.input)
    simulator = Simulator(project)
    try:
        result = simulator.run(args.flow, data)
    except (SimulationError, SecretsError, DatabaseUrlError) as e:
        raise UsageError(str(e)) from None
    finally:
        simulator.close()
    if args.json:
        emit_json(result.to_dict())
    else:
        print(format_result(result.to_dict(), project.language.suffix))
    return result.exit_code

