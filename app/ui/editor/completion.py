"""Completion in the editor: jedi on one background thread, a popup with docs, signature help.

- `CompletionEngine` (one per application) owns the single worker thread that talks to jedi (not
  thread-safe, so never more than one caller): by default jedi runs in a child process
  (`app.engine.completion_server`) so its large heap and garbage-collector pauses never freeze
  the GUI; in this thread if that process cannot start. Requests go through a queue; a request
  that a newer one of the same editor and kind superseded is skipped unrun.
  Replies come back as a Qt signal, queued onto the GUI thread.
- `CompletionController` (one per editor) debounces keystrokes (~150 ms), tags each request with
  the document revision and cursor position, and drops any reply that no longer matches them.
  `.` and Ctrl+Space open the popup; `(` and `,` show signature help; the selected item's
  documentation is shown beside the list (fetched lazily for items past the first few).
- jedi warms up in the background right after the first editor's first paint, one snippet per
  queued step at low priority, so a user's request never waits for more than one step.
"""

from __future__ import annotations

import atexit
import html
import itertools
import queue
import re
import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QPalette, QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QTextBrowser

from app.engine.completion import Completion, CompletionService, SignatureHelp

DEBOUNCE_MS = 150
_CONFIG_OPEN = re.compile(r"(?<![\w.])configuration\s*\[\s*[\"']?$")  # where the keys pop up unasked
_TYPE_MARK = {"function": "ƒ", "class": "C", "module": "M", "instance": "v", "statement": "v",
              "keyword": "k", "param": "p", "string": "s", "path": "/", "property": "v"}


@dataclass(frozen=True)
class CompletionRequest:
    op: str  # "complete" | "signatures" | "details" | "warm_up"
    owner: int = 0  # id() of the controller that asked
    seq: int = 0
    revision: int = 0  # QTextDocument.revision() when asked
    position: int = 0  # cursor position (UTF-16) when asked
    source: str = ""
    line: int = 1  # 1-based
    col: int = 0  # 0-based, code points
    kind_key: str | None = None
    config_keys: tuple[str, ...] = ()
    index: int = -1  # details: which item of the last completion
    generation: int = 0  # details: which completion list the index refers to
    snippets: tuple[str, ...] = ()  # warm_up: what to complete


@dataclass(frozen=True)
class CompletionReply:
    request: CompletionRequest
    result: object = None
    generation: int = 0
    error: str = ""


class CompletionEngine(QObject):
    """The application's single jedi worker thread."""

    reply = Signal(object)  # CompletionReply
    warmed_up = Signal()  # the background warm-up finished (emitted on the GUI thread)
    _shared: dict[str, CompletionEngine] = {}

    def __init__(self, service: CompletionService | None = None, provider: str = "jedi"):
        super().__init__()
        self._service = service
        self.provider = provider  # the Language's completion provider: "jedi" | "typescript"
        self._queue: queue.PriorityQueue[tuple[int, int, CompletionRequest | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._latest: dict[tuple[int, str], int] = {}
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._warm_requested = False
        self._warm_left = 0
        self.warmed = threading.Event()

    @classmethod
    def shared(cls, provider: str = "jedi") -> CompletionEngine:
        """The application's engine of one completion provider (a worker thread each)."""
        if provider not in cls._shared:
            cls._shared[provider] = cls(provider=provider)
        return cls._shared[provider]

    def submit(self, request: CompletionRequest) -> None:
        self._latest[(request.owner, request.op)] = request.seq
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self.provider}-completion", daemon=True)
            self._thread.start()
            atexit.register(self.stop)  # let a running jedi call finish before the interpreter goes
        priority = 1 if request.op == "warm_up" else 0  # the user's requests jump the warm-up queue
        self._queue.put((priority, next(self._order), request))

    def warm_up(self) -> None:
        """Fire jedi's cold start once, in the background; `warmed_up` is emitted when done.
        Use this (never a second CompletionService on another thread: jedi is not thread-safe)."""
        if not self._warm_requested:
            from app.engine.completion import WARM_UP_SNIPPETS

            self._warm_requested = True
            snippets = WARM_UP_SNIPPETS if self.provider == "jedi" else ("configuration.",)
            self._warm_left = len(snippets)
            for snippet in snippets:
                self.submit(CompletionRequest("warm_up", snippets=(snippet,)))

    def stop(self) -> None:
        """End the worker thread and the jedi child without waiting for a running request (the
        child is killed, so a quitting IDE never waits for jedi)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put((-1, next(self._order), None))
        close = getattr(self._service, "close", None)
        if close is not None:
            close(wait=False)
        if thread is not None:
            thread.join(timeout=1)

    # -- worker thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            _, _, req = self._queue.get()
            if req is None:
                return
            if req.op != "warm_up" and self._latest.get((req.owner, req.op)) != req.seq:
                continue  # superseded before it ran
            try:
                result = self._handle(req)
                reply = CompletionReply(req, result, self._generation)
            except Exception as e:  # noqa: BLE001 - a completion must never take the worker down
                reply = CompletionReply(req, None, self._generation, error=f"{type(e).__name__}: {e}")
            self.reply.emit(reply)

    def _make_service(self):
        """jedi in a child process (its heap and GC pauses stay out of the GUI process); in this
        thread if the child cannot run. TypeScript's server is a process of its own already."""
        if self.provider == "typescript":
            from app.engine.js_completion import shared_service

            return shared_service()
        from app.engine.completion_server import CompletionChildError, CompletionClient

        client = CompletionClient()
        try:
            client.ping()
            return client
        except CompletionChildError:
            client.close()
            return CompletionService()

    def _handle(self, req: CompletionRequest) -> object:
        if self._service is None:
            self._service = self._make_service()
        svc = self._service
        if req.op == "warm_up":
            try:
                svc.warm_up(req.snippets)
            finally:
                self._warm_left -= 1
                if self._warm_left <= 0:
                    self.warmed.set()
                    self.warmed_up.emit()
            return None
        svc.configure(req.kind_key, req.config_keys)
        if req.op == "complete":
            self._generation += 1
            return svc.complete(req.source, req.line, req.col)
        if req.op == "signatures":
            return svc.signatures(req.source, req.line, req.col)
        if req.op == "details":
            return svc.details(req.index) if req.generation == self._generation else None
        raise ValueError(f"unknown completion request {req.op!r}")


def apply_theme(widget, theme) -> None:
    """Give a popup the editor theme's colours (it is not part of the editor's palette)."""
    pal = widget.palette()
    for role, attr in ((QPalette.ColorRole.Window, "gutter_background"), (QPalette.ColorRole.Base, "background"),
                       (QPalette.ColorRole.Text, "foreground"), (QPalette.ColorRole.WindowText, "foreground"),
                       (QPalette.ColorRole.Highlight, "selection"),
                       (QPalette.ColorRole.HighlightedText, "foreground")):
        pal.setColor(role, theme.color(attr))
    widget.setPalette(pal)


class CompletionPopup(QFrame):
    """The list of completions with the selected item's documentation beside it. A child of the
    editor, so the keyboard focus never leaves the text."""

    def __init__(self, editor):
        super().__init__(editor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setUniformItemSizes(True)
        self.doc = QTextBrowser(self)
        self.doc.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.doc.setFixedWidth(380)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(1)
        layout.addWidget(self.list)
        layout.addWidget(self.doc)
        self.items: list[Completion] = []
        self.hide()

    def set_items(self, items: list[Completion]) -> None:
        self.items = list(items)
        self.list.clear()
        for i, c in enumerate(self.items):
            it = QListWidgetItem(f"{_TYPE_MARK.get(c.type, '·')}  {c.name}")
            it.setData(Qt.ItemDataRole.UserRole, i)
            it.setToolTip(c.type)
            self.list.addItem(it)

    def filter(self, typed: str) -> int:
        """Show only items starting with `typed` (case-insensitive); returns how many remain."""
        low = typed.lower()
        first, shown = None, 0
        for row in range(self.list.count()):
            it = self.list.item(row)
            name = self.items[it.data(Qt.ItemDataRole.UserRole)].name
            hide = not name.lower().startswith(low)
            it.setHidden(hide)
            if not hide:
                shown += 1
                if first is None:
                    first = row
        cur = self.list.currentItem()
        if first is not None and (cur is None or cur.isHidden()):
            self.list.setCurrentRow(first)
        return shown

    def current_index(self) -> int | None:
        it = self.list.currentItem()
        if it is None or it.isHidden():
            return None
        return it.data(Qt.ItemDataRole.UserRole)

    def move(self, delta: int) -> None:
        rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
        if not rows:
            return
        cur = self.list.currentRow()
        i = rows.index(cur) if cur in rows else 0
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, i + delta))])

    def show_doc(self, item: Completion | None) -> None:
        if item is None:
            self.doc.clear()
            return
        parts = []
        if item.signature:
            parts.append(f"<pre style='white-space: pre-wrap'><b>{html.escape(item.signature)}</b></pre>")
        if item.doc:
            from app.ui.editor.rest_doc import rest_to_html

            parts.append(rest_to_html(item.doc))
        if not parts:
            parts.append(f"<i>{html.escape(item.type)}</i>")
        self.doc.setHtml("".join(parts))

    def place(self, anchor: QRect, area: QRect) -> None:
        """Below the cursor rectangle, or above it when there is no room below; inside `area` (in
        the parent's coordinates) and inside the screen, shrinking to the larger side when
        neither fits (so it never hangs off the bottom of a laptop screen)."""
        area = area.intersected(self._screen_area()) if not self._screen_area().isNull() else area
        rows = min(10, max(1, self.list.count()))
        want = max(min(rows * (self.list.sizeHintForRow(0) or 18) + 8, 260), 170)  # room for the doc
        w = min(max(220, self.list.sizeHintForColumn(0) + 30) + self.doc.width() + 4, area.width())
        x = min(max(area.left(), anchor.left()), area.right() - w)
        below = area.bottom() - anchor.bottom() - 2
        above = anchor.top() - area.top() - 2
        if want <= below or below >= above:
            h = max(60, min(want, below))
            y = anchor.bottom() + 2
        else:
            h = max(60, min(want, above))
            y = anchor.top() - h - 2
        self.setGeometry(x, y, w, h)

    def _screen_area(self) -> QRect:
        """The available screen area in the parent's coordinates (null without a screen)."""
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        if parent is None or screen is None:
            return QRect()
        geo = screen.availableGeometry()
        return QRect(parent.mapFromGlobal(geo.topLeft()), geo.size())


class SignatureTip(QLabel):
    """Signature help: the call's parameters with the current one in bold, and its doc summary."""

    def __init__(self, editor):
        super().__init__(editor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setMargin(4)
        self.hide()

    def show_signature(self, sig: SignatureHelp, anchor: QRect, area: QRect) -> None:
        params = [f"<b><u>{html.escape(p)}</u></b>" if i == sig.index else html.escape(p)
                  for i, p in enumerate(sig.params)]
        summary = sig.doc.strip().split("\n\n", 1)[0]
        text = f"<code>{html.escape(sig.name)}({', '.join(params)})</code>"
        if summary:
            text += f"<br><small>{html.escape(summary)}</small>"
        self.setText(text)
        self.setMaximumWidth(max(200, area.width() - 8))
        self.adjustSize()
        y = anchor.top() - self.height() - 2
        if y < area.top():
            y = anchor.bottom() + 2
        x = min(max(area.left(), anchor.left()), area.right() - self.width())
        self.move(x, y)
        self.show()
        self.raise_()


@dataclass
class _Pending:
    seq: dict[str, int] = field(default_factory=dict)


class CompletionController(QObject):
    """Connects one CodeEditor to the shared engine."""

    shown = Signal()  # the popup opened with fresh completions (tests and benchmarks wait on it)

    def __init__(self, editor, engine: CompletionEngine | None = None):
        super().__init__(editor)
        self.editor = editor
        self.engine = engine or CompletionEngine.shared(editor.language.completion)
        self.engine.reply.connect(self._on_reply)
        self.popup = CompletionPopup(editor)
        self.tip = SignatureTip(editor)
        self.popup.list.currentRowChanged.connect(self._on_row_changed)
        self.popup.list.itemClicked.connect(lambda *_: self.accept())
        editor.cursorPositionChanged.connect(self._on_cursor_moved)
        self._seq = itertools.count(1)
        self._pending: dict[str, int] = {}
        self._start = 0  # document position where the completed word starts
        self._generation = 0
        self.stale_dropped = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._send_complete)
        self._sig_timer = QTimer(self)
        self._sig_timer.setSingleShot(True)
        self._sig_timer.setInterval(DEBOUNCE_MS)
        self._sig_timer.timeout.connect(self._send_signatures)
        self.engine.warm_up()

    # -- keys from the editor --------------------------------------------------------------------------
    def handle_key(self, event: QKeyEvent) -> bool:
        """Keys the popup or tip consume before the editor sees them."""
        key = event.key()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key == Qt.Key.Key_Space:
            self.request_now()
            return True
        if self.popup.isVisible():
            moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8, Qt.Key.Key_PageDown: 8}
            if key in moves:
                self.popup.move(moves[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
                return self.accept()
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        if key == Qt.Key.Key_Escape and self.tip.isVisible():
            self.tip.hide()
            return True
        return False

    def after_key(self, event: QKeyEvent) -> None:
        """React to a key the editor has just applied."""
        text = event.text()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return
        if text == ".":
            self.hide()
            self._timer.start()
        elif text and text in "\"'[" and _CONFIG_OPEN.search(self._line_before_cursor()):
            self.hide()  # `configuration["`: the project's keys pop up by themselves
            self._timer.start()
        elif text == "(":
            self.hide()
            self._sig_timer.start()
        elif text == "," and self.tip.isVisible():
            self._sig_timer.start()
        elif text == ")":
            self.tip.hide()
        elif self.popup.isVisible():
            if (text and (text.isalnum() or text in "_\"'")) or event.key() == Qt.Key.Key_Backspace:
                self._refilter()
            elif event.key() not in (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta):
                self.hide()
        elif self._timer.isActive() and text and (text.isalnum() or text == "_"):
            self._timer.start()  # still typing the word after the dot: wait for a pause

    def _line_before_cursor(self) -> str:
        c = self.editor.textCursor()
        return c.block().text()[: c.positionInBlock()]

    def request_now(self) -> None:
        """Ctrl+Space: complete at the cursor without waiting."""
        self._timer.stop()
        self._send_complete()

    def hide(self) -> None:
        self.popup.hide()

    def accept(self) -> bool:
        index = self.popup.current_index()
        if index is None:
            self.hide()
            return False
        name = self.popup.items[index].name
        c = self.editor.textCursor()
        c.beginEditBlock()
        c.setPosition(min(self._start, c.position()), QTextCursor.MoveMode.KeepAnchor)
        c.insertText(name)
        c.endEditBlock()
        self.editor.setTextCursor(c)
        self.hide()
        return True

    # -- requests ----------------------------------------------------------------------------------
    def _request(self, op: str, **extra) -> CompletionRequest:
        from app.ui.editor.code_editor import utf16_to_index

        c = self.editor.textCursor()
        seq = next(self._seq)
        self._pending[op] = seq
        return CompletionRequest(
            op, id(self), seq, self.editor.document().revision(), c.position(), self.editor.toPlainText(),
            c.blockNumber() + 1, utf16_to_index(c.block().text(), c.positionInBlock()),
            self.editor.kind_key, self.editor.config_keys, **extra)

    def _send_complete(self) -> None:
        self.engine.submit(self._request("complete"))

    def _send_signatures(self) -> None:
        self.engine.submit(self._request("signatures"))

    def _is_current(self, req: CompletionRequest) -> bool:
        c = self.editor.textCursor()
        return (self._pending.get(req.op) == req.seq and req.revision == self.editor.document().revision()
                and req.position == c.position())

    def _on_reply(self, reply: CompletionReply) -> None:
        req = reply.request
        if req.owner != id(self):
            return
        if not self._is_current(req):
            self.stale_dropped += 1
            return
        if req.op == "complete":
            self._show(reply.result or [], reply.generation)
        elif req.op == "signatures":
            sigs = reply.result or []
            if sigs:
                apply_theme(self.tip, self.editor.theme)
                self.tip.show_signature(sigs[0], self._cursor_rect(), self.editor.viewport().geometry())
            else:
                self.tip.hide()
        elif req.op == "details" and reply.result is not None and self.popup.isVisible():
            item = reply.result
            self.popup.items[req.index] = item
            if self.popup.current_index() == req.index:
                self.popup.show_doc(item)

    def _cursor_rect(self) -> QRect:
        r = self.editor.cursorRect()
        offset = self.editor.viewport().mapTo(self.editor, QPoint(0, 0))
        return r.translated(offset)

    def _show(self, items: list[Completion], generation: int) -> None:
        if not items:
            self.hide()
            return
        self._generation = generation
        block_text = self.editor.textCursor().block().text()
        from app.ui.editor.code_editor import utf16_len, utf16_to_index

        c = self.editor.textCursor()
        col = utf16_to_index(block_text, c.positionInBlock())
        typed = block_text[max(0, col - items[0].prefix_len): col]
        self._start = c.position() - utf16_len(typed)
        apply_theme(self.popup, self.editor.theme)
        self.popup.set_items(items)
        if self.popup.filter(typed) == 0:
            self.hide()
            return
        self.popup.place(self._cursor_rect(), self.editor.viewport().geometry())
        self.popup.show()
        self.popup.raise_()
        self._on_row_changed(self.popup.list.currentRow())
        self.shown.emit()

    def _refilter(self) -> None:
        c = self.editor.textCursor()
        if c.position() < self._start:
            self.hide()
            return
        probe = QTextCursor(self.editor.document())
        probe.setPosition(self._start)
        probe.setPosition(c.position(), QTextCursor.MoveMode.KeepAnchor)
        typed = probe.selectedText()
        if "\u2029" in typed or self.popup.filter(typed) == 0:
            self.hide()

    def _on_cursor_moved(self) -> None:
        """A click elsewhere (or arrows out of the word) closes the popup."""
        if not self.popup.isVisible():
            return
        c = self.editor.textCursor()
        if c.position() < self._start or c.block() != self.editor.document().findBlock(self._start):
            self.hide()

    def focus_lost(self) -> None:
        self.hide()
        self.tip.hide()

    def _on_row_changed(self, row: int) -> None:
        index = self.popup.current_index()
        if index is None:
            self.popup.show_doc(None)
            return
        item = self.popup.items[index]
        self.popup.show_doc(item)
        if not item.doc and not item.signature:
            self.engine.submit(self._request("details", index=index, generation=self._generation))
