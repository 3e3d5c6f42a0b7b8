"""Checks on a profile returned by Login or Get User: what the hosted platform needs in it and
what must never be in it (the whole profile is visible to tenant administrators).

Messages name fields, never their values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from app.domain.findings import Finding, finding

_SECRET_TOKENS = {"password", "passwd", "pwd", "pass", "hash", "secret", "token", "salt", "passwordhash"}
# Tokens that turn a secret-looking name into metadata about the secret (last_password_reset, ...).
_HARMLESS_TOKENS = {"reset", "changed", "updated", "at", "date", "expires", "expired", "last", "set",
                    "required", "policy", "count", "strength", "version", "type", "algorithm"}
_HASH_VALUE = re.compile(
    r"^\$(?:2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}"  # bcrypt
    r"|argon2(?:id|i|d)\$"  # argon2
    r"|(?:pbkdf2|scrypt)[-_\w]*\$"  # passlib-style pbkdf2 / scrypt
    r"|[156]\$[^$]{1,16}\$)"  # md5-crypt, sha256-crypt, sha512-crypt
    r"|^(?:pbkdf2_sha\d+|bcrypt_sha256|argon2|scrypt)\$"  # Django-style
)


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def secret_field_name(name: str) -> bool:
    """A profile field name that says it holds a password, hash, secret or token."""
    tokens = _tokens(name)
    return any(t in _SECRET_TOKENS for t in tokens) and not any(t in _HARMLESS_TOKENS for t in tokens)


def looks_like_password_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HASH_VALUE.match(value.strip()))


def _walk(data: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, last key, value) for every field in nested dicts and lists."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            here = f"{path}.{k}" if path else str(k)
            yield here, str(k), v
            yield from _walk(v, here)
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            here = f"{path}[{i}]"
            yield here, "", v
            yield from _walk(v, here)


def check_profile(profile: Mapping[str, Any], script: str, *, secret_values: Iterable[str] = (),
                  input_passwords: Iterable[str] = (), requires_username: bool = False) -> list[Finding]:
    """Every problem of one returned profile, as findings of `script`."""
    out: list[Finding] = []
    user_id = profile.get("user_id", profile.get("id"))
    if user_id is None or (isinstance(user_id, str) and not user_id.strip()):
        out.append(finding("missing-user-id",
                           "the profile has no user_id (or id); the platform cannot store the user without "
                           "a stable id — return e.g. {\"user_id\": \"legacy|42\", ...}", script))
    if "app_metadata" in profile:
        out.append(finding("app-metadata-name",
                           "the profile returns 'app_metadata'; older platform versions expect it under the "
                           "name 'metadata' and otherwise lose it — check which your tenant uses", script))
    if requires_username and not profile.get("username"):
        out.append(finding("missing-username",
                           "the connection requires a username but the profile has no 'username'", script))
    secrets = {v for v in secret_values if isinstance(v, str) and v}
    passwords = {v for v in input_passwords if isinstance(v, str) and v}
    reported: set[str] = set()
    for path, name, value in _walk(profile):
        why = None
        if name and secret_field_name(name) and value not in (None, "", False):
            why = "is named like a password, hash or secret"
        elif looks_like_password_hash(value):
            why = "holds a value that looks like a password hash"
        elif isinstance(value, str) and value in passwords:
            why = "holds the password the user typed"
        elif isinstance(value, str) and any(s in value for s in secrets if len(s) >= 4) | (value in secrets):
            why = "holds the value of a secret configuration entry"
        if why and path not in reported:
            reported.add(path)
            out.append(finding("secret-in-profile",
                               f"profile field '{path}' {why}; tenant administrators can read every profile "
                               "field — remove it", script))
    return out
