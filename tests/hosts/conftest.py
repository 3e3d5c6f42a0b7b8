"""The host registry of the conformance suite: every host runs the same cases (docs/protocol.md,
"How a new host joins").

A host is a `Host`: its name, how to make a project whose scripts it runs, and the script text of
every case in its language (`SCRIPTS[case] = (script kind, text)`). A new host is added by
appending one entry to HOSTS; a case a host cannot express yet is left out of its `scripts`, and
its tests are skipped with that reason (nothing passes without running).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.domain.project import Project
from tests.runner_support import make_project

SECRET = "s3cr3t-host-value"


@dataclass(frozen=True)
class Host:
    name: str
    make_project: Callable[..., Project]  # (root, {kind: text}, **options) -> a project run by this host
    scripts: Mapping[str, tuple[str, str]]  # case -> (script kind, script text)
    features: frozenset[str] = field(default_factory=frozenset)  # e.g. "proc-fds": can find its channel fd

    def project(self, root: Path, case: str, **options) -> tuple[Project, str]:
        """A fresh project holding the case's script; returns (project, script kind)."""
        if case not in self.scripts:
            pytest.skip(f"the {self.name} host has no script for the case {case!r} yet")
        key, text = self.scripts[case]
        return self.make_project(root, {key: text}, **options), key


PYTHON_SCRIPTS: dict[str, tuple[str, str]] = {
    "login_ok": ("login", '''
        def login(email, password, callback):
            row = db.execute(text("SELECT id, email, password_hash FROM users WHERE email = :e"),
                             {"e": email}).first()
            if row is None or not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
                return callback(WrongUsernameOrPasswordError(email if row else None))
            return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
        '''),
    "get_user_not_found": ("get_user", '''
        def get_user(email, callback):
            callback(None)
        '''),
    "get_user_profile": ("get_user", '''
        def get_user(email, callback):
            callback(None, {"user_id": "legacy|1", "email": email})
        '''),
    "error_thrown": ("get_user", '''
        def get_user(email, callback):
            raise RuntimeError("the legacy API is down")
        '''),
    "error_passed": ("get_user", '''
        def get_user(email, callback):
            callback(Exception("the legacy API is down"))
        '''),
    "validation_rejected": ("create", '''
        def create(user, callback):
            callback(ValidationError("user_exists", "the user already exists"))
        '''),
    "endless_loop": ("get_user", '''
        def get_user(email, callback):
            while True:
                pass
        '''),
    "exit_process": ("get_user", '''
        import os

        def get_user(email, callback):
            os._exit(3)
        '''),
    "syntax_error": ("get_user", '''
        def get_user(email, callback)
            callback(None)
        '''),
    "callback_twice": ("get_user", '''
        def get_user(email, callback):
            callback(None, {"user_id": "first", "email": email})
            callback(None, {"user_id": "second", "email": email})
        '''),
    "callback_never": ("get_user", '''
        def get_user(email, callback):
            return None
        '''),
    "output": ("get_user", '''
        import sys

        def get_user(email, callback):
            print("to stdout")
            print("to stderr", file=sys.stderr)
            callback(None)
        '''),
    "sql": ("get_user", '''
        def get_user(email, callback):
            row = db.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).first()
            callback(None, {"user_id": f"legacy|{row.id}", "email": email})
        '''),
    "secret_everywhere": ("get_user", '''
        def get_user(email, callback):
            key = configuration["API_KEY"]
            print("using", key)
            callback(None, {"user_id": "legacy|1", "email": email, "note": "key " + key})
        '''),
    "keeps_global": ("get_user", '''
        def get_user(email, callback):
            global_["runs"] = global_.get("runs", 0) + 1
            callback(None, {"user_id": "legacy|1", "email": email, "runs": global_["runs"]})
        '''),
    # the channel attacks (issue 19 D5/D6): the script finds its channel's socket and writes onto it
    "channel_garbage": ("get_user", '''
        import os

        def get_user(email, callback):
            for fd in range(3, 256):
                try:
                    if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                        os.write(fd, b"\\x00\\x00\\x00\\x05garbage-not-json")
                except OSError:
                    pass
            callback(None)
        '''),
    "channel_partial_frame": ("get_user", '''
        import os, time

        def get_user(email, callback):
            for fd in range(3, 256):
                try:
                    if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                        os.write(fd, b"\\x00\\x00\\x03\\xe8{\\"type\\": \\"log\\", \\"te")
                except OSError:
                    pass
            time.sleep(60)
        '''),
    # issue 19 (reliab): attacks every host must withstand
    "dry_run_sql_commit": ("get_user", '''
        def get_user(email, callback):
            db.execute(text("COMMIT"))
            db.execute(text("UPDATE users SET email = 'escaped@example.com' WHERE id = 1"))
            callback(None)
        '''),
    "spawns_processes": ("get_user", '''
        import subprocess, sys

        def get_user(email, callback):
            sleeper = [sys.executable, "-c", "import time; time.sleep(300)", configuration["MARK"]]
            subprocess.Popen(sleeper)
            subprocess.Popen(sleeper, start_new_session=True)
            callback(None)
        '''),
    "error_str_raises": ("get_user", '''
        class Boom(Exception):
            def __str__(self):
                raise RuntimeError("str exploded")

        def get_user(email, callback):
            raise Boom()
        '''),
    "secret_rendered": ("get_user", '''
        import json

        def get_user(email, callback):
            weird = configuration["WEIRD"]
            print(repr(weird), json.dumps({"w": weird}))
            print("x" * (65536 - 10) + weird)
            callback(None)
        '''),
}


def _python_project(root: Path, scripts: dict[str, str], **options) -> Project:
    return make_project(root, {k: textwrap.dedent(v) for k, v in scripts.items()}, **options)


def _node_project(root: Path, scripts: dict[str, str], **options) -> Project:
    from tests.node_host_support import node_host_project

    return node_host_project(root, {k: textwrap.dedent(v) for k, v in scripts.items()}, **options)


def _node_scripts() -> dict[str, tuple[str, str]]:
    from tests.node_host_support import NODE_SCRIPTS

    return NODE_SCRIPTS


HOSTS: list[Host] = [
    Host("python", _python_project, PYTHON_SCRIPTS, frozenset({"proc-fds"})),
    # app/runtime/js/host.js; its projects run on one embedded sample database (PGlite) per session
    Host("node", _node_project, _node_scripts(), frozenset({"proc-fds"})),
]


@pytest.fixture(params=HOSTS, ids=lambda h: h.name)
def host(request) -> Host:
    return request.param
