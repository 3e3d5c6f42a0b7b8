"""The data part of a reproduction bundle: a SQLite snapshot of the legacy store, and masking it.

- SQLite store: a consistent copy through the sqlite3 backup API (safe while the file is in use).
- Server store (PostgreSQL, MySQL/MariaDB, SQL Server): only the rows the failing script touched in
  a dry run. The run's SQL trace names the tables (FROM / JOIN / UPDATE / INTO / DELETE FROM) and
  carries the parameters; every row of those tables in which some column equals one of the
  parameter values is copied into a new SQLite file. That finds the `users` row the input selects;
  rows reached only through values computed inside the script (a join on an id the script read)
  are found only when the statement's parameters name them. docs/bundles.md says so.
- Masking (`mask_snapshot`): e-mail addresses become stable pseudonyms (the same address gives the
  same pseudonym in every table, so joins still work) except the repro input's own addresses, and
  password hashes become a bcrypt hash of the documented placeholder `PLACEHOLDER_PASSWORD`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

PLACEHOLDER_PASSWORD = "customdb-masked-password"  # noqa: S105 - documented, deliberately public
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_HASH_COLUMN = re.compile(r"pass|pwd|hash", re.IGNORECASE)
_HASH_VALUE = re.compile(r"^(\$2[abxy]?\$\d\d\$|\$argon2|\$scrypt\$|\$pbkdf2|pbkdf2[_:$]|\$[156]\$|sha\d+\$)")
_TABLE_RE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+((?:[\"`\[]?[A-Za-z_][\w$]*[\"`\]]?\.)?"
                       r"[\"`\[]?[A-Za-z_][\w$]*[\"`\]]?)", re.IGNORECASE)
_SKIP = {"BEGIN", "COMMIT", "ROLLBACK"}
_MASKED_PARAM = "****"
ROW_CAP = 1000  # rows per table copied from a server: a snapshot is a sample, never a dump


class SnapshotError(Exception):
    """The snapshot cannot be made; str() is one line (never a URL with its password)."""


# -- SQLite: a copy ---------------------------------------------------------------------------------

def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file through the backup API, opened read-only."""
    if not source.is_file():
        raise SnapshotError(f"the legacy database {source} does not exist")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise SnapshotError(f"cannot open the legacy database {source}: {e}") from None
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as e:
        raise SnapshotError(f"cannot copy the legacy database {source}: {e}") from None
    finally:
        src.close()


# -- a server: the touched rows -----------------------------------------------------------------------

def tables_in(statement: str) -> list[str]:
    """Table names a statement reads or writes, unquoted, in order of appearance."""
    out: list[str] = []
    for m in _TABLE_RE.finditer(statement):
        name = m.group(1).split(".")[-1].strip('"`[]')
        if name.upper() not in {"SELECT", "DUAL"} and name not in out:
            out.append(name)
    return out


def _values(params: Any) -> Iterable[Any]:
    if isinstance(params, Mapping):
        for v in params.values():
            yield from _values(v)
    elif isinstance(params, list | tuple):
        for v in params:
            yield from _values(v)
    elif params is not None and not isinstance(params, bool) and params != _MASKED_PARAM:
        yield params


def touched(sql: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """table -> the parameter values of the statements that named it (from a run's SQL trace)."""
    out: dict[str, list[Any]] = {}
    for entry in sql:
        statement = str(entry.get("statement") or "")
        if statement.strip().upper() in _SKIP:
            continue
        values = list(_values(entry.get("params")))
        for table in tables_in(statement):
            seen = out.setdefault(table, [])
            seen.extend(v for v in values if v not in seen)
    return out


def _plain(value: Any) -> Any:
    """A value sqlite3 can store as it was read from the server."""
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _comparable(column_type: Any, value: Any) -> bool:
    """Only compare a value with a column of a fitting type (PostgreSQL refuses integer = 'text')."""
    try:
        py = column_type.python_type
    except (NotImplementedError, AttributeError):
        return isinstance(value, str)
    if isinstance(value, str):
        return py is str
    if isinstance(value, int | float):
        return py in (int, float, Decimal)
    return False


def touched_rows_snapshot(url: str, sql: Iterable[Mapping[str, Any]], target: Path,
                          *, row_cap: int = ROW_CAP) -> dict[str, int]:
    """Copy, into the new SQLite file `target`, the rows of every table the SQL trace touched in
    which some column equals one of those statements' parameter values. Returns table -> rows."""
    from sqlalchemy import Column, MetaData, Table, create_engine, inspect, or_, select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.types import LargeBinary, Text

    from app.engine.database import make_engine

    wanted = touched(sql)
    engine = make_engine(url, timeout_s=10)
    counts: dict[str, int] = {}
    out_engine = create_engine(f"sqlite:///{target.as_posix()}")
    try:
        with engine.connect() as conn:
            names = {n.lower(): n for n in inspect(conn).get_table_names()}
            out_meta = MetaData()
            copies: list[tuple[Table, list[dict[str, Any]]]] = []
            for table_name, values in wanted.items():
                real = names.get(table_name.lower())
                if real is None:
                    continue  # a CTE, an alias or a table of another schema
                source = Table(real, MetaData(), autoload_with=conn)
                conditions = [col == v for col in source.columns for v in values if _comparable(col.type, v)]
                rows: list[dict[str, Any]] = []
                if conditions:
                    try:
                        result = conn.execute(select(source).where(or_(*conditions)).limit(row_cap))
                        rows = [{k: _plain(v) for k, v in r._mapping.items()} for r in result]
                    except SQLAlchemyError:
                        conn.rollback()
                        rows = []
                columns = []
                for col in source.columns:
                    try:
                        generic = col.type.as_generic()
                    except NotImplementedError:
                        generic = Text()
                    if isinstance(generic, LargeBinary):
                        generic = LargeBinary()
                    elif generic.__class__.__module__ != "sqlalchemy.sql.sqltypes":
                        generic = Text()
                    columns.append(Column(col.name, _storage_type(generic), primary_key=col.primary_key))
                copies.append((Table(real, out_meta, *columns), rows))
                counts[real] = len(rows)
            conn.rollback()  # only reads happened; end the transaction anyway
        out_meta.create_all(out_engine)
        with out_engine.begin() as out:
            for table, rows in copies:
                if rows:
                    out.exec_driver_sql(
                        f'INSERT INTO "{table.name}" ({", ".join(_q(c.name) for c in table.columns)}) '
                        f'VALUES ({", ".join("?" for _ in table.columns)})',
                        [tuple(r.get(c.name) for c in table.columns) for r in rows])
    except SQLAlchemyError as e:
        raise SnapshotError(f"cannot read the touched rows from the legacy database: "
                            f"{type(getattr(e, 'orig', None) or e).__name__}") from None
    finally:
        engine.dispose()
        out_engine.dispose()
    return counts


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _storage_type(generic: Any) -> Any:
    """Store every value as sqlite3 holds it natively: the rows are already plain Python values."""
    from sqlalchemy.types import Float, Integer, LargeBinary, Numeric, Text

    if isinstance(generic, Integer):
        return Integer()
    if isinstance(generic, Numeric | Float):
        return Float()
    if isinstance(generic, LargeBinary):
        return LargeBinary()
    return Text()


# -- masking ------------------------------------------------------------------------------------------

def pseudonym(email: str, salt: bytes) -> str:
    """A stable stand-in for an address: the same (case-insensitive) address, the same pseudonym."""
    digest = hmac.new(salt, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:12]
    return f"user-{digest}@masked.invalid"


def placeholder_hash(rounds: int = 10) -> str:
    import bcrypt

    return bcrypt.hashpw(PLACEHOLDER_PASSWORD.encode(), bcrypt.gensalt(rounds)).decode()


def mask_text(text: str, keep: set[str], salt: bytes) -> str:
    """Every e-mail address in `text` pseudonymised, except those in `keep` (compared lower-case)."""
    return EMAIL_RE.sub(lambda m: m.group(0) if m.group(0).lower() in keep else pseudonym(m.group(0), salt), text)


def _masked_value(column: str, value: Any, keep: set[str], salt: bytes, hashed: str) -> Any:
    if isinstance(value, bytes) and _HASH_COLUMN.search(column) and value:
        return hashed.encode()
    if not isinstance(value, str) or not value:
        return value
    if _HASH_COLUMN.search(column) or _HASH_VALUE.match(value):
        return hashed
    if "@" in value:
        if EMAIL_RE.fullmatch(value.strip()):
            return value if value.strip().lower() in keep else pseudonym(value, salt)
        return mask_text(value, keep, salt)
    return value


def mask_snapshot(path: Path, keep_emails: Iterable[str], salt: bytes) -> dict[str, int]:
    """Mask a SQLite snapshot in place (then VACUUM, so no old value survives in a free page).
    Returns {"emails": N, "hashes": N} of changed values."""
    keep = {e.strip().lower() for e in keep_emails}
    hashed = placeholder_hash()
    stats = {"emails": 0, "hashes": 0}
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})")]
            try:
                rows = con.execute(f"SELECT rowid, * FROM {_q(table)}").fetchall()
            except sqlite3.OperationalError:  # WITHOUT ROWID: rewrite by primary key instead
                rows = None
            if rows is None:
                _mask_without_rowid(con, table, columns, keep, salt, hashed, stats)
                continue
            for row in rows:
                changes = _changes(columns, row[1:], keep, salt, hashed, stats)
                if changes:
                    sets = ", ".join(f"{_q(c)} = ?" for c in changes)
                    con.execute(f"UPDATE {_q(table)} SET {sets} WHERE rowid = ?", [*changes.values(), row[0]])
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    return stats


def _changes(columns: list[str], values: Iterable[Any], keep: set[str], salt: bytes, hashed: str,
             stats: dict[str, int]) -> dict[str, Any]:
    changes = {}
    for column, value in zip(columns, values, strict=False):
        new = _masked_value(column, value, keep, salt, hashed)
        if new != value:
            changes[column] = new
            stats["hashes" if new in (hashed, hashed.encode()) else "emails"] += 1
    return changes


def _mask_without_rowid(con: sqlite3.Connection, table: str, columns: list[str], keep: set[str],
                        salt: bytes, hashed: str, stats: dict[str, int]) -> None:
    pk = [r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})") if r[5]]
    for row in con.execute(f"SELECT * FROM {_q(table)}").fetchall():
        changes = _changes(columns, row, keep, salt, hashed, stats)
        if changes:
            current = dict(zip(columns, row, strict=False))
            sets = ", ".join(f"{_q(c)} = ?" for c in changes)
            where = " AND ".join(f"{_q(c)} = ?" for c in pk)
            con.execute(f"UPDATE {_q(table)} SET {sets} WHERE {where}",
                        [*changes.values(), *(current[c] for c in pk)])
