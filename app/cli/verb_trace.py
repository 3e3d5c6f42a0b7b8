"""`customdb trace FILE|- [--project DIR] [--script KEY] [--json]`: find the stack traces in a
file or stdin, mark anonymous frames, and suggest the recommended names of the scripts' entries."""

from __future__ import annotations

import argparse
import mmap
import os
import sys

from app.cli import EXIT_FAIL, EXIT_OK, UsageError, emit_json, load_project_or_fail

MAX_INPUT_BYTES = 256 * 1024 * 1024  # endless input (`yes |`, /dev/zero) stops here, and the output says so


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "trace", help="analyse Python / JavaScript stack traces (a file, a log, a JSON export, or - for stdin)",
        description="Find every stack trace in FILE (or stdin with -), list its frames outermost first "
                    "with anonymous functions marked, and suggest recommended names for the scripts' "
                    "entry functions; explain the hosted platform's one-line errors and tenant log "
                    "events. Exit 1 when neither a trace nor a hosted message is found.")
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--project", metavar="DIR", help="map frames to this project's scripts and show their current lines")
    p.add_argument("--script", metavar="KEY", help="every non-library frame belongs to this script (e.g. login)")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.set_defaults(func=run)


def read_input(path: str) -> str:
    """The input as text (at most MAX_INPUT_BYTES of it); anything unreadable is a UsageError."""
    return read_bounded(path)[0]


def read_bounded(path: str) -> tuple[str, bool]:
    """(the input as text, whether it was cut at MAX_INPUT_BYTES); anything unreadable is a
    UsageError (exit 2). At most MAX_INPUT_BYTES are read, from a file, a device or a pipe alike;
    a cut input ends at its last full line.

    A regular file is memory-mapped and decoded in place: a 10 MB log then costs no extra copy
    (and no fresh pages to fault in), which is a sixth of the whole analysis otherwise.
    """
    cap = MAX_INPUT_BYTES
    if path == "-":
        return _bounded(sys.stdin.buffer.read(cap + 1), cap, "stdin")
    if os.path.isdir(path):  # Windows reports a directory as "permission denied"
        raise UsageError(f"{path}: is a directory, not a file")
    try:
        with open(path, "rb") as f:
            try:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):  # empty files, pipes and devices cannot be mapped
                return _bounded(f.read(cap + 1), cap, path)
            with mapped:
                if len(mapped) > cap:
                    return _bounded(mapped[:cap + 1], cap, path)
                return _decode(mapped, path), False
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror or e})") from None


def _bounded(data: bytes, cap: int, name: str) -> tuple[str, bool]:
    if len(data) <= cap:
        return _decode(data, name), False
    end = data.rfind(b"\n", 0, cap)
    return _decode(data[:end + 1 if end > 0 else cap], name), True


def _decode(data: bytes | mmap.mmap, name: str) -> str:
    try:
        return str(data, "utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # PowerShell redirects write UTF-16
        try:
            return str(data, "utf-16")
        except UnicodeDecodeError:
            pass
    raise UsageError(f"{name}: not UTF-8 text")


def run(args: argparse.Namespace) -> int:
    from app.domain.platforms import AUTH0
    from app.domain.traces import analyze, diagnose, to_json

    project = load_project_or_fail(args.project) if args.project is not None else None
    platform = project.platform if project is not None else AUTH0
    if args.script is not None and args.script not in platform.kinds:
        raise UsageError(f"unknown script {args.script!r}; expected one of {', '.join(platform.order)}")
    sources = None
    if project is not None:
        sources = {}
        for key in project.script_keys():
            try:
                sources[key] = project.read_script(key)
            except (OSError, UnicodeDecodeError):
                continue  # an unreadable script just gets no source lines
    text, cut = read_bounded(args.file)
    if cut:
        shown = "stdin" if args.file == "-" else args.file
        print(f"customdb trace: only the first {MAX_INPUT_BYTES // (1024 * 1024)} MB of {shown} were read "
              "(the rest was not analysed)", file=sys.stderr)
    traces = analyze(text, script=args.script, sources=sources)
    diagnoses = diagnose(text)
    if args.json:
        doc = to_json(traces, diagnoses)
        if cut:
            doc["truncated_at_bytes"] = MAX_INPUT_BYTES
        for d, out in zip(diagnoses, doc["diagnoses"], strict=True):
            command = reproduce_command(d, args.project)
            if command:
                out["command"] = command
        emit_json(doc)
    else:
        if traces:
            print(format_traces(traces))
        if diagnoses:
            print(("\n" if traces else "") + format_diagnoses(diagnoses, args.project))
    if not traces and not diagnoses:
        if not args.json:
            print("customdb trace: no stack trace found", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def reproduce_command(diagnosis, project: str | None) -> str | None:
    """`customdb run DIR SCRIPT --input '{...}'`: the local dry run of what a log line reports."""
    import json
    import shlex

    if diagnosis.script is None or diagnosis.input is None:
        return None
    return (f"customdb run {shlex.quote(project) if project else 'DIR'} {diagnosis.script} "
            f"--input {shlex.quote(json.dumps(diagnosis.input))}")


def format_diagnoses(diagnoses: list, project: str | None = None) -> str:
    """One block per hosted message: where it is, its code, what it means, how to reproduce it."""
    import textwrap

    out = []
    for d in diagnoses:
        out.append(f"line {d.line}: [{d.code}]" + (f" {d.event}" if d.event else ""))
        out.extend(textwrap.wrap(d.message, 100, initial_indent="  ", subsequent_indent="  "))
        command = reproduce_command(d, project)
        if command:
            out.append(f"  reproduce: {command}")
    return "\n".join(out)


def format_traces(traces: list) -> str:
    """Human-readable listing: one block per trace, frames outermost first."""
    from app.domain.traces import FRAMES_KEPT, PYTHON

    out: list[str] = []
    for n, t in enumerate(traces, start=1):
        lang = "Python" if t.language == PYTHON else "JavaScript"
        head = f"{t.exception_type}: {t.message}" if t.exception_type and t.message else (
            t.exception_type or t.message or "(no exception line)")
        out.append(f"Trace {n} ({lang}): {head.splitlines()[0] if head else ''}")
        for i, f in enumerate(t.frames):
            if t.omitted_frames and i == FRAMES_KEPT:
                out.append(f"  ... {t.omitted_frames} more frames ...")
            where = f.file or "?"
            if f.line is not None:
                where += f":{f.line}" + (f":{f.column}" if f.column is not None else "")
            name = f.function or "<anonymous>"
            tags = [tag for tag, on in (("ANONYMOUS", f.anonymous), ("library", f.library)) if on]
            if f.script:
                tags.append(f"script {f.script}")
            out.append(f"  #{i:<3} {name}  {where}" + (f"  [{', '.join(tags)}]" if tags else ""))
            if f.source is not None:
                out.append(f"         | {f.source.strip()}")
        for s in t.suggestions:
            why = "is anonymous" if s.reason == "anonymous" else f"is named {t.frames[s.frame].base_name!r}"
            out.append(f"  suggestion: the {s.script} entry (frame #{s.frame}) {why}; "
                       f"name it {s.recommended_name!r}")
        out.append("")
    return "\n".join(out).rstrip("\n")
