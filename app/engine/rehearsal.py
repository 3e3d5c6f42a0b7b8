"""Migration rehearsal: run Get User for every legacy user before the migration happens, and report
every user the platform could not migrate cleanly.

Blocking API for a worker thread (the CLI calls it directly, the IDE from a QThread):
`Rehearsal(project).run()` returns a `RehearsalReport`; `cancel()` may be called from any other
thread; `on_progress(done, total, rate_per_s, eta_s)` is called from the running thread.

The work happens in one child process with the `batch` command (app/runtime/batch.py): the child
runs the identifier query (`[rehearsal] query` in customdb.toml, default `SELECT email FROM users`),
calls Get User twice per identifier inside a transaction that is always rolled back, and streams
compact verdicts. Uniqueness across users (duplicate user_id, duplicate e-mail) is decided here.
"""

from __future__ import annotations

import contextlib
import csv
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.project import Project

DEFAULT_QUERY = "SELECT email FROM users"
FAILURE_CODES = ("not-found", "error", "missing-user-id", "duplicate-user-id", "duplicate-email",
                 "unstable-user-id", "secret-in-profile", "profile-mismatch")
EXAMPLES_PER_CODE = 5
_CHUNK = 1000

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

    @property
    def examples(self) -> list[dict[str, Any]]:
        """Up to EXAMPLES_PER_CODE failures of each code, in the order found."""
        seen: dict[str, int] = {}
        out = []
        for f in self.failures:
            if seen.get(f.code, 0) < EXAMPLES_PER_CODE:
                seen[f.code] = seen.get(f.code, 0) + 1
                out.append(f.to_dict())
        return out

    def to_dict(self) -> dict[str, Any]:
        """The `customdb rehearse --json` object (plus `cancelled`)."""
        return {"users": self.users, "ok": self.ok, "failed": self.failed, "by_code": dict(self.by_code),
                "examples": self.examples, "duration_s": round(self.duration_s, 3), "cancelled": self.cancelled}

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


class Rehearsal:
    """One rehearsal of one project. Not reusable: make a new one for the next run."""

    def __init__(self, project: Project, *, limit: int | None = None, on_progress: ProgressCallback | None = None,
                 database: str | None = None, identifiers: list[Any] | None = None,
                 login_profiles: dict[str, Any] | None = None, chunk: int = _CHUNK, use_spare: bool = False):
        self.project = project
        self.limit = limit
        self.on_progress = on_progress
        self.database = database
        self.identifiers = identifiers
        self.login_profiles = login_profiles
        self.chunk = chunk
        self.use_spare = use_spare  # the IDE keeps a ready spare child: start at once instead of cold
        self._cancel = threading.Event()
        self._child: Any = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Stop after the current chunk (from any thread); the report keeps what was checked."""
        self._cancel.set()
        with self._lock:
            child = self._child
        if child is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                child.send({"type": "cancel"})

    def run(self) -> RehearsalReport:
        """Run the whole rehearsal (blocking). Raises RehearsalError, RunInputError, SecretsError."""
        from app.engine.child import Child, ChildStartError
        from app.engine.request import RequestBuilder
        from app.engine.run_inputs import RunInputError, read_script
        from app.engine.trust import require_trusted

        require_trusted(self.project)  # restricted mode: an imported bundle's code never runs untrusted
        from app.engine.node import project_language

        if project_language(self.project) == "javascript":
            return self._run_javascript()
        path = self.project.script_path("get_user")
        if not path.is_file():
            raise RunInputError(f"{path} does not exist; the rehearsal runs Get User for every legacy user")
        request = RequestBuilder(self.project).build("get_user", source=read_script(path),
                                                     database=self.database, log_bytes=64 * 1024)
        secrets = sorted(request.secrets)
        command = {
            **request.to_wire(1), "type": "batch",
            "query": rehearsal_query(self.project), "identifiers": self.identifiers, "limit": self.limit,
            "context_enabled": self.project.context_object, "requires_username": self.project.requires_username,
            "login_profiles": self.login_profiles if self.login_profiles is not None else _observed_logins(self.project),
            "chunk": self.chunk,
        }
        started = time.perf_counter()
        try:
            child = self._spare() or Child.start(wait_ready=True)
        except ChildStartError as e:
            raise RehearsalError(str(e)) from None
        with self._lock:
            self._child = child
        try:
            if self._cancel.is_set():
                return RehearsalReport(cancelled=True)
            tally = _Tally()
            done = self._exchange(child, command, tally, started)
        finally:
            with self._lock:
                self._child = None
            child.close()
        outcome = done.get("outcome")
        if outcome not in ("ok", "cancelled"):
            error = done.get("error") or {}
            raise RehearsalError(_mask(str(error.get("message") or f"the rehearsal ended: {outcome}"), secrets))
        report = tally.report(time.perf_counter() - started)
        report.cancelled = outcome == "cancelled" or self._cancel.is_set()
        for f in report.failures:
            f.message = _mask(f.message, secrets)
        return report

    def _run_javascript(self) -> RehearsalReport:
        """The same rehearsal through the Node container (app/engine/js_rehearsal.py)."""
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
        tally = _Tally()
        tally.total = len(ids)
        self._progress(tally, started)

        def add(rows: list[list[Any]]) -> None:
            tally.add(rows)
            self._progress(tally, started)

        logins = self.login_profiles if self.login_profiles is not None else _observed_logins(self.project)
        outcome = js_rehearsal.rehearse(self.project, ids, logins=logins, database=self.database,
                                        cancelled=self._cancel.is_set, add_rows=add)
        report = tally.report(time.perf_counter() - started)
        report.cancelled = outcome == "cancelled" or self._cancel.is_set()
        for f in report.failures:
            f.message = _mask(f.message, secrets)
        return report

    def _spare(self) -> Any:
        if not self.use_spare:
            return None
        from app.engine.spare import spare_pool

        pool = spare_pool()
        return pool.take() if pool.ready else None

    def _exchange(self, child: Any, command: dict[str, Any], tally: _Tally, started: float) -> dict[str, Any]:
        silence = max(float(self.project.timeout_s), 1.0) + 5.0  # a chunk comes at least every 0.25 s
        child.send(command)
        while True:
            try:
                message = child.receive(silence)
            except (EOFError, OSError):
                raise RehearsalError(f"the runner child died during the rehearsal after {tally.users} users "
                                     f"({child.death_description()})") from None
            except ValueError as e:  # ProtocolError: the script wrote onto the channel
                child.kill()
                raise RehearsalError(f"the runner child broke the channel protocol: {e}; the rehearsal "
                                     f"was stopped after {tally.users} users") from None
            if message is None:
                child.kill()
                raise RehearsalError(f"Get User did not answer within the time limit ({self.project.timeout_s:g} s) "
                                     f"after {tally.users} users; the rehearsal was stopped")
            events = message.get("events") if message.get("type") == "batch" else [message]
            for ev in events or ():
                kind = ev.get("type") if isinstance(ev, dict) else None
                if kind == "batch_total":
                    tally.total = int(ev.get("total") or 0)
                    self._progress(tally, started)
                elif kind == "batch_rows":
                    tally.add(ev.get("rows") or ())
                    self._progress(tally, started)
                elif kind == "log" and len(tally.logs) < 200:
                    tally.logs.append(str(ev.get("text", "")))
                elif kind == "done":
                    return ev

    def _progress(self, tally: _Tally, started: float) -> None:
        if self.on_progress is None:
            return
        elapsed = time.perf_counter() - started
        rate = tally.users / elapsed if elapsed > 0 else 0.0
        eta = (tally.total - tally.users) / rate if rate > 0 else None
        try:
            self.on_progress(tally.users, tally.total, rate, eta)
        except Exception:  # noqa: BLE001 - a failing progress display must not end the rehearsal
            self.on_progress = None


class _Tally:
    """Verdicts as they stream in, plus the cross-user checks (unique user_id and e-mail)."""

    def __init__(self) -> None:
        self.total = 0
        self.users = 0
        self.codes: list[set[str]] = []
        self.failures: list[UserFailure] = []
        self.logs: list[str] = []
        self._by_id: dict[str, int] = {}
        self._by_email: dict[str, tuple[int, str | None]] = {}
        self._identifiers: list[Any] = []
        self._user_ids: list[str | None] = []

    def _fail(self, index: int, code: str, message: str) -> None:
        if code in self.codes[index]:
            return
        self.codes[index].add(code)
        self.failures.append(UserFailure(self._identifiers[index], code, message, self._user_ids[index]))

    def add(self, rows: Any) -> None:
        for identifier, codes, user_id, email, message in rows:
            index = self.users
            self.users += 1
            self.codes.append(set())
            self._identifiers.append(identifier)
            self._user_ids.append(user_id)
            for code in codes:
                self._fail(index, code, message or code)
            if user_id is not None:
                first = self._by_id.setdefault(user_id, index)
                if first != index:
                    text = (f"user_id {user_id!r} also came back for {self._identifiers[first]!r}; the platform "
                            "would treat both as one user")
                    self._fail(first, "duplicate-user-id", text)
                    self._fail(index, "duplicate-user-id", text)
            if email:
                key = email.lower()
                other = self._by_email.setdefault(key, (index, user_id))
                if other[0] != index and other[1] != user_id:
                    text = (f"e-mail {email!r} (ignoring case) belongs to {other[1]!r} and {user_id!r}; the "
                            "platform needs one user per address")
                    self._fail(other[0], "duplicate-email", text)
                    self._fail(index, "duplicate-email", text)

    def report(self, duration_s: float) -> RehearsalReport:
        by_code: dict[str, int] = {}
        for f in self.failures:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        failed = sum(1 for c in self.codes if c)
        order = {code: i for i, code in enumerate(FAILURE_CODES)}
        by_code = dict(sorted(by_code.items(), key=lambda kv: order.get(kv[0], len(order))))
        return RehearsalReport(users=self.users, ok=self.users - failed, failed=failed, by_code=by_code,
                               failures=self.failures, duration_s=duration_s, total=self.total)


def _observed_logins(project: Project) -> dict[str, Any]:
    """Profiles Login returned during simulations (what Login would return, where we can tell)."""
    try:
        from app.engine.managed_store import ManagedStore

        return ManagedStore.existing(project).login_profiles()
    except Exception:  # noqa: BLE001 - no simulation yet, or an unreadable state file: nothing to compare
        return {}


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
