"""Which SQL text would end (or commit) a dry run's transaction: the check behind the dry run's
cursor-level guard (app/runtime/dry_run.py).

A script can send `COMMIT`, `END`, `ROLLBACK` (then write, autocommitting), `BEGIN`, `SET
autocommit = 1`, a MySQL statement that commits implicitly (DDL, LOCK TABLES, ...), several
statements in one string (psycopg sends a string without parameters as one simple query) or all of
it behind comments and in any case. `control(statement, dialect)` finds such a statement in the
text and names it, or returns None. It reads the text as the server would: string literals, quoted
identifiers and comments are skipped (PostgreSQL's dollar quotes and nested comments, MySQL's `#`
comments and its executable `/*! ... */` comments, which MySQL runs); as a backslash escapes a quote
in some modes only (MySQL's default, PostgreSQL's E'...'), the text is read both ways and a finding
in either reading counts. Savepoints (SAVEPOINT, RELEASE, ROLLBACK TO) stay allowed: they never end
the transaction.

Conservative by design: a column named `commit` written without quotes is refused too (the message
says why); it never lets a real COMMIT through.
"""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# statements that end or commit the transaction wherever they stand
_ENDING = frozenset({"COMMIT", "END", "ABORT", "BEGIN", "START"})
# MySQL/MariaDB commit implicitly before these (the manual's "Statements That Cause an Implicit Commit")
_MYSQL_IMPLICIT = frozenset({"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOCK",
                             "UNLOCK", "ANALYZE", "CACHE", "CHECK", "FLUSH", "LOAD", "OPTIMIZE", "REPAIR",
                             "RESET", "INSTALL", "UNINSTALL", "CHANGE", "STOP", "XA", "PREPARE", "PURGE"})


def _tokens(sql: str, dialect: str, backslash: bool) -> list[list[str]]:
    """The upper-cased words of each statement (split at `;`), outside strings and comments."""
    mysql = dialect in ("mysql", "mariadb")
    postgres = dialect == "postgresql"
    statements: list[list[str]] = [[]]
    block = 0  # BEGIN ... END inside CREATE TRIGGER / FUNCTION: its `;` do not end the statement
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == ";":
            if not block:
                statements.append([])
            i += 1
        elif c == "-" and sql.startswith("--", i) or (mysql and c == "#"):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif c == "/" and sql.startswith("/*", i):
            if mysql and (sql.startswith("/*!", i) or sql.startswith("/*M!", i)):
                i += 3 if sql[i + 2] == "!" else 4  # executable comment: its text is code
                while i < n and sql[i].isdigit():
                    i += 1
                continue
            depth, i = 1, i + 2
            while i < n and depth:
                if sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                elif postgres and sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                else:
                    i += 1
        elif mysql and c == "*" and sql.startswith("*/", i):
            i += 2  # the end of an executable comment
        elif c in "'\"`" or (c == "[" and dialect == "mssql"):
            close = "]" if c == "[" else c
            escapes = backslash and (c == "'" or (mysql and c == '"'))
            if postgres and c == "'" and i and sql[i - 1] in "eE":
                escapes = True
            i += 1
            while i < n:
                if escapes and sql[i] == "\\":
                    i += 2
                elif sql[i] == close:
                    if sql.startswith(close * 2, i) and close != "]":
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
        elif postgres and c == "$" and (m := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])):
            tag = m.group(0)
            if i and (sql[i - 1].isalnum() or sql[i - 1] == "_"):  # $1-style parameters, identifiers
                i += 1
                continue
            end = sql.find(tag, i + len(tag))
            i = n if end < 0 else end + len(tag)
        elif c.isalpha() or c == "_":
            m = _WORD.match(sql, i)
            word = m.group(0).upper()
            words = statements[-1]
            if words and words[0] == "CREATE":
                if word in ("BEGIN", "CASE"):
                    block += 1
                elif word == "END" and block:
                    block -= 1
            words.append(word)
            i = m.end()
        else:
            i += 1
    return [s for s in statements if s]


def _statement_control(words: list[str], dialect: str) -> str | None:
    first = words[0]
    rest = words[1:]
    if first == "ROLLBACK":
        following = [w for w in rest if w not in ("WORK", "TRANSACTION", "TRAN")]
        if following[:1] == ["TO"] or (dialect == "mssql" and following):
            return None  # to a savepoint: the transaction goes on
        return "ROLLBACK"
    if first in _ENDING:
        if first == "BEGIN" and dialect == "mssql" and rest[:1] in (["TRY"], ["CATCH"]):
            return None
        if first == "START" and rest[:1] not in (["TRANSACTION"], []):
            return None if dialect not in ("mysql", "mariadb") else "START " + rest[0]
        if first == "END" and dialect == "mssql":
            return None  # T-SQL's END closes a block
        return " ".join([first, *rest[:1]]) if first in ("START",) else first
    if first == "PREPARE" and rest[:1] == ["TRANSACTION"]:
        return "PREPARE TRANSACTION"
    if first == "SET" and "AUTOCOMMIT" in rest:
        return "SET autocommit"
    if first == "SET" and rest[:1] == ["IMPLICIT_TRANSACTIONS"]:
        return "SET IMPLICIT_TRANSACTIONS"
    if dialect in ("mysql", "mariadb"):
        if first in ("CREATE", "DROP") and "TEMPORARY" in rest[:3]:
            return None
        if first in _MYSQL_IMPLICIT or (first == "SET" and rest[:1] == ["PASSWORD"]):
            return f"{first} (MySQL commits the transaction before it)"
    for word in ("COMMIT", "ROLLBACK"):  # e.g. SQLite's INSERT OR ROLLBACK, RAISE(ROLLBACK, ...), T-SQL batches
        if word in rest:
            after = rest[rest.index(word) + 1:]
            after = [w for w in after if w not in ("WORK", "TRANSACTION", "TRAN")]
            if word == "ROLLBACK" and after[:1] == ["TO"]:
                continue
            return word
    return None


@functools.lru_cache(maxsize=2048)
def control(statement: str, dialect: str) -> str | None:
    """The transaction-control statement in `statement` (e.g. "COMMIT"), or None when it has none."""
    if not any(w in statement.upper() for w in _HINTS.get(dialect, _HINTS[""])):
        return None  # the common case, decided by one scan
    for backslash in (False, True):
        for words in _tokens(statement, dialect, backslash):
            found = _statement_control(words, dialect)
            if found:
                return found
    return None


_COMMON_HINTS = ("COMMIT", "END", "ABORT", "BEGIN", "START", "ROLLBACK", "PREPARE", "AUTOCOMMIT",
                 "IMPLICIT_TRANSACTIONS")
_HINTS = {"": _COMMON_HINTS,
          "mysql": _COMMON_HINTS + tuple(_MYSQL_IMPLICIT) + ("PASSWORD",),
          "mariadb": _COMMON_HINTS + tuple(_MYSQL_IMPLICIT) + ("PASSWORD",)}
