"""The editor lexer's regex cache: patterns rebuilt from the disk cache behave exactly like freshly
compiled ones, a damaged or foreign cache file is ignored, and the lexer's tokens never change."""

from __future__ import annotations

import marshal
import re

from pygments.lexers.python import PythonLexer

from app.ui.lexer_cache import RegexCache, python_lexer

SOURCE = '''\
@decorator(x=1)
async def 登录(email, password, callback):
    """Docstring with "quotes" and {braces}."""
    name = f"{email!r:>10} — {password['x']}" + rb'\\x00' + 0x_ff.__str__()
    données = [1_000, 2.5e-3, 3j]  # comment
    return callback(None, {"user_id": f"legacy|{données[0]}"}) if name else None
class Ünïcode(Base, metaclass=Meta): pass
'''


def _lexer_patterns() -> list[tuple[str, int]]:
    seen: dict[tuple[str, int], None] = {}
    for rules in PythonLexer()._tokens.values():
        for rexmatch, _action, _state in rules:
            pattern = rexmatch.__self__
            seen[(pattern.pattern, pattern.flags)] = None
    return list(seen)


def _behaviour(pattern: re.Pattern) -> list:
    return [(pattern.pattern, pattern.flags, pattern.groups, dict(pattern.groupindex)),
            *((m.span(), m.groups()) for m in pattern.finditer(SOURCE))]


def test_programs_from_the_cache_file_behave_like_compiled_patterns(tmp_path):
    path = tmp_path / "regex.marshal"
    patterns = _lexer_patterns()
    assert len(patterns) > 50
    first = RegexCache(path)
    for pattern, flags in patterns:
        first.compile(pattern, flags)
    first.save()
    assert first.misses == len(patterns) and path.is_file()

    second = RegexCache(path)
    for pattern, flags in patterns:
        assert _behaviour(second.compile(pattern, flags)) == _behaviour(re.compile(pattern, flags))
    assert (second.hits, second.misses) == (len(patterns), 0)


def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path):
    path = tmp_path / "regex.marshal"
    pattern = r"(?P<name>[^\W\d]\w*)\s*="
    path.write_bytes(b"\x00not marshal at all")
    damaged = RegexCache(path)
    assert _behaviour(damaged.compile(pattern, re.M)) == _behaviour(re.compile(pattern, re.M))
    damaged.save()  # rewritten with a good entry
    assert RegexCache(path).compile(pattern, re.M) and RegexCache(path)._stored

    header, entries = marshal.loads(path.read_bytes())
    bad_program = {key: (e[0], b"\x01\x02\x03\x04" * 3, *e[2:]) for key, e in entries.items()}
    path.write_bytes(marshal.dumps((header, bad_program)))  # _sre rejects the program: compiled normally
    broken = RegexCache(path)
    assert _behaviour(broken.compile(pattern, re.M)) == _behaviour(re.compile(pattern, re.M))
    assert broken.hits == 0

    path.write_bytes(marshal.dumps((("other", "python"), entries)))  # another Python build's file
    assert RegexCache(path)._stored == {}


def test_the_editor_lexer_gives_pygments_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path))
    lexer = python_lexer()
    assert list(lexer.get_tokens(SOURCE)) == list(PythonLexer().get_tokens(SOURCE))
    assert isinstance(lexer, PythonLexer)


def test_the_javascript_lexer_colours_line_by_line_as_pygments_does_the_whole_text(tmp_path):
    from pygments.lexers.javascript import JavascriptLexer
    from pygments.token import Comment, Error

    from app.ui.editor.highlighter import lex_line
    from app.ui.lexer_cache import cached_lexer

    source = ("/**\n * Login: look the user up.\n */\nfunction login(email, password, callback) {\n"
              "  const q = `SELECT id FROM users\n   WHERE email = $1`; // one row\n"
              "  return /^[a-z]+$/i.test(email) ? callback(null, {a: 1, ...rest}) : callback();\n}\n")
    lexer = cached_lexer(JavascriptLexer, tmp_path / "js.marshal")
    stack, by_line = ("root",), []
    for line in source.split("\n")[:-1]:
        tokens, stack = lex_line(lexer, line, stack)
        by_line.extend((ch, t) for a, b, t in tokens for ch in line[a:b] if not ch.isspace())
    whole = [(ch, t) for t, v in JavascriptLexer().get_tokens(source) for ch in v if not ch.isspace()]
    assert not any(t in Error for _, t in by_line)
    comment = len("/***Login:looktheuserup.*/")
    assert all(t in Comment.Multiline for _, t in by_line[:comment])  # the doc comment spans three lines
    assert by_line[comment:] == whole[comment:]  # every other character: the same token type
