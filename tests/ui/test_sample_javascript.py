"""File → New sample project → JavaScript opens the JavaScript twin of the sample project (the same
users, in the embedded sample database), made on first use; the Python one stays as it was."""

from __future__ import annotations

from PySide6.QtGui import QAction


def _sample_action(window, text):
    file = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    samples = next(a.menu() for a in file.actions() if a.text() == "New &sample project")
    return next(a for a in samples.actions() if a.text() == text)


def test_new_sample_project_javascript_opens_the_twin(make_window, project, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))
    window = make_window(project)
    opened = []
    window.project_opened.connect(opened.append)
    action: QAction = _sample_action(window, "&JavaScript")
    action.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=10000)
    twin = opened[0]
    try:
        assert twin.project.language.name == "javascript"
        assert twin.project.root == tmp_path / "userdata" / "sample-javascript"
        assert (twin.project.root / "scripts" / "login.js").is_file()
        assert "alice@example.com" in (twin.project.root / "cases" / "login-alice.json").read_text(encoding="utf-8")
        assert twin.project.extra["sample_database"]["engine"] == "pglite"
        from app.engine import sampledb

        sampledb.ensure_running(twin.project)  # what a run or the Schema panel does
        server = sampledb._servers[twin.project.root.resolve()]
        twin.close()  # the window's database stops with it
        qtbot.waitUntil(lambda: not server.running(), timeout=20000)
    finally:
        for doc in twin.docs.values():
            doc.editor.document().setModified(False)
        twin.close()
        twin.controller.shutdown()
        twin.autosave_timer.stop()
        twin.deleteLater()
        from app.engine import sampledb

        sampledb.stop_all()
