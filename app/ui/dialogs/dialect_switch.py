"""The project moved to another database: say which scripts were written for another SQL dialect
and offer that dialect's templates (replacing only on confirmation, the old scripts kept in a
backup folder), so a SQLite project pointed at PostgreSQL does not fail on `migrated = 1`."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.dialects import DISPLAY, Mismatch, mismatch
from app.domain.project import Project


def mismatched_scripts(project: Project, target: str, unsaved: dict[str, str] | None = None) -> dict[str, Mismatch]:
    """Each script (its unsaved editor text when there is one) that looks written for another
    dialect than `target`, with why."""
    found: dict[str, Mismatch] = {}
    for key in project.script_keys():
        try:
            source = (unsaved or {}).get(key) or project.read_script(key)
        except (OSError, UnicodeDecodeError):
            continue
        if (m := mismatch(source, target)) is not None:
            found[key] = m
    return found


def replace_with_templates(project: Project, target: str, keys: list[str],
                           unsaved: dict[str, str] | None = None) -> tuple[list[str], Path]:
    """Back up then replace `keys` with `target`'s templates for the project's mode. Returns the
    keys replaced and the backup folder (`.customdb/backups/<time>-<dialect>/`), which holds each
    script as it was on disk and, as `<key>.unsaved.py`, an editor's unsaved text."""
    from app.domain.templates import template_keys, template_source

    available = set(template_keys(project.mode))
    chosen = [k for k in keys if k in available]
    backup = project.root / ".customdb" / "backups" / f"{time.strftime('%Y%m%d-%H%M%S')}-before-{target}"
    backup.mkdir(parents=True, exist_ok=True)
    for key in chosen:
        path = project.script_path(key)
        if path.exists():
            (backup / path.name).write_bytes(path.read_bytes())
        if unsaved and key in unsaved:
            (backup / f"{key}.unsaved.py").write_text(unsaved[key], encoding="utf-8")
    for key in chosen:
        project.write_script(key, template_source(target, project.mode, key))
    return chosen, backup


def offer_templates(parent: QWidget | None, project: Project, target: str,
                    unsaved: dict[str, str] | None = None) -> list[str]:
    """Ask whether to replace the mismatched scripts with `target`'s templates; returns the keys
    replaced ([] when none was mismatched or the user kept them)."""
    found = mismatched_scripts(project, target, unsaved)
    if not found:
        return []
    name = DISPLAY.get(target, target)
    written = {m.written_for for m in found.values() if m.written_for and m.written_for != target}
    origin = " and ".join(DISPLAY.get(w, w) for w in sorted(written)) or "another database"
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Scripts written for another database")
    box.setText(f"The project now uses {name}, but {len(found)} script(s) were written for {origin}; "
                f"their SQL may fail on {name}.")
    box.setInformativeText(f"Replace them with the {name} templates? Your versions are kept in "
                           ".customdb/backups/ (and Ctrl+Z in an open editor brings yours back).")
    box.setDetailedText("\n".join(f"{project.script_path(key).name}: {m.summary(target)}" for key, m in found.items()))
    if getattr(project.language, "name", "python") != "python":  # the templates offered are Python's
        box.setInformativeText("Check their SQL before the first run (see the details).")
        box.addButton(QMessageBox.StandardButton.Ok)
        box.exec()
        return []
    replace = box.addButton(f"Replace with {name} templates", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep my scripts", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(replace)
    box.exec()
    if box.clickedButton() is not replace:
        return []
    replaced, backup = replace_with_templates(project, target, list(found), unsaved)
    if replaced:
        QMessageBox.information(parent, "Templates", f"Replaced {', '.join(project.script_path(k).name for k in replaced)} with the "
                                f"{name} templates; your versions are in {backup}.")
    return replaced
