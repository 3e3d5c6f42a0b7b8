"""`RunRequest`: everything one run of one script needs, built in one place (`RequestBuilder`) for
`RunnerClient.run`, `DebugSession`, the rehearsal and the simulator, and sent as `to_wire()`
(the `run` message of docs/protocol.md). A host needs nothing else: the request carries its state.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.project import Project
from app.domain.scripts import ScriptKind, kind
from app.engine.run_inputs import RunInputError, build_arguments, configuration_for, decode_script, url_for
from app.runtime.protocol import DEFAULT_LOG_CAP

__all__ = ["DebugSettings", "RequestBuilder", "RunRequest", "RunInputError"]


@dataclass(frozen=True)
class DebugSettings:
    """A run under the step debugger: where it stops and what it shows (docs/protocol.md, "debug")."""

    breakpoints: tuple[Any, ...] = ()  # wire form: line numbers or {line, condition?, hit?}
    stop_on_entry: bool = False
    step_into_libraries: bool = False
    break_on_callback_error: bool = False
    break_on_uncaught: bool = True
    watches: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"breakpoints": list(self.breakpoints), "stop_on_entry": self.stop_on_entry,
                "step_into_libraries": self.step_into_libraries,
                "break_on_callback_error": self.break_on_callback_error,
                "break_on_uncaught": self.break_on_uncaught, "watches": list(self.watches)}


@dataclass(frozen=True)
class RunRequest:
    """One run: the script, its arguments in call order, the configuration with its secrets
    resolved, the database, the limits and (for a debug run) the debugger's settings."""

    script: str  # the script kind's key: login, get_user, ...
    filename: str  # the script's real path: what tracebacks and the debugger name
    source: str  # the text that runs (an unsaved editor buffer may differ from the file)
    arguments: tuple[tuple[str, Any], ...]  # (name, value) in call order; `context` last when enabled
    configuration: Mapping[str, Any]
    secrets: frozenset[str]  # every secret value, the database password included: masked everywhere
    database_url: str
    commit: bool = False
    timeout_s: float = 20.0
    log_bytes: int = DEFAULT_LOG_CAP
    debug: DebugSettings | None = None
    # for the parent's hosted-contract checks (app/domain/hosted.py); never sent to a host
    requires_username: bool = field(default=False, compare=False)

    @property
    def kind(self) -> ScriptKind:
        return kind(self.script)

    @property
    def passwords(self) -> tuple[str, ...]:
        """The passwords the user typed (a profile must not hold them; tracebacks mask them)."""
        return tuple(v for n, v in self.arguments if n in ("password", "new_password") and isinstance(v, str) and v)

    def to_wire(self, run_id: int) -> dict[str, Any]:
        """The `run` message (docs/protocol.md)."""
        return {
            "type": "run", "run": run_id, "script": self.script, "filename": self.filename, "source": self.source,
            "arguments": [{"name": n, "value": v} for n, v in self.arguments],
            "configuration": dict(self.configuration), "secrets": sorted(self.secrets),
            "database_url": self.database_url, "commit": self.commit,
            "limits": {"timeout_s": self.timeout_s, "log_bytes": self.log_bytes},
            "debug": self.debug.to_wire() if self.debug is not None else None,
        }


class RequestBuilder:
    """Builds the RunRequests of one project. Remembers what is costly to work out again (the
    resolved script path, the database URL and its password) for a warm run's sake; `forget()`
    drops the URL (the keychain is asked again on the next run)."""

    def __init__(self, project: Project):
        self.project = project
        self._url_cache: tuple[tuple, tuple[str, str | None]] | None = None
        self._filenames: dict[tuple[str, str], str] = {}
        self._script_paths: dict[tuple[str, str], str] = {}

    def build(self, key: str, input: Mapping[str, Any] | None = None, *,  # noqa: A002
              source: str | None = None, commit: bool = False, timeout: float | None = None,
              database: str | None = None, debug: DebugSettings | None = None,
              log_bytes: int = DEFAULT_LOG_CAP) -> RunRequest:
        """Raises RunInputError (unknown script, missing file, bad input) and the secrets module's
        MissingSecretError: every problem here is the user's input, found before anything starts."""
        project = self.project
        k = self.kind(key)
        if source is None:
            source = self.read_script(key)
        arguments, context = build_arguments(k, input, project.context_object)
        ordered = list(arguments.items())
        if project.context_object:
            ordered.append(("context", context if context is not None else {}))
        config = configuration_for(project)
        url, db_password = self.url(database)
        secrets = frozenset(config.secret_values) | ({db_password} if db_password else frozenset())
        return RunRequest(
            script=key, filename=self.filename(key), source=source, arguments=tuple(ordered),
            configuration=dict(config.values), secrets=secrets, database_url=url, commit=bool(commit),
            timeout_s=float(timeout if timeout is not None else project.timeout_s), log_bytes=log_bytes,
            debug=debug, requires_username=project.requires_username)

    @staticmethod
    def kind(key: str) -> ScriptKind:
        try:
            return kind(key)
        except KeyError as e:
            raise RunInputError(str(e.args[0])) from None

    def url(self, override: str | None = None) -> tuple[str, str | None]:
        """(database URL, its password) resolved once per setting, and again when a secret was
        stored or deleted since (a password typed again is used by the very next run, no Recycle).
        The password is masked in every output like a secret configuration value."""
        from app.engine.secrets import generation  # loaded with the configuration already

        cache_key = (self.project.database_url, str(self.project.root), override, generation())
        if self._url_cache is None or self._url_cache[0] != cache_key:
            url = url_for(self.project, override)
            self._url_cache = (cache_key, (url, url_password(url)))
        return self._url_cache[1]

    def forget(self) -> None:
        self._url_cache = None

    def read_script(self, key: str) -> str:
        """The saved script, read afresh every time: the path is worked out once, and the bytes are
        read without a text stream (half the system calls), then decoded as text mode would."""
        cache_key = (str(self.project.root), key)
        path = self._script_paths.get(cache_key)
        if path is None:
            path = self._script_paths[cache_key] = str(self.project.script_path(key))
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            if os.path.isfile(path):
                raise  # there, but unreadable: the error itself
            raise RunInputError(f"{path} does not exist; create it or pick another script") from None
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        except IsADirectoryError:
            raise RunInputError(f"{path} does not exist; create it or pick another script") from None
        finally:
            os.close(fd)
        text = decode_script(b"".join(chunks), path)
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # universal newlines

    def filename(self, key: str) -> str:
        """The real path of the script: what tracebacks (and the debugger) name."""
        cache_key = (str(self.project.root), key)
        name = self._filenames.get(cache_key)
        if name is None:
            name = self._filenames[cache_key] = str(self.project.script_path(key).resolve())
        return name


def url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unparsable URL fails later with its own message
        return None
    return str(password) if password else None


def debug_settings(breakpoints: Iterable[Any] = (), **options: Any) -> DebugSettings:
    """DebugSettings from the API's keyword arguments (breakpoints already in wire form)."""
    return DebugSettings(breakpoints=tuple(breakpoints), watches=tuple(str(w) for w in options.pop("watches", ())),
                         **{k: bool(v) for k, v in options.items()})
