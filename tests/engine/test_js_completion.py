"""JavaScript completion and live diagnostics from TypeScript's language server (a real `tsc --lsp`)."""

from __future__ import annotations

import os

import pytest

from app.domain.js_declarations import globals_declarations
from app.engine.js_completion import TypeScriptService
from app.engine.js_tools import tsc_path

LOGIN = """function login(email, password, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });
  HERE
}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    if tsc_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs TypeScript's language server: make installs it (resources/typescript)")
        pytest.skip("TypeScript's language server is not installed (make)")
    svc = TypeScriptService(workspace=tmp_path_factory.mktemp("ts"))
    svc.configure("login", ["DB_URL", "BCRYPT_ROUNDS"])
    yield svc
    svc.close()


def complete(service, line_text: str, kind: str = "login") -> list[str]:
    service.configure(kind, ["DB_URL", "BCRYPT_ROUNDS"])
    source = LOGIN.replace("HERE", line_text)
    return [c.name for c in service.complete(source, 4, len("  " + line_text))]


def test_configuration_completes_the_projects_keys(service):
    assert complete(service, "configuration.") == ["BCRYPT_ROUNDS", "DB_URL"]
    assert complete(service, 'configuration["') == ["BCRYPT_ROUNDS", "DB_URL"]


def test_keys_added_to_the_project_appear_at_once(service):
    service.configure("login", ["DB_URL", "BCRYPT_ROUNDS", "API_KEY"])
    source = LOGIN.replace("HERE", "configuration.")
    assert "API_KEY" in [c.name for c in service.complete(source, 4, len("  configuration."))]


def test_the_entrys_parameters_have_the_kinds_types(service):
    names = complete(service, "email.")
    assert {"toLowerCase", "trim", "includes"} <= set(names)
    (sig,) = service.signatures(LOGIN.replace("HERE", "callback("), 4, len("  callback("))
    assert sig.params == ("error: Error | null", "profile?: Profile") and sig.index == 0


def test_driver_objects_complete_their_members(service):
    assert {"query", "connect", "end"} <= set(complete(service, "client."))


def test_error_classes_show_their_constructor(service):
    assert "WrongUsernameOrPasswordError" in complete(service, "new Wrong")
    (sig,) = service.signatures(LOGIN.replace("HERE", "new ValidationError("), 4, len("  new ValidationError("))
    assert sig.params[0] == "code: string"


def test_require_completes_node_builtins_and_the_store(service, monkeypatch):
    import app.engine.js_completion as js

    monkeypatch.setattr(js, "store_modules", lambda: {"pg": ("8.23.1", "4.5.7"), "bcrypt": ("3.0.3",)})
    names = complete(service, "require('")
    assert {"pg", "pg@8.23.1", "pg@4.5.7", "bcrypt", "crypto"} <= set(names)
    assert complete(service, "require('pg@") == ["pg@8.23.1", "pg@4.5.7"]


def test_diagnostics_name_undefined_names_typos_and_missing_configuration_keys(service):
    service.configure("login", ["DB_URL"])
    source = LOGIN.replace("HERE", "configuration.NOPE; undefinedFn(); global.cache = 1; client.qurey('x');")
    found = {d.code: d for d in service.diagnostics(source)}
    assert set(found) == {"unknown-configuration-key", "undefined-name", "unknown-member"}
    assert "NOPE" in found["unknown-configuration-key"].message and found["undefined-name"].line == 4
    assert "query" in found["unknown-member"].message
    assert service.diagnostics(LOGIN.replace("HERE", "client.query('SELECT 1');")) == []


def test_positions_on_the_entrys_own_line_are_mapped_back(service):
    source = "function login(email, password, callback) { nope(); }\n"
    (d,) = service.diagnostics(source)
    assert (d.line, d.column) == (1, source.index("nope"))


def test_a_dead_server_is_started_again(service):
    complete(service, "configuration.")
    old = service._client.proc
    old.kill()
    old.wait()
    assert complete(service, "configuration.") == ["BCRYPT_ROUNDS", "DB_URL"]
    assert service._client.proc.pid != old.pid


def test_declarations_never_hold_a_value_and_skip_bad_keys():
    text = globals_declarations({"DB_URL": True, "not-an-identifier": False, "ROUNDS": False})
    assert "readonly DB_URL: string;" in text and "not-an-identifier" not in text
    assert "type LoginScript = (userNameOrEmail: string, password: string, callback: LoginCallback) => void;" in text
    assert "context: ScriptContext" in globals_declarations({}, context=True)
