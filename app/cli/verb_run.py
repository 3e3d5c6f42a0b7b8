"""`customdb run DIR SCRIPT [--input JSON] [--database URL] [--commit] [--timeout S] [--json]`:
run one script once in its own process, with the hosted platform's rules enforced.

Exit 0 for ok / not_found / rejected, 1 for error / timeout / crashed / invalid, 2 for unusable
input (missing project, unknown script, missing script file, malformed --input, missing secret).
"""

from __future__ import annotations

import argparse
import json

from app.cli import add_script_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run one script against the legacy database (a dry run unless --commit)",
        description="Run SCRIPT of the project in DIR in an isolated child process. The database "
                    "transaction is rolled back afterwards unless --commit is given.")
    add_script_arguments(parser)
    parser.add_argument("--commit", action="store_true", help="commit the script's writes")
    parser.add_argument("--timeout", metavar="S", type=float,
                        help="time limit in seconds (default: the project's timeout_s, 20)")
    parser.add_argument("--json", action="store_true", help="print the run result as one JSON object")
    parser.set_defaults(func=run)


def parse_input(raw: str) -> dict:
    from app.cli import UsageError
    from app.engine.run_inputs import parse_input_object

    try:
        return parse_input_object(raw, "--input", ", e.g. '{\"email\": \"a@example.com\"}'")
    except ValueError as e:
        raise UsageError(str(e)) from None


def format_result(result: dict, suffix: str = ".py") -> str:
    """The human summary: outcome, result, error, logs, findings, SQL count, duration."""
    lines = [f"{result['script']}: {result['outcome']}"
             + (f"  (log event {result['log_event']})" if result.get("log_event") else "")]
    if result.get("result") is not None:
        lines.append(f"result: {json.dumps(result['result'], ensure_ascii=False)}")
    error = result.get("error")
    if error:
        code = f" [{error['code']}]" if error.get("code") else ""
        lines.append(f"error: {error['type']}{code}: {error['message']}")
        for frame in error.get("traceback") or ():
            if frame.get("file"):
                lines.append(f"  {frame['file']}:{frame['line']} in {frame['function']}"
                             + ("  (library)" if frame.get("library") else "")
                             + ("  (anonymous function: traces cannot name it)" if frame.get("anonymous")
                                and not frame.get("library") else ""))
            else:
                lines.append(f"  {frame['function']}")
    if result.get("logs"):
        lines.append("logs:")
        lines.extend(f"  [{log['stream']}] {log['text']}" for log in result["logs"])
    for f in result.get("findings") or ():
        where = f"scripts/{f['script']}{suffix}" + (f":{f['line']}" if f.get("line") else "") if f.get("script") else ""
        lines.append(f"{where}: {f['severity']} [{f['code']}] {f['message']}")
    statements = [s for s in result.get("sql") or () if s["statement"] not in ("BEGIN", "COMMIT", "ROLLBACK")]
    duration = result.get("duration_ms")
    lines.append(f"{len(statements)} SQL statement(s), "
                 + (f"{duration:.1f} ms" if isinstance(duration, int | float) else "no duration")
                 + (", committed" if result.get("committed") else ", rolled back (dry run)"
                    if result["outcome"] not in ("crashed", "timeout", "invalid") else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.database import DatabaseUrlError
    from app.engine.runner import RunInputError, RunnerClient
    from app.engine.secrets import SecretsError

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)  # restricted mode: exit 2 naming `customdb trust DIR`
    data = parse_input(args.input)
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise UsageError("--timeout must be a number of seconds between 0 and 3600")
    client = RunnerClient(project, use_spare=False)  # one run: a spare would only cost a process
    try:
        result = client.run(args.script, data, commit=args.commit, timeout=args.timeout,
                            database=args.database)
    except (RunInputError, SecretsError) as e:
        raise UsageError(str(e)) from None
    except DatabaseUrlError as e:  # the message never repeats the URL (it may hold a password)
        raise UsageError(str(e)) from None
    finally:
        client.close()
    if args.json:
        emit_json(result.to_dict())
    else:
        print(format_result(result.to_dict(), project.language.suffix))
    return result.exit_code
