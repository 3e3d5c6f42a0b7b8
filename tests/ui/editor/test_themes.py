"""An editor that follows the OS starts with the palette's light or dark (cheap, before the first
paint) and asks the OS's colour scheme right after it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from app.ui.editor import themes


def test_the_palette_decides_light_or_dark(qapp):
    original = QPalette(QGuiApplication.palette())
    try:
        for window, expected in (("#202124", "dark"), ("#f5f5f5", "light")):
            palette = QPalette(original)
            palette.setColor(QPalette.ColorRole.Window, QColor(window))
            QGuiApplication.setPalette(palette)
            assert themes.palette_theme_name() == expected
    finally:
        QGuiApplication.setPalette(original)


def test_an_editor_following_the_os_takes_its_scheme_after_the_first_paint(qtbot, monkeypatch):
    import app.ui.editor.code_editor as module

    monkeypatch.setattr(module, "palette_theme_name", lambda: "light")
    monkeypatch.setattr(module, "system_theme_name", lambda: "dark")  # e.g. a style that ignores dark mode
    editor = module.CodeEditor(completion=False)
    qtbot.addWidget(editor)
    assert editor.theme.name == "light"  # what the first paint shows
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: editor.theme.name == "dark", timeout=3000)


def test_a_chosen_theme_is_kept_after_the_first_paint(qtbot, monkeypatch):
    import app.ui.editor.code_editor as module

    monkeypatch.setattr(module, "system_theme_name", lambda: "dark")
    editor = module.CodeEditor(completion=False, theme_name="light")
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.wait(50)
    assert editor.theme.name == "light"
