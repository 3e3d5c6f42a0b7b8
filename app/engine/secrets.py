"""Secret configuration values: the OS keychain, an environment override for CI, and a per-session
store for machines without a keychain. Never a plaintext file.

Lookup order for a secret key: the environment (`CUSTOMDB_CONFIG_<KEY>`; the database password uses
`CUSTOMDB_DATABASE_PASSWORD`), then values the user typed in this session (`SessionSecrets`), then
the keychain (service `customdb-studio`, username `"<project.id>:<KEY>"`).

`mask()` is the one helper every output path uses to hide secret values (logs, SQL params,
findings, tracebacks): a secret is replaced by `****`.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import keyring
import keyring.backends.fail
import keyring.backends.null
from keyring.errors import KeyringError, PasswordDeleteError

from app.runtime.masking import secret_pattern

SERVICE = "customdb-studio"
ENV_PREFIX = "CUSTOMDB_CONFIG_"
DATABASE_PASSWORD = "DATABASE_PASSWORD"  # noqa: S105 - the keychain key of the legacy database's password
DATABASE_PASSWORD_ENV = "CUSTOMDB_DATABASE_PASSWORD"  # noqa: S105 - a key name, not a password
MASK = "****"
SHORT_SECRET = 4  # values shorter than this are only masked where they stand alone as a token


class _HasId(Protocol):
    """Anything with a stable project id (a `Project`); kept loose so tests and the UI can pass stand-ins."""

    id: str


class SecretsError(Exception):
    """Base of the secret problems a user can act on; str() is a one-line message, never a value."""


class KeychainUnavailable(SecretsError):
    """No usable OS keychain (no backend, locked, access denied). Secrets are then asked per session."""


class MissingSecretError(SecretsError):
    """Secret configuration keys that have no value anywhere; the message says how to set each one."""

    def __init__(self, keys: Iterable[str], project_dir: str | os.PathLike | None = None,
                 keychain_problem: str | None = None):
        self.keys = list(keys)
        self.key = self.keys[0]
        self.keychain_problem = keychain_problem
        where = shlex.quote(str(project_dir)) if project_dir is not None else "DIR"
        parts = []
        for key in self.keys:
            parts.append(f"secret {key!r} has no value: set it with "
                         f"`customdb config set {where} {key} VALUE --secret` "
                         f"or the environment variable {env_name(key)}")
        message = "; ".join(parts)
        if keychain_problem:
            message += f" ({keychain_problem})"
        super().__init__(message)


def env_name(key: str) -> str:
    """The environment variable that overrides a secret (for CI)."""
    return DATABASE_PASSWORD_ENV if key == DATABASE_PASSWORD else f"{ENV_PREFIX}{key}"


def _username(project: _HasId, key: str) -> str:
    return f"{project.id}:{key}"


# -- the per-session store -----------------------------------------------------------------------

_generation = 0  # bumped whenever this process stores or deletes a secret (see `generation`)


def generation() -> int:
    """A number that changes whenever a secret was stored or deleted through this module (session
    or keychain). Whoever caches a value built from secrets (the runner's database URL) keys it
    on this, so a password typed again takes effect at the very next run, with no Recycle."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


class SessionSecrets:
    """Secrets the user typed in this session, kept in memory only (used when no keychain exists)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, project: _HasId, key: str) -> str | None:
        with self._lock:
            return self._values.get((project.id, key))

    def set(self, project: _HasId, key: str, value: str) -> None:
        with self._lock:
            self._values[(project.id, key)] = value
            _changed()

    def delete(self, project: _HasId, key: str) -> None:
        with self._lock:
            if self._values.pop((project.id, key), None) is not None:
                _changed()

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            _changed()

    def __contains__(self, item: tuple[_HasId, str]) -> bool:
        project, key = item
        return self.get(project, key) is not None


session_secrets = SessionSecrets()  # the process-wide session store the IDE fills


# -- the keychain --------------------------------------------------------------------------------

_broken: weakref.WeakSet = weakref.WeakSet()  # backends that failed once this session: not asked again
_noticed: weakref.WeakSet = weakref.WeakSet()  # backends whose problem was already told to the user
_state_lock = threading.Lock()

_NO_BACKEND = ("no OS keychain is available on this machine, so secrets cannot be stored; "
               "set them in the environment (CUSTOMDB_CONFIG_<KEY>) or enter them in the IDE for this "
               "session; they are never written to a file")


def _not_a_keychain(backend: Any) -> str | None:
    """Why `backend` is no OS keychain (a file backend such as keyrings.alt's PlaintextKeyring or
    EncryptedKeyring, or a backend keyring itself ranks as not recommended), or None. A chainer
    writes through its first backend, which is the one judged."""
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple) and chained:
        backend = chained[0]
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__qualname__}"
    path = getattr(backend, "file_path", None)
    try:
        priority = float(getattr(backend, "priority", 1))
    except (TypeError, ValueError):
        priority = 1.0
    if not (cls.__module__.startswith("keyrings.alt") or path or priority < 1):
        return None
    where = f"to the file {path}" if path else "outside the OS keychain"
    return (f"the keyring backend {name} is not an OS keychain: it would write secrets {where}; "
            "customdb refuses it, so secrets are asked for this session or read from CUSTOMDB_CONFIG_<KEY>; "
            "to use the OS keychain, uninstall keyrings.alt or set PYTHON_KEYRING_BACKEND "
            "(e.g. keyring.backends.SecretService.Keyring)")


def keychain_problem() -> str | None:
    """Why the keychain cannot be used right now, or None when it can."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return _NO_BACKEND
    insecure = _not_a_keychain(backend)
    if insecure:
        return insecure
    if backend in _broken:
        return getattr(backend, "_customdb_problem", _NO_BACKEND)
    return None


def keychain_available() -> bool:
    return keychain_problem() is None


def keychain_notice_once() -> str | None:
    """The keychain problem the first time it is asked for (per backend), None afterwards and when fine.

    The CLI and the IDE call this to say "no keychain" once, not on every secret or every run.
    """
    problem = keychain_problem()
    if problem is None:
        return None
    backend = keyring.get_keyring()
    with _state_lock:
        if backend in _noticed:
            return None
        _noticed.add(backend)
    return problem


def reset_keychain_state() -> None:
    """Forget earlier keychain failures (after the user unlocked it, or between tests)."""
    with _state_lock:
        for backend in list(_broken):
            _broken.discard(backend)
        for backend in list(_noticed):
            _noticed.discard(backend)


def _fail(backend: Any, error: KeyringError) -> KeychainUnavailable:
    reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
    problem = (f"the OS keychain refused access ({type(error).__name__}{': ' + reason if reason else ''}); "
               "secrets are asked for this session only and never written to a file")
    if isinstance(error, keyring.errors.NoKeyringError):
        problem = _NO_BACKEND
    try:
        backend._customdb_problem = problem
        with _state_lock:
            _broken.add(backend)
    except (AttributeError, TypeError):  # exotic backends without __dict__ or weakrefs
        pass
    return KeychainUnavailable(problem)


def _backend_or_raise() -> Any:
    problem = keychain_problem()
    if problem:
        raise KeychainUnavailable(problem)
    return keyring.get_keyring()


def keychain_get(project: _HasId, key: str) -> str | None:
    """The keychain entry alone (no environment, no session). Raises KeychainUnavailable."""
    backend = _backend_or_raise()
    try:
        return backend.get_password(SERVICE, _username(project, key))
    except KeyringError as e:
        raise _fail(backend, e) from None


def set_secret(project: _HasId, key: str, value: str) -> None:
    """Store a secret in the keychain. Raises KeychainUnavailable; never falls back to a file."""
    if not isinstance(value, str):
        raise TypeError("a secret value must be a string")
    backend = _backend_or_raise()
    try:
        backend.set_password(SERVICE, _username(project, key), value)
    except KeyringError as e:
        raise _fail(backend, e) from None
    _changed()


def delete_secret(project: _HasId, key: str) -> bool:
    """Remove a secret from the keychain and this session. True when the keychain had it."""
    session_secrets.delete(project, key)
    backend = _backend_or_raise()
    try:
        backend.delete_password(SERVICE, _username(project, key))
    except PasswordDeleteError:
        return False
    except KeyringError as e:
        raise _fail(backend, e) from None
    _changed()
    return True


# -- environment overrides, kept out of the process environment ----------------------------------

_adopted: dict[str, str] = {}  # the overrides this process was started with, moved out of os.environ


def _is_override(name: str) -> bool:
    return name.startswith(ENV_PREFIX) or name == DATABASE_PASSWORD_ENV


def adopt_environment_overrides() -> None:
    """Move the secret overrides (CUSTOMDB_CONFIG_<KEY>, CUSTOMDB_DATABASE_PASSWORD) out of this
    process's environment into memory, once, at the start of the CLI or the IDE.

    A script runs as the same user as its parent, so it could read the parent's
    /proc/<ppid>/environ: that file shows the environment block the process was started with,
    which `del os.environ[...]` does not change. On Linux the block's entries are overwritten in
    place as well; elsewhere they leave the environment that later processes inherit."""
    names = [n for n in os.environ if _is_override(n)]
    if not names:
        return
    for name in names:
        _adopted[name] = os.environ[name]
    _scrub_start_environment(names)
    for name in names:
        del os.environ[name]


def _scrub_start_environment(names: list[str]) -> None:
    """Zero the values of these `NAME=value` entries in the environment block /proc/self/environ
    shows (Linux). The names stay, so unsetenv still finds and drops the entries from `environ`."""
    if not os.path.exists("/proc/self/stat"):
        return
    try:
        import ctypes

        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50, 51 (the state is 3)
        with open("/proc/self/environ", "rb") as f:
            shown = f.read()
        if not start or end <= start or ctypes.string_at(start, end - start) != shown[:end - start]:
            return  # not the block we think it is: leave memory alone
        prefixes = tuple(n.encode() + b"=" for n in names)
        offset = 0
        for entry in shown.split(b"\0"):
            if entry.startswith(prefixes):
                name_length = entry.index(b"=") + 1
                ctypes.memset(start + offset + name_length, 0, len(entry) - name_length)
            offset += len(entry) + 1
    except (OSError, ValueError, IndexError):
        pass


def needed_secret_keys(project: Any) -> list[str]:
    """The project's secret keys that its scripts read (app/domain/config_usage.py); all of them
    when a script reads `configuration` in a way that cannot be followed."""
    from app.domain.config_usage import keys_read_by_any

    secret = list(project.secret_keys())
    if not secret:
        return []
    sources = []
    for key in project.script_keys():
        try:
            sources.append(project.read_script(key))
        except (OSError, UnicodeDecodeError):
            return secret
    read = keys_read_by_any(sources)
    return secret if read is None else [k for k in secret if k in read]


def _lookup(project: _HasId, key: str, environ: Mapping[str, str] | None,
            session: SessionSecrets | None) -> tuple[str | None, str]:
    env = os.environ if environ is None else environ
    name = env_name(key)
    if name in env:
        return env[name], "environment"
    if environ is None and name in _adopted:
        return _adopted[name], "environment"
    value = (session or session_secrets).get(project, key)
    if value is not None:
        return value, "session"
    value = keychain_get(project, key)
    return (value, "keychain") if value is not None else (None, "missing")


def get_secret(project: _HasId, key: str, *, environ: Mapping[str, str] | None = None,
               session: SessionSecrets | None = None) -> str | None:
    """A secret's value (environment, then session, then keychain) or None when it is set nowhere.

    Raises KeychainUnavailable only when the keychain had to be asked and could not be.
    """
    return _lookup(project, key, environ, session)[0]


def secret_source(project: _HasId, key: str, *, environ: Mapping[str, str] | None = None,
                  session: SessionSecrets | None = None) -> tuple[str | None, str]:
    """(value, where it came from): "environment", "session", "keychain" or "missing" (also when the
    keychain could not be asked and nothing else had it)."""
    try:
        return _lookup(project, key, environ, session)
    except KeychainUnavailable:
        return None, "missing"


# -- a project's whole configuration ---------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedConfiguration:
    """What a script sees as `configuration`, plus what must be masked in every output."""

    values: dict[str, str]
    secret_values: frozenset[str] = frozenset()
    secret_keys: frozenset[str] = frozenset()
    sources: dict[str, str] = field(default_factory=dict)  # key -> "file" | "environment" | "session" | "keychain"
    notices: tuple[str, ...] = ()  # one-time messages for the user (e.g. no keychain)


def resolve_configuration(project: Any, *, environ: Mapping[str, str] | None = None,
                          session: SessionSecrets | None = None) -> ResolvedConfiguration:
    """Plain values from customdb.toml plus secret values; raises MissingSecretError naming every
    secret that has no value and that a script reads (`needed_secret_keys`), with both ways to set
    it. A secret no script reads and nobody set is left out of the values."""
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    secrets: set[str] = set()
    missing: list[str] = []
    problem: str | None = None
    for key, entry in project.configuration.items():
        if not entry.secret:
            values[key] = "" if entry.value is None else str(entry.value)
            sources[key] = "file"
            continue
        try:
            value, source = _lookup(project, key, environ, session)
        except KeychainUnavailable as e:
            problem, value, source = str(e), None, "missing"
        if value is None:
            missing.append(key)
            continue
        values[key] = value
        secrets.add(value)
        sources[key] = source
    if missing and hasattr(project, "script_keys"):  # a secret no script reads is not needed
        needed = set(needed_secret_keys(project))
        missing = [k for k in missing if k in needed]
    if missing:
        raise MissingSecretError(missing, getattr(project, "root", None), problem)
    # Said once per session: the project keeps secrets but this machine cannot store them.
    notice = keychain_notice_once() if project.secret_keys() else None
    return ResolvedConfiguration(
        values=values, secret_values=frozenset(secrets),
        secret_keys=frozenset(k for k, e in project.configuration.items() if e.secret),
        sources=sources, notices=(notice,) if notice else (),
    )


# -- masking -------------------------------------------------------------------------------------

def _mask_pattern(secret_values: frozenset[str]) -> re.Pattern[str] | None:
    # the child's rule, renderings included (repr, JSON, bytes): one definition for both processes
    return secret_pattern(secret_values)


def mask(text: str, secret_values: Iterable[str]) -> str:
    """`text` with every secret value replaced by `****` (longest first, so overlapping secrets
    never leave a visible tail). Empty values are ignored; values under 4 characters are masked
    only where they stand alone."""
    if not text:
        return text
    values = secret_values if isinstance(secret_values, frozenset) else frozenset(secret_values)
    pattern = _mask_pattern(values)
    return pattern.sub(MASK, text) if pattern else text


def mask_data(data: Any, secret_values: Iterable[str]) -> Any:
    """mask() applied to every string inside nested dicts, lists and tuples (profiles, SQL params)."""
    values = secret_values if isinstance(secret_values, frozenset) else frozenset(secret_values)
    if isinstance(data, str):
        return mask(data, values)
    if isinstance(data, Mapping):
        return {mask_data(k, values): mask_data(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_data(v, values) for v in data]
    if isinstance(data, tuple):
        return tuple(mask_data(v, values) for v in data)
    return data
