"""The error classes a script hands to `callback`, injected into every script's globals.

The completion stub for the editor is generated from this module too, so the docstrings here are
what users read in the IDE.
"""

from __future__ import annotations


class WrongUsernameOrPasswordError(Exception):
    """Login refused: wrong password or unknown user.

    Pass the e-mail (or user id) when the user exists but the password is wrong (logged as `fp`),
    and nothing when the user is unknown (logged as `fu`).
    """

    def __init__(self, user_id_or_email: str | None = None, message: str | None = None):
        self.user_id_or_email = user_id_or_email
        self.message = message or "Wrong email or password."
        super().__init__(self.message)


class ValidationError(Exception):
    """Create refused: `ValidationError("user_exists", msg)` when the user already exists (logged as `fs`)."""

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = message or code
        super().__init__(self.message)


class UnauthorizedError(Exception):
    """Any script may refuse with this; the application receives an `unauthorized` error with the message."""

    def __init__(self, message: str | None = None):
        self.message = message or "Unauthorized"
        super().__init__(self.message)


SCRIPT_ERRORS = (WrongUsernameOrPasswordError, ValidationError, UnauthorizedError)
