"""A project with `language = "javascript"` opens in the window: scripts/<key>.js, JavaScript
colours, `//` comments and JavaScript lint in the Findings panel."""

from pygments.lexers.javascript import JavascriptLexer
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

LOGIN_JS = """function (email, password, callback) {
  callback(null, { user_id: "1", email: email });
}
"""


def test_a_javascript_project_opens_with_js_editors(make_window, project_dir, qtbot):
    from app.domain.project import load_project

    toml = project_dir / "customdb.toml"
    toml.write_text('language = "javascript"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    (project_dir / "scripts" / "login.js").write_text(LOGIN_JS, encoding="utf-8")
    window = make_window(load_project(project_dir))
    doc = window.open_script("login")
    assert doc.path.name == "login.js" and doc.text() == LOGIN_JS
    assert window.tabs.tabText(window.tabs.indexOf(doc.editor)) == "login.js"
    assert isinstance(doc.editor.highlighter.lexer, JavascriptLexer)
    # JavaScript lint: the anonymous entry, and Get User's missing .js file
    qtbot.waitUntil(lambda: [f.code for f in doc.findings] == ["anonymous-entry"], timeout=5000)
    editor = doc.editor
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText().splitlines()[0] == "// function (email, password, callback) {"
    editor.undo()
    assert editor.toPlainText() == LOGIN_JS
