"""The editor's pygments lexers (Python, JavaScript...), with their compiled regular expressions kept
on disk.

The first `PythonLexer()` of a process compiles about 110 regular expressions; the identifier rules
alone (large Unicode character classes) cost ~10 ms in `re`'s pure-Python compiler and the whole
set ~16 ms — a tenth of the IDE's start-up, spent before the first script can be coloured. What
`re` compiles a pattern into is a list of ints handed to `_sre.compile`; this module keeps those
programs in the app's cache folder and rebuilds the very same patterns from them (`_sre` checks
every program it is given). The file is keyed by the Python build, `_sre.MAGIC` and the pygments
version; anything unexpected — another Python, a damaged file, a private API that changed —
falls back to `re.compile`, so the cache can only make start-up faster, never the lexer different.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sys
from array import array
from pathlib import Path
from typing import Any

import pygments
from pygments.lexer import RegexLexer, RegexLexerMeta, inherit, words
from pygments.lexers.javascript import JavascriptLexer
from pygments.lexers.python import PythonLexer
from pygments.token import Comment

from app.engine.userdata import app_cache_dir

try:  # CPython's regex engine; the cache is simply off elsewhere
    import _sre
    from re import _compiler, _parser
except ImportError:  # pragma: no cover - other interpreters
    _sre = None

FORMAT = 1
_CODE = "I" if _sre is None or array("I").itemsize == _sre.CODESIZE else "L"  # one SRE_CODE per item


class RegexCache:
    """Compiled regex programs by (pattern, flags), and `words(...)` alternations by their words."""

    def __init__(self, path: Path):
        self.path = path
        self.header = (FORMAT, sys.version, getattr(_sre, "MAGIC", 0), pygments.__version__)
        self._stored: dict[Any, Any] = {}
        self.used: dict[Any, Any] = {}
        self.hits = self.misses = 0
        with contextlib.suppress(Exception):  # missing, damaged or from another build: start empty
            data = marshal.loads(path.read_bytes())
            if isinstance(data, tuple) and len(data) == 2 and data[0] == self.header and isinstance(data[1], dict):
                self._stored = data[1]

    def words(self, future: words) -> str:
        key = ("words", tuple(future.words), future.prefix, future.suffix)
        regex = self._stored.get(key)
        if not isinstance(regex, str):
            regex = future.get()
        self.used[key] = regex
        return regex

    def compile(self, pattern: str, flags: int) -> re.Pattern:
        flags = int(flags)
        if _sre is None or not isinstance(pattern, str):
            return re.compile(pattern, flags)
        key = (pattern, flags)
        entry = self._stored.get(key)
        if entry is not None:
            try:
                final_flags, code, groups, groupindex, indexgroup = entry
                compiled = _sre.compile(pattern, final_flags, array(_CODE, code).tolist(), groups, groupindex,
                                        indexgroup)
            except Exception:  # noqa: BLE001 - a bad entry: compile it the normal way below
                pass
            else:
                self.used[key] = entry
                self.hits += 1
                return compiled
        self.misses += 1
        try:  # what re._compiler.compile does, keeping the program it builds
            parsed = _parser.parse(pattern, flags)
            code = _compiler._code(parsed, flags)
            groupindex = dict(parsed.state.groupdict)
            indexgroup = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            entry = (int(flags | parsed.state.flags), array(_CODE, [int(c) for c in code]).tobytes(),
                     parsed.state.groups - 1, groupindex, tuple(indexgroup))
            compiled = _sre.compile(pattern, entry[0], array(_CODE, entry[1]).tolist(), *entry[2:])
        except Exception:  # noqa: BLE001 - the private API moved: the public one always works
            return re.compile(pattern, flags)
        self.used[key] = entry
        return compiled

    def save(self) -> None:
        """Write what this process used, when it differs from the file (atomically; errors ignored)."""
        if self.used == self._stored:
            return
        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps((self.header, self.used)))
            os.replace(tmp, self.path)
            self._stored = dict(self.used)


_active: RegexCache | None = None


class _CachedRegexMeta(RegexLexerMeta):
    def _process_regex(cls, regex, rflags, state):  # noqa: N805 - a metaclass method, as in pygments
        if _active is None:
            return super()._process_regex(regex, rflags, state)
        if isinstance(regex, words):
            regex = _active.words(regex)
        elif not isinstance(regex, str):
            regex = regex.get()
        return _active.compile(regex, rflags).match


class CachedPythonLexer(PythonLexer, metaclass=_CachedRegexMeta):
    """pygments' PythonLexer, its rules and tokens unchanged; only where the regexes come from differs."""


class LineJavascriptLexer(JavascriptLexer):
    """pygments' JavascriptLexer with `/* … */` lexed as a state, so a comment spanning lines is
    coloured by the editor's line-at-a-time highlighter (pygments matches it with one regex
    across lines, which a single line never completes)."""

    name = "JavaScript (line by line)"
    aliases: list[str] = []
    filenames: list[str] = []
    tokens = {
        "commentsandwhitespace": [(r"/\*", Comment.Multiline, "multiline-comment"), inherit],
        "multiline-comment": [(r"[^*]+", Comment.Multiline), (r"\*/", Comment.Multiline, "#pop"),
                              (r"\*", Comment.Multiline)],
    }


# lexers the editor uses in place of pygments' own, because they must work one line at a time
_LINE_SAFE: dict[type, type] = {JavascriptLexer: LineJavascriptLexer}
_CACHED: dict[type, type] = {PythonLexer: CachedPythonLexer}


def cached_lexer(lexer_class: type[RegexLexer], path: Path | None = None) -> RegexLexer:
    """A lexer of `lexer_class` (a pygments RegexLexer: the language's `lexer_class()`); the first
    one of the process compiles its rules through the disk cache, one file per lexer."""
    global _active
    lexer_class = _LINE_SAFE.get(lexer_class, lexer_class)
    cached = _CACHED.get(lexer_class)
    if cached is None:
        cached = _CACHED[lexer_class] = _CachedRegexMeta(
            f"Cached{lexer_class.__name__}", (lexer_class,),
            {"__doc__": f"pygments' {lexer_class.__name__}, its regexes from the disk cache", "__module__": __name__})
    if "_tokens" in cached.__dict__:  # rules already built in this process
        return cached()
    name = lexer_class.__name__.removesuffix("Lexer").removeprefix("Line").lower() or "lexer"
    _active = RegexCache(path or app_cache_dir() / f"pygments-{name}-regex.marshal")
    try:
        lexer = cached()
        _active.save()
    finally:
        _active = None
    return lexer


def python_lexer(path: Path | None = None) -> PythonLexer:
    """A Python lexer; the first one of the process compiles its rules through the disk cache."""
    return cached_lexer(PythonLexer, path)  # type: ignore[return-value]
