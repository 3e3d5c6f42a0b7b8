"""Secrets: keychain entries per project and key, the CI environment override, the per-session
store, clear errors when a secret or the keychain is missing, and masking."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest
from keyring.errors import KeyringLocked

from app.domain.project import ConfigEntry, Project
from app.engine import secrets
from app.engine.secrets import (
    KeychainUnavailable,
    MissingSecretError,
    SessionSecrets,
    delete_secret,
    get_secret,
    keychain_notice_once,
    mask,
    mask_data,
    resolve_configuration,
    secret_source,
    set_secret,
)


def reads(root, *keys):
    """A login script that reads these configuration keys (a secret no script reads is not needed)."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    body = "".join(f"    configuration[{k!r}]\n" for k in keys)
    (root / "scripts" / "login.py").write_text(f"def login(email, password, callback):\n{body}", encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    reads(tmp_path / "p", "API_KEY")
    return Project(root=tmp_path / "p", name="shop", configuration={
        "BCRYPT_ROUNDS": ConfigEntry("BCRYPT_ROUNDS", "10"),
        "API_KEY": ConfigEntry("API_KEY", None, secret=True),
    })


@pytest.fixture
def no_keychain():
    keyring.set_keyring(keyring.backends.fail.Keyring())


def test_set_secret_writes_one_keychain_entry_per_project_and_key(project, memory_keyring):
    set_secret(project, "API_KEY", "s3cr3t-value")
    assert memory_keyring.store == {("customdb-studio", f"{project.id}:API_KEY"): "s3cr3t-value"}
    assert get_secret(project, "API_KEY", environ={}) == "s3cr3t-value"


def test_two_projects_do_not_share_secrets(tmp_path):
    a, b = Project(root=tmp_path / "a", name="a"), Project(root=tmp_path / "b", name="b")
    set_secret(a, "API_KEY", "for-a")
    assert get_secret(b, "API_KEY", environ={}) is None


def test_environment_overrides_the_keychain(project):
    set_secret(project, "API_KEY", "from-keychain")
    env = {"CUSTOMDB_CONFIG_API_KEY": "from-env"}
    assert get_secret(project, "API_KEY", environ=env) == "from-env"
    assert secret_source(project, "API_KEY", environ=env) == ("from-env", "environment")
    assert secret_source(project, "API_KEY", environ={}) == ("from-keychain", "keychain")


def test_database_password_has_its_own_environment_variable(project):
    env = {"CUSTOMDB_DATABASE_PASSWORD": "pg-pass"}
    assert get_secret(project, "DATABASE_PASSWORD", environ=env) == "pg-pass"


def test_delete_secret_removes_the_entry_and_reports_whether_it_existed(project, memory_keyring):
    set_secret(project, "API_KEY", "x-value")
    assert delete_secret(project, "API_KEY") is True
    assert memory_keyring.store == {}
    assert delete_secret(project, "API_KEY") is False


def test_resolve_merges_plain_and_secret_values_and_lists_what_to_mask(project):
    set_secret(project, "API_KEY", "k-123456")
    resolved = resolve_configuration(project, environ={})
    assert resolved.values == {"BCRYPT_ROUNDS": "10", "API_KEY": "k-123456"}
    assert resolved.secret_values == frozenset({"k-123456"})
    assert resolved.secret_keys == frozenset({"API_KEY"})
    assert resolved.sources == {"BCRYPT_ROUNDS": "file", "API_KEY": "keychain"}


def test_missing_secret_names_the_key_and_both_ways_to_set_it(project):
    with pytest.raises(MissingSecretError) as info:
        resolve_configuration(project, environ={})
    message = str(info.value)
    assert info.value.key == "API_KEY"
    assert "'API_KEY'" in message
    assert f"customdb config set {project.root} API_KEY VALUE --secret" in message
    assert "CUSTOMDB_CONFIG_API_KEY" in message


def test_every_missing_secret_is_named_at_once(tmp_path):
    reads(tmp_path, "A_TOKEN", "B_TOKEN")
    p = Project(root=tmp_path, name="p", configuration={
        "A_TOKEN": ConfigEntry("A_TOKEN", None, True), "B_TOKEN": ConfigEntry("B_TOKEN", None, True)})
    with pytest.raises(MissingSecretError) as info:
        resolve_configuration(p, environ={})
    assert info.value.keys == ["A_TOKEN", "B_TOKEN"]
    assert "CUSTOMDB_CONFIG_B_TOKEN" in str(info.value)


def test_no_backend_raises_keychain_unavailable_with_a_clear_message(project, no_keychain, tmp_path):
    with pytest.raises(KeychainUnavailable) as info:
        set_secret(project, "API_KEY", "value-1")
    assert "no OS keychain" in str(info.value)
    assert "value-1" not in str(info.value)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["login.py"]  # nothing fell back to a file


def test_no_backend_is_said_once(project, no_keychain):
    first, second = keychain_notice_once(), keychain_notice_once()
    assert first and "no OS keychain" in first
    assert second is None


def test_without_keychain_the_environment_and_the_session_still_work(project, no_keychain):
    env = {"CUSTOMDB_CONFIG_API_KEY": "env-value"}
    resolved = resolve_configuration(project, environ=env)
    assert resolved.values["API_KEY"] == "env-value"
    assert resolved.notices and "no OS keychain" in resolved.notices[0]
    # the IDE asked the user and stored the answer for this session only
    session = SessionSecrets()
    session.set(project, "API_KEY", "typed-in")
    again = resolve_configuration(project, environ={}, session=session)
    assert again.values["API_KEY"] == "typed-in" and again.sources["API_KEY"] == "session"
    assert again.notices == ()  # already said


def test_without_keychain_a_missing_secret_says_why(project, no_keychain):
    with pytest.raises(MissingSecretError) as info:
        resolve_configuration(project, environ={})
    assert "no OS keychain" in str(info.value)
    assert "CUSTOMDB_CONFIG_API_KEY" in str(info.value)


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.calls = 0

    def get_password(self, service, username):
        self.calls += 1
        raise KeyringLocked("the keychain is locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("the keychain is locked")

    def delete_password(self, service, username):
        raise KeyringLocked("the keychain is locked")


def test_a_keychain_error_on_use_becomes_keychain_unavailable_and_is_not_retried(project):
    ring = LockedKeyring()
    keyring.set_keyring(ring)
    with pytest.raises(KeychainUnavailable) as info:
        get_secret(project, "API_KEY", environ={})
    assert "refused access" in str(info.value)
    with pytest.raises(KeychainUnavailable):
        get_secret(project, "API_KEY", environ={})
    assert ring.calls == 1  # a locked keychain is not prompted again on every lookup
    secrets.reset_keychain_state()
    with pytest.raises(KeychainUnavailable):
        get_secret(project, "API_KEY", environ={})
    assert ring.calls == 2


def test_the_session_store_lives_in_memory_only(project, tmp_path):
    store = SessionSecrets()
    store.set(project, "API_KEY", "abc-typed")
    assert store.get(project, "API_KEY") == "abc-typed"
    assert (project, "API_KEY") in store
    store.clear()
    assert store.get(project, "API_KEY") is None


# -- masking -------------------------------------------------------------------------------------

def test_mask_replaces_every_occurrence():
    assert mask("key=s3cret and again s3cret", {"s3cret"}) == "key=**** and again ****"


def test_mask_replaces_the_longest_secret_first():
    # with "hunter2" first, "hunter22" would leave a visible "2"
    assert mask("pw hunter22", ["hunter2", "hunter22"]) == "pw ****"


def test_mask_ignores_empty_values_and_masks_short_ones_only_standing_alone():
    assert mask("abc", {""}) == "abc"
    assert mask("pin 42 in 1423 and x42", {"42"}) == "pin **** in 1423 and x42"


def test_mask_treats_regex_characters_literally():
    assert mask("a.b*c(d a_b", {"a.b*c(d"}) == "**** a_b"


def test_mask_data_walks_profiles_and_sql_params():
    data = {"user": {"token": "tok-9999", "tags": ["tok-9999", 3]}, "params": ("tok-9999",)}
    assert mask_data(data, {"tok-9999"}) == {"user": {"token": "****", "tags": ["****", 3]}, "params": ("****",)}


# -- only what the scripts read; changes seen at once (issue 17 item 3) -----------------------------------
def test_a_secret_no_script_reads_is_neither_needed_nor_an_error(tmp_path):
    reads(tmp_path, "USED")
    p = Project(root=tmp_path, name="p", configuration={
        "USED": ConfigEntry("USED", None, True), "UNUSED": ConfigEntry("UNUSED", None, True),
        "PLAIN": ConfigEntry("PLAIN", "x")})
    assert secrets.needed_secret_keys(p) == ["USED"]
    with pytest.raises(MissingSecretError) as info:
        resolve_configuration(p, environ={})
    assert info.value.keys == ["USED"]  # UNUSED is not named: nothing needs it
    resolved = resolve_configuration(p, environ={"CUSTOMDB_CONFIG_USED": "u-value"})
    assert resolved.values == {"USED": "u-value", "PLAIN": "x"}


def test_a_script_reading_configuration_dynamically_needs_every_secret(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "login.py").write_text(
        "def login(email, password, callback):\n    name = 'A'\n    configuration[name]\n", encoding="utf-8")
    p = Project(root=tmp_path, name="p", configuration={"A": ConfigEntry("A", None, True),
                                                       "B": ConfigEntry("B", None, True)})
    assert secrets.needed_secret_keys(p) == ["A", "B"]


def test_storing_or_deleting_a_secret_changes_the_generation(project, memory_keyring):
    session = secrets.session_secrets
    before = secrets.generation()
    session.set(project, "DATABASE_PASSWORD", "typed")
    assert secrets.generation() != before
    after_set = secrets.generation()
    set_secret(project, "API_KEY", "k-1")
    assert secrets.generation() != after_set
    after_keychain = secrets.generation()
    delete_secret(project, "API_KEY")
    assert secrets.generation() != after_keychain
    session.delete(project, "DATABASE_PASSWORD")
