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
from pygments.styles import get_style_by_name
from pygments.token import Error, Whitespace, _TokenType
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QSyntaxHighlighter,
    QTextBlockUserData,
    QTextCharFormat,
    QTextDocument,
)

from app.ui.editor.themes import LIGHT, Theme
from app.ui.first_paint import solid_brush
from app.ui.lexer_cache import python_lexer

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
        fmt.setForeground(solid_brush("#" + style["color"]))
    if style["bgcolor"] and style["bgcolor"].lower() != theme.background.lstrip("#").lower():
        fmt.setBackground(solid_brush("#" + style["bgcolor"]))
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
    """pygments highlighting (Python unless given another language's lexer) with per-block lexer
    state; `progress_finished` fires when a progressive pass has coloured the whole document."""

    SLICE_S = 0.025  # target time of one progressive slice (the UI may block this long)
    MEMO_SIZE = 4096  # lexed lines remembered: blank lines, `else:`, `return callback(None)`...

    def __init__(self, document: QTextDocument | None = None, theme: Theme = LIGHT,
                 lexer: RegexLexer | None = None):
        super().__init__(document)
        # PythonLexer by default; its regexes compiled once per install, not per start
        self._lexer = lexer if lexer is not None else python_lexer()
        self._stacks: list[tuple[str, ...]] = [ROOT]
        self._stack_ids: dict[tuple[str, ...], int] = {ROOT: 0}
        self._formats: dict[object, object] = {}
        self._format_ids: dict[object, int] = {}  # token type -> index in _format_list, -1: none
        self._format_list: list[QTextCharFormat] = []
        self._memo: dict[tuple[tuple[str, ...], str], tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._theme = theme
        self._style = get_style_by_name(theme.pygments_style)
        self._horizon = 1 << 62  # blocks with a greater number are left pending
        self._deadline = 0.0  # end of the running progressive slice (perf_counter), 0: none
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

    @property
    def lexer(self) -> RegexLexer:
        return self._lexer

    def set_lexer(self, lexer: RegexLexer, first_visible_block: int = 0) -> None:
        """Colour with another language's lexer (app/ui/lexer_cache.cached_lexer); re-colours
        progressively (visible part first)."""
        if type(lexer) is type(self._lexer):
            return
        self._lexer = lexer
        self._stacks = [ROOT]
        self._stack_ids = {ROOT: 0}
        self._memo.clear()
        if self.document() is not None:
            self.begin_progressive(first_visible_block)
            self.rehighlight()

    def set_theme(self, theme: Theme, first_visible_block: int = 0) -> None:
        """Switch token colours; re-colours progressively (visible part first)."""
        if theme == self._theme:
            return
        self._theme = theme
        self._style = get_style_by_name(theme.pygments_style)
        self._formats.clear()
        self._format_ids.clear()
        self._format_list.clear()
        self._memo.clear()
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
        if count <= first_visible_block + visible_blocks:
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
        if self._deadline and time.perf_counter() > self._deadline:  # this slice's time is up
            self._deadline = 0.0
            self._horizon = self.currentBlock().blockNumber() - 1
            self.setCurrentBlockState(PENDING)
            return
        stack = self.stack_of(self.previousBlockState())
        key = (stack, text)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._format_runs(text, stack)
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = hit
        runs, end_stack = hit
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
        set_format, formats = self.setFormat, self._format_list
        for i in range(0, len(runs), 3):
            set_format(runs[i], runs[i + 1], formats[runs[i + 2]])

    def _format_id(self, ttype: object) -> int:
        fid = self._format_ids.get(ttype)
        if fid is None:
            fmt = self.format_for(ttype)
            if fmt is None:
                fid = -1
            else:
                fid = len(self._format_list)
                self._format_list.append(fmt)
            self._format_ids[ttype] = fid
        return fid

    def _format_runs(self, text: str, stack: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Lex a line into (flat (start, length, format id) triples in UTF-16 units, end stack).

        Adjacent tokens of one format are merged; plain text gets no run. Only ints and strs,
        so the memo of these adds nothing for the garbage collector to traverse."""
        tokens, end_stack = lex_line(self._lexer, text, stack)
        n = len(text)
        offsets = utf16_offsets(text)
        ids = self._format_ids
        runs: list[int] = []
        run_id, run_start, run_stop = -1, 0, 0
        for start, stop, ttype in tokens:
            if start >= n:
                break
            fid = ids.get(ttype)
            if fid is None:
                fid = self._format_id(ttype)
            if fid == run_id and start == run_stop:
                run_stop = stop
                continue
            if run_id >= 0:
                runs += (run_start, min(run_stop, n), run_id)
            run_id, run_start, run_stop = fid, start, stop
        if run_id >= 0:
            runs += (run_start, min(run_stop, n), run_id)
        for i in range(0, len(runs), 3):  # (start, stop) -> (start, length), in UTF-16 units
            a, b = runs[i], runs[i + 1]
            if offsets is not None:
                a, b = offsets[a], offsets[b]
            runs[i], runs[i + 1] = a, b - a
        return tuple(runs), end_stack

    # -- progressive pass ---------------------------------------------------------------------------
    def _slice(self) -> None:
        doc = self.document()
        if doc is None or self._horizon >= (1 << 62):
            return
        start = self._horizon + 1
        block = doc.findBlockByNumber(start)
        if not block.isValid():
            self._horizon = 1 << 62
            self.progress_finished.emit()
            return
        # Time-boxed: highlightBlock stops extending the horizon once the slice's deadline has
        # passed, so one slice blocks the UI about SLICE_S whatever the lines cost (an estimate
        # from the previous slice's speed overshoots when lines get slower or the core is shared).
        self._horizon = doc.blockCount()
        self._deadline = time.perf_counter() + self.SLICE_S
        try:
            self.rehighlightBlock(block)  # goes on while states change: up to the deadline
        finally:
            self._deadline = 0.0
        if self._horizon + 1 >= doc.blockCount():
            self._horizon = 1 << 62
            self.progress_finished.emit()
        else:
            self._timer.start()
