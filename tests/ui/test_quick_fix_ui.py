"""The quick fix can be found: the Findings panel's context menu, the window applies it (issue 17 item 7)."""

from __future__ import annotations

from PySide6.QtCore import Qt

MISNAMED = "def signin(email, password, callback):\n    return callback(None)\n"


def test_the_findings_context_menu_applies_the_quick_fix(make_window, project, qtbot):
    window = make_window(project)
    doc = window.docs["login"]
    doc.set_text(MISNAMED, modified=True)
    qtbot.waitUntil(lambda: any(f.code == "non-recommended-name" for f in window.findings_panel.findings("login")),
                    timeout=10_000)
    tree = window.findings_panel.tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(3) == "non-recommended-name")
    menu = window.findings_panel.menu_for(item)
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Go to line" and texts[1].startswith("Quick fix: give the entry its recommended name")
    menu.actions()[1].trigger()
    assert doc.text().startswith("def login(email, password, callback):")
    doc.editor.undo()
    assert doc.text() == MISNAMED


def test_a_finding_without_a_fix_has_no_fix_in_its_menu(make_window, project, qtbot):
    window = make_window(project)
    window.findings_panel.set_static("login", [])
    from app.domain.findings import Finding, Severity

    window.findings_panel.set_static("login", [Finding(code="callback-not-called", message="m",
                                                        severity=Severity.ERROR, script="login", line=2)])
    item = window.findings_panel.tree.topLevelItem(0)
    assert [a.text() for a in window.findings_panel.menu_for(item).actions()] == ["Go to line"]
    assert item.data(0, Qt.ItemDataRole.UserRole) == ("login", 2)
