"""Auth0's custom database connections as a `Platform`: the seven action scripts, the two modes,
the hosted limits and messages, the log events and the names the hosted sandbox injects.

Everything here is what the hosted platform does, written down once; the runner, lint, the
simulator and the IDE read it from the project's platform instead of from module globals.
"""

from __future__ import annotations

from app.domain.platforms.base import Limits, Platform
from app.domain.scripts import Mode, ScriptKind

_BOTH = frozenset({Mode.LEGACY, Mode.MIGRATION})
_LEGACY = frozenset({Mode.LEGACY})

_KINDS: dict[str, ScriptKind] = {
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
            "Signup (does the user exist?), password reset, email change, identifier-first login and some "
            "management API calls.",
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
            _BOTH, frozenset(),
            "Password reset, after Get User found the user (in migration mode: a user not yet migrated, "
            "whom the platform then creates from Get User's profile with the new password).",
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



AUTH0 = Platform(
    name="auth0",
    title="Auth0 custom database connection",
    kinds=_KINDS,
    modes=(Mode.LEGACY, Mode.MIGRATION),
    limits=Limits(
        timeout_s=20.0,
        max_script_bytes=100 * 1024,
        timeout_message="Request to Webtask exceeded allowed execution time",
    ),
    # What the hosted log viewer calls each event a script's answer produces.
    log_events={"s": "Success Login", "fp": "Failed Login (wrong password)", "fu": "Failed Login (unknown user)",
                "ss": "Success Signup", "fs": "Failed Signup"},
    # The names the hosted sandbox gives every script besides its arguments and callback.
    injected_names=("configuration", "global", "require", "WrongUsernameOrPasswordError", "ValidationError",
                    "UnauthorizedError"),
    error_classes=("WrongUsernameOrPasswordError", "ValidationError", "UnauthorizedError"),
)
