"""The script languages a project can be written in (`language = "python"` in customdb.toml, the
default when absent). Everything that depends on the language — file names, entry finder, lint,
the rename fix, the editor's lexer and indentation, completion, debugger, traces — asks the
project's `Language` instead of assuming Python.
"""

from __future__ import annotations

from app.domain.languages.base import EditorMode, Language, ScriptEntry
from app.domain.languages.javascript import JAVASCRIPT
from app.domain.languages.python import PYTHON

DEFAULT_LANGUAGE = PYTHON.name
LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (PYTHON, JAVASCRIPT)}

__all__ = ["DEFAULT_LANGUAGE", "JAVASCRIPT", "LANGUAGES", "PYTHON", "EditorMode", "Language", "ScriptEntry",
           "UnknownLanguage", "get_language"]


class UnknownLanguage(ValueError):
    """str() is one line naming the language and the known ones."""


def get_language(name: str) -> Language:
    """The language called `name`; UnknownLanguage lists the known ones."""
    try:
        return LANGUAGES[name]
    except (KeyError, TypeError):
        raise UnknownLanguage(f"unknown language {name!r}; expected one of {', '.join(LANGUAGES)}") from None
