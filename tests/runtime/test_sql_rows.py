"""The SQL trace's `rows`: how many rows the script read from a SELECT (not the driver's rowcount),
the DB-API rowcount for INSERT / UPDATE / DELETE, null when it cannot be known — in-process, with a
SQLite database and the trace's own listeners."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, text

from app.runtime.masking import Masker
from app.runtime.sqltrace import _PENDING_GRACE_S, RunTrace, SqlTracer


class Traced:
    """A SQLite database with `t` (3 rows) or `big` (n rows), traced while the test runs."""

    def __init__(self, big: int = 0):
        self.sent: list[dict] = []
        self.evaluated = 0  # how many rows SQLite produced for `probe(...)`: what was really fetched
        self.engine = create_engine("sqlite://")

        @event.listens_for(self.engine, "connect")
        def _probe(dbapi_connection, record):
            def probe(value):
                self.evaluated += 1
                return value

            dbapi_connection.create_function("probe", 1, probe)

        self.conn = self.engine.connect()
        self.conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        self.conn.execute(text("INSERT INTO t (v) VALUES (10), (20), (30)"))
        self.conn.execute(text("CREATE TABLE u (id INTEGER PRIMARY KEY)"))
        self.conn.execute(text("INSERT INTO u (id) VALUES (1), (2)"))
        if big:
            self.conn.execute(text("CREATE TABLE big (id INTEGER PRIMARY KEY)"))
            self.conn.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
                                   "INSERT INTO big SELECT i FROM n"), {"n": big})
        self.tracer = SqlTracer()
        self.tracer.install()
        self.tracer.current = self.trace = RunTrace(1, self.sent.append, Masker([]), [])

    def rows(self, prefix: str = "SELECT") -> list[int | None]:
        return [m["rows"] for m in self.sent if m["statement"].upper().startswith(prefix)]

    def close(self) -> None:
        self.tracer.end_run()
        self.tracer.uninstall()
        self.conn.close()
        self.engine.dispose()


@pytest.fixture
def db():
    traced = Traced()
    yield traced
    traced.close()


def test_a_select_reports_the_rows_the_script_read_not_the_rows_that_matched(db):
    c = db.conn
    assert c.execute(text("SELECT v FROM t ORDER BY id")).first() == (10,)
    assert c.execute(text("SELECT v FROM t ORDER BY id")).fetchall() == [(10,), (20,), (30,)]
    assert c.execute(text("SELECT v FROM t ORDER BY id")).scalar() == 10
    assert c.execute(text("SELECT v FROM t ORDER BY id")).scalars().all() == [10, 20, 30]
    assert c.execute(text("SELECT v FROM t ORDER BY id")).mappings().first() == {"v": 10}
    assert c.execute(text("SELECT v FROM t ORDER BY id")).fetchmany(2) == [(10,), (20,)]
    assert c.execute(text("SELECT v FROM t WHERE v = 20")).one() == (20,)
    assert [r.v for r in c.execute(text("SELECT v FROM t ORDER BY id"))] == [10, 20, 30]
    assert c.execute(text("SELECT v FROM t ORDER BY id")).fetchone() == (10,)  # result dropped, not closed
    assert c.execute(text("SELECT v FROM t WHERE v > 100")).first() is None
    db.tracer.end_run()
    assert db.rows() == [1, 3, 1, 3, 1, 2, 1, 3, 1, 0]


def test_dml_keeps_the_driver_rowcount(db):
    db.conn.execute(text("UPDATE t SET v = v + 1 WHERE id <= 2"))
    db.conn.execute(text("DELETE FROM t WHERE id = 3"))
    db.conn.execute(text("INSERT INTO t (v) VALUES (1), (2), (3), (4)"))
    db.tracer.end_run()
    assert db.rows("UPDATE") == [2] and db.rows("DELETE") == [1] and db.rows("INSERT") == [4]


def test_sqlite_dml_returning_counts_only_when_read_to_the_end(db):
    # sqlite3's rowcount of UPDATE ... RETURNING grows as rows are read: 0 right after execute
    assert len(db.conn.execute(text("UPDATE t SET v = v + 1 WHERE id <= 2 RETURNING id")).all()) == 2
    assert db.conn.execute(text("UPDATE t SET v = v + 1 WHERE id <= 2 RETURNING id")).first() is not None
    db.tracer.end_run()
    assert db.rows("UPDATE") == [2, None]  # the second was closed after one row: unknown, never 0 or 1


def test_reading_one_row_of_a_large_table_fetches_no_more():
    big = Traced(big=20_000)
    try:
        row = big.conn.execute(text("SELECT probe(id) FROM big ORDER BY id")).first()
        assert row == (1,)
        big.tracer.end_run()
        assert big.rows() == [1]
        assert big.evaluated <= 2  # SQLite steps one row ahead at most; never the other 19,998
    finally:
        big.close()


def test_the_trace_keeps_statement_order_while_a_result_is_open(db):
    result = db.conn.execute(text("SELECT v FROM t ORDER BY id"))
    first = result.fetchone()
    db.conn.execute(text("UPDATE u SET id = id + 10 WHERE id = 2"))
    rest = result.fetchall()
    assert first == (10,) and rest == [(20,), (30,)]
    db.tracer.end_run()
    assert [(m["statement"].split()[0], m["rows"]) for m in db.sent] == [("SELECT", 3), ("UPDATE", 1)]


def test_a_result_left_open_is_counted_at_the_end_of_the_run(db):
    result = db.conn.execute(text("SELECT v FROM t ORDER BY id"))
    result.fetchmany(2)
    assert db.sent == []  # still counting
    db.tracer.end_run()
    assert db.rows() == [2]


def test_a_result_open_past_the_grace_period_goes_out_with_rows_unknown(db):
    result = db.conn.execute(text("SELECT v FROM t ORDER BY id"))
    db.conn.execute(text("DELETE FROM u WHERE id = 1"))
    db.trace.poll(time.monotonic() + _PENDING_GRACE_S + 1)  # as the watcher does once it waited that long
    assert [(m["statement"].split()[0], m["rows"]) for m in db.sent] == [("SELECT", None), ("DELETE", 1)]
    assert len(result.fetchall()) == 3  # the script still reads its rows; the count arrived too late
    db.tracer.end_run()
    assert len(db.sent) == 2


def test_yield_per_and_stream_results_count_what_was_handed_out(db):
    result = db.conn.execution_options(stream_results=True).execute(text("SELECT v FROM t ORDER BY id"))
    assert next(iter(result)) == (10,)
    result.close()
    result = db.conn.execute(text("SELECT v FROM t ORDER BY id")).yield_per(1)
    assert [r.v for r in result] == [10, 20, 30]
    db.tracer.end_run()
    assert db.rows() == [1, 3]


def test_a_failed_statement_has_no_rows_and_its_error(db):
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError):
        db.conn.execute(text("SELECT nope FROM t"))
    db.tracer.end_run()
    assert db.sent[-1]["rows"] is None and "nope" in db.sent[-1]["error"]


def test_orm_session_counts_what_the_orm_read():
    from sqlalchemy import Column, Integer, select
    from sqlalchemy.orm import Session, declarative_base

    base = declarative_base()

    class T(base):
        __tablename__ = "t"
        id = Column(Integer, primary_key=True)
        v = Column(Integer)

    traced = Traced()
    try:
        traced.conn.commit()
        with Session(traced.engine) as session:
            assert [o.v for o in session.scalars(select(T).order_by(T.id))] == [10, 20, 30]
        traced.tracer.end_run()
        assert traced.rows() == [3]
    finally:
        traced.close()
