"""Migration rehearsal: run Get User for every legacy user before the migration happens, and report
every user the platform could not migrate cleanly.

Blocking API for a worker thread (the CLI calls it directly, the IDE from a QThread):
`Rehearsal(project).run()` returns a `RehearsalReport`; `cancel()` may be called from any other
thread; `on_progress(done, total, rate_per_s, eta_s)` is called from the running thread.

The work is split over worker processes (one per core by default, `workers=`), each a runner child
serving one `batch` command (app/runtime/batch.py) with its own dry-run connection: it calls Get
User twice per identifier inside a transaction that is always rolled back and streams compact
verdicts. This process runs the identifier query (`[rehearsal] query` in customdb.toml, default
`SELECT email FROM users`) once, streams its rows and deals them out a chunk at a time, a few chunks
in flight per worker, so memory stays flat for any number of users. Every row has its user's
position in the query, so the report comes out in the query's order whatever the number of
workers. Uniqueness across users (duplicate user_id, duplicate e-mail) is decided here, on disk
(a temporary SQLite file), for the same reason. With SQLite and more than one worker every worker
gets its own snapshot copy of the database (writes a Get User makes, always undone, would otherwise
lock the other workers out).

In migration mode a sample of the found users also goes through the simulator's lookups that
create nobody (a login with a wrong password, then a signup check) on a copy of the data: a user
those flows strand is the failure `stranded-user` (app/engine/simulator.py).
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import hashlib
import math
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.project import Project
from app.domain.scripts import Mode

DEFAULT_QUERY = "SELECT email FROM users"
FAILURE_CODES = ("not-found", "error", "missing-user-id", "duplicate-user-id", "duplicate-email",
                 "unstable-user-id", "secret-in-profile", "profile-mismatch", "stranded-user")
EXAMPLES_PER_CODE = 5
STRANDED_SAMPLE = 10  # found users whose lookups the simulator replays (migration mode)
# The second call (is the answer stable?) for the first RECHECK_FIRST users and every RECHECK_EVERY-th
# after them: an id that changes between calls (random, time-based) shows in the first users already,
# and the second call for everyone else would cost nearly half the rehearsal's time.
RECHECK_FIRST = 1000
RECHECK_EVERY = 10
_CODE_ORDER = {code: i for i, code in enumerate(FAILURE_CODES)}
_CHUNK = 1000
_IN_FLIGHT = 2  # chunks sent ahead to each worker: one to work on, one already waiting in its pipe
_POLL_S = 0.25

ProgressCallback = Callable[[int, int, float, float | None], None]


class RehearsalError(Exception):
    """The rehearsal could not run at all (no Get User script, bad query, child failure)."""


@dataclass
class UserFailure:
    """One user's problem (a user with two problems has two failures)."""

    identifier: Any
    code: str
    message: str
    user_id: str | None = None
    index: int = 0  # the user's position in the identifier query (the report's order)

    def to_dict(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "code": self.code, "message": self.message, "user_id": self.user_id}


@dataclass
class RehearsalReport:
    users: int = 0
    ok: int = 0
    failed: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    failures: list[UserFailure] = field(default_factory=list)
    duration_s: float = 0.0
    cancelled: bool = False
    total: int = 0  # identifiers the query returned (users < total when cancelled)
    workers: int = 1
    script: str = "saved"  # what ran: "saved" (the file) or "editor" (unsaved text from the IDE)
    fingerprint: dict[str, Any] = field(default_factory=dict)  # what the result depends on (staleness)
    stranded_checked: int = 0  # users the stranded-user sample replayed (0: not checked, see the note)
    stranded_note: str | None = None
    sample: list[tuple[int, Any]] = field(default_factory=list, repr=False)  # (index, identifier) found users

    def add_failure(self, failure: UserFailure) -> None:
        """Add one failure in the report's order (the user's index, then the code's) and count it."""
        order = _CODE_ORDER.get
        key = (failure.index, order(failure.code, len(_CODE_ORDER)))
        at = bisect.bisect_right(self.failures, key, key=lambda f: (f.index, order(f.code, len(_CODE_ORDER))))
        new_user = not any(f.index == failure.index for f in self.failures[max(at - len(FAILURE_CODES), 0):at])
        self.failures.insert(at, failure)
        self.by_code[failure.code] = self.by_code.get(failure.code, 0) + 1
        self.by_code = dict(sorted(self.by_code.items(), key=lambda kv: order(kv[0], len(_CODE_ORDER))))
        if new_user:
            self.failed += 1
            self.ok = self.users - self.failed

    @property
    def unchecked(self) -> int:
        """Users the query returned that this report says nothing about (a cancelled rehearsal)."""
        return max(self.total - self.users, 0)

    @property
    def examples(self) -> list[dict[str, Any]]:
        """Up to EXAMPLES_PER_CODE failures of each code, in the report's order."""
        seen: dict[str, int] = {}
        out = []
        for f in self.failures:
            if seen.get(f.code, 0) < EXAMPLES_PER_CODE:
                seen[f.code] = seen.get(f.code, 0) + 1
                out.append(f.to_dict())
        return out

    def to_dict(self) -> dict[str, Any]:
        """The `customdb rehearse --json` object (plus `cancelled`; `total`, `workers` and
        `stranded_sample` are additive)."""
        return {"users": self.users, "ok": self.ok, "failed": self.failed, "by_code": dict(self.by_code),
                "examples": self.examples, "duration_s": round(self.duration_s, 3), "cancelled": self.cancelled,
                "total": self.total, "workers": self.workers,
                "stranded_sample": {"users": self.stranded_checked, "stranded": self.by_code.get("stranded-user", 0),
                                    "note": self.stranded_note}}

    def summary(self) -> str:
        """One sentence that claims nothing about users the rehearsal did not reach."""
        counts = f"{self.ok:,} ok, {self.failed:,} failed"
        if self.cancelled and not self.unchecked:  # the query's total is unknown
            return (f"Cancelled after {self.users:,} users: {counts} among them. The users after them were not "
                    "checked; this says nothing about them.")
        if self.cancelled:
            return (f"Cancelled after {self.users:,} of {self.total:,} users: {counts} among them. "
                    f"The other {self.unchecked:,} users were not checked; this says nothing about them.")
        if self.failed:
            return f"{counts} of {self.users:,} users."
        return f"{counts}: every one of the {self.users:,} users would migrate cleanly."

    def stale_reason(self, now: dict[str, Any]) -> str | None:
        """Why this result no longer describes `now` (a fingerprint()), or None."""
        before = self.fingerprint
        if not before:
            return None
        if before.get("database") != now.get("database"):
            return "the project now uses another database"
        if before.get("database_file") != now.get("database_file"):
            return "the database changed since this rehearsal"
        if before.get("script") != now.get("script"):
            return "Get User changed since this rehearsal"
        return None

    def write_csv(self, path: Path | str) -> Path:
        """Every failure as CSV (identifier, code, user_id, message): for a spreadsheet or a fix-up job."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["identifier", "code", "user_id", "message"])
            for failure in self.failures:
                writer.writerow(["" if failure.identifier is None else failure.identifier, failure.code,
                                 failure.user_id or "", failure.message])
        return path


def rehearsal_query(project: Project) -> str:
    """The identifier query: `[rehearsal] query = "..."` in customdb.toml, else the default."""
    section = project.extra.get("rehearsal") if isinstance(project.extra, dict) else None
    query = section.get("query") if isinstance(section, dict) else None
    return query.strip() if isinstance(query, str) and query.strip() else DEFAULT_QUERY


def default_workers() -> int:
    """One worker process per core."""
    return max(os.cpu_count() or 1, 1)


def fingerprint(project: Project, source: str, database: str | None = None) -> dict[str, Any]:
    """What a rehearsal's result depends on: the database (its URL without secrets and, for SQLite,
    the file's size and modification time) and Get User's text. Cheap: the IDE asks every second."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database or project.resolved_database_url())
    except Exception:  # noqa: BLE001 - an unusable URL: the run itself reports it
        return {"database": database, "database_file": None,
                "script": hashlib.sha256(source.encode("utf-8")).hexdigest()}
    stamp = None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with contextlib.suppress(OSError):
            st = Path(url.database).stat()
            stamp = [st.st_size, st.st_mtime_ns]
    return {"database": url.render_as_string(hide_password=True), "database_file": stamp,
            "script": hashlib.sha256(source.encode("utf-8")).hexdigest()}


class Rehearsal:
    """One rehearsal of one project. Not reusable: make a new one for the next run."""

    def __init__(self, project: Project, *, limit: int | None = None, on_progress: ProgressCallback | None = None,
                 database: str | None = None, identifiers: list[Any] | None = None,
                 login_profiles: dict[str, Any] | None = None, chunk: int = _CHUNK, use_spare: bool = False,
                 workers: int | None = None, source: str | None = None,
                 stranded_sample: int = STRANDED_SAMPLE):
        self.project = project
        self.limit = limit
        self.on_progress = on_progress
        self.database = database
        self.identifiers = identifiers
        self.login_profiles = login_profiles
        self.chunk = max(int(chunk), 1)
        self.use_spare = use_spare  # the IDE keeps a ready spare child: start at once instead of cold
        self.workers = workers
        self.source = source  # the editor's unsaved text; None: the saved file
        self.stranded_sample = stranded_sample
        self._cancel = threading.Event()
        self._children: list[Any] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Stop after the chunks in flight (from any thread); the report keeps what was checked."""
        self._cancel.set()

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> RehearsalReport:
        """Run the whole rehearsal (blocking). Raises RehearsalError, RunInputError, SecretsError."""
        from app.engine.request import RequestBuilder
        from app.engine.run_inputs import RunInputError, read_script
        from app.engine.trust import require_trusted

        require_trusted(self.project)  # restricted mode: an imported bundle's code never runs untrusted
        from app.engine.node import project_language

        if project_language(self.project) == "javascript":
            return self._run_javascript()
        path = self.project.script_path("get_user")
        if self.source is None and not path.is_file():
            raise RunInputError(f"{path} does not exist; the rehearsal runs Get User for every legacy user")
        source = self.source if self.source is not None else read_script(path)
        request = RequestBuilder(self.project).build("get_user", source=source, database=self.database,
                                                     log_bytes=64 * 1024)
        secrets = sorted(request.secrets)
        url = request.database_url
        command = {
            **request.to_wire(1), "type": "batch", "feed": True, "recheck": [RECHECK_FIRST, RECHECK_EVERY],
            "context_enabled": self.project.context_object, "requires_username": self.project.requires_username,
            "login_profiles": self.login_profiles if self.login_profiles is not None else _observed_logins(self.project),
            "chunk": self.chunk,
        }
        started = time.perf_counter()
        work = Path(tempfile.mkdtemp(prefix="rehearsal-", dir=_work_root(self.project)))
        try:
            report = self._run(command, url, secrets, work, started)
            report.script = "saved" if self.source is None else "editor"
            report.fingerprint = fingerprint(self.project, source, self.database)
            if not report.cancelled and not self._cancel.is_set():
                self._check_stranding(report, source, url, work)
            report.duration_s = time.perf_counter() - started
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for f in report.failures:
            f.message = _mask(f.message, secrets)
        return report

    def _run(self, command: dict[str, Any], url: str, secrets: list[str], work: Path,
             started: float) -> RehearsalReport:
        wanted = self.workers if self.workers is not None else default_workers()
        if wanted < 1:
            raise RehearsalError("the rehearsal needs at least one worker")
        sqlite_file = _sqlite_file(url)
        users = _Users(self, url, secrets)
        with contextlib.closing(users):
            workers = wanted if users.total is None else max(1, min(wanted, math.ceil(users.total / self.chunk)))
            tally = _Tally(work / "seen.db", users.total or 0)
            with contextlib.closing(tally), ThreadPoolExecutor(max_workers=2 * workers) as pool:
                # the children start side by side, and meanwhile (SQLite, more than one worker) every
                # worker but the first gets its own snapshot, so no worker waits for another's lock
                starting = [pool.submit(self._start_child, w == 0) for w in range(workers)]
                copies = [pool.submit(_snapshot, sqlite_file, work / f"worker-{w}.db", url)
                          for w in range(1, workers) if sqlite_file is not None]
                children = [c.result() for c in starting]
                try:
                    urls = [url, *(c.result() for c in copies)] if copies else [url] * workers
                except RehearsalError:
                    for child in children:
                        if not isinstance(child, RehearsalError):
                            child.close()
                    raise
                outcome = self._deal(command, urls, children, users, tally, started, secrets)
                report = tally.report(time.perf_counter() - started)
        report.workers = len(urls)
        report.cancelled = outcome == "cancelled" or self._cancel.is_set()
        return report

    def _start_child(self, spare: bool) -> Any:
        """A ready runner child (the IDE's spare for the first worker, when it has one)."""
        from app.engine.child import Child, ChildStartError

        child = self._spare() if spare else None
        if child is not None:
            return child
        try:
            return Child.start(wait_ready=True)
        except ChildStartError as e:
            return RehearsalError(str(e))

    def _deal(self, command: dict[str, Any], urls: list[str], children: list[Any], users: _Users, tally: _Tally,
              started: float, secrets: list[str]) -> str:
        """Deal the users out to the children (one per URL), collect the rows; the overall outcome."""
        failed = next((c for c in children if isinstance(c, RehearsalError)), None)
        if failed is not None:
            for child in children:
                if not isinstance(child, RehearsalError):
                    child.close()
            raise failed
        with self._lock:
            self._children = children
        inbox: queue.Queue = queue.Queue()
        stop = threading.Event()
        readers = [threading.Thread(target=_read, args=(w, child, inbox, stop), daemon=True,
                                    name=f"customdb-rehearsal-{w}") for w, child in enumerate(children)]
        silence = max(float(self.project.timeout_s), 1.0) + 5.0  # a worker answers every chunk or 0.25 s
        chunks = users.chunks()
        in_flight: list[deque[list[int]]] = [deque() for _ in children]  # [start, size, left] per chunk
        finished = [False] * len(children)
        ended = [False] * len(children)
        heard = [time.monotonic()] * len(children)
        next_index = 0
        cancel_sent = False
        outcome = "ok"

        def feed(w: int) -> None:
            nonlocal next_index
            if ended[w] or self._cancel.is_set():
                return
            chunk = next(chunks, None)
            if chunk is None:
                ended[w] = True
                children[w].send({"type": "batch_feed", "end": True})
                return
            in_flight[w].append([next_index, len(chunk), len(chunk)])
            children[w].send({"type": "batch_feed", "start": next_index, "identifiers": chunk})
            next_index += len(chunk)

        try:
            for w, child in enumerate(children):
                child.send({**command, "database_url": urls[w], "run": w + 1})
                readers[w].start()
            for _ in range(_IN_FLIGHT):
                for w in range(len(children)):
                    feed(w)
            self._progress(tally, started)
            while not all(finished):
                if self._cancel.is_set() and not cancel_sent:
                    cancel_sent = True
                    for w, child in enumerate(children):
                        if not finished[w]:
                            with contextlib.suppress(OSError, EOFError, ValueError):
                                child.send({"type": "cancel"})
                try:
                    w, message = inbox.get(timeout=_POLL_S)
                except queue.Empty:
                    now = time.monotonic()
                    for w in range(len(children)):
                        if not finished[w] and in_flight[w] and now - heard[w] > silence:
                            children[w].kill()
                            raise RehearsalError(
                                f"Get User did not answer within the time limit ({self.project.timeout_s:g} s) "
                                f"after {tally.users} users; the rehearsal was stopped") from None
                    continue
                heard[w] = time.monotonic()
                if message is None:
                    raise RehearsalError(f"the runner child died during the rehearsal after {tally.users} users "
                                         f"({children[w].death_description()})")
                events = message.get("events") if message.get("type") == "batch" else [message]
                for ev in events or ():
                    kind = ev.get("type") if isinstance(ev, dict) else None
                    if kind == "batch_rows":
                        rows = list(ev.get("rows") or ())
                        while rows and in_flight[w]:
                            head = in_flight[w][0]
                            take = min(head[2], len(rows))
                            tally.add(head[0] + head[1] - head[2], rows[:take])
                            rows = rows[take:]
                            head[2] -= take
                            if head[2] == 0:
                                in_flight[w].popleft()
                                feed(w)
                        self._progress(tally, started)
                    elif kind == "log" and len(tally.logs) < 200:
                        tally.logs.append(str(ev.get("text", "")))
                    elif kind == "done":
                        finished[w] = True
                        done = ev.get("outcome")
                        if done not in ("ok", "cancelled"):
                            error = ev.get("error") or {}
                            raise RehearsalError(_mask(str(error.get("message")
                                                           or f"the rehearsal ended: {done}"), secrets))
                        if done == "cancelled":
                            outcome = "cancelled"
        finally:
            stop.set()
            with self._lock:
                self._children = []
            for child in children:
                child.close()
        return outcome

    def _run_javascript(self) -> RehearsalReport:
        """The same rehearsal through the Node container (app/engine/js_rehearsal.py): one worker, the
        saved file."""
        from app.engine import js_rehearsal
        from app.engine.run_inputs import RunInputError, configuration_for, url_for

        path = self.project.script_path("get_user")
        if not path.is_file():
            raise RunInputError(f"{path} does not exist; the rehearsal runs Get User for every legacy user")
        config = configuration_for(self.project)
        url = url_for(self.project, self.database)
        db_password = _url_password(url)
        secrets = sorted(set(config.secret_values) | ({db_password} if db_password else set()))
        started = time.perf_counter()
        ids = self.identifiers
        if ids is None:
            try:
                ids = js_rehearsal.identifiers(url, rehearsal_query(self.project), self.limit)
            except Exception as e:  # noqa: BLE001 - the driver's words, masked, are the user's to read
                raise RehearsalError(_mask(f"the rehearsal query failed: {str(e).splitlines()[0]}", secrets)) from None
        ids = list(ids[: self.limit] if self.limit else ids)
        work = Path(tempfile.mkdtemp(prefix="rehearsal-", dir=_work_root(self.project)))
        try:
            tally = _Tally(work / "seen.db", len(ids))
            with contextlib.closing(tally):
                self._progress(tally, started)

                def add(rows: list[list[Any]]) -> None:
                    tally.add(tally.users, rows)
                    self._progress(tally, started)

                logins = self.login_profiles if self.login_profiles is not None else _observed_logins(self.project)
                outcome = js_rehearsal.rehearse(self.project, ids, logins=logins, database=self.database,
                                                cancelled=self._cancel.is_set, add_rows=add)
                report = tally.report(time.perf_counter() - started)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report.cancelled = outcome == "cancelled" or self._cancel.is_set()
        report.stranded_note = "not checked for JavaScript projects yet"
        for f in report.failures:
            f.message = _mask(f.message, secrets)
        return report

    def _spare(self) -> Any:
        if not self.use_spare:
            return None
        from app.engine.spare import spare_pool

        pool = spare_pool()
        return pool.take() if pool.ready else None

    def _progress(self, tally: _Tally, started: float) -> None:
        if self.on_progress is None:
            return
        elapsed = time.perf_counter() - started
        rate = tally.users / elapsed if elapsed > 0 else 0.0
        eta = (tally.total - tally.users) / rate if rate > 0 and tally.total else None
        try:
            self.on_progress(tally.users, tally.total, rate, eta)
        except Exception:  # noqa: BLE001 - a failing progress display must not end the rehearsal
            self.on_progress = None

    # -- stranded users ----------------------------------------------------------------------------
    def _check_stranding(self, report: RehearsalReport, source: str, url: str, work: Path) -> None:
        """Replay a wrong-password login and a signup check for a sample of found users on a copy."""
        if self.project.mode is not Mode.MIGRATION or self.stranded_sample <= 0:
            report.stranded_note = "not checked: only migration mode can strand users"
            return
        sqlite_file = _sqlite_file(url)
        if sqlite_file is None:
            report.stranded_note = ("not checked: a server database cannot keep the simulation's marks without "
                                    "writing to it; simulate signup on a copy (customdb simulate)")
            return
        sample = report.sample
        if not sample:
            report.stranded_note = "not checked: Get User found no user to try"
            return
        from app.engine.simulator import SimulationError, Simulator

        folder = work / "simulation"
        folder.mkdir()
        spare_copy = next(iter(sorted(work.glob("worker-*.db"))), None)
        if spare_copy is not None:  # a worker's snapshot: the batch never commits, so it is as it was
            spare_copy.replace(folder / "legacy.db")
        else:
            _snapshot(sqlite_file, folder / "legacy.db", url)
        sim = Simulator(self.project, folder=folder, sources={"get_user": source})
        try:
            for n, (index, identifier) in enumerate(sample):
                if self._cancel.is_set():
                    break
                # half the sample a signup check (Get User), half a wrong password (Login): the two
                # lookups that must never mark anyone
                flow = "signup" if n % 2 == 0 else "login"
                data = {"email": identifier, "password": "customdb-rehearsal-" + os.urandom(8).hex()}
                try:
                    result = sim.run(flow, data)
                except SimulationError as e:
                    report.stranded_note = f"not checked: {e}"
                    return
                hits = [f for f in result.findings if f.code == "stranded-user"]
                if hits:
                    report.add_failure(UserFailure(identifier, "stranded-user", hits[0].message,
                                                   result.stranded[0]["user_id"], index))
                report.stranded_checked += 1
        finally:
            sim.close()
        report.stranded_note = (f"{report.stranded_checked} of {report.users:,} users replayed (a signup check or "
                                "a login with a wrong password, on a copy); the others were not")


class _Users:
    """The identifiers, streamed from the identifier query (run once, here) or from a given list."""

    def __init__(self, rehearsal: Rehearsal, url: str, secrets: list[str]):
        self.rehearsal = rehearsal
        self.chunk = rehearsal.chunk
        self.limit = rehearsal.limit
        self.given = rehearsal.identifiers
        self.query = rehearsal_query(rehearsal.project)
        self._engine: Any = None
        self._db: Any = None
        self.total: int | None = None
        if self.limit is not None and self.limit <= 0:
            self.total = 0
        elif self.given is not None:
            self.total = len(self.given) if self.limit is None else min(len(self.given), self.limit)
        else:
            self._open(url, secrets)

    def _open(self, url: str, secrets: list[str]) -> None:
        from sqlalchemy import text

        from app.runtime.namespace import DryRunConnection, make_engine

        try:
            self._engine = make_engine(url)
            self._db = DryRunConnection(self._engine)
            self._db.begin()
        except Exception as e:  # noqa: BLE001 - any driver error is the user's to read
            self.close()
            raise RehearsalError(_mask(f"could not connect to the legacy database: {_first_line(e)}", secrets)) from None
        try:
            with self._db.begin_nested():
                count = self._db.execute(text(f"SELECT count(*) FROM ({self.query}) customdb_rehearsal")).scalar()
            self.total = int(count) if self.limit is None else min(int(count), self.limit)
        except Exception:  # noqa: BLE001 - a query count() cannot wrap: the total stays unknown
            self.total = None
        try:
            self._result = self._db.execution_options(stream_results=True, max_row_buffer=self.chunk).execute(
                text(self.query))
        except Exception as e:  # noqa: BLE001 - the user's query: show why it failed
            self.close()
            raise RehearsalError(_mask(f"the identifier query failed: {_first_line(e)}", secrets)) from None

    def chunks(self) -> Iterator[list[Any]]:
        """Lists of at most `chunk` identifiers, in the query's order, up to the limit."""
        left = self.limit if self.limit is not None else math.inf
        if left <= 0:
            return
        if self.given is not None:
            values = self.given[: int(left)] if left != math.inf else self.given
            for i in range(0, len(values), self.chunk):
                yield list(values[i:i + self.chunk])
            return
        while left > 0:
            rows = self._result.fetchmany(int(min(self.chunk, left)))
            if not rows:
                return
            left -= len(rows)
            yield [_identifier(row[0]) for row in rows]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._db is not None:
                self._db.rollback()
                self._db.close()
        if self._engine is not None:
            self._engine.dispose()
        self._db = self._engine = None


def _identifier(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # a UUID, a Decimal: sent as text, as the child would see it in JSON


def _read(w: int, child: Any, inbox: queue.Queue, stop: threading.Event) -> None:
    """One worker's messages into the shared inbox; None when the child died."""
    while not stop.is_set():
        try:
            message = child.receive(_POLL_S)
        except (EOFError, OSError, ValueError):  # ValueError: a ProtocolError, the script wrote onto the channel
            if not stop.is_set():
                inbox.put((w, None))
            return
        if message is None:
            continue
        inbox.put((w, message))
        if message.get("type") == "done":
            return


class _Tally:
    """Verdicts as they come in (in any order: each row knows its user's index), and the cross-user
    checks (unique user_id and e-mail), decided at the end from a table on disk."""

    def __init__(self, path: Path, total: int) -> None:
        self.total = total
        self.users = 0
        self.failures: list[UserFailure] = []
        self.logs: list[str] = []
        self._failed: set[tuple[int, str]] = set()
        self._sample: list[tuple[int, Any]] = []
        self._step = max(total // STRANDED_SAMPLE, 1) if total else 1
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4096;"
                               "CREATE TABLE seen (idx INTEGER PRIMARY KEY, identifier, user_id TEXT, "
                               "email TEXT, email_key TEXT)")
        self._db.execute("BEGIN")

    def _fail(self, index: int, identifier: Any, code: str, message: str, user_id: str | None) -> None:
        if (index, code) in self._failed:
            return
        self._failed.add((index, code))
        self.failures.append(UserFailure(identifier, code, message, user_id, index))

    def add(self, start: int, rows: Any) -> None:
        seen = []
        for offset, (identifier, codes, user_id, email, message) in enumerate(rows):
            index = start + offset
            self.users += 1
            for code in codes:
                self._fail(index, identifier, code, message or code, user_id)
            if user_id is not None or email:
                seen.append((index, identifier, user_id, email, email.lower() if email else None))
            if not codes and index % self._step == 0 and len(self._sample) < STRANDED_SAMPLE * 4:
                self._sample.append((index, identifier))
        if seen:
            self._db.executemany("INSERT INTO seen VALUES (?, ?, ?, ?, ?)", seen)

    def _duplicates(self) -> None:
        self._db.execute("COMMIT")
        groups: dict[str, list[tuple[int, Any, str | None]]] = {}
        for user_id, index, identifier in self._db.execute(
                "SELECT user_id, idx, identifier FROM seen WHERE user_id IN (SELECT user_id FROM seen WHERE "
                "user_id IS NOT NULL GROUP BY user_id HAVING count(*) > 1) ORDER BY user_id, idx"):
            groups.setdefault(user_id, []).append((index, identifier, user_id))
        for user_id, members in groups.items():
            first = members[0]
            for other in members[1:]:
                text = (f"user_id {user_id!r} also came back for {first[1]!r}; the platform would treat both "
                        "as one user")
                self._fail(first[0], first[1], "duplicate-user-id", text, user_id)
                self._fail(other[0], other[1], "duplicate-user-id", text, user_id)
        emails: dict[str, list[tuple[int, Any, str | None, str]]] = {}
        for key, index, identifier, user_id, email in self._db.execute(
                "SELECT email_key, idx, identifier, user_id, email FROM seen WHERE email_key IN (SELECT email_key "
                "FROM seen WHERE email_key IS NOT NULL GROUP BY email_key HAVING count(DISTINCT "
                "coalesce(user_id, '')) > 1) ORDER BY email_key, idx"):
            emails.setdefault(key, []).append((index, identifier, user_id, email))
        for members in emails.values():
            first = members[0]
            for other in members[1:]:
                if other[2] == first[2]:
                    continue
                text = (f"e-mail {other[3]!r} (ignoring case) belongs to {first[2]!r} and {other[2]!r}; the "
                        "platform needs one user per address")
                self._fail(first[0], first[1], "duplicate-email", text, first[2])
                self._fail(other[0], other[1], "duplicate-email", text, other[2])

    def report(self, duration_s: float) -> RehearsalReport:
        self._duplicates()
        failures = sorted(self.failures, key=lambda f: (f.index, _CODE_ORDER.get(f.code, len(_CODE_ORDER))))
        by_code: dict[str, int] = {}
        for f in failures:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        by_code = dict(sorted(by_code.items(), key=lambda kv: _CODE_ORDER.get(kv[0], len(_CODE_ORDER))))
        failed = len({f.index for f in failures})
        return RehearsalReport(users=self.users, ok=self.users - failed, failed=failed, by_code=by_code,
                               failures=failures, duration_s=duration_s, total=self.total or self.users,
                               sample=self._sample[:STRANDED_SAMPLE])

    def close(self) -> None:
        self._db.close()



def _observed_logins(project: Project) -> dict[str, Any]:
    """Profiles Login returned during simulations (what Login would return, where we can tell)."""
    try:
        from app.engine.managed_store import ManagedStore

        return ManagedStore.existing(project).login_profiles()
    except Exception:  # noqa: BLE001 - no simulation yet, or an unreadable state file: nothing to compare
        return {}


def _work_root(project: Project) -> Path:
    """Where the rehearsal's temporary files go (snapshots, the uniqueness table): on disk, in the
    project's state folder, not in a memory-backed /tmp."""
    root = project.state_dir / "rehearsal"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - the connection reports a bad URL
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _snapshot(source: Path, copy: Path, url: str) -> str:
    """A consistent copy of a SQLite database (the backup API, read-only on the source); its URL."""
    from sqlalchemy.engine import make_url

    if not source.is_file():
        raise RehearsalError(f"the legacy database {source} does not exist")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
    except sqlite3.Error as e:
        raise RehearsalError(f"could not copy {source} for the workers: {e}") from None
    finally:
        dst.close()
        src.close()
    return make_url(url).set(database=str(copy)).render_as_string(hide_password=False)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001
        return None
    return str(password) if password else None


def _mask(text: str, secrets: list[str]) -> str:
    if not secrets:
        return text
    from app.engine.secrets import mask

    return mask(text, frozenset(secrets))
