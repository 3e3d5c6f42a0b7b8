"""Incremental pygments highlighting for QTextDocument, one block (line) at a time.

Each block is lexed starting from the pygments state stack the previous block ended in. The stack
is kept in the block's `QTextBlockUserData` and mirrored as a small integer id in
`setCurrentBlockState`, so when a line's end state changes (a `\"\"\"` opens or closes) Qt goes on
re-highlighting the following lines, and stops as soon as a line ends in the same state as before.

Large documents are coloured progressively: blocks past a "horizon" are only marked pending, and a
zero-delay timer extends the horizon in time-boxed slices, so the UI never blocks for long. One
`QTextCharFormat` per token type per theme is cached. Positions handed to Qt are UTF-16 code units,
so characters outside the BMP (emoji) do not shift the colours after them.
"""

from __future__ import annotations

import time
from itertools import accumulate

from pygments.lexer import RegexLexer
from pygments.lexers.python import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import Error, Whitespace, _TokenType
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QSyntaxHighlighter,
    QTextBlockUserData,
    QTextCharFormat,
    QTextDocument,
)

from app.ui.editor.themes import LIGHT, Theme

ROOT: tuple[str, ...] = ("root",)
PENDING = -2  # block state of a block the progressive pass has not reached yet
_NO_FORMAT = object()  # cache marker: the token type is drawn in the default colour


class BlockData(QTextBlockUserData):
    """The pygments state stack a block ends in (the next block starts lexing from it)."""

    def __init__(self, stack: tuple[str, ...]):
        super().__init__()
        self.stack = stack


def lex_line(lexer: RegexLexer, text: str, stack: tuple[str, ...]) -> tuple[list[tuple[int, int, object]],
                                                                          tuple[str, ...]]:
    """Lex one line (without its newline) from `stack`.

    Returns (tokens, end stack); tokens are (start, end, token type) in code points. This follows
    `RegexLexer.get_tokens_unprocessed` semantics but also hands back the final state stack,
    which pygments keeps in a local variable.
    """
    text += "\n"
    tokendefs = lexer._tokens
    states = list(stack)
    rules = tokendefs[states[-1]]
    pos, end = 0, len(text)
    out: list[tuple[int, int, object]] = []
    append = out.append
    while pos < end:
        for rexmatch, action, new_state in rules:
            m = rexmatch(text, pos)
            if m is None:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    append((pos, m.end(), action))
                else:
                    for tpos, ttype, value in action(lexer, m):
                        append((tpos, tpos + len(value), ttype))
            pos = m.end()
            if new_state is not None:
                if isinstance(new_state, tuple):
                    for s in new_state:
                        if s == "#pop":
                            if len(states) > 1:
                                states.pop()
                        elif s == "#push":
                            states.append(states[-1])
                        else:
                            states.append(s)
                elif isinstance(new_state, int):
                    if abs(new_state) >= len(states):
                        del states[1:]
                    else:
                        del states[new_state:]
                elif new_state == "#push":
                    states.append(states[-1])
                rules = tokendefs[states[-1]]
            break
        else:  # nothing matched: pygments resets to root at a newline, else emits one Error char
            if text[pos] == "\n":
                states = ["root"]
                rules = tokendefs["root"]
                append((pos, pos + 1, Whitespace))
            else:
                append((pos, pos + 1, Error))
            pos += 1
    return out, tuple(states)


def utf16_offsets(text: str) -> list[int] | None:
    """UTF-16 offset of each code point index (len+1 entries), or None when they are equal."""
    if text.isascii() or len(text.encode("utf-16-le")) == 2 * len(text):
        return None
    return [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]


def _char_format(style: dict, theme: Theme) -> QTextCharFormat | None:
    if not (style["color"] or style["bold"] or style["italic"] or style["underline"] or style["bgcolor"]):
        return None
    fmt = QTextCharFormat()
    if style["color"]:
        fmt.setForeground(QColor("#" + style["color"]))
    if style["bgcolor"] and style["bgcolor"].lower() != theme.background.lstrip("#").lower():
        fmt.setBackground(QColor("#" + style["bgcolor"]))
    if style["bold"]:
        fmt.setFontWeight(QFont.Weight.Bold)
    if style["italic"]:
        fmt.setFontItalic(True)
    if style["underline"]:
        fmt.setFontUnderline(True)
    return fmt


class _Signals(QObject):
    finished = Signal()


class PygmentsHighlighter(QSyntaxHighlighter):
    """Python highlighting with per-block lexer state; `progress_finished` fires when a
    progressive pass has coloured the whole document."""

    SYNC_LIMIT = 300  # documents up to this many lines are coloured in one go
    SLICE_S = 0.030  # target time of one progressive slice (the UI may block this long)

    def __init__(self, document: QTextDocument | None = None, theme: Theme = LIGHT):
        super().__init__(document)
        self._lexer = PythonLexer()
        self._stacks: list[tuple[str, ...]] = [ROOT]
        self._stack_ids: dict[tuple[str, ...], int] = {ROOT: 0}
        self._formats: dict[object, object] = {}
        self._theme = theme
        self._style = get_style_by_name(theme.pygments_style)
        self._horizon = 1 << 62  # blocks with a greater number are left pending
        self._chunk = 300
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)
        self._signals = _Signals()
        self.progress_finished = self._signals.finished

    # -- public ---------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return self._theme

    def set_theme(self, theme: Theme, first_visible_block: int = 0) -> None:
        """Switch token colours; re-colours progressively (visible part first)."""
        if theme == self._theme:
            return
        self._theme = theme
        self._style = get_style_by_name(theme.pygments_style)
        self._formats.clear()
        if self.document() is not None:
            self.begin_progressive(first_visible_block)
            self.rehighlight()

    def begin_progressive(self, first_visible_block: int = 0, visible_blocks: int = 80,
                          block_count: int | None = None) -> None:
        """Call before filling a document of `block_count` lines (default: the current count):
        past the visible blocks, colouring happens later in slices of about SLICE_S seconds."""
        doc = self.document()
        self._timer.stop()
        count = block_count if block_count is not None else (doc.blockCount() if doc is not None else 0)
        if count <= self.SYNC_LIMIT:
            self._horizon = 1 << 62
        else:
            self._horizon = first_visible_block + visible_blocks
            self._timer.start()

    def is_complete(self) -> bool:
        """True when no block is waiting for the progressive pass."""
        return self._horizon >= (1 << 62)

    def format_for(self, ttype: object) -> QTextCharFormat | None:
        """The cached format of a pygments token type in the current theme (None: default text)."""
        fmt = self._formats.get(ttype)
        if fmt is None:
            fmt = _char_format(self._style.style_for_token(ttype), self._theme) or _NO_FORMAT
            self._formats[ttype] = fmt
        return None if fmt is _NO_FORMAT else fmt  # type: ignore[return-value]

    def stack_of(self, state: int) -> tuple[str, ...]:
        return self._stacks[state] if 0 <= state < len(self._stacks) else ROOT

    # -- QSyntaxHighlighter ------------------------------------------------------------------------
    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if self._horizon < (1 << 62) and self.currentBlock().blockNumber() > self._horizon:
            self.setCurrentBlockState(PENDING)
            return
        stack = self.stack_of(self.previousBlockState())
        tokens, end_stack = lex_line(self._lexer, text, stack)
        state = self._stack_ids.get(end_stack)
        if state is None:
            state = self._stack_ids[end_stack] = len(self._stacks)
            self._stacks.append(end_stack)
        data = self.currentBlockUserData()
        if isinstance(data, BlockData):
            data.stack = end_stack
        else:
            self.setCurrentBlockUserData(BlockData(end_stack))
        self.setCurrentBlockState(state)
        n = len(text)
        offsets = utf16_offsets(text)
        formats = self._formats
        set_format = self.setFormat
        run_fmt, run_start, run_stop = None, 0, 0  # adjacent tokens of one format: one setFormat
        for start, stop, ttype in tokens:
            if start >= n:
                break
            fmt = formats.get(ttype)
            if fmt is None:
                fmt = self.format_for(ttype) or _NO_FORMAT
            if fmt is run_fmt and start == run_stop:
                run_stop = stop
                continue
            if run_fmt is not None and run_fmt is not _NO_FORMAT:
                self._apply(set_format, offsets, run_start, min(run_stop, n), run_fmt)
            run_fmt, run_start, run_stop = fmt, start, stop
        if run_fmt is not None and run_fmt is not _NO_FORMAT:
            self._apply(set_format, offsets, run_start, min(run_stop, n), run_fmt)

    @staticmethod
    def _apply(set_format, offsets: list[int] | None, start: int, stop: int, fmt) -> None:
        if offsets is None:
            set_format(start, stop - start, fmt)
        else:
            set_format(offsets[start], offsets[stop] - offsets[start], fmt)

    # -- progressive pass ---------------------------------------------------------------------------
    def _slice(self) -> None:
        doc = self.document()
        if doc is None or self._horizon >= (1 << 62):
            return
        block = doc.findBlockByNumber(self._horizon + 1)
        if not block.isValid():
            self._horizon = 1 << 62
            self.progress_finished.emit()
            return
        t0 = time.perf_counter()
        self._horizon += self._chunk
        if self._horizon + 1 >= doc.blockCount():
            self._horizon = 1 << 62
        self.rehighlightBlock(block)  # goes on while states change: up to the new horizon
        elapsed = time.perf_counter() - t0
        if elapsed > 0:
            factor = min(2.0, self.SLICE_S / elapsed)  # grow gently, shrink at once
            self._chunk = max(20, min(5000, int(self._chunk * factor)))
        if self._horizon >= (1 << 62):
            self.progress_finished.emit()
        else:
            self._timer.start()
