"""The app's light and dark themes: every special colour readable against its text (WCAG AA), and
View → Theme recolours what is on screen — editor, highlighted trace frame, name chip, restricted
banner, Reproduce's matched rows, the Flow canvas, SQL errors, findings — and is remembered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.ui import theme
from app.ui.editor import themes as editor_themes

V8_TRACE = """TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/data/io/get_user.js:3:9)
    at Query._callback (/data/node_modules/mysql/lib/protocol/Query.js:88:7)
    at /data/io/get_user.js:5:20
"""
AA = 4.5


def test_relative_luminance_and_contrast_follow_wcag():
    assert theme.relative_luminance("#ffffff") == pytest.approx(1.0)
    assert theme.relative_luminance("#000000") == pytest.approx(0.0)
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert theme.contrast("#fff3c4", "#ffffff") < 1.2  # the old pastel behind white text: unreadable


@pytest.mark.parametrize("name", sorted(theme.PALETTES))
@pytest.mark.parametrize("pair", theme.CONTRAST_PAIRS, ids=lambda p: f"{p[0]}-on-{p[1]}")
def test_each_special_colour_reaches_aa_against_its_text(name, pair):
    palette = theme.PALETTES[name]
    foreground, background = (getattr(palette, attr) for attr in pair)
    assert theme.contrast(foreground, background) >= AA, f"{name}: {pair} {foreground} on {background}"


@pytest.mark.parametrize("name", sorted(editor_themes.THEMES))
def test_the_editors_highlights_keep_the_text_readable(name):
    t = editor_themes.THEMES[name]
    for background in ("background", "current_line", "selection", "find_match", "debug_line", "bracket_match",
                       "bracket_mismatch"):
        assert theme.contrast(t.foreground, getattr(t, background)) >= AA, (name, background)


def test_every_template_name_is_a_palette_colour():
    from app.ui.panels.run_panel import BUSY_STYLE, COMMIT_ON_STYLE, badge_style
    from app.ui.reproduction import BANNER_STYLE

    for template in (BUSY_STYLE, COMMIT_ON_STYLE, BANNER_STYLE, badge_style("ok"), badge_style("error")):
        theme.style_sheet(template, theme.DARK)  # a KeyError names a colour the palettes lack


@pytest.fixture
def themed():
    """Leaves the application as the tests found it (light palette, no app theme)."""
    app = QApplication.instance()
    palette = QPalette(app.palette())
    yield
    theme.apply("light")
    app.setPalette(palette)
    editor_themes.APP_THEME = None


def _pixel(widget, x=2, y=2) -> str:
    return widget.grab().toImage().pixelColor(x, y).name()


def test_switching_the_theme_recolours_the_panels(make_window, project, qtbot, themed):
    window = make_window(project)
    theme.apply("light")
    panel = window.reproduction.trace_panel
    panel.show_text(V8_TRACE)
    top = panel.tree.topLevelItem(0)
    anonymous = next(top.child(i) for i in range(top.childCount()) if "(anonymous)" in top.child(i).text(0))
    window.reproduction.banner.show()
    window.sql_panel.add({"statement": "SELECT 1 = true", "error": "UndefinedFunction: operator does not exist"})
    window.docks["Flow"].raise_()
    qtbot.waitUntil(lambda: window.flows.diagram.isVisible(), timeout=2000)
    assert anonymous.background(0).color().name() == theme.LIGHT.anonymous_bg
    assert _pixel(window.flows.diagram) == theme.LIGHT.canvas_bg

    window.theme_actions["dark"].trigger()  # View → Theme → Dark
    dark = theme.DARK
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).name() == dark.window
    assert window.current_doc().editor.theme.name == "dark"
    assert anonymous.background(0).color().name() == dark.anonymous_bg
    qtbot.waitUntil(lambda: panel.tree.palette().color(QPalette.ColorRole.Text).name() == dark.text, timeout=2000)
    assert theme.contrast(panel.tree.palette().color(QPalette.ColorRole.Text).name(), dark.anonymous_bg) >= AA
    chip = panel.chips[0][0].parentWidget()
    assert dark.chip_bg in chip.styleSheet()
    assert dark.banner_bg in window.reproduction.banner.styleSheet()
    assert window.sql_panel.table.item(0, 0).background().color().name() == dark.error_row_bg
    qtbot.waitUntil(lambda: _pixel(window.flows.diagram) == dark.canvas_bg, timeout=2000)
    assert QSettings().value(theme.SETTING) == "dark", "remembered"
    assert window.theme_actions["dark"].isChecked()

    window.theme_actions["light"].trigger()
    assert anonymous.background(0).color().name() == theme.LIGHT.anonymous_bg
    assert window.current_doc().editor.theme.name == "light"


def test_a_new_window_opens_in_the_remembered_theme(make_window, project, themed):
    QSettings().setValue(theme.SETTING, "dark")
    theme.apply(ask_os=False)  # what application.main does before the first window
    window = make_window(project)
    assert window.theme_actions["dark"].isChecked()
    assert window.current_doc().editor.theme.name == "dark"
    window.findings_panel.set_static("login", [])
    from app.domain.findings import Finding, Severity

    window.findings_panel.set_static("login", [Finding("bad", Severity.ERROR, "it is bad", "login", 1)])
    item = window.findings_panel.tree.topLevelItem(0)
    assert item.foreground(0).color().name() == theme.DARK.error


def test_system_follows_what_the_platform_gives(make_window, project, themed):
    QSettings().setValue(theme.SETTING, "system")
    assert theme.preference() == "system"
    theme.apply("system")
    assert theme.current().name in ("light", "dark")
    window = make_window(project)
    assert window.theme_actions["system"].isChecked()
