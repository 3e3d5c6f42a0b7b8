"""Which SQL dialect a script was written for, and what in it another dialect refuses.

Moving a SQLite-generated project to PostgreSQL made every migration Login fail (`migrated = 1`
against a boolean column) with nothing pointing at the cause (UX review, problem 4). Two signals:
- the templates say their dialect in their first line: `Login (automatic migration, SQLite): …`;
- SQL that only one dialect accepts, found in the script's string literals (`migrated = 1` on a
  boolean column, `LIMIT` vs `TOP`, backquotes, `datetime('now')`, `GETDATE()`, `ILIKE`…).

Pure Python (no SQLAlchemy, no Qt): the IDE asks it when the database changes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

DIALECTS: tuple[str, ...] = ("sqlite", "postgresql", "mysql", "mssql")
DISPLAY: dict[str, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB",
                           "mssql": "SQL Server"}
_HEADER = re.compile(r'^\s*(?:"""|\'\'\')[^\n(]*\(([^)\n]*)\)')
_HEADER_NAMES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql",
                 "mariadb": "mysql", "mysql/mariadb": "mysql", "sql server": "mssql", "mssql": "mssql"}
_BOOLEAN_COLUMNS = r"(?:migrated|email_verified|verified|blocked|is_\w+|active|enabled|deleted)"


def dialect_of_url(url: str) -> str | None:
    """`postgresql+psycopg://…` → "postgresql"; mariadb counts as mysql; None when unknown."""
    m = re.match(r"^([A-Za-z0-9_]+)(?:\+[\w.]+)?://", url.strip())
    if m is None:
        return None
    name = m.group(1).lower()
    name = {"mariadb": "mysql", "postgres": "postgresql"}.get(name, name)
    return name if name in DIALECTS else None


def declared_dialect(source: str) -> str | None:
    """The dialect a template names in its first line (`(automatic migration, SQLite)`), or None."""
    m = _HEADER.match(source)
    if m is None:
        return None
    for part in reversed(m.group(1).split(",")):
        found = _HEADER_NAMES.get(part.strip().lower())
        if found:
            return found
    return None


@dataclass(frozen=True)
class _Rule:
    refused_by: frozenset[str]  # the dialects that refuse it
    written_for: str | None  # the dialect it betrays, when it is only one
    pattern: re.Pattern[str]
    why: Callable[[str], str]  # target display name -> the reason


_RULES: tuple[_Rule, ...] = (
    _Rule(frozenset({"postgresql"}), None, re.compile(rf"\b{_BOOLEAN_COLUMNS}\s*(?:=|<>|!=)\s*[01]\b", re.I),
          lambda t: f"compares a boolean column with 0/1, which {t} refuses (use true/false)"),
    _Rule(frozenset({"mssql"}), None, re.compile(r"\bLIMIT\s+(?:\d+|:\w+)", re.I),
          lambda t: f"uses LIMIT, which {t} does not have (SELECT TOP n)"),
    _Rule(frozenset({"sqlite", "postgresql", "mysql"}), "mssql", re.compile(r"\bSELECT\s+TOP\s+\d+", re.I),
          lambda t: f"uses SELECT TOP n, which {t} does not have (LIMIT n)"),
    _Rule(frozenset({"sqlite", "postgresql", "mssql"}), "mysql", re.compile(r"`\w+`"),
          lambda t: f"quotes names with backquotes, which {t} refuses"),
    _Rule(frozenset({"postgresql", "mysql", "mssql"}), "sqlite", re.compile(r"\bdatetime\(\s*'now'", re.I),
          lambda t: f"uses SQLite's datetime('now'), which {t} does not have (CURRENT_TIMESTAMP)"),
    _Rule(frozenset({"sqlite", "postgresql", "mysql"}), "mssql", re.compile(r"\bGETDATE\(\)", re.I),
          lambda t: f"uses SQL Server's GETDATE(), which {t} does not have (CURRENT_TIMESTAMP)"),
    _Rule(frozenset({"sqlite", "mysql", "mssql"}), "postgresql", re.compile(r"\bILIKE\b", re.I),
          lambda t: f"uses PostgreSQL's ILIKE, which {t} does not have (lower(x) LIKE lower(y))"),
    _Rule(frozenset({"sqlite", "mysql", "mssql"}), "postgresql", re.compile(r"::(?:text|int|integer|bool|boolean|varchar|timestamp|date)\b", re.I),
          lambda t: f"uses PostgreSQL's ::type casts, which {t} does not have (CAST(x AS type))"),
)


@dataclass(frozen=True)
class Mismatch:
    """Why a script may not work on `target`: the dialect it says it was written for (if any)
    and the SQL that `target` refuses, each as (line, reason)."""

    written_for: str | None
    problems: tuple[tuple[int, str], ...] = field(default_factory=tuple)

    def summary(self, target: str) -> str:
        parts = []
        if self.written_for and self.written_for != target:
            parts.append(f"written for {DISPLAY.get(self.written_for, self.written_for)}")
        parts += [f"line {line}: {why}" for line, why in self.problems]
        return "; ".join(parts)


def _sql_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal (SQL lives there); the whole file if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return list(enumerate(source.split("\n"), 1))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node is not _docstring(tree):
            out.append((node.lineno, node.value))
    return sorted(out)


def _docstring(tree: ast.Module) -> ast.AST | None:
    first = tree.body[0] if tree.body else None
    return first.value if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else None


def mismatch(source: str, target: str) -> Mismatch | None:
    """What in `source` suggests it was written for a dialect other than `target`; None when
    nothing does."""
    written = declared_dialect(source)
    problems: list[tuple[int, str]] = []
    betrayed: set[str] = set()
    target_name = DISPLAY.get(target, target)
    for line, text in _sql_strings(source):
        for rule in _RULES:
            if target in rule.refused_by and rule.pattern.search(text):
                problems.append((line, rule.why(target_name)))
                if rule.written_for:
                    betrayed.add(rule.written_for)
    if written is None and len(betrayed) == 1:
        written = betrayed.pop()
    if (written is None or written == target) and not problems:
        return None
    return Mismatch(written, tuple(dict.fromkeys(problems)))
