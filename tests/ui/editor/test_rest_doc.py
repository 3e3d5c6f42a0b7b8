"""Docstrings rendered for the completion popup (issue 17 item 5: no raw `E.g.::`)."""

from app.ui.editor.rest_doc import rest_to_html


def test_literal_block_after_double_colon():
    out = rest_to_html("Do it.\n\nE.g.::\n\n    conn.execute(text('x'))\n    more()\n\nAfter.")
    assert "E.g.:</p>" in out and "::" not in out
    assert "<pre style='white-space: pre-wrap'>conn.execute(text('x'))\nmore()</pre>" in out
    assert out.endswith("<p>After.</p>")


def test_expanded_form_drops_the_colons():
    assert rest_to_html("See below ::\n\n    x = 1") == "<p>See below</p><pre style='white-space: pre-wrap'>x = 1</pre>"


def test_roles_literals_and_emphasis():
    out = rest_to_html("Returns :class:`_engine.CursorResult` via :meth:`~sqlalchemy.engine.Connection.execute`, "
                       "``x`` and *this* **that** :ref:`the guide <guide_x>`")
    assert "<code>CursorResult</code>" in out and "<code>execute</code>" in out
    assert "<code>x</code>" in out and "<i>this</i>" in out and "<b>that</b>" in out
    assert "<code>the guide</code>" in out and "`" not in out


def test_fields_directives_and_bullets():
    out = rest_to_html(":param email: the address,\n   lower-cased\n:return: the row\n\n"
                       ".. versionadded:: 2.0\n\n.. note:: careful\n\n- one\n- two")
    assert "<b>email</b> — the address, lower-cased" in out and "<b>Returns</b> — the row" in out
    assert "<b>New in version 2.0:</b>" in out and "<b>Note:</b> careful" in out
    assert "<ul><li>one</li><li>two</li></ul>" in out


def test_code_block_directive_and_html_escaped():
    out = rest_to_html(".. code-block:: python\n\n    if a < b:\n        pass")
    assert out == "<pre style='white-space: pre-wrap'>if a &lt; b:\n    pass</pre>"
