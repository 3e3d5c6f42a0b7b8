"""`customdb-studio BUNDLE`: a reproduction bundle given on the command line (what the installers'
file association does) is unpacked where the user agrees and opens restricted."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app.engine import trust
from app.engine.bundles import export_bundle
from app.ui import application


@pytest.fixture
def bundle(project, tmp_path):
    out = tmp_path / "incoming" / "acme.cdbbundle"
    out.parent.mkdir()
    zip_path = export_bundle(project, tmp_path / "incoming" / "acme.zip", script="login").path
    zip_path.rename(out)
    return out


def _close(window) -> None:
    window.controller.shutdown()
    window.autosave_timer.stop()
    window.close()
    window.deleteLater()


def test_a_bundle_argument_is_unpacked_beside_it_and_opens_restricted(bundle, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(application, "choose_unpack_folder",
                        lambda b: asked.append(b) or application.default_unpack_folder(b))
    window = application.open_window([str(bundle)])
    try:
        assert asked == [bundle]
        assert window.project.root == bundle.parent / "acme"
        assert (bundle.parent / "acme" / "scripts" / "login.py").is_file()
        assert trust.is_restricted(window.project)
        qtbot.waitUntil(lambda: window.panels_installed, timeout=5000)
        assert window.reproduction.banner.isVisible()
    finally:
        _close(window)


def test_unpack_here_is_the_dialog_default(bundle, monkeypatch):
    (bundle.parent / "acme").mkdir()  # taken: the default moves on
    monkeypatch.setattr(QMessageBox, "exec", lambda box: box.defaultButton().click())
    assert application.choose_unpack_folder(bundle) == bundle.parent / "acme-2"


def test_cancelling_opens_nothing(bundle, monkeypatch):
    monkeypatch.setattr(application, "choose_unpack_folder", lambda b: None)
    assert application.open_window([str(bundle)]) == 0
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["acme.cdbbundle"]


def test_a_damaged_bundle_says_why_and_exits_2(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    shown = []
    monkeypatch.setattr(application, "choose_unpack_folder", application.default_unpack_folder)
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    assert application.open_window([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.zip" in err and "not a zip file" in err and "Traceback" not in err
    assert shown and "not a zip file" in shown[0]
    assert not (tmp_path / "broken").exists()


def test_a_folder_argument_is_still_a_project(project_dir, qtbot):
    assert application.bundle_argument([str(project_dir)]) is None
    window = application.open_window([str(project_dir)])
    try:
        assert window.project.root == project_dir
    finally:
        _close(window)


def test_main_collects_no_garbage_until_the_window_has_painted(project_dir, qtbot, monkeypatch):
    import gc

    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    seen = {}

    def fake_exec(app) -> int:
        seen["at_exec"] = gc.isenabled()
        window = MainWindow.open_windows[-1]
        seen["window"] = window
        qtbot.waitUntil(lambda: window.panels_installed, timeout=5000)
        seen["after_paint"] = gc.isenabled()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    try:
        assert application.main([str(project_dir)]) == 0
    finally:
        gc.enable()
        if "window" in seen:
            _close(seen["window"])
    assert seen["at_exec"] is False and seen["after_paint"] is True
