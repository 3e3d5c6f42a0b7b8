"""Editor colour themes: a pygments style for tokens plus the editor's own chrome colours.

`system_theme_name()` follows the OS (Qt ≥ 6.5 `QStyleHints.colorScheme()`), falling back to the
palette's window lightness when the platform reports no scheme (offscreen, older desktops).
`palette_theme_name()` is the palette alone: an editor starts with it, because `colorScheme()`
returns a `Qt.ColorScheme`, and PySide6 builds the whole `Qt` namespace (~10 ms) on its first use;
the editor asks the OS right after its first paint (the two differ only where Qt's style ignores the
OS scheme, e.g. "windowsvista" in dark mode).

When the app has a theme of its own (app/ui/theme.py sets `APP_THEME`), "the system" an editor
follows is that theme: View → Theme decides, and it follows the OS itself when set to System.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(frozen=True)
class Theme:
    name: str  # "light" | "dark"
    pygments_style: str
    background: str
    foreground: str
    current_line: str
    selection: str
    gutter_background: str
    gutter_foreground: str
    gutter_current: str
    bracket_match: str
    bracket_mismatch: str
    find_match: str
    debug_line: str
    error: str
    warning: str
    info: str
    breakpoint: str

    def color(self, attr: str) -> QColor:
        return QColor(getattr(self, attr))


LIGHT = Theme(
    name="light", pygments_style="default",
    background="#ffffff", foreground="#1f2328", current_line="#f3f6fb", selection="#b6d3f5",
    gutter_background="#f6f8fa", gutter_foreground="#8c959f", gutter_current="#1f2328",
    bracket_match="#c8e6c9", bracket_mismatch="#ffcdd2", find_match="#fff3a3", debug_line="#fff2b3",
    error="#d1242f", warning="#bf8700", info="#0969da", breakpoint="#e5534b",
)
DARK = Theme(
    name="dark", pygments_style="one-dark",
    background="#282c34", foreground="#abb2bf", current_line="#2f343e", selection="#2f3d55",
    gutter_background="#21252b", gutter_foreground="#5c6370", gutter_current="#d7dae0",
    bracket_match="#2b4532", bracket_mismatch="#6e2b2b", find_match="#4f4416", debug_line="#44401c",
    error="#f47067", warning="#d29922", info="#61afef", breakpoint="#e5534b",
)
THEMES: dict[str, Theme] = {"light": LIGHT, "dark": DARK}


def theme(name: str) -> Theme:
    """The theme called `name`; ValueError names the valid ones."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; expected one of {', '.join(THEMES)}") from None


APP_THEME: str | None = None  # "light" | "dark" once the app's theme is applied


def system_theme_name() -> str:
    """"dark" or "light": the app's theme when it has one, else as the OS currently prefers."""
    return APP_THEME or os_theme_name()


def os_theme_name() -> str:
    """"dark" or "light", as the OS currently prefers."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    from PySide6.QtCore import Qt

    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return "dark"
    if scheme == Qt.ColorScheme.Light:
        return "light"
    return palette_theme_name()  # no scheme reported (offscreen, older desktops): the palette says


def palette_theme_name() -> str:
    """"dark" or "light": the app's theme when it has one, else as the application palette's
    window colour is."""
    if APP_THEME:
        return APP_THEME
    if QGuiApplication.instance() is None:
        return "light"
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return "dark" if window.lightness() < 128 else "light"
