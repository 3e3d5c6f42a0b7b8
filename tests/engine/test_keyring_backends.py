"""A keyring backend that is not an OS keychain (keyrings.alt's file backends: PlaintextKeyring,
EncryptedKeyring; any backend of low priority) is refused: no secret is written through it, and the
message names the file the secret would have gone to (RELIABILITY-REVIEW D14). Tested with stand-in
classes of the same module and name, so keyrings.alt itself is never installed."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.cli import main
from app.domain.project import Project
from app.engine.secrets import KeychainUnavailable, keychain_problem, set_secret


def fake_backend(module: str, name: str, path, priority: float = 0.5, file_backed: bool = True) -> KeyringBackend:
    """A backend that writes what it is given to `path`, as the real file backends do (which also
    say where: `file_path`)."""

    def set_password(self, service, username, password):
        path.write_text(f"{service}:{username}={password}")

    cls = type(name, (KeyringBackend,), {
        "__module__": module, "priority": priority, "file_path": str(path) if file_backed else None,
        "get_password": lambda self, s, u: None, "set_password": set_password,
        "delete_password": lambda self, s, u: None})
    return cls()


@pytest.fixture
def project(tmp_path):
    p = Project(root=tmp_path / "shop", name="shop")
    p.save()
    return p


@pytest.fixture
def restore_keyring():
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)
    from app.engine.secrets import reset_keychain_state

    reset_keychain_state()


@pytest.mark.parametrize(("module", "name"), [("keyrings.alt.file", "PlaintextKeyring"),
                                              ("keyrings.alt.file", "EncryptedKeyring"),
                                              ("some.vendor", "FileKeyring")])
def test_a_file_backend_is_refused_and_named_with_its_file(project, tmp_path, restore_keyring, module, name):
    where = tmp_path / "keyring_pass.cfg"
    keyring.set_keyring(fake_backend(module, name, where, priority=0.5))
    problem = keychain_problem()
    assert problem and name in problem and str(where) in problem
    with pytest.raises(KeychainUnavailable):
        set_secret(project, "API_KEY", "s3cr3t-value-77")
    assert not where.exists()


def test_config_set_secret_refuses_it_with_one_line(project, tmp_path, restore_keyring, capsys):
    where = tmp_path / "keyring_pass.cfg"
    keyring.set_keyring(fake_backend("keyrings.alt.file", "PlaintextKeyring", where))
    code = main(["config", "set", str(project.root), "API_KEY", "s3cr3t-value-77", "--secret"])
    err = capsys.readouterr().err
    assert code != 0 and "PlaintextKeyring" in err and str(where) in err
    assert "s3cr3t-value-77" not in err and not where.exists()


def test_a_real_keychain_of_normal_priority_is_still_used(project, tmp_path, restore_keyring):
    where = tmp_path / "vault"
    keyring.set_keyring(fake_backend("keyring.backends.SecretService", "Keyring", where, priority=5,
                                     file_backed=False))
    assert keychain_problem() is None
    set_secret(project, "API_KEY", "s3cr3t-value-77")
    assert where.exists()
