"""The script editor: `CodeEditor` (see code_editor.py for its API), highlighting, completion."""

from app.ui.editor.code_editor import CodeEditor

__all__ = ["CodeEditor"]
