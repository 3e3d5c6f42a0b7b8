"""The seven action-script kinds as data: what each is called, takes, answers, and when it runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    LEGACY = "legacy"  # the user stays in the legacy store; every operation calls a script
    MIGRATION = "migration"  # import ON: users move to the managed store at first login


@dataclass(frozen=True)
class ScriptKind:
    key: str  # hosted key and file name: scripts/<key>.py
    title: str
    params: tuple[str, ...]  # Python parameter names, without context and callback
    js_params: tuple[str, ...]  # hosted (JavaScript) parameter names, same order
    python_name: str  # recommended Python entry name
    js_name: str  # recommended JavaScript function name
    aliases: tuple[str, ...]  # other names seen in the wild for this script
    modes: frozenset[Mode]  # modes in which the platform calls it
    required_in: frozenset[Mode]  # modes in which the connection cannot work without it
    runs_when: str  # one sentence: what makes the platform call it
    success: str  # what a successful answer looks like
    always_empty_context: bool = False  # Delete always receives an empty context

    def python_signature(self, context: bool = False) -> tuple[str, ...]:
        """Positional parameters of the Python entry, `context` before `callback` when enabled."""
        return (*self.params, *(("context",) if context else ()), "callback")

    def js_signature(self, context: bool = False) -> tuple[str, ...]:
        return (*self.js_params, *(("context",) if context else ()), "callback")

    def used_in(self, mode: Mode | str) -> bool:
        return Mode(mode) in self.modes

    def required(self, mode: Mode | str) -> bool:
        return Mode(mode) in self.required_in


_BOTH = frozenset({Mode.LEGACY, Mode.MIGRATION})
_LEGACY = frozenset({Mode.LEGACY})

SCRIPT_KINDS: dict[str, ScriptKind] = {
    k.key: k
    for k in (
        ScriptKind(
            "login", "Login", ("email", "password"), ("userNameOrEmail", "password"),
            "login", "login", ("loginByEmail", "loginByUsername", "login_by_email", "login_by_username"),
            _BOTH, _BOTH,
            "Every password login of a user not yet in the managed store (every login in legacy mode), "
            "and right after Create to confirm a signup.",
            "callback(None, profile)",
        ),
        ScriptKind(
            "get_user", "Get User", ("email",), ("email",),
            "get_user", "getUser", ("getByEmail", "get_by_email", "getUserByEmail", "get_user_by_email"),
            _BOTH, _BOTH,
            "Signup (does the user exist?), password reset, email change and some management API calls.",
            "callback(None, profile), or callback(None) when the user does not exist",
        ),
        ScriptKind(
            "create", "Create", ("user",), ("user",),
            "create", "create", ("signup", "createUser", "create_user"),
            _LEGACY, _LEGACY,
            "Signup, after Get User found no existing user; Login runs right after it.",
            "callback(None)",
        ),
        ScriptKind(
            "verify", "Verify", ("email",), ("email",),
            "verify", "verify", ("verifyEmail", "verify_email"),
            _LEGACY, frozenset(),
            "When the user follows the e-mail verification link.",
            "callback(None, True)",
        ),
        ScriptKind(
            "change_password", "Change Password", ("email", "new_password"), ("email", "newPassword"),
            "change_password", "changePassword", ("updatePassword", "update_password"),
            _LEGACY, frozenset(),
            "Password reset, after Get User found the user.",
            "callback(None, True)",
        ),
        ScriptKind(
            "delete", "Delete", ("user_id",), ("id",),
            "delete_user", "deleteUser", ("remove", "delete", "removeUser", "remove_user"),
            _LEGACY, frozenset(),
            "Deletion from the admin dashboard or the management API (the id comes without 'auth0|').",
            "callback(None)",
            always_empty_context=True,
        ),
        ScriptKind(
            "change_email", "Change Email", ("email", "new_email", "verified"), ("email", "newEmail", "verified"),
            "change_email", "changeEmail", ("updateEmail", "update_email"),
            _LEGACY, frozenset(),
            "E-mail change, after Get User found the user.",
            "callback(None, True)",
        ),
    )
}

SCRIPT_ORDER: tuple[str, ...] = tuple(SCRIPT_KINDS)


def kind(key: str) -> ScriptKind:
    """The kind for a script key; KeyError names the valid keys."""
    try:
        return SCRIPT_KINDS[key]
    except KeyError:
        raise KeyError(f"unknown script {key!r}; expected one of {', '.join(SCRIPT_ORDER)}") from None


def kinds_for_mode(mode: Mode | str) -> list[ScriptKind]:
    return [k for k in SCRIPT_KINDS.values() if k.used_in(mode)]


def kind_for_function_name(name: str) -> ScriptKind | None:
    """Map a function name from either language (recommended or alias) to its script kind."""
    lowered = name.lower()
    for k in SCRIPT_KINDS.values():
        names = (k.python_name, k.js_name, *k.aliases)
        if lowered in (n.lower() for n in names):
            return k
    return None
