"""Breakpoints that stay on their code while the text around them is edited.

Each breakpoint is anchored in the document with two QTextCursors, which Qt moves through every
insertion and removal (in C++, in the same step as the edit), so following the edits costs
O(breakpoints) per edit, never O(lines):

- `start` sits on the line's first non-blank character (the line start when it is blank). Text
  inserted at that spot pushes it along, so Return in front of the code (at column 0 or after the
  indent) takes the breakpoint down with the code, while Return at the end of the line leaves it.
  Backspace at the start of the line (or Delete at the end of the one above) joins the line into
  the previous one: `start` then lies in that line, and the breakpoint goes with its code.
- `span` covers the line with the line breaks on both sides of it. When the line's text and one of
  those line breaks are gone (deleting the whole line, cutting it, a selection across it), the span
  has fewer characters than line breaks it started with: the line is deleted, and so is its
  breakpoint. Emptying a line, or replacing its text, keeps it.

Undo and redo put the text back exactly as it was, so they put the breakpoints back too: after
every edit the breakpoints' lines are noted under the document's undo position, and reaching that
position again by undo or redo restores them, including those an edit had deleted. Breakpoints set
after that moment are left where their cursors say.

When two breakpoints end up on one line (a join), the one already there stays; the other counts as
deleted by the edit (an undo brings it back).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QTextBlock, QTextCursor, QTextDocument

HISTORY = 1000  # undo positions whose breakpoint lines are kept
TOMBS = 100  # breakpoints deleted by edits that an undo may bring back

_KEEP = QTextCursor.MoveMode.KeepAnchor


@dataclass
class _Mark:
    start: QTextCursor
    span: QTextCursor
    breaks: int  # line breaks inside `span` when it was placed
    line: int  # 1-based, as of the last sync
    payload: object


class BreakpointMarks:
    """The breakpoints of one document: {1-based line: payload}, kept on their code.

    `payload` is whatever the owner attaches (the debugger attaches its LineBreakpoint records);
    it travels with the breakpoint, also through a deletion and the undo that restores it."""

    def __init__(self, document: QTextDocument):
        self._doc = document
        self._marks: dict[int, _Mark] = {}
        self._tombs: dict[int, _Mark] = {}  # deleted by an edit; an undo may restore them
        self._history: dict[int, tuple[int, dict[int, int]]] = {}  # undo position -> (next id, {id: line})
        self._next_id = 0
        self._steps = document.availableUndoSteps()
        self._count = document.blockCount()
        self._new_command = False
        document.undoCommandAdded.connect(self._command_added)

    # -- reading -----------------------------------------------------------------------------------
    def lines(self) -> set[int]:
        return {m.line for m in self._marks.values()}

    def items(self) -> dict[int, object]:
        return {m.line: m.payload for m in self._marks.values()}

    def __bool__(self) -> bool:
        return bool(self._marks)

    # -- setting -----------------------------------------------------------------------------------
    def set_items(self, items: dict[int, object]) -> dict[int, int | None]:
        """Put breakpoints on exactly these lines (1-based; lines past the end are dropped).

        A breakpoint already on one of the lines keeps its anchor (only its payload changes); the
        others are removed for good: an undo does not bring back what the user took away. Returns
        {old line: None} for breakpoints dropped because their line is past the end."""
        count = self._doc.blockCount()
        by_line = {m.line: i for i, m in self._marks.items()}
        dropped = {line: None for line in items if not 1 <= line <= count}
        keep = {line: payload for line, payload in items.items() if 1 <= line <= count}
        for line, ident in by_line.items():
            if line not in keep:
                del self._marks[ident]
        for line, payload in keep.items():
            ident = by_line.get(line)
            if ident is not None:
                self._marks[ident].payload = payload
                continue
            mark = _Mark(QTextCursor(self._doc), QTextCursor(self._doc), 0, line, payload)
            self._place(mark, self._doc.findBlockByNumber(line - 1))
            self._marks[self._next_id] = mark
            self._next_id += 1
        self._steps = self._doc.availableUndoSteps()
        self._count = count
        self._record()
        return dropped

    def reset(self) -> None:
        """Forget everything, including what undo could bring back (a new text was loaded)."""
        self._marks.clear()
        self._tombs.clear()
        self._history.clear()
        self._steps = self._doc.availableUndoSteps()
        self._count = self._doc.blockCount()
        self._new_command = False

    # -- following edits ---------------------------------------------------------------------------
    def _command_added(self) -> None:
        self._new_command = True

    def on_contents_change(self, position: int, added: int) -> dict[int, int | None] | None:
        """Call on QTextDocument.contentsChange(position, removed, added). Returns {old line: new
        line, or None when deleted} for the breakpoints this edit moved or deleted (possibly empty
        when an undo only brought some back), or None when no breakpoint changed."""
        steps = self._doc.availableUndoSteps()
        new_command, self._new_command = self._new_command, False
        moved_in_history = not new_command and steps != self._steps
        self._steps = steps
        count, last_count = self._doc.blockCount(), self._count
        self._count = count
        if not self._marks and not self._tombs:
            return None
        before = {i: m.line for i, m in self._marks.items()}
        snapshot = self._history.get(steps) if moved_in_history else None
        if snapshot is not None:
            self._restore(*snapshot)
        elif count == last_count and not moved_in_history:
            # Typing within lines: only a breakpoint whose line the edit touched can change.
            end = position + added
            self._follow({i: m for i, m in self._marks.items()
                          if m.span.selectionStart() <= end and m.span.selectionEnd() >= position})
        else:
            self._follow(self._marks)
        after = {i: m.line for i, m in self._marks.items()}
        if after != before:
            self._merge(before)
            after = {i: m.line for i, m in self._marks.items()}
        if new_command:  # the redo branch is gone
            for key in [k for k in self._history if k > steps]:
                del self._history[key]
        if new_command or moved_in_history or after != before or steps not in self._history:
            self._record()
        if after == before:
            return None
        return {line: after.get(i) for i, line in before.items() if after.get(i) != line}

    def _follow(self, marks: dict[int, _Mark]) -> None:
        for ident, mark in list(marks.items()):
            span = mark.span
            if span.selectionEnd() - span.selectionStart() < mark.breaks:
                self._bury(ident)
            else:
                self._place(mark, mark.start.block())

    def _restore(self, next_id: int, lines: dict[int, int]) -> None:
        count = self._doc.blockCount()
        later: dict[int, _Mark] = {}
        for ident, mark in [*self._marks.items(), *self._tombs.items()]:
            line = lines.get(ident)
            if line is not None and 1 <= line <= count:
                self._tombs.pop(ident, None)
                self._marks[ident] = mark
                self._place(mark, self._doc.findBlockByNumber(line - 1))
            elif ident < next_id:  # it did not exist on a line at that moment
                if ident in self._marks:
                    self._bury(ident)
            elif ident in self._marks:  # set after that moment: follows its cursors
                later[ident] = mark
        self._follow(later)

    def _merge(self, before: dict[int, int]) -> None:
        """One breakpoint per line: the one that was already there, else the oldest."""
        holder: dict[int, int] = {}
        for ident in sorted(self._marks, key=lambda i: (before.get(i) != self._marks[i].line, i)):
            line = self._marks[ident].line
            if line in holder:
                self._bury(ident)
            else:
                holder[line] = ident

    def _bury(self, ident: int) -> None:
        self._tombs[ident] = self._marks.pop(ident)
        while len(self._tombs) > TOMBS:
            del self._tombs[next(iter(self._tombs))]

    def _record(self) -> None:
        self._history[self._steps] = (self._next_id, {i: m.line for i, m in self._marks.items()})
        self._history.pop(self._steps - HISTORY, None)

    @staticmethod
    def _place(mark: _Mark, block: QTextBlock) -> None:
        """Anchor `mark` on `block` (see the module docstring for where its cursors go)."""
        text = block.text()
        indent = len(text) - len(text.lstrip())  # whitespace is never a surrogate pair
        start = block.position()
        mark.start.setPosition(start + (indent if indent < len(text) else 0))
        before, after = block.previous().isValid(), block.next().isValid()
        mark.span.setPosition(start - 1 if before else start)
        mark.span.setPosition(block.next().position() if after else start + block.length() - 1, _KEEP)
        mark.breaks = int(before) + int(after)
        mark.line = block.blockNumber() + 1
