"""The app's own light and dark themes: a Qt palette for the widgets and, per theme, one set of the
special colours the panels use (highlighted frames, chips, banners, matched rows, the Flow canvas,
links, errors, badges), so nothing keeps a light pastel behind a dark theme's white text.

View → Theme: System (the default: light or dark as the OS prefers, and following its changes),
Light or Dark; remembered in the settings. Every special colour is chosen against the theme's own
text for WCAG AA contrast (4.5:1; `CONTRAST_PAIRS`, checked by tests/ui/test_theme.py).

How panels use it:
- `current()` gives the palette; painters read it at paint time (a theme switch repaints them).
- `styled(widget, "background:{banner_bg}; color:{banner_fg};")` sets a style sheet whose `{names}`
  are palette fields; a switch re-applies it.
- `tint(item, column, background="matched_bg", foreground=None)` colours an item of a tree, table or
  list and remembers the names; a switch re-colours every such item.
Nothing here touches PySide6's `Qt` namespace before the first paint (app/ui/first_paint.py).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from app.ui.first_paint import solid_brush

SETTING = "view/theme"
THEME_ENV = "CUSTOMDB_THEME"
CHOICES = ("system", "light", "dark")
STYLE_PROPERTY = "themeStyle"  # the widget's style-sheet template
BACKGROUND_ROLE = 256 + 61  # Qt.ItemDataRole.UserRole + n, as ints: no `Qt` before the first paint
FOREGROUND_ROLE = 256 + 62


@dataclass(frozen=True)
class Palette:
    name: str  # "light" | "dark"
    # the widgets' palette
    window: str
    window_text: str
    base: str
    alternate_base: str
    text: str
    button: str
    button_text: str
    highlight: str
    highlighted_text: str
    tooltip_base: str
    tooltip_text: str
    placeholder: str
    disabled_text: str
    link: str
    link_visited: str
    light: str
    mid: str
    dark: str
    # special colours of the panels
    anonymous_bg: str  # the anonymous frame of a trace (Traces)
    chip_bg: str  # the name-suggestion chip (Traces)
    banner_bg: str  # restricted mode, no keychain
    banner_fg: str
    banner_border: str
    matched_bg: str  # Reproduce: frames matched by script and line
    error_row_bg: str  # a failed SQL statement's row
    canvas_bg: str  # the Flow diagram
    node_idle: str
    node_lit: str
    node_active: str
    node_failed: str
    node_text: str
    node_border: str
    edge: str
    edge_lit: str
    error: str  # text colours on the base / window colour
    warning: str
    info: str
    ok: str
    muted: str  # library frames, scripts not used
    badge_text: str  # outcome badges and the loud "writes committed"
    badge_ok: str
    badge_warn: str
    badge_error: str
    badge_idle: str

    def color(self, attr: str) -> QColor:
        return QColor(getattr(self, attr))


LIGHT = Palette(
    name="light",
    window="#efefef", window_text="#1f2328", base="#ffffff", alternate_base="#f6f8fa", text="#1f2328",
    button="#efefef", button_text="#1f2328", highlight="#2f65ca", highlighted_text="#ffffff",
    tooltip_base="#ffffdc", tooltip_text="#1f2328", placeholder="#6b6b6b", disabled_text="#8c8c8c",
    link="#0b57d0", link_visited="#6f42c1", light="#ffffff", mid="#b8b8b8", dark="#9f9f9f",
    anonymous_bg="#fff3c4", chip_bg="#e3f2fd", banner_bg="#fff3cd", banner_fg="#664d03",
    banner_border="#e0a800", matched_bg="#c8e6c9", error_row_bg="#fde2e1",
    canvas_bg="#ffffff", node_idle="#eceff1", node_lit="#ffd54f", node_active="#ffb74d",
    node_failed="#ef9a9a", node_text="#263238", node_border="#37474f", edge="#78909c", edge_lit="#ef6c00",
    error="#c62828", warning="#8a5a00", info="#0b5cad", ok="#256d29", muted="#6b6b6b",
    badge_text="#ffffff", badge_ok="#2e7d32", badge_warn="#8a5a00", badge_error="#c62828",
    badge_idle="#546e7a",
)
DARK = Palette(
    name="dark",
    window="#2b2d30", window_text="#dfe1e5", base="#1e1f22", alternate_base="#26282b", text="#dfe1e5",
    button="#3c3f41", button_text="#dfe1e5", highlight="#2f65ca", highlighted_text="#ffffff",
    tooltip_base="#3c3f41", tooltip_text="#dfe1e5", placeholder="#9aa0a6", disabled_text="#7a7e85",
    link="#6ea8fe", link_visited="#c297ff", light="#4a4d50", mid="#3a3c3f", dark="#151618",
    anonymous_bg="#3d3210", chip_bg="#1d3b5c", banner_bg="#3d3211", banner_fg="#ffdf80",
    banner_border="#b38600", matched_bg="#1e4a25", error_row_bg="#5a1d1d",
    canvas_bg="#1e1f22", node_idle="#3a3f44", node_lit="#6b5200", node_active="#8f4a00",
    node_failed="#7d2626", node_text="#f0f0f0", node_border="#9aa5ad", edge="#7d8a93", edge_lit="#ffa040",
    error="#ff7b72", warning="#e3b341", info="#79c0ff", ok="#56d364", muted="#9aa0a6",
    badge_text="#ffffff", badge_ok="#2e7d32", badge_warn="#8a5a00", badge_error="#c62828",
    badge_idle="#546e7a",
)
PALETTES: dict[str, Palette] = {"light": LIGHT, "dark": DARK}

# (foreground, background) pairs a user reads: each must reach WCAG AA, 4.5:1.
CONTRAST_PAIRS = (
    ("text", "base"), ("window_text", "window"), ("button_text", "button"), ("highlighted_text", "highlight"),
    ("tooltip_text", "tooltip_base"), ("placeholder", "base"), ("link", "base"), ("link", "window"),
    ("text", "anonymous_bg"), ("link", "anonymous_bg"), ("text", "chip_bg"), ("banner_fg", "banner_bg"),
    ("text", "matched_bg"), ("text", "error_row_bg"),
    ("node_text", "node_idle"), ("node_text", "node_lit"), ("node_text", "node_active"),
    ("node_text", "node_failed"),
    *((colour, bg) for colour in ("error", "warning", "info", "ok", "muted") for bg in ("base", "window")),
    *(("badge_text", badge) for badge in ("badge_ok", "badge_warn", "badge_error", "badge_idle")),
)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a `#rrggbb` colour."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


class _Notifier(QObject):
    changed = Signal(object)  # the new Palette


_current: Palette = LIGHT
_choice: str | None = None
_notifier: _Notifier | None = None


def current() -> Palette:
    """The palette in use."""
    return _current


def notifier() -> _Notifier:
    """`changed(Palette)` after every theme switch."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


def preference() -> str:
    """What the user chose in View → Theme: "system" (the default), "light" or "dark"
    (`CUSTOMDB_THEME` overrides it for one session: screenshots, benchmarks)."""
    value = os.environ.get(THEME_ENV) or str(QSettings().value(SETTING, "system") or "system")
    return value if value in CHOICES else "system"


def resolve(choice: str, ask_os: bool = True) -> str:
    """The theme a choice means now: "system" asks the OS (without `ask_os`, only the palette the
    platform gave the app, which needs no `Qt` enum: the start-up path)."""
    if choice in PALETTES:
        return choice
    from app.ui.editor import themes as editor_themes

    return editor_themes.os_theme_name() if ask_os else editor_themes.palette_theme_name()


def qpalette(p: Palette) -> QPalette:
    """The widgets' palette of a theme (Active/Inactive alike; Disabled greys the text)."""
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, attr in ((roles.Window, "window"), (roles.WindowText, "window_text"), (roles.Base, "base"),
                       (roles.AlternateBase, "alternate_base"), (roles.Text, "text"), (roles.Button, "button"),
                       (roles.ButtonText, "button_text"), (roles.Highlight, "highlight"),
                       (roles.HighlightedText, "highlighted_text"), (roles.ToolTipBase, "tooltip_base"),
                       (roles.ToolTipText, "tooltip_text"), (roles.PlaceholderText, "placeholder"),
                       (roles.Link, "link"), (roles.LinkVisited, "link_visited"), (roles.Light, "light"),
                       (roles.Midlight, "light"), (roles.Mid, "mid"), (roles.Dark, "dark"),
                       (roles.Shadow, "dark"), (roles.BrightText, "highlighted_text")):
        pal.setColor(role, p.color(attr))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, p.color("disabled_text"))
    return pal


def apply(choice: str | None = None, *, remember: bool = False, ask_os: bool = True) -> Palette:
    """Switch the application to a theme choice (default: the saved preference) and recolour what
    is on screen; `remember` saves the choice. Returns the palette now in use."""
    global _current, _choice
    app = QGuiApplication.instance()
    choice = choice if choice in CHOICES else preference()
    if remember:
        QSettings().setValue(SETTING, choice)
    _choice = choice
    palette = PALETTES[resolve(choice, ask_os=ask_os)]
    changed = palette != _current
    _current = palette
    from app.ui.editor import themes as editor_themes

    editor_themes.APP_THEME = palette.name  # editors that follow "the system" follow the app
    if app is None:
        return palette
    _use_fusion(app)
    app.setPalette(qpalette(palette))
    if changed or remember:
        recolour_all()
        notifier().changed.emit(palette)
    return palette


def follow_os() -> None:
    """After the first paint: ask the OS (its scheme needs `Qt`) and follow its later changes while
    the choice is "system"."""
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged") and not getattr(follow_os, "connected", False):
        hints.colorSchemeChanged.connect(lambda *_: _choice == "system" and apply("system"))
        follow_os.connected = True
    if _choice in (None, "system"):
        apply("system")


def _use_fusion(app) -> None:
    """Fusion draws with the palette on every platform (native styles ignore parts of it)."""
    from PySide6.QtWidgets import QApplication

    style = QApplication.style() if isinstance(app, QApplication) else None
    if style is not None and style.name().lower() != "fusion":
        QApplication.setStyle("Fusion")


# -- panels' colours ------------------------------------------------------------------------------
def style_sheet(template: str, palette: Palette | None = None) -> str:
    """`template` with its `{names}` replaced by the palette's colours."""
    return template.format_map(asdict(palette or _current))


def styled(widget, template: str) -> None:
    """Give `widget` a style sheet from a template of palette names; kept up to date on switches.
    An empty template clears it."""
    widget.setProperty(STYLE_PROPERTY, template)
    widget.setStyleSheet(style_sheet(template) if template else "")


def tint(item, column: int | None = None, background: str | None = None, foreground: str | None = None) -> None:
    """Colour a tree item's column (`column` given) or a table/list item with palette names (None:
    leave it); kept up to date on switches."""
    args = () if column is None else (column,)
    if background is not None:
        item.setData(*args, BACKGROUND_ROLE, background)
        item.setBackground(*args, solid_brush(_current.color(background)))
    if foreground is not None:
        item.setData(*args, FOREGROUND_ROLE, foreground)
        item.setForeground(*args, solid_brush(_current.color(foreground)))


def tinted(item, column: int | None = None) -> tuple[str | None, str | None]:
    """(background, foreground) palette names an item was tinted with."""
    args = () if column is None else (column,)
    return item.data(*args, BACKGROUND_ROLE), item.data(*args, FOREGROUND_ROLE)


def _retint(item, columns: int | None) -> None:
    for column in range(columns) if columns is not None else (None,):
        background, foreground = tinted(item, column)
        if background or foreground:
            tint(item, column, background, foreground)


def recolour(root) -> None:
    """Re-apply the templates and tints under `root` (a widget) with the current palette."""
    from PySide6.QtWidgets import QListWidget, QTableWidget, QTreeWidget, QTreeWidgetItemIterator, QWidget

    from app.ui.editor.code_editor import CodeEditor

    for widget in [root, *root.findChildren(QWidget)]:
        template = widget.property(STYLE_PROPERTY)
        if isinstance(template, str) and template:
            widget.setStyleSheet(style_sheet(template))
        if isinstance(widget, QTreeWidget):
            it = QTreeWidgetItemIterator(widget)
            while it.value() is not None:
                _retint(it.value(), widget.columnCount())
                it += 1
        elif isinstance(widget, QTableWidget):
            for r in range(widget.rowCount()):
                for c in range(widget.columnCount()):
                    if widget.item(r, c) is not None:
                        _retint(widget.item(r, c), None)
        elif isinstance(widget, QListWidget):
            for r in range(widget.count()):
                _retint(widget.item(r), None)
        elif isinstance(widget, CodeEditor):
            widget.set_theme(None)  # editors follow the app's theme (editor/themes.py APP_THEME)
        widget.update()


def recolour_all() -> None:
    """Recolour every top-level window of the application."""
    from PySide6.QtWidgets import QApplication

    for top in QApplication.topLevelWidgets():
        recolour(top)


def names() -> list[str]:
    """Every colour name a template or tint may use."""
    return [f.name for f in fields(Palette) if f.name != "name"]
