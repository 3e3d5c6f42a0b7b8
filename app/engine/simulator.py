"""The flow simulator: what the platform does for a login, signup, password reset, verification,
deletion or e-mail change, in the project's mode, with the project's scripts (DOMAIN.md §3).

Simulating never changes the real legacy data. For SQLite the scripts write to a simulation copy
of the legacy database (`.customdb/simulation/legacy.db`, made on first use, restored by reset());
for a server database every script step is a dry run unless `[simulation] writes = true` is set in
customdb.toml. The managed store (app/engine/managed_store.py) and the copy persist between flows
and between CLI calls until reset().

In migration mode every flow is also watched for stranded users: a legacy user the managed store
does not have (and never deleted) whom Get User no longer finds after the flow was marked migrated
by it, so the platform can never create them: the finding `stranded-user`, naming that flow.

Blocking API for a worker thread: `Simulator(project).run(flow, input)` returns a `FlowResult`.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.flows import MASK, Flow, check_input, flow, mask_input
from app.domain.project import Project
from app.domain.scripts import Mode
from app.engine.managed_store import STORE_FILE, ManagedStore, ManagedUser, simulation_dir

LEGACY_COPY = "legacy.db"
_PLATFORM_PREFIX = "auth0|"


class SimulationError(Exception):
    """The flow cannot be simulated with this input or project (the CLI's exit 2)."""


@dataclass
class StepRecord:
    actor: str  # platform | managed_store | script
    action: str
    script: str | None
    input: Any
    outcome: str
    duration_ms: float | None = None
    run: Any = None  # the script step's RunResult (logs, SQL, error) for the IDE

    def to_dict(self) -> dict[str, Any]:
        d = {"actor": self.actor, "action": self.action, "script": self.script, "input": self.input,
             "outcome": self.outcome, "duration_ms": self.duration_ms}
        error = getattr(self.run, "error", None)
        if error:  # additive: why a script step failed, without digging into the run
            d["error"] = {"type": error.get("type"), "message": error.get("message")}
        return d


@dataclass
class FlowResult:
    flow: str
    mode: str
    outcome: str = "failure"  # success | failure
    steps: list[StepRecord] = field(default_factory=list)
    log_event: str | None = None
    findings: list[Finding] = field(default_factory=list)
    managed_user: ManagedUser | None = None
    stranded: list[dict[str, Any]] = field(default_factory=list)  # {user_id, email, flow, script, at}

    def to_dict(self) -> dict[str, Any]:
        """The `customdb simulate --json` object (a stranded user is one of its findings)."""
        return {"flow": self.flow, "mode": self.mode, "outcome": self.outcome,
                "steps": [s.to_dict() for s in self.steps], "log_event": self.log_event,
                "findings": [f.to_dict() for f in self.findings],
                "managed_user": self.managed_user.to_dict() if self.managed_user else None}

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome == "success" else 1


class Simulator:
    """One project's simulation state and the flows over it."""

    def __init__(self, project: Project, *, client: Any = None, writes: bool | None = None,
                 folder: Path | None = None, sources: dict[str, str] | None = None):
        """`folder`: where the state lives instead of the project's (the rehearsal's throw-away
        sample); `sources`: script texts to run instead of the saved files (an editor's)."""
        self.project = project
        self.sources = dict(sources or {})
        self._own_client = client is None
        self._client = client
        section = project.extra.get("simulation") if isinstance(project.extra, dict) else None
        self.server_writes = bool(section.get("writes")) if writes is None and isinstance(section, dict) \
            else bool(writes)
        self.folder = Path(folder) if folder is not None else simulation_dir(project)
        self.store = ManagedStore(self.folder / STORE_FILE)

    # -- state -------------------------------------------------------------------------------------
    @property
    def is_sqlite(self) -> bool:
        """A SQLite store the scripts reach through the project's URL, so a copy can stand in for it.
        A JavaScript script opens its own connections (from its configuration): it never sees a
        copy's URL, so its steps are dry runs like against a server."""
        if self.project.language.name == "javascript":
            return False
        return self.project.resolved_database_url().startswith("sqlite")

    def legacy_copy(self) -> Path:
        return self.folder / LEGACY_COPY

    def _legacy_source(self) -> Path:
        from sqlalchemy.engine import make_url

        database = make_url(self.project.resolved_database_url()).database
        if not database or database == ":memory:":
            raise SimulationError("the project's SQLite database is in memory; there is nothing to simulate on")
        return Path(database)

    def _ensure_copy(self) -> Path:
        """The simulation copy of a SQLite legacy database, made from the real one on first use."""
        copy = self.legacy_copy()
        if not copy.is_file():
            self._copy_legacy(copy)
        return copy

    def _copy_legacy(self, copy: Path) -> None:
        """Copy the real legacy database into `copy`. An existing copy is overwritten in place (same
        file), so a warm runner that still holds a connection to it sees the restored data."""
        source = self._legacy_source()
        if not source.is_file():
            raise SimulationError(f"the legacy database {source} does not exist")
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:  # SQLite's backup API reads a consistent state; read-only, so the real file is never touched
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        except sqlite3.Error:
            shutil.copyfile(source, copy)

    def reset(self) -> None:
        """Forget everything: the managed store, tombstones, observations; restore the simulation copy."""
        self.close()
        copy = self.legacy_copy()
        keep = copy.is_file() and self.is_sqlite
        if self.folder.is_dir():
            for child in self.folder.iterdir():
                if keep and child == copy:
                    continue
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        if keep:
            try:
                self._copy_legacy(copy)
            except SimulationError:  # the real database is gone: the next flow says so
                copy.unlink(missing_ok=True)
        self.store = ManagedStore(self.folder / STORE_FILE)

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    def managed_users(self) -> list[ManagedUser]:
        return self.store.users()

    # -- running -----------------------------------------------------------------------------------
    def run(self, name: str, data: dict[str, Any] | None = None) -> FlowResult:
        """Simulate flow `name` with `data` (keys email, password, new_password, new_email, user)."""
        try:
            f = flow(self.project.mode, name)
        except KeyError as e:
            raise SimulationError(str(e.args[0])) from None
        try:
            data = check_input(data if data is not None else {})
        except ValueError as e:
            raise SimulationError(str(e)) from None
        missing = [k for k in f.needs if not data.get(k)]
        if missing:
            raise SimulationError(f"the {name} flow needs {', '.join(repr(k) for k in missing)} in --input")
        for key in f.scripts:
            if key not in f.optional and not self.project.script_path(key).is_file():
                raise SimulationError(f"the {name} flow runs {key}, but {self.project.script_path(key)} does not exist")
        if self.is_sqlite:
            self._ensure_copy()
        result = FlowResult(name, str(self.project.mode))
        watched = self._watch_for_stranding(data)
        handler = getattr(self, f"_{self.project.mode.value}_{name.replace('-', '_')}")
        handler(f, data, result)
        self._stranded(name, watched, result)
        if result.log_event is None:
            result.log_event = f.success_event if result.outcome == "success" else f.failure_event
        result.findings = _dedupe(result.findings)
        return result

    def _runner(self) -> Any:
        if self._client is None:
            from app.engine.runner import RunnerClient

            self._client = RunnerClient(self.project, use_spare=False)
        return self._client

    def _script(self, result: FlowResult, key: str, inputs: dict[str, Any], *, probe: bool = False) -> Any:
        """Run one script step against the simulation copy; record it; collect its findings."""
        from app.engine.run_inputs import RunInputError

        if self.is_sqlite:
            database, commit = f"sqlite:///{self.legacy_copy()}", not probe
        else:
            database, commit = None, self.server_writes and not probe
        try:
            run = self._runner().run(key, inputs, commit=commit, database=database, source=self.sources.get(key))
        except RunInputError as e:
            raise SimulationError(str(e)) from None
        typed = _typed_passwords(inputs)
        if typed and run.result is not None:  # a profile echoing the password (already a finding) is not stored
            run.result = _scrub(run.result, typed)
        if probe:
            return run
        result.steps.append(StepRecord("script", f"run {key}", key, mask_input(inputs), run.outcome,
                                       run.duration_ms, run))
        result.findings.extend(run.findings)
        email = inputs.get("email")
        if run.outcome == "ok" and key in ("login", "get_user") and isinstance(run.result, dict) and email:
            self._compare(result, key, email, run.result)
        return run

    def _store_step(self, result: FlowResult, action: str, outcome: str, data: dict[str, Any] | None = None) -> None:
        result.steps.append(StepRecord("managed_store", action, None, mask_input(data or {}), outcome, 0.0))

    def _platform_step(self, result: FlowResult, action: str, outcome: str, data: dict[str, Any] | None = None) -> None:
        result.steps.append(StepRecord("platform", action, None, mask_input(data or {}), outcome, 0.0))

    def _compare(self, result: FlowResult, key: str, email: str, profile: dict[str, Any]) -> None:
        """Login and Get User must give one user one stable id and the same profile."""
        earlier = self.store.observe(email, key, profile)
        user_id = _user_id(profile)
        for script, seen in earlier.items():
            seen_id = _user_id(seen)
            if seen_id != user_id:
                who = "the same script" if script == key else script
                result.findings.append(finding(
                    "unstable-user-id", f"{key} answered user_id {user_id!r} for {email}; {who} answered "
                    f"{seen_id!r} before — the platform would see two different users", key))
            elif script != key and seen != profile:
                fields = sorted(k for k in set(seen) | set(profile) if seen.get(k) != profile.get(k))
                result.findings.append(finding(
                    "profile-mismatch", f"{key} and {script} return different profiles for {email} "
                    f"(fields: {', '.join(fields)}); the user's data would depend on how they migrated", key))

    def _probe_marked(self, result: FlowResult, key: str, inputs: dict[str, Any], user_id: str) -> None:
        """Migration mode: after a user migrated, the same script must no longer hand them over."""
        if not self.is_sqlite and not self.server_writes:
            return  # each step was rolled back: the legacy store could not keep a mark
        again = self._script(result, key, inputs, probe=True)
        if again.outcome == "ok" and isinstance(again.result, dict) and _user_id(again.result) == user_id:
            where = (" Mark them in Change Password, the reset's own step (the project has none, or it does "
                     "not mark); never in Get User, which the platform also calls for lookups that create "
                     "nobody." if key == "get_user" else "")
            result.findings.append(finding(
                "not-marked-migrated", f"{key} still answers a profile for {user_id} after the user migrated: the "
                "legacy user was not marked migrated, so a user deleted from the managed store would come back "
                f"(best practice 2).{where}", key))

    # -- stranded users (migration mode) -------------------------------------------------------------
    def _watch_for_stranding(self, data: dict[str, Any]) -> dict[str, str]:
        """{e-mail: legacy user_id} of the flow's users who are in the legacy store but not managed."""
        if self.project.mode is not Mode.MIGRATION or not (self.is_sqlite or self.server_writes):
            return {}  # legacy mode has no managed store; unpersisted dry runs cannot keep a mark
        watched: dict[str, str] = {}
        for email in dict.fromkeys(data.get(k) for k in ("email", "new_email")):
            if not isinstance(email, str) or not email or self.store.find_by_email(email) is not None:
                continue
            user_id = self.store.known_user_id(email)
            if user_id is None:  # never seen: ask Get User (rolled back) whether the legacy store has them
                probe = self._script(FlowResult("", ""), "get_user", {"email": email}, probe=True)
                user_id = _user_id(probe.result) if probe.outcome == "ok" else None
            if user_id is not None:
                watched[email] = user_id
        return watched

    def _stranded(self, name: str, watched: dict[str, str], result: FlowResult) -> None:
        """After the flow: a watched user still not managed (nor deleted there on purpose) whom Get User
        no longer finds is marked migrated without the platform having them: stranded."""
        last_script = next((s.script for s in reversed(result.steps) if s.actor == "script"), None)
        for email, user_id in watched.items():
            if (self.store.find(user_id) is not None or self.store.find_by_email(email) is not None
                    or self.store.tombstone(user_id)):
                continue
            if self._script(result, "get_user", {"email": email}, probe=True).outcome != "not_found":
                continue
            record, new = self.store.strand(user_id, email, name, last_script)
            result.stranded.append(record)
            cause = f"this {name} flow" if new else f"an earlier {record['flow']} flow"
            result.findings.append(finding(
                "stranded-user",
                f"{user_id} ({email}) was stranded by {cause}: Get User found them before, "
                "now answers not found, and the managed store does not have them (nor deleted them), so the "
                "legacy store marks them migrated without the platform having them. They can never log in or "
                "reset their password again. Mark users migrated only where the platform creates them (Login, "
                "and Change Password on a reset), never in Get User; clear the mark to let this user migrate",
                record["script"]))

    def _resurrection(self, result: FlowResult, user_id: str, key: str) -> None:
        deleted = self.store.tombstone(user_id)
        if deleted:
            result.findings.append(finding(
                "resurrected-user", f"user {user_id} was deleted from the managed store at {deleted} and has now "
                f"migrated again through {key}: the legacy store did not mark them migrated", key))

    # -- legacy mode -------------------------------------------------------------------------------
    def _finish(self, result: FlowResult, run: Any, success: bool, fallback: str | None = None) -> None:
        result.outcome = "success" if success else "failure"
        result.log_event = run.log_event if run is not None and run.log_event else fallback

    def _legacy_login(self, f: Flow, data: dict, result: FlowResult) -> None:
        run = self._script(result, "login", {"email": data["email"], "password": data["password"]})
        self._finish(result, run, run.outcome == "ok", "f")

    def _legacy_signup(self, f: Flow, data: dict, result: FlowResult) -> None:
        found = self._script(result, "get_user", {"email": data["email"]})
        if found.outcome == "ok":
            return self._finish(result, None, False, "fs")
        if found.outcome != "not_found":
            return self._finish(result, None, False, "fs")
        extra = data.get("user") if isinstance(data.get("user"), dict) else {}
        user = {**extra, "email": data["email"], "password": data["password"]}
        created = self._script(result, "create", {"user": user})
        if created.outcome != "ok":
            return self._finish(result, created, False, "fs")
        self.store.forget(data["email"])
        login = self._script(result, "login", {"email": data["email"], "password": data["password"]})
        self._finish(result, None, login.outcome == "ok", "ss" if login.outcome == "ok" else login.log_event)
        return None

    def _legacy_reset_password(self, f: Flow, data: dict, result: FlowResult) -> None:
        found = self._script(result, "get_user", {"email": data["email"]})
        if found.outcome != "ok":
            return self._finish(result, None, False, "fcp")
        changed = self._script(result, "change_password", {"email": data["email"],
                                                           "new_password": data["new_password"]})
        self._finish(result, None, changed.outcome == "ok", "scp" if changed.outcome == "ok" else "fcp")
        return None

    def _legacy_verify(self, f: Flow, data: dict, result: FlowResult) -> None:
        run = self._script(result, "verify", {"email": data["email"]})
        if run.outcome == "ok":
            self.store.forget(data["email"])
        self._finish(result, None, run.outcome == "ok", "sv" if run.outcome == "ok" else "fv")

    def _legacy_delete(self, f: Flow, data: dict, result: FlowResult) -> None:
        user_id = data.get("user")
        if user_id is None or isinstance(user_id, dict):
            if not data.get("email"):
                raise SimulationError("the delete flow needs 'user' (the user id) or 'email' in --input")
            found = self._script(result, "get_user", {"email": data["email"]})
            user_id = _user_id(found.result) if found.outcome == "ok" and isinstance(found.result, dict) else None
            if user_id is None:
                return self._finish(result, None, False, "fdu")
        user_id = str(user_id).removeprefix(_PLATFORM_PREFIX)
        self._platform_step(result, "the id without the platform's auth0| prefix", "ok", {"user": user_id})
        run = self._script(result, "delete", {"user_id": user_id})
        if run.outcome == "ok":
            self.store.forget(data.get("email"))
        self._finish(result, None, run.outcome == "ok", "sdu" if run.outcome == "ok" else "fdu")
        return None

    def _legacy_change_email(self, f: Flow, data: dict, result: FlowResult) -> None:
        found = self._script(result, "get_user", {"email": data["email"]})
        if found.outcome != "ok":
            return self._finish(result, None, False, "fce")
        run = self._script(result, "change_email", {"email": data["email"], "new_email": data["new_email"],
                                                    "verified": False})
        if run.outcome == "ok":
            self.store.forget(data["email"], data["new_email"])
        self._finish(result, None, run.outcome == "ok", "sce" if run.outcome == "ok" else "fce")
        return None

    # -- migration mode ----------------------------------------------------------------------------
    def _migration_login(self, f: Flow, data: dict, result: FlowResult) -> None:
        email, password = data["email"], data["password"]
        user = self.store.find_by_email(email)
        if user is not None and user.password_hash:
            ok = user.password_matches(password)
            self._store_step(result, "check the password against the managed hash", "ok" if ok else "rejected",
                             {"email": email, "password": password})
            result.managed_user = user
            return self._finish(result, None, ok, "s" if ok else "fp")
        self._store_step(result, "look the user up by e-mail",
                         "not_found" if user is None else "no_password", {"email": email})
        run = self._script(result, "login", {"email": email, "password": password})
        if run.outcome != "ok" or not isinstance(run.result, dict):
            return self._finish(result, run, False, "fu" if run.outcome == "rejected" else "f")
        user_id = _user_id(run.result)
        if user_id is None:
            self._store_step(result, "cannot store a user without user_id", "error")
            return self._finish(result, None, False, "f")
        if user is not None:  # created without a password (e-mail change): Login supplies it now
            if user.user_id != user_id:
                result.findings.append(finding(
                    "unstable-user-id", f"Login answered user_id {user_id!r} for {email}, but the managed store "
                    f"has this user as {user.user_id!r} (from Get User)", "login"))
            self.store.set_password(user.user_id, password)
            self._store_step(result, "store the password, hashed", "ok", {"user_id": user.user_id})
            result.managed_user = self.store.find(user.user_id)
            return self._finish(result, None, True, "s")
        self._resurrection(result, user_id, "login")
        result.managed_user = self.store.create(user_id, run.result.get("email") or email, password, run.result,
                                                via="login", migrated=True)
        self._store_step(result, "create the user with the same user_id and the password, hashed", "ok",
                         {"user_id": user_id})
        self._probe_marked(result, "login", {"email": email, "password": password}, user_id)
        self._finish(result, None, True, "s")
        return None

    def _migration_signup(self, f: Flow, data: dict, result: FlowResult) -> None:
        email = data["email"]
        user = self.store.find_by_email(email)
        self._store_step(result, "look the user up by e-mail", "ok" if user else "not_found", {"email": email})
        if user is not None:
            result.managed_user = user
            return self._finish(result, None, False, "fs")
        found = self._script(result, "get_user", {"email": email})
        if found.outcome != "not_found":  # exists in the legacy store (or the script failed): refused
            return self._finish(result, None, False, "fs")
        extra = data.get("user") if isinstance(data.get("user"), dict) else {}
        user_id = f"{_PLATFORM_PREFIX}{uuid.uuid4().hex[:24]}"
        profile = {**{k: v for k, v in extra.items() if k != "password"}, "user_id": user_id, "email": email}
        result.managed_user = self.store.create(user_id, email, data["password"], profile, via="signup",
                                                migrated=False)
        self._store_step(result, "create the user directly", "ok", {"email": email, "password": data["password"]})
        self._finish(result, None, True, "ss")
        return None

    def _migration_reset_password(self, f: Flow, data: dict, result: FlowResult) -> None:
        email, new_password = data["email"], data["new_password"]
        user = self.store.find_by_email(email)
        self._store_step(result, "look the user up by e-mail", "ok" if user else "not_found", {"email": email})
        if user is not None:
            self.store.set_password(user.user_id, new_password)
            self._store_step(result, "store the new password, hashed", "ok", {"new_password": new_password})
            result.managed_user = self.store.find(user.user_id)
            return self._finish(result, None, True, "scp")
        found = self._script(result, "get_user", {"email": email})
        if found.outcome != "ok" or not isinstance(found.result, dict) or _user_id(found.result) is None:
            return self._finish(result, None, False, "fcp")
        user_id = _user_id(found.result)
        if self.project.script_path("change_password").is_file():  # the reset's own step: it marks the user
            changed = self._script(result, "change_password", {"email": email, "new_password": new_password})
            if changed.outcome != "ok":
                self._platform_step(result, "the reset failed: nobody is created", "rejected")
                return self._finish(result, None, False, "fcp")
        self._resurrection(result, user_id, "get_user")
        result.managed_user = self.store.create(user_id, found.result.get("email") or email, new_password,
                                                found.result, via="reset-password", migrated=True)
        self._store_step(result, "create the user from Get User's profile with the new password", "ok",
                         {"user_id": user_id, "new_password": new_password})
        self._probe_marked(result, "get_user", {"email": email}, user_id)
        self._finish(result, None, True, "scp")
        return None

    def _migration_delete(self, f: Flow, data: dict, result: FlowResult) -> None:
        target = data.get("user")
        if isinstance(target, str | int) and str(target):
            user = self.store.find(str(target)) or self.store.find(str(target).removeprefix(_PLATFORM_PREFIX))
        elif data.get("email"):
            user = self.store.find_by_email(data["email"])
        else:
            raise SimulationError("the delete flow needs 'user' (the user id) or 'email' in --input")
        if user is None:
            self._store_step(result, "delete the user", "not_found", {"user": target, "email": data.get("email")})
            return self._finish(result, None, False, "fdu")
        self.store.delete(user.user_id)
        self.store.forget(user.email)
        self._store_step(result, "delete the user and keep a tombstone (the legacy store is not touched)", "ok",
                         {"user": user.user_id})
        result.managed_user = None
        self._finish(result, None, True, "sdu")
        return None

    def _migration_change_email(self, f: Flow, data: dict, result: FlowResult) -> None:
        """The management API changes the e-mail of a user the platform has; Get User only answers
        whether the new address belongs to a legacy user not yet migrated. Nobody is created."""
        email, new_email = data["email"], data["new_email"]
        user = self.store.find_by_email(email)
        self._store_step(result, "look the user up by e-mail", "ok" if user else "not_found", {"email": email})
        if user is None:
            self._platform_step(result, "the platform changes the e-mail of its own users only", "rejected")
            return self._finish(result, None, False, "fce")
        taken = self.store.find_by_email(new_email)
        if taken is not None and taken.user_id != user.user_id:
            self._store_step(result, "the new e-mail belongs to another managed user", "rejected",
                             {"new_email": new_email})
            return self._finish(result, None, False, "fce")
        found = self._script(result, "get_user", {"email": new_email})
        other = _user_id(found.result) if found.outcome == "ok" else None
        if found.outcome not in ("ok", "not_found") or (other is not None and other != user.user_id):
            self._platform_step(result, "the new e-mail belongs to a legacy user (or Get User failed)",
                                "rejected", {"new_email": new_email})
            return self._finish(result, None, False, "fce")
        self.store.set_email(user.user_id, new_email)
        self._store_step(result, "change the e-mail", "ok", {"new_email": new_email})
        result.managed_user = self.store.find(user.user_id)
        self._finish(result, None, True, "sce")
        return None

    def _migration_identifier_first(self, f: Flow, data: dict, result: FlowResult) -> None:
        self._lookup(result, data["email"], "the identifier exists: the platform asks for the password")

    def _migration_management_lookup(self, f: Flow, data: dict, result: FlowResult) -> None:
        self._lookup(result, data["email"], "the address belongs to a legacy user: a create-user call is refused")

    def _lookup(self, result: FlowResult, email: str, found_means: str) -> None:
        """Managed store first, then Get User: an answer, and nobody created."""
        user = self.store.find_by_email(email)
        self._store_step(result, "look the user up by e-mail", "ok" if user else "not_found", {"email": email})
        if user is not None:
            result.managed_user = user
            return self._finish(result, None, True)
        found = self._script(result, "get_user", {"email": email})
        exists = found.outcome == "ok" and isinstance(found.result, dict)
        self._platform_step(result, (found_means if exists else "no such user") + "; nobody is created",
                            "ok" if exists else found.outcome)
        return self._finish(result, None, exists)

def _user_id(profile: Any) -> str | None:
    if not isinstance(profile, dict):
        return None
    value = profile.get("user_id", profile.get("id"))
    return None if value is None or value == "" else str(value)


def _typed_passwords(inputs: dict[str, Any]) -> frozenset[str]:
    user = inputs.get("user") if isinstance(inputs.get("user"), dict) else {}
    values = (inputs.get("password"), inputs.get("new_password"), user.get("password"))
    return frozenset(v for v in values if isinstance(v, str) and v)


def _scrub(data: Any, passwords: frozenset[str]) -> Any:
    """`data` with every string equal to a typed password replaced by the mask."""
    if isinstance(data, str):
        return MASK if data in passwords else data
    if isinstance(data, dict):
        return {k: _scrub(v, passwords) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub(v, passwords) for v in data]
    return data


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None, int | None, str]] = set()
    out = []
    for f in findings:
        key = (f.code, f.script, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


__all__ = ["Simulator", "FlowResult", "StepRecord", "SimulationError", "Mode"]
