"""CodeEditor: the script editor widget the main window embeds, one per open script.

API for the window (everything else is private):
- `set_source(text)` opens text (not undoable, unmodified, coloured progressively); `source()`.
- `configure(kind_key, config_keys, language=None)` fits completion to the script kind and project
  configuration (`config_keys` may be a function, asked at each completion); `set_language(Language)`
  (app/domain/languages) switches the lexer, the comment prefix (Ctrl+/), the indentation rules and
  the quick fix's renamer (default: Python).
- `set_findings(list[Finding])`: gutter markers + wavy underlines with tooltips (lines 1-based;
  findings of other scripts or without a line are ignored). Markers follow edits.
- `goto_line(n)`, `show_debug_line(n | None)`.
- Breakpoints (the debugger owns them; the editor keeps them on their code): `breakpoints` (get or
  set a set of 1-based lines), `set_breakpoints({line: payload})` / `breakpoint_items()` (the same
  with an object the owner attaches to each, e.g. the debugger's LineBreakpoint). They follow edits
  (app/ui/editor/breakpoint_marks.py): inserting or deleting lines above moves them, Return in front
  of the code takes them down with it, joining a line into the previous one takes its breakpoint
  along (unless that line has one), deleting the line deletes its breakpoint, undo/redo restore
  them. `breakpoints_moved({old line: new line | None})` says so after each such edit (None:
  deleted; an undo that only brought some back sends {}): read `breakpoint_items()` then.
- `set_theme("light" | "dark" | None)`; None (the default) follows the OS colour scheme.
- `show_find()`, `show_replace()`, `show_goto_line()`, `toggle_comment()` for menu actions; the
  editor also handles Ctrl+F/H/G/ /, Ctrl+Space, Ctrl+. itself while focused (it claims those keys
  through ShortcutOverride, so window actions with the same shortcuts do not conflict).
- `apply_source_edit(new_text)`: replace the content as ONE undo step, keeping the cursor line.
- Signals: `modification_changed(bool)`, `cursor_position_changed(line, col)` (1-based),
  `gutter_clicked(line)`, `breakpoint_clicked(line)`, `breakpoints_moved(dict)`,
  `text_changed_debounced(str)` (for live
  lint, ~400 ms after typing stops). Quick fix (Ctrl+. or `quick_fix()`): on an
  `anonymous-entry`/`non-recommended-name` finding the editor applies the language's
  `rename_entry` itself (one undo step) and emits `quick_fix_applied(code)`, or
  `quick_fix_failed(message)` when the rename is refused; `quick_fix_requested(Finding)` only when
  no kind is configured. Findings are not cleared by the fix: the next lint pass updates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# `Qt` is imported where a key is handled: importing it here would build its ~100 enums (~10 ms)
# before the window's first paint.
from PySide6.QtCore import QEvent, QRect, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from app.domain.findings import Finding, Severity
from app.domain.languages import PYTHON, Language
from app.ui.editor.breakpoint_marks import BreakpointMarks
from app.ui.editor.gutter import Gutter
from app.ui.editor.highlighter import PygmentsHighlighter
from app.ui.editor.themes import Theme, palette_theme_name, system_theme_name, theme
from app.ui.first_paint import solid_brush

INDENT = PYTHON.editor.indent_unit  # the default language's; an editor uses its language's
LINT_DEBOUNCE_MS = 400
QUICK_FIX_CODES = frozenset({"anonymous-entry", "non-recommended-name"})
_OPEN, _CLOSE = "([{", ")]}"
_PAIRS = {"(": ")", "[": "]", "{": "}", ")": "(", "]": "[", "}": "{"}
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
BRACKET_SCAN_LIMIT = 20_000  # characters scanned for a matching bracket


def _dedent_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """A line starting with one of these keywords ends its block: the next line dedents."""
    return re.compile(rf"^\s*({'|'.join(map(re.escape, keywords))})\b") if keywords else None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_to_index(text: str, units: int) -> int:
    """Code-point index of a UTF-16 offset into `text` (Qt positions are UTF-16)."""
    if text.isascii():
        return min(units, len(text))
    return len(text.encode("utf-16-le")[: 2 * units].decode("utf-16-le", errors="ignore"))


def _lines(text: str) -> list[str]:
    """`text` cut after each line break (the pieces join back to `text`)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _line_changes(old: str, new: str) -> list[tuple[int, int, str]]:
    """The replacements (UTF-16 start, end in `old`, new text), in order, that turn `old` into
    `new`: one per run of differing lines, trimmed to the differing middle."""
    import difflib

    a, b = _lines(old), _lines(new)
    starts = [0]
    for piece in a:
        starts.append(starts[-1] + utf16_len(piece))
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(None, a[head: len(a) - tail], b[head: len(b) - tail], autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        was, now = "".join(a[head + i1: head + i2]), "".join(b[head + j1: head + j2])
        limit = min(len(was), len(now))
        prefix = 0
        while prefix < limit and was[prefix] == now[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and was[-1 - suffix] == now[-1 - suffix]:
            suffix += 1
        base = starts[head + i1]
        out.append((base + utf16_len(was[:prefix]), base + utf16_len(was[: len(was) - suffix]),
                    now[prefix: len(now) - suffix]))
    return out


def _own_shortcut(event: QKeyEvent) -> bool:
    """Keys the editor handles itself even when a window action has the same shortcut."""
    from PySide6.QtCore import Qt

    ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
    key = event.key()
    if ctrl and key in (Qt.Key.Key_F, Qt.Key.Key_H, Qt.Key.Key_G, Qt.Key.Key_Slash, Qt.Key.Key_Space,
                        Qt.Key.Key_Period):
        return True
    return key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)


class CodeEditor(QPlainTextEdit):
    modification_changed = Signal(bool)
    cursor_position_changed = Signal(int, int)
    gutter_clicked = Signal(int)
    breakpoint_clicked = Signal(int)
    breakpoints_moved = Signal(object)  # {old line: new line | None}
    text_changed_debounced = Signal(str)
    quick_fix_requested = Signal(object)
    quick_fix_applied = Signal(str)
    quick_fix_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, theme_name: str | None = None,
                 completion: bool = True):
        super().__init__(parent)
        self._breakpoint_marks = BreakpointMarks(self.document())
        self._breakpoint_lines: set[int] = set()  # cached for the gutter's paint
        self.debug_line: int | None = None
        self.kind_key: str | None = None
        self._config_keys: Callable[[], Iterable[str]] = tuple
        self.language: Language = PYTHON
        self._mode = PYTHON.editor
        self._dedent_after = _dedent_pattern(self._mode.dedent_keywords)
        self._theme_name = theme_name  # None: follow the OS
        self._theme: Theme = theme(theme_name or palette_theme_name())  # the OS's scheme: after the first paint
        self._finding_marks: list[tuple[QTextCursor, Finding]] = []
        self._find_matches: list[QTextCursor] = []
        self._bracket_selections: list[QTextEdit.ExtraSelection] = []
        self._gutter_width = -1
        self._static_selections: list[QTextEdit.ExtraSelection] | None = None

        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * len(INDENT))
        self.setCursorWidth(2)

        self.highlighter = PygmentsHighlighter(self.document(), self._theme)
        self.gutter = Gutter(self)
        self._find_bar = None  # FindBar / GotoLineBar / CompletionController: built on first use,
        self._goto_bar = None  # so opening an editor costs only what the first paint needs

        self._lint_timer = QTimer(self)
        self._lint_timer.setSingleShot(True)
        self._lint_timer.setInterval(LINT_DEBOUNCE_MS)
        self._lint_timer.timeout.connect(lambda: self.text_changed_debounced.emit(self.toPlainText()))

        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._on_cursor_moved)
        self.document().modificationChanged.connect(self.modification_changed)
        self.document().contentsChange.connect(self._on_contents_change)
        self.gutter.clicked.connect(self._on_gutter_clicked)
        self.gutter.fix_clicked.connect(self.quick_fix_at)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_system_scheme_changed)

        self._completion = None
        self._completion_enabled = completion
        self._painted = False  # completion (and jedi's warm-up) is set up right after the first paint
        self._apply_palette()
        self._update_gutter_width()
        self._refresh_extra_selections()

    # -- lazily built parts -------------------------------------------------------------------------
    @property
    def completion(self):
        """The CompletionController (None when built with completion=False)."""
        if self._completion is None and self._completion_enabled:
            from app.ui.editor.completion import CompletionController

            self._completion = CompletionController(self)
        return self._completion

    def _build_completion(self) -> None:
        _ = self.completion

    @property
    def find_bar(self):
        if self._find_bar is None:
            from app.ui.editor.find_bar import FindBar

            self._find_bar = FindBar(self)
        return self._find_bar

    @property
    def goto_bar(self):
        if self._goto_bar is None:
            from app.ui.editor.find_bar import GotoLineBar

            self._goto_bar = GotoLineBar(self)
        return self._goto_bar

    def _open_bars(self) -> list:
        return [b for b in (self._find_bar, self._goto_bar) if b is not None and b.isVisible()]

    # -- content ------------------------------------------------------------------------------------
    def set_source(self, text: str) -> None:
        """Open `text`: colours the visible part at once and the rest in short slices, clears
        undo history and the modified flag."""
        self.setPlainText(text)
        self.document().setModified(False)

    def setPlainText(self, text: str) -> None:  # noqa: N802 (Qt's name, so callers of either get it)
        """QPlainTextEdit.setPlainText, but a long text is coloured progressively."""
        self.highlighter.begin_progressive(0, self._visible_lines() + 10, text.count("\n") + 1)
        kept = self._breakpoint_marks.items()  # a new text: breakpoints keep their line numbers
        self._breakpoint_marks.reset()
        super().setPlainText(text)
        if kept:
            self.set_breakpoints(kept)

    def source(self) -> str:
        return self.toPlainText()

    def configure(self, kind_key: str | None, config_keys: Iterable[str] | Callable[[], Iterable[str]] = (),
                  language: Language | None = None) -> None:
        """Fit completion to the script kind (`callback`'s contract) and the project's config keys
        (a list, or a function asked at each completion, so keys added meanwhile complete at once),
        and the editor to the script's language when given."""
        self.kind_key = kind_key
        if callable(config_keys):
            self._config_keys = config_keys
        else:
            keys = tuple(config_keys)
            self._config_keys = lambda: keys
        if language is not None:
            self.set_language(language)

    @property
    def config_keys(self) -> tuple[str, ...]:
        """The project's configuration keys as of now."""
        return tuple(self._config_keys())

    def set_language(self, language: Language) -> None:
        """Colour, comment, indent, complete and quick-fix as `language` does (completion from the
        language's provider: jedi for Python, TypeScript's language server for JavaScript)."""
        if language is self.language:
            return
        from app.ui.lexer_cache import cached_lexer

        self.language = language
        self._mode = language.editor
        self._dedent_after = _dedent_pattern(self._mode.dedent_keywords)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * len(self._mode.indent_unit))
        if language.completion == "typescript":
            from app.engine.js_tools import tsc_path

            if tsc_path() is None:  # not installed (`make` installs it): no completion rather than errors
                self._completion_enabled = False
        self.highlighter.set_lexer(cached_lexer(language.lexer_class()), self.firstVisibleBlock().blockNumber())

    def apply_source_edit(self, new_text: str) -> None:
        """Replace the content with `new_text` as ONE undo step, keeping the cursor on its line.

        Only the lines that differ are replaced (and within them only the differing middle), so
        markers, breakpoints and colours elsewhere stay put, also between two distant changes."""
        old = self.toPlainText()
        if old == new_text:
            return
        cursor = self.textCursor()
        line, col = cursor.blockNumber(), cursor.positionInBlock()
        edit = QTextCursor(self.document())
        edit.beginEditBlock()
        for start, end, text in reversed(_line_changes(old, new_text)):
            edit.setPosition(start)
            edit.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            edit.insertText(text)
        edit.endEditBlock()
        block = self.document().findBlockByNumber(min(line, self.blockCount() - 1))
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(col, block.length() - 1))
        self.setTextCursor(cursor)

    # -- navigation ---------------------------------------------------------------------------------
    def goto_line(self, line: int | None = None, column: int = 1) -> None:
        """Move the cursor to a 1-based line (clamped) and show it centred; with no line, ask for
        one in the go-to-line bar (what Ctrl+G does)."""
        if line is None:
            self.show_goto_line()
            return
        line = min(max(line, 1), self.blockCount())
        block = self.document().findBlockByNumber(line - 1)
        cursor = QTextCursor(block)
        col = utf16_len(block.text()[: max(column - 1, 0)])
        cursor.setPosition(block.position() + min(col, block.length() - 1))
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def show_debug_line(self, line: int | None) -> None:
        """Mark the line the debugger is paused on (None clears it)."""
        self.debug_line = line
        if line is not None:
            self.goto_line(line)
        self._refresh_extra_selections()
        self.gutter.update()

    def show_find(self) -> None:
        if self._goto_bar is not None:
            self._goto_bar.hide()
        self.find_bar.open(replace=False)

    def show_replace(self) -> None:
        if self._goto_bar is not None:
            self._goto_bar.hide()
        self.find_bar.open(replace=True)

    def show_goto_line(self) -> None:
        if self._find_bar is not None:
            self._find_bar.hide()
        self.goto_bar.open()

    # -- breakpoints --------------------------------------------------------------------------------
    @property
    def breakpoints(self) -> set[int]:
        """The 1-based lines that carry a breakpoint, as the text is now."""
        return set(self._breakpoint_lines)

    @breakpoints.setter
    def breakpoints(self, lines: Iterable[int]) -> None:
        items = self._breakpoint_marks.items()
        self.set_breakpoints({line: items.get(line) for line in lines})

    def set_breakpoints(self, items: dict[int, object]) -> None:
        """Breakpoints on exactly these 1-based lines, each with the owner's payload (lines past the
        end are dropped and reported by `breakpoints_moved`)."""
        dropped = self._breakpoint_marks.set_items(items)
        self._breakpoint_lines = self._breakpoint_marks.lines()
        self.gutter.update()
        if dropped:
            self.breakpoints_moved.emit(dropped)

    def breakpoint_items(self) -> dict[int, object]:
        """{1-based line: payload} of every breakpoint, as the text is now."""
        return self._breakpoint_marks.items()

    def _follow_breakpoints(self, position: int, added: int) -> None:
        moved = self._breakpoint_marks.on_contents_change(position, added)
        if moved is not None:
            self._breakpoint_lines = self._breakpoint_marks.lines()
            self.gutter.update()
            self.breakpoints_moved.emit(moved)

    # -- findings -----------------------------------------------------------------------------------
    def set_findings(self, findings: Iterable[Finding]) -> None:
        """Underline and mark the findings that carry a line (1-based)."""
        marks: list[tuple[QTextCursor, Finding]] = []
        doc = self.document()
        for f in findings:
            if not f.line or f.line < 1 or f.line > self.blockCount():
                continue
            if f.script and self.kind_key and f.script != self.kind_key:
                continue  # another script's finding (e.g. from a flow run)
            block = doc.findBlockByNumber(f.line - 1)
            text = block.text()
            start = len(text) - len(text.lstrip())
            cursor = QTextCursor(block)
            cursor.setPosition(block.position() + utf16_len(text[:start]))
            end = block.position() + utf16_len(text.rstrip())
            if end <= cursor.position():  # an empty line: mark one character
                end = min(cursor.position() + 1, block.position() + block.length() - 1)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            marks.append((cursor, f))
        self._finding_marks = marks
        self._static_selections = None
        self._refresh_extra_selections()
        self.gutter.update()

    def findings(self) -> list[Finding]:
        return [f for _, f in self._finding_marks]

    def finding_severities_by_line(self) -> dict[int, Severity]:
        """The worst severity per current line (marks move with the text)."""
        out: dict[int, Severity] = {}
        for cursor, f in self._finding_marks:
            line = cursor.blockNumber() + 1
            if line not in out or _SEVERITY_RANK[f.severity] > _SEVERITY_RANK[out[line]]:
                out[line] = f.severity
        return out

    def finding_messages(self, line: int) -> list[str]:
        return [f"{f.severity}: {f.message} [{f.code}]" for c, f in self._finding_marks
                if c.blockNumber() + 1 == line]

    def fixable_lines(self) -> set[int]:
        """Lines (1-based, as they are now) holding a finding the quick fix handles."""
        if self.kind_key is None:
            return set()
        return {c.blockNumber() + 1 for c, f in self._finding_marks if f.code in QUICK_FIX_CODES}

    def quick_fix_title(self, line: int | None = None) -> str | None:
        """What the quick fix would do, in words (`Rename getByEmail to get_user`), for the finding
        on `line` (None: anywhere in the script); None when there is nothing to fix."""
        lines = self.fixable_lines()
        if not lines or (line is not None and line not in lines):
            return None
        from app.domain.scripts import kind

        k = kind(self.kind_key)
        target = self.language.entry_name(k)
        try:
            entry = self.language.find_entry(self.toPlainText(), k)  # the entry the fix renames
        except (SyntaxError, ValueError):
            entry = None
        if entry is not None and entry.anonymous:
            if entry.name and self.language.name == "python":
                return f"Quick fix: turn the lambda {entry.name} into def {target}(…)"
            return f"Quick fix: name the anonymous function {target}"
        if entry is not None and entry.name:
            return f"Quick fix: rename {entry.name} to {target}"
        return f"Quick fix: rename the entry to {target}"

    def quick_fix_at(self, line: int) -> bool:
        """Apply the quick fix of `line` (the gutter's lightbulb, a context menu)."""
        self.goto_line(line)
        return self.request_quick_fix()

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Qt's menu (Undo, Cut, Copy, Paste…) with the quick fix of the clicked line on top."""
        menu = self.createStandardContextMenu(event.pos())
        line = self.cursorForPosition(event.pos()).blockNumber() + 1
        title = self.quick_fix_title(line) or self.quick_fix_title()
        if title:
            first = menu.actions()[0] if menu.actions() else None
            fix_line = line if line in self.fixable_lines() else min(self.fixable_lines())
            from app.ui.editor.gutter import lightbulb_icon

            action = menu.addAction(lightbulb_icon(self.theme.color("warning")), f"{title}\tCtrl+.")
            action.triggered.connect(lambda: self.quick_fix_at(fix_line))
            if first is not None:
                menu.removeAction(action)
                menu.insertAction(first, action)
                menu.insertSeparator(first)
        self.context_menu = menu  # tests read it; Qt deletes it with the editor
        menu.popup(event.globalPos())

    def findings_at(self, position: int) -> list[Finding]:
        return [f for c, f in self._finding_marks if c.selectionStart() <= position <= c.selectionEnd()]

    def request_quick_fix(self) -> bool:
        """Ctrl+.: rename the entry when a rename finding is on this line (or, failing that,
        anywhere). Applies `app.domain.rename.rename_entry` when it exists, else asks the window."""
        fixable = [f for _, f in self._finding_marks if f.code in QUICK_FIX_CODES]
        if not fixable:
            return False
        here = [f for f in fixable if f.line == self.current_line()] or fixable
        target = here[0]
        new_text = self._rename_entry()
        if new_text is None:
            self.quick_fix_requested.emit(target)
            return True
        if new_text != self.toPlainText():
            self.apply_source_edit(new_text)
            self.quick_fix_applied.emit(target.code)
        return True

    quick_fix = request_quick_fix  # the name the window's Edit menu calls

    def _rename_entry(self) -> str | None:
        if self.kind_key is None:
            return None
        try:
            result = self.language.rename_entry(self.toPlainText(), self.kind_key)
        except ValueError as e:  # RenameError: the script does not parse, the name is taken...
            self.quick_fix_failed.emit(str(e))
            QToolTip.showText(self.viewport().mapToGlobal(self.cursorRect().bottomLeft()),
                              f"Cannot rename: {e}", self.viewport())
            return self.toPlainText()
        return result if isinstance(result, str) else None

    # -- themes -------------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return self._theme

    def set_theme(self, name: str | None) -> None:
        """"light" or "dark"; None follows the OS colour scheme (and its later changes)."""
        self._theme_name = name
        new = theme(name or system_theme_name())
        if new == self._theme:
            return
        self._theme = new
        self._static_selections = None
        self.highlighter.set_theme(new, self.firstVisibleBlock().blockNumber())
        self._apply_palette()
        self._refresh_extra_selections()
        self.gutter.update()

    def _on_system_scheme_changed(self, *_: object) -> None:
        if self._theme_name is None:
            self.set_theme(None)

    def _apply_palette(self) -> None:
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Base, self._theme.color("background"))
        pal.setColor(QPalette.ColorRole.Text, self._theme.color("foreground"))
        pal.setColor(QPalette.ColorRole.Highlight, self._theme.color("selection"))
        pal.setColor(QPalette.ColorRole.HighlightedText, self._theme.color("foreground"))
        self.setPalette(pal)
        self.gutter.set_colours(*(self._theme.color(k) for k in ("gutter_background", "gutter_foreground",
                                                                  "gutter_current")))

    # -- editing keys -------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and _own_shortcut(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.completion is not None and self.completion.handle_key(event):
            return
        from PySide6.QtCore import Qt

        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key == Qt.Key.Key_F:
            self.show_find()
        elif ctrl and key == Qt.Key.Key_H:
            self.show_replace()
        elif ctrl and key == Qt.Key.Key_G:
            self.show_goto_line()
        elif ctrl and key == Qt.Key.Key_Slash:
            self.toggle_comment()
        elif ctrl and key == Qt.Key.Key_Period:
            self.request_quick_fix()
        elif key == Qt.Key.Key_Tab and not mods & ~Qt.KeyboardModifier.KeypadModifier:
            self._indent()
        elif key == Qt.Key.Key_Backtab:
            self._dedent()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not ctrl:
            self._newline_with_indent()
        elif (key == Qt.Key.Key_Backspace and not mods and self._backspace_indent()) or (
                not ctrl and self._mode.closers and self._dedent_closer(event.text())):
            pass  # handled: an indent stop removed, or a closer typed at its block's indent
        elif event.matches(QKeySequence.StandardKey.Cancel) and self._open_bars():
            for bar in self._open_bars():
                bar.close_bar()
        else:
            super().keyPressEvent(event)
        if self.completion is not None:
            self.completion.after_key(event)

    def _selected_blocks(self) -> tuple[int, int]:
        c = self.textCursor()
        doc = self.document()
        first = doc.findBlock(c.selectionStart()).blockNumber()
        last_pos = c.selectionEnd()
        last = doc.findBlock(last_pos).blockNumber()
        if c.hasSelection() and last > first and doc.findBlock(last_pos).position() == last_pos:
            last -= 1  # a selection ending at a line start does not include that line
        return first, last

    def _indent(self) -> None:
        c = self.textCursor()
        unit = self._mode.indent_unit
        if c.hasSelection() and "\u2029" in c.selectedText():
            self._for_each_line(lambda text: unit + text if text.strip() else text)
            return
        col = utf16_to_index(c.block().text(), c.positionInBlock())
        c.insertText(" " * (len(unit) - col % len(unit)))

    def _dedent(self) -> None:
        unit = len(self._mode.indent_unit)

        def strip(text: str) -> str:
            n = len(text) - len(text.lstrip(" "))
            return text[min(n, unit):]
        self._for_each_line(strip)

    def _for_each_line(self, change) -> None:
        """Rewrite each selected line (or the current one) with `change`, as one undo step, and
        keep those lines selected."""
        first, last = self._selected_blocks()
        doc = self.document()
        c = QTextCursor(doc)
        c.beginEditBlock()
        for n in range(first, last + 1):
            block = doc.findBlockByNumber(n)
            new = change(block.text())
            if new != block.text():
                c.setPosition(block.position())
                c.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
                c.insertText(new)
        c.endEditBlock()
        start = doc.findBlockByNumber(first)
        end = doc.findBlockByNumber(last)
        sel = QTextCursor(doc)
        sel.setPosition(start.position())
        sel.setPosition(end.position() + end.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(sel)

    def toggle_comment(self) -> None:
        """Ctrl+/: comment the selected lines with the language's prefix (`# `, `// `) at their
        common indent, or uncomment them when all non-blank ones already are."""
        first, last = self._selected_blocks()
        doc = self.document()
        lines = [doc.findBlockByNumber(n).text() for n in range(first, last + 1)]
        code = [t for t in lines if t.strip()]
        if not code:
            return
        prefix = self._mode.comment_prefix
        if all(t.lstrip().startswith(prefix) for t in code):
            def change(text: str) -> str:
                stripped = text.lstrip()
                if not stripped.startswith(prefix):
                    return text
                indent = text[: len(text) - len(stripped)]
                rest = stripped[len(prefix):]
                return indent + (rest[1:] if rest.startswith(" ") else rest)
        else:
            col = min(len(t) - len(t.lstrip()) for t in code)

            def change(text: str) -> str:
                return text[:col] + prefix + " " + text[col:] if text.strip() else text
        self._for_each_line(change)

    def _newline_with_indent(self) -> None:
        c = self.textCursor()
        text = c.block().text()
        before = text[: utf16_to_index(text, c.positionInBlock())]
        indent = before[: len(before) - len(before.lstrip())]
        prefix, unit = self._mode.comment_prefix, self._mode.indent_unit
        code = before.split(prefix, 1)[0].rstrip() if prefix in before and not ("'" in before or '"' in before) \
            else before.rstrip()
        after = text[len(before):]
        if code and code[-1] in self._mode.block_openers:
            indent += unit
            if self._mode.closers and after.lstrip()[:1] == _PAIRS.get(code[-1]):
                # Return between `{` and `}`: the closer goes on its own line at the outer indent
                c.beginEditBlock()
                c.removeSelectedText()
                c.insertText("\n" + indent + "\n" + indent[: len(indent) - len(unit)])
                c.movePosition(QTextCursor.MoveOperation.Up)
                c.movePosition(QTextCursor.MoveOperation.EndOfBlock)
                c.endEditBlock()
                self.setTextCursor(c)
                self.ensureCursorVisible()
                return
        elif self._dedent_after is not None and self._dedent_after.match(code) and indent:
            indent = indent[: max(0, len(indent) - len(unit))]
        c.beginEditBlock()
        c.removeSelectedText()
        c.insertText("\n" + indent)
        c.endEditBlock()
        self.ensureCursorVisible()

    def _dedent_closer(self, char: str) -> bool:
        """Typing a closer (`}` in JavaScript) as a line's first character puts it one indent
        unit left of the line's blank indent, where the block it closes began."""
        if char not in self._mode.closers or not char:
            return False
        c = self.textCursor()
        if c.hasSelection():
            return False
        text = c.block().text()
        col = utf16_to_index(text, c.positionInBlock())
        before = text[:col]
        if not before or before.strip(" ") or text[col:].strip():
            return False
        unit = len(self._mode.indent_unit)
        remove = min(len(before), col % unit or unit)
        c.beginEditBlock()
        c.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, remove)
        c.insertText(char)
        c.endEditBlock()
        self.setTextCursor(c)
        return True

    def _backspace_indent(self) -> bool:
        """Backspace in leading spaces removes back to the previous indent stop."""
        c = self.textCursor()
        if c.hasSelection():
            return False
        text = c.block().text()
        col = utf16_to_index(text, c.positionInBlock())
        if col == 0 or text[:col].strip(" "):
            return False
        unit = len(self._mode.indent_unit)
        remove = col % unit or unit
        c.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, remove)
        c.removeSelectedText()
        return True

    # -- decorations ----------------------------------------------------------------------------------
    def set_find_matches(self, cursors: list[QTextCursor]) -> None:
        self._find_matches = cursors
        self._static_selections = None
        self._refresh_extra_selections()

    def _refresh_extra_selections(self) -> None:
        t = self._theme
        selections: list[QTextEdit.ExtraSelection] = []
        line = QTextEdit.ExtraSelection()
        line.format.setBackground(solid_brush(t.color("current_line")))
        line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        line.cursor = QTextCursor(self.textCursor().block())
        selections.append(line)
        if self.debug_line is not None and self.debug_line <= self.blockCount():
            dbg = QTextEdit.ExtraSelection()
            dbg.format.setBackground(solid_brush(t.color("debug_line")))
            dbg.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            dbg.cursor = QTextCursor(self.document().findBlockByNumber(self.debug_line - 1))
            selections.append(dbg)
        if self._static_selections is None:  # rebuilt only when matches, findings or theme change
            self._static_selections = self._build_static_selections()
        selections.extend(self._static_selections)
        selections.extend(self._bracket_selections)
        self.setExtraSelections(selections)

    def _build_static_selections(self) -> list[QTextEdit.ExtraSelection]:
        t = self._theme
        out: list[QTextEdit.ExtraSelection] = []
        for cursor in self._find_matches:
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(solid_brush(t.color("find_match")))
            sel.cursor = cursor
            out.append(sel)
        for cursor, f in self._finding_marks:
            sel = QTextEdit.ExtraSelection()
            sel.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            sel.format.setUnderlineColor(QColor(t.color(str(f.severity))))
            sel.format.setToolTip(f"{f.message} [{f.code}]")
            sel.cursor = cursor
            out.append(sel)
        return out

    def bracket_match(self) -> tuple[int, int | None] | None:
        """(bracket position, matching position or None) for a bracket next to the cursor."""
        doc = self.document()
        pos = self.textCursor().position()
        for p in (pos, pos - 1):
            if p < 0:
                continue
            ch = doc.characterAt(p)
            if ch in _PAIRS:
                return p, self._scan_bracket(p, ch)
        return None

    def _scan_bracket(self, pos: int, ch: str) -> int | None:
        forward = ch in _OPEN
        want, depth = _PAIRS[ch], 0
        block = self.document().findBlock(pos)
        text = block.text()
        i = utf16_to_index(text, pos - block.position())
        scanned = 0
        while block.isValid() and scanned < BRACKET_SCAN_LIMIT:
            rng = range(i, len(text)) if forward else range(i, -1, -1)
            for j in rng:
                c = text[j]
                if c == ch:
                    depth += 1
                elif c == want:
                    depth -= 1
                    if depth == 0:
                        return block.position() + utf16_len(text[:j])
            scanned += len(text) + 1
            block = block.next() if forward else block.previous()
            if block.isValid():
                text = block.text()
                i = 0 if forward else len(text) - 1
        return None

    def _update_brackets(self) -> None:
        found = self.bracket_match()
        self._bracket_selections = []
        if found is None:
            return
        pos, other = found
        color = self._theme.color("bracket_match" if other is not None else "bracket_mismatch")
        for p in (pos, other):
            if p is None:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(solid_brush(color))
            sel.cursor = QTextCursor(self.document())
            sel.cursor.setPosition(p)
            sel.cursor.setPosition(p + 1, QTextCursor.MoveMode.KeepAnchor)
            self._bracket_selections.append(sel)

    def _on_cursor_moved(self) -> None:
        self._update_brackets()
        self._refresh_extra_selections()
        c = self.textCursor()
        col = utf16_to_index(c.block().text(), c.positionInBlock())
        self.cursor_position_changed.emit(c.blockNumber() + 1, col + 1)

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        self._follow_breakpoints(position, added)
        self._lint_timer.start()

    # -- gutter and overlays ----------------------------------------------------------------------------
    def _visible_lines(self) -> int:
        """Lines that fit in the viewport, or on the screen while the editor is not laid out yet
        (set_source before show must still colour everything the first paint shows)."""
        height = self.viewport().height()
        if not self.isVisible():
            screen = self.screen() or QGuiApplication.primaryScreen()
            height = max(height, screen.availableGeometry().height() if screen else 1200)
        return max(1, height // max(1, self.fontMetrics().lineSpacing())) + 1

    def _update_gutter_width(self, *_: object) -> None:
        width = self.gutter.width_hint()
        if width != self._gutter_width:  # only when the number of digits changes
            self._gutter_width = width
            self.setViewportMargins(width, 0, 0, 0)
            cr = self.contentsRect()
            self.gutter.setGeometry(QRect(cr.left(), cr.top(), width, cr.height()))

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def _on_gutter_clicked(self, line: int, breakpoint_column: bool) -> None:
        if breakpoint_column:
            self.breakpoint_clicked.emit(line)
        self.gutter_clicked.emit(line)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self._gutter_width, cr.height()))
        self.place_overlays()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "gutter"):  # zoom: new widths
            self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * len(self._mode.indent_unit))
            self._gutter_width = -1
            self._update_gutter_width()

    def place_overlays(self) -> None:
        vp = self.viewport().geometry()
        for bar in self._open_bars():
            if bar.isVisible():
                bar.adjustSize()
                w = min(bar.sizeHint().width(), vp.width())
                bar.setGeometry(vp.right() - w - 16, vp.top(), w, bar.sizeHint().height())

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if self._completion is not None:
            self._completion.focus_lost()

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self, self._on_system_scheme_changed)  # see palette_theme_name()
            if self._completion_enabled:
                QTimer.singleShot(0, self, self._build_completion)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            pos = self.cursorForPosition(event.pos()).position()
            found = self.findings_at(pos)
            if found:
                lines = [f"{f.message} [{f.code}]" for f in found]
                fix = self.quick_fix_title(self.cursorForPosition(event.pos()).blockNumber() + 1)
                if fix:
                    lines.append(f"{fix} (Ctrl+.)")
                QToolTip.showText(event.globalPos(), "\n".join(lines), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)
