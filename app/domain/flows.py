"""What the platform calls when: the flows of both modes as data (DOMAIN.md §3).

A flow is a list of steps; each step is done by the platform itself, by its managed user store or
by one action script. A script step says which flow input feeds which script parameter. The
simulator (app/engine/simulator.py) walks these steps; the IDE's Flow panel draws them; docs/simulation.md
and `customdb simulate --help` list them. Log event codes are the hosted platform's: `s` / `fp` /
`fu` (login), `ss` / `fs` (signup), `scp` / `fcp` (change password), `sv` / `fv` (verification),
`sdu` / `fdu` (delete), `sce` / `fce` (change e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.scripts import Mode

INPUT_KEYS = ("email", "password", "new_password", "new_email", "user")
ACTORS = ("platform", "managed_store", "script")
PASSWORD_KEYS = frozenset({"password", "new_password"})
MASK = "****"


@dataclass(frozen=True)
class Step:
    """One thing that happens in a flow.

    `inputs` maps a script parameter to the flow input (or a value an earlier step produced, written
    `profile.user_id` and the like) that feeds it. `then` says what decides the next step, in words.
    """

    actor: str
    action: str
    script: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    then: str = ""


@dataclass(frozen=True)
class Flow:
    name: str
    mode: Mode
    title: str
    needs: tuple[str, ...]  # flow input keys that must be given
    steps: tuple[Step, ...]
    success_event: str | None
    failure_event: str | None
    scripts: tuple[str, ...] = field(default=())
    optional: tuple[str, ...] = ()  # scripts the flow runs only when the project has them

    def input_for(self, script: str) -> dict[str, str]:
        """Script parameter -> flow input, for the first step that runs `script`."""
        for step in self.steps:
            if step.script == script:
                return dict(step.inputs)
        raise KeyError(script)


def _script(script: str, inputs: dict[str, str], then: str = "") -> Step:
    return Step("script", f"run {script}", script, tuple(inputs.items()), then)


def _flow(name: str, mode: Mode, title: str, needs: tuple[str, ...], steps: tuple[Step, ...],
          success: str | None, failure: str | None, optional: tuple[str, ...] = ()) -> Flow:
    scripts = tuple(dict.fromkeys(s.script for s in steps if s.script))
    return Flow(name, mode, title, needs, steps, success, failure, scripts, optional)


_L, _M = Mode.LEGACY, Mode.MIGRATION

FLOWS: dict[tuple[Mode, str], Flow] = {
    (f.mode, f.name): f
    for f in (
        # -- legacy authentication: every operation calls a script --------------------------------------
        _flow("login", _L, "Login", ("email", "password"), (
            _script("login", {"email": "email", "password": "password"},
                    "profile: logged in (s); WrongUsernameOrPasswordError: fp (with user) or fu"),
        ), "s", "fp"),
        _flow("signup", _L, "Signup", ("email", "password"), (
            _script("get_user", {"email": "email"}, "a profile: the user exists, signup refused (fs)"),
            _script("create", {"user": "user"}, "callback(None): created; ValidationError user_exists: fs"),
            _script("login", {"email": "email", "password": "password"}, "confirms the new user (ss)"),
        ), "ss", "fs"),
        _flow("reset-password", _L, "Password reset", ("email", "new_password"), (
            _script("get_user", {"email": "email"}, "not found: nothing to reset (fcp)"),
            _script("change_password", {"email": "email", "new_password": "new_password"},
                    "True: changed (scp); False: not changed (fcp)"),
        ), "scp", "fcp"),
        _flow("verify", _L, "E-mail verification", ("email",), (
            _script("verify", {"email": "email"}, "True: verified (sv); False: fv"),
        ), "sv", "fv"),
        _flow("delete", _L, "Delete user", (), (
            Step("platform", "find the user's id (the dashboard knows it; from `user`, or Get User by e-mail)",
                 then="the id without the platform's auth0| prefix"),
            _script("delete", {"user_id": "user"}, "callback(None): deleted (sdu)"),
        ), "sdu", "fdu"),
        _flow("change-email", _L, "Change e-mail", ("email", "new_email"), (
            _script("get_user", {"email": "email"}, "not found: nothing to change (fce)"),
            _script("change_email", {"email": "email", "new_email": "new_email", "verified": "verified"},
                    "True: changed (sce); False: fce"),
        ), "sce", "fce"),
        # -- automatic migration: only Login and Get User, the managed store first --------------------
        _flow("login", _M, "Login", ("email", "password"), (
            Step("managed_store", "look the user up by e-mail",
                 then="found: check the password against the stored hash (s or fp), done"),
            _script("login", {"email": "email", "password": "password"},
                    "only for users not yet migrated; profile: migrate"),
            Step("managed_store", "create the user with Login's user_id and the password, hashed",
                 then="logged in (s); a tombstone with that user_id means the user came back"),
        ), "s", "fp"),
        _flow("signup", _M, "Signup", ("email", "password"), (
            Step("managed_store", "look the user up by e-mail", then="found: signup refused (fs)"),
            _script("get_user", {"email": "email"}, "a profile: the user exists in the legacy store, refused (fs)"),
            Step("managed_store", "create the user directly (no Create script in this mode)", then="ss"),
        ), "ss", "fs"),
        _flow("reset-password", _M, "Password reset", ("email", "new_password"), (
            Step("managed_store", "look the user up by e-mail", then="found: store the new password (scp)"),
            _script("get_user", {"email": "email"}, "not found: fcp"),
            _script("change_password", {"email": "email", "new_password": "new_password"},
                    "when the project has it: True lets the platform create the user; False or an error: "
                    "fcp, nobody created"),
            Step("managed_store", "create the user from Get User's profile with the new password",
                 then="scp; a tombstone with that user_id means the user came back"),
        ), "scp", "fcp", optional=("change_password",)),
        _flow("delete", _M, "Delete user", (), (
            Step("managed_store", "delete the user (by `user` id or e-mail) and keep a tombstone",
                 then="the legacy store is not touched: no Delete script in this mode (sdu, or fdu)"),
        ), "sdu", "fdu"),
        _flow("change-email", _M, "Change e-mail (management API)", ("email", "new_email"), (
            Step("managed_store", "look the user up by e-mail",
                 then="not found: fce (the platform changes the e-mail of its own users only)"),
            _script("get_user", {"email": "new_email"},
                    "is the new address a legacy user's? a profile: refused (fce); nobody is created"),
            Step("managed_store", "change the e-mail there", then="sce"),
        ), "sce", "fce"),
        _flow("identifier-first", _M, "Identifier-first lookup", ("email",), (
            Step("managed_store", "look the user up by e-mail", then="found: ask for the password, done"),
            _script("get_user", {"email": "email"},
                    "a profile: the identifier exists, ask for the password; nobody is created"),
        ), None, None),
        _flow("management-lookup", _M, "Management API lookup", ("email",), (
            Step("managed_store", "look the user up by e-mail", then="found: answered from the managed store"),
            _script("get_user", {"email": "email"},
                    "a profile: the address belongs to a legacy user (create user refused); nobody is created"),
        ), None, None),
    )
}


def flow(mode: Mode | str, name: str) -> Flow:
    """The flow `name` of `mode`; KeyError with a message that lists the valid names."""
    try:
        return FLOWS[(Mode(mode), name)]
    except (KeyError, ValueError):
        raise KeyError(f"unknown flow {name!r} for {Mode(mode).value} mode; choose one of "
                       f"{', '.join(flow_names(mode))}") from None


def flow_names(mode: Mode | str) -> list[str]:
    return [name for (m, name) in FLOWS if m == Mode(mode)]


def mask_input(data: object) -> object:
    """A step's input with every password replaced by ****, also inside `user`."""
    if isinstance(data, dict):
        return {k: (MASK if k in PASSWORD_KEYS and v not in (None, "") else mask_input(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_input(v) for v in data]
    return data


def check_input(data: object) -> dict:
    """The flow input, validated: a JSON object with only INPUT_KEYS. Raises ValueError with a message."""
    if not isinstance(data, dict):
        raise ValueError(f"the flow input must be a JSON object with the keys {', '.join(INPUT_KEYS)}")
    unknown = [k for k in data if k not in INPUT_KEYS]
    if unknown:
        raise ValueError(f"unknown input key {unknown[0]!r}; expected {', '.join(INPUT_KEYS)}")
    for key in ("email", "password", "new_password", "new_email"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"the input's {key!r} must be a string")
    user = data.get("user")
    if user is not None and not isinstance(user, str | int | dict):
        raise ValueError("the input's 'user' must be a user id (text) or, for signup, an object of extra fields")
    return dict(data)
