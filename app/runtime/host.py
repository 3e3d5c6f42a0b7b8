"""The runner child: receive commands from the IDE, run scripts, report events.

Started as `python -m app --runner-child` (or `<frozen app> --runner-child`). The parent writes one
JSON line on stdin with the channel's address and token (never argv or the environment) and closes
stdin; the child connects, says `hello` with the token, captures its output, imports what a run
needs, says `ready` and serves commands until the parent closes the channel (docs/protocol.md).
A crash in here never reaches the IDE: the parent sees the channel close and reports `crashed`.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import select
import signal
import sys
import threading
import time
from typing import Any

from app.runtime.capture import Capture, Channel, RunOutput, log_handler
from app.runtime.processes import become_subreaper, end_children
from app.runtime.protocol import PARENT_TYPES, PROTOCOL_VERSION, Connection, ProtocolError, connect

MEMORY_LIMIT_ENV = "CUSTOMDB_CHILD_MEMORY_MB"
DEFAULT_MEMORY_MB = 4096


def _limit_memory() -> None:
    """Turn a runaway allocation into a MemoryError in the child instead of swapping the machine."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import resource

        mb = int(os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_MB))
        if mb > 0:
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = mb * 1024 * 1024
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            # the hard limit too: a script may raise its soft limit up to the hard one, never past it
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:  # the flag itself is all we get
    with os.fdopen(0, "rb", buffering=0, closefd=False) as stdin:  # sys.stdin is None in a windowed bundle
        line = b""
        while not line.endswith(b"\n"):
            chunk = stdin.read(1)
            if not chunk:
                break
            line += chunk
    try:
        handshake = json.loads(line)
        address, token = str(handshake["address"]), str(handshake["token"])
    except (ValueError, KeyError, TypeError):
        print("customdb runner child: expected the channel on stdin; this mode is started by the IDE",
              file=sys.stderr)
        return 2
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - input() in a script gets EOF, never hangs

    # Fatal errors (segfaults) are written to the original stderr, which the parent keeps.
    crash_stream = os.fdopen(os.dup(2), "w", buffering=1)
    faulthandler.enable(crash_stream)
    _limit_memory()
    become_subreaper()  # orphans of what a script starts stay ours, so they end with the run
    if hasattr(signal, "SIGINT"):  # Ctrl-C in a terminal is the parent's to handle: it ends us anyway
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    try:
        conn = Connection(connect(address), PARENT_TYPES)
    except OSError as e:
        print(f"customdb runner child: cannot reach the IDE's channel ({e})", file=sys.stderr)
        return 2
    conn.send({"type": "hello", "token": token, "protocol": PROTOCOL_VERSION, "host": "python",
               "runtime": f"python {sys.version.split()[0]}", "pid": os.getpid()})
    # The parent's end closes when it goes away, even while a script spins in a loop and never
    # reads the channel: then we go too, instead of lingering.
    threading.Thread(target=_exit_with_parent, args=(conn.fileno(),), daemon=True,
                     name="customdb-lifeline").start()
    channel = Channel(conn)
    output = RunOutput(channel)
    capture = Capture(output)

    try:
        from app.runtime.execution import ScriptRunner  # sqlalchemy + bcrypt: the expensive part

        runner = ScriptRunner(channel, output, capture, log_handler(output))
        runner.warm_up()
    except BaseException:  # noqa: BLE001 - a broken installation: tell the parent why (its crash report reads this)
        import traceback

        traceback.print_exc(file=crash_stream)
        crash_stream.flush()
        os._exit(3)
    # What the imports built lives as long as the child: out of every later collection, so a full
    # one (every couple of thousand warm runs) scans the scripts' objects only, not SQLAlchemy's
    # (about 11 ms otherwise).
    gc.freeze()
    channel.send({"type": "ready", "pid": os.getpid()})
    code = serve(conn, channel, runner)
    end_children()
    crash_stream.flush()
    os._exit(code)  # never wait for threads a script left behind


def _exit_with_parent(fd: int) -> None:
    """Exit when the channel's other end is gone (POLLHUP, without reading what is queued on it) or
    the parent process is (we were re-parented). Windows: the next read of the channel notices."""
    if not hasattr(select, "poll"):
        return
    parent = os.getppid()
    hangup = select.POLLHUP | select.POLLERR | select.POLLNVAL | getattr(select, "POLLRDHUP", 0)
    poller = select.poll()
    poller.register(fd, hangup)
    while True:
        try:
            events = poller.poll(1000)
        except InterruptedError:
            continue
        if any(mask & hangup for _, mask in events) or os.getppid() != parent:
            end_children()
            os._exit(0)


def serve(conn: Connection, channel: Channel, runner: Any) -> int:
    """Answer commands until the parent goes away or says exit."""
    while True:
        end_children()  # what the last command's script started ends with it (a command started none: ~1 us)
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return 0
        except ProtocolError as e:  # the parent never does this; nothing sensible follows it
            channel.send({"type": "error", "message": f"the child received a malformed message: {e}"})
            return 2
        command = message.get("type")
        if command == "run" and message.get("debug"):  # under the step debugger (app/runtime/debugger.py)
            from app.runtime.debugger import debug_command

            exit_code = debug_command(conn, channel, runner, message)
            if exit_code is not None:
                return exit_code
        elif command == "run":
            exit_code = runner.run(message)
            if exit_code is not None:
                return exit_code
        elif command == "batch":  # Get User for many identifiers: the migration rehearsal (app/runtime/batch.py)
            from app.runtime.batch import batch_command

            exit_code = batch_command(conn, channel, runner, message)
            if exit_code is not None:
                return exit_code
        elif command == "cancel":
            pass  # a cancel that arrived after its batch had finished
        elif command == "ping":
            channel.send({"type": "pong", "time": time.time(), "threads": threading.active_count()})
        elif command == "exit":
            return 0
        else:
            channel.send({"type": "error", "message": f"unknown command {command!r}"})


__all__ = ["main", "serve"]
