"""The SQL panel's Rows column: a count shows as a number (0 included), an unknown count stays empty."""

from __future__ import annotations

from app.ui.panels.sql_panel import SqlPanel


def test_rows_column_shows_counts_and_leaves_unknown_empty(qtbot):
    panel = SqlPanel()
    qtbot.addWidget(panel)
    for rows in (1, 0, None):
        panel.add({"statement": "SELECT id FROM users", "params": None, "duration_ms": 0.1, "rows": rows,
                   "error": None})
    assert [r[3] for r in panel.rows()] == ["1", "0", ""]
    assert "read" in panel.table.horizontalHeaderItem(3).toolTip()
