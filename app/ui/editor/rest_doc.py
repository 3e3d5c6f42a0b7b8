"""Docstrings as readable HTML for the completion popup: the reStructuredText that SQLAlchemy,
the standard library and the runtime write (Sphinx flavoured), without docutils.

docutils rejects Sphinx's roles and directives (`:meth:`, `.. versionadded::`) that fill these
docstrings, and a popup needs a forgiving reading, not a document: so the few constructs that show
up are rendered by hand and anything else stays plain text.
- `E.g.::` + an indented block, `.. code-block:: python` / `.. sourcecode::` → a code block;
- `.. note::`, `.. warning::`, `.. seealso::`, `.. versionadded:: 2.0`… → a bold label;
- ``literal``, :role:`~a.b.Name` / :role:`title <target>` → code; *emphasis*, **strong**;
- `:param x:`, `:return:`, `:raises E:` → a field list; `-`/`*` bullets → a list.
"""

from __future__ import annotations

import html
import re
import textwrap

_DIRECTIVE = re.compile(r"^\.\.\s+([\w-]+)::\s*(.*)$")
_FIELD = re.compile(r"^:(param|parameter|arg|type|return|returns|rtype|raises|raise|except)\s*([^:]*):\s*(.*)$")
_PRIVATE_MODULE = re.compile(r"^_[a-z]\w*\.")
_CODE_DIRECTIVES = {"code-block", "sourcecode", "code", "doctest"}
_LABELS = {"note": "Note", "warning": "Warning", "seealso": "See also", "tip": "Tip", "deprecated": "Deprecated",
           "versionadded": "New in version", "versionchanged": "Changed in version", "important": "Important"}
_FIELD_LABELS = {"param": "", "parameter": "", "arg": "", "type": "type of ", "return": "Returns",
                 "returns": "Returns", "rtype": "Return type", "raises": "Raises", "raise": "Raises",
                 "except": "Raises"}


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"``(.+?)``", r"<code>\1</code>", out)

    def role(m: re.Match) -> str:
        body = m.group(1)
        title = re.match(r"(.*?)\s*&lt;.*&gt;$", body)
        if title and title.group(1):
            body = title.group(1)
        elif body.startswith("~"):
            body = body[1:].rsplit(".", 1)[-1]
        body = _PRIVATE_MODULE.sub("", body.lstrip("."))  # SQLAlchemy's `_engine.Connection`
        return f"<code>{body}</code>"

    out = re.sub(r":[\w:.+-]+:`([^`]+)`", role, out)
    out = re.sub(r"`([^`<]+?)(?:\s*&lt;[^`]*&gt;)?`_{1,2}", r"\1", out)  # `link <url>`_
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def rest_to_html(doc: str) -> str:
    """`doc` (a raw docstring) as simple HTML: paragraphs, code blocks, labels, fields, lists."""
    lines = textwrap.dedent(doc.expandtabs().strip("\n")).split("\n")  # jedi gives it cleaned already
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(s.strip() for s in para)) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        code_next = False
        if not stripped:
            flush()
        elif m := _DIRECTIVE.match(stripped):
            flush()
            name, arg = m.group(1), m.group(2)
            if name in _CODE_DIRECTIVES:
                code_next = True
            elif name in _LABELS:
                out.append(f"<p><b>{_LABELS[name]}{' ' + html.escape(arg) if arg else ''}:</b></p>"
                           if name.startswith("version") else f"<p><b>{_LABELS[name]}:</b> {_inline(arg)}</p>")
            # any other directive (.. autoclass::, .. _label:) says nothing to a reader: dropped
        elif m := _FIELD.match(stripped):
            flush()
            kind, name, text = m.groups()
            label = _FIELD_LABELS[kind]
            head = f"<b>{html.escape(name.strip())}</b>" if kind in ("param", "parameter", "arg") else \
                f"<b>{label}{html.escape(name.strip())}</b>" if kind == "type" else \
                f"<b>{label}{' ' + html.escape(name.strip()) if name.strip() else ''}</b>"
            more = []
            while i + 1 < len(lines) and lines[i + 1].strip() and _indent(lines[i + 1]) > _indent(line):
                i += 1
                more.append(lines[i].strip())
            out.append(f"<p style='margin-left:8px'>{head} — {_inline(' '.join([text, *more]).strip())}</p>")
        elif re.match(r"^[-*+]\s+", stripped):
            if para:
                flush()
            items.append(re.sub(r"^[-*+]\s+", "", stripped))
        elif items and _indent(line) > 0:
            items[-1] += " " + stripped
        else:
            if stripped.endswith("::"):
                text = stripped[:-2].rstrip()
                para.append(text + (":" if text and not stripped[:-2].endswith(" ") else ""))
                code_next = True
            else:
                para.append(stripped)
        if code_next:
            flush()
            base = _indent(line)
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            block: list[str] = []
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                block.append(lines[j])
                j += 1
            while block and not block[-1].strip():
                block.pop()
            if block:
                cut = min(_indent(b) for b in block if b.strip())
                code = "\n".join(b[cut:] for b in block)
                out.append(f"<pre style='white-space: pre-wrap'>{html.escape(code, quote=False)}</pre>")
                i = j - 1
        i += 1
    flush()
    return "".join(out)
