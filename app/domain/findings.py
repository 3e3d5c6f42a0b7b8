"""Findings: the one shape every check reports in, with stable codes users can script against."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> (default severity, what it means). Codes are a public contract: never rename one.
CODES: dict[str, tuple[Severity, str]] = {
    # static (lint)
    "syntax-error": (Severity.ERROR, "the script does not parse"),
    "missing-entry": (Severity.ERROR, "no entry function could be found"),
    "anonymous-entry": (Severity.WARNING, "the entry is a lambda; stack traces will not name it"),
    "non-recommended-name": (Severity.WARNING, "the entry has a name other than the recommended one"),
    "wrong-arity": (Severity.ERROR, "the entry takes a different number of arguments than the platform passes"),
    "sql-string-concat": (Severity.ERROR, "SQL built by string concatenation or formatting"),
    "hardcoded-secret": (Severity.ERROR, "a credential written into the script instead of configuration"),
    "delete-in-login": (Severity.ERROR, "Login deletes from the legacy store"),
    "script-too-large": (Severity.ERROR, "the script is over the hosted 100 kB limit"),
    "unused-in-mode": (Severity.INFO, "the platform never calls this script in the project's mode"),
    # static, JavaScript
    "config-key-as-subtraction": (Severity.ERROR, "configuration.SOME-KEY reads as configuration.SOME minus KEY"),
    "unary-plus-string": (Severity.ERROR, "+ \"text\" is a unary plus: the text becomes NaN"),
    # runtime
    "callback-not-called": (Severity.ERROR, "the entry finished without calling callback"),
    "callback-called-twice": (Severity.ERROR, "callback was called more than once"),
    "timeout": (Severity.ERROR, "the run exceeded the time limit"),
    "missing-user-id": (Severity.ERROR, "the profile has no user_id (or id)"),
    "missing-username": (Severity.ERROR, "the connection requires a username but the profile has none"),
    "app-metadata-name": (Severity.WARNING, "the profile returns app_metadata; older platforms expect 'metadata'"),
    "secret-in-profile": (Severity.ERROR, "the profile carries a password, hash or secret"),
    "not-marked-migrated": (Severity.WARNING, "migration mode: the user was not marked migrated in the legacy store"),
    "marked-in-get-user": (Severity.WARNING, "migration mode: Get User wrote to the legacy store (a mark there "
                                             "strands users the platform only looked up)"),
    "wrong-callback-arguments": (Severity.ERROR, "callback was given arguments the platform cannot use"),
    # JavaScript: the offline module store and its instrumented drivers
    "module-not-available": (Severity.ERROR, "the script requires a module (or version) the offline module store does not have"),
    "module-stand-in": (Severity.INFO, "a module is served by a stand-in with the same API (bcrypt by bcryptjs)"),
    "compat-shim": (Severity.INFO, "an old driver API the hosted templates call is served by a compatibility shim"),
    "connection-left-open": (Severity.WARNING, "a database connection is left open: never closed in the script "
                                               "(lint), or still open when the run ended"),
    "dry-run-write-blocked": (Severity.WARNING, "a dry run refused a write it could not roll back (MongoDB)"),
    # across runs and flows
    "unstable-user-id": (Severity.ERROR, "the same user got different user_ids"),
    "profile-mismatch": (Severity.WARNING, "Login and Get User return different profiles for one user"),
    "duplicate-email": (Severity.ERROR, "two users share an e-mail address"),
    "duplicate-user-id": (Severity.ERROR, "two users share a user_id"),
    "resurrected-user": (Severity.ERROR, "a user deleted from the managed store migrated again"),
    "stranded-user": (Severity.ERROR, "a user marked migrated in the legacy store is not in the managed store: "
                                      "they can no longer log in or reset their password"),
    # the JavaScript language service, while typing (the editor only)
    "undefined-name": (Severity.WARNING, "a name that is defined nowhere the script can see"),
    "unknown-member": (Severity.WARNING, "a member the object does not have (often a typo)"),
    "unknown-configuration-key": (Severity.WARNING, "the script reads a configuration key the project lacks"),
    # before a deploy (customdb deploy check)
    "deploy-script-missing": (Severity.ERROR, "a script the connection names or needs is not in the export"),
    "deploy-script-not-referenced": (Severity.ERROR, "a script file the Deploy CLI would not deploy"),
    "deploy-stub-script": (Severity.ERROR, "an empty or stub script would go live"),
    "deploy-wrong-kind": (Severity.ERROR, "a script of another kind sits in this slot"),
    "change-email-missing": (Severity.ERROR, "the mode calls Change Email but the connection has none"),
    "deploy-config-missing": (Severity.ERROR, "a script reads a configuration key the connection lacks"),
    "deploy-config-unused": (Severity.WARNING, "a configuration key no script reads"),
    "deploy-not-run": (Severity.INFO, "a script kept and exported as it is, never run here"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    script: str | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = str(self.severity)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        return cls(d["code"], Severity(d["severity"]), d["message"], d.get("script"), d.get("line"))


def finding(code: str, message: str, script: str | None = None, line: int | None = None,
            severity: Severity | None = None) -> Finding:
    """Build a finding with the code's default severity; unknown codes are a programming error."""
    default, _ = CODES[code]
    return Finding(code, severity or default, message, script, line)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
