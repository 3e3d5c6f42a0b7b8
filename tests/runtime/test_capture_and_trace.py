"""Output capture and the SQL trace, in-process with a fake channel (the child's parts alone)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.runtime.capture import LineWriter, RunOutput
from app.runtime.masking import Masker, sensitive_name
from app.runtime.sqltrace import RunTrace, SqlTracer


class FakeChannel:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)

    post = send


def test_channel_batches_posted_events_with_the_next_send():
    from app.runtime.capture import Channel
    from app.runtime.protocol import CHILD_TYPES, HEADER_SIZE, decode, frame

    class Conn:
        def __init__(self):
            self.messages = []

        def send(self, message):
            self.messages.append(decode(frame(message)[HEADER_SIZE:], CHILD_TYPES))

    conn = Conn()
    channel = Channel(conn)
    channel.post({"type": "log", "run": 1, "text": "a"})
    channel.post({"type": "sql", "run": 1, "statement": "SELECT 1"})
    channel.send({"type": "done", "run": 1})
    assert conn.messages == [{"type": "batch", "events": [
        {"type": "log", "run": 1, "text": "a"}, {"type": "sql", "run": 1, "statement": "SELECT 1"},
        {"type": "done", "run": 1}]}]
    channel.send({"type": "pong"})
    assert conn.messages[-1] == {"type": "pong"}


def test_line_writer_emits_complete_lines_for_the_current_run_only():
    channel = FakeChannel()
    out = RunOutput(channel)
    writer = LineWriter(out, "stdout", 1)
    writer.write("before any run\n")
    out.start(7, 1000, Masker(["hunter22"]))
    writer.write("a")
    writer.write("b\nc")
    writer.write(" pw=hunter22\n")
    writer.write("tail")
    writer.flush()
    out.stop()
    writer.write("after\n")
    assert [(m["run"], m["text"]) for m in channel.sent] == [(7, "ab"), (7, "c pw=****"), (7, "tail")]


def test_output_cap_drops_the_rest_after_one_notice():
    channel = FakeChannel()
    out = RunOutput(channel)
    out.start(1, 100, Masker(()))
    for _ in range(50):
        out.emit("stdout", "x" * 9)
    texts = [m["text"] for m in channel.sent]
    assert len(texts) == 11 and "output truncated" in texts[-1]


def test_an_endless_line_is_cut_instead_of_buffered():
    channel = FakeChannel()
    out = RunOutput(channel)
    writer = LineWriter(out, "stdout", 1)
    out.start(1, 10**7, Masker(()))
    writer.write("y" * 200_000)
    assert len(channel.sent) == 3  # three 64 kB pieces sent, the remainder still buffered


def test_masker_masks_secrets_and_short_ones_only_as_words():
    m = Masker(["longsecret", "ab"])
    assert m.text("x longsecret y") == "x **** y"
    assert m.text("ab cab abc") == "**** cab abc"
    assert m.data({"k": ["longsecret!", 1]}) == {"k": ["****!", 1]}
    assert sensitive_name("password_hash") and sensitive_name("api_token") and sensitive_name("userPwd")
    assert not sensitive_name("email")


def test_trace_records_named_masked_params_errors_and_transactions():
    channel = FakeChannel()
    tracer = SqlTracer()
    tracer.install()
    engine = create_engine("sqlite://")
    tracer.current = RunTrace(3, channel.send, Masker(["topsecret"]), ["typed-pw"])
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT :password AS a, :e AS b, :k AS c, :t AS d"),
                         {"password": "p", "e": "typed-pw", "k": "the topsecret", "t": "plain"})
            with pytest.raises(OperationalError):
                conn.execute(text("SELECT * FROM missing_table"))
            conn.rollback()
    finally:
        tracer.current = None
        tracer.uninstall()
        engine.dispose()
    statements = [m["statement"] for m in channel.sent]
    assert statements[0] == "BEGIN" and statements[-1] == "ROLLBACK"
    select = channel.sent[1]
    assert select["params"] == {"password": "****", "e": "****", "k": "the ****", "t": "plain"}
    assert select["duration_ms"] is not None
    failed = [m for m in channel.sent if m["error"]]
    assert len(failed) == 1 and "missing_table" in failed[0]["error"]


def test_a_suspended_tracer_reports_nothing_and_traces_again_afterwards():
    channel = FakeChannel()
    tracer = SqlTracer()
    tracer.install()
    engine = create_engine("sqlite://")
    try:
        with tracer.suspended():  # what the rehearsal's batch does: no hooks at all
            tracer.current = RunTrace(1, channel.send, Masker([]), [])
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            tracer.current = None
        assert channel.sent == []
        tracer.current = RunTrace(2, channel.send, Masker([]), [])
        with engine.connect() as conn:
            conn.execute(text("SELECT 2")).all()
        with pytest.raises(RuntimeError, match="during a traced run"), tracer.suspended():
            pass
    finally:
        tracer.current = None
        tracer.uninstall()
        engine.dispose()
    assert [m["statement"] for m in channel.sent] == ["BEGIN", "SELECT 2", "ROLLBACK"]


def test_each_run_masks_a_statement_with_its_own_secrets_before_the_cap():
    channel = FakeChannel()
    tracer = SqlTracer()
    tracer.install()
    engine = create_engine("sqlite://")
    short = "SELECT 'opensesame-42' AS a"
    long = "SELECT '" + "x" * 9_990 + "opensesame-42' AS a"  # the secret straddles the 10,000 cap
    try:
        for run, secrets in ((1, ["opensesame-42"]), (2, [])):
            tracer.current = RunTrace(run, channel.send, Masker(secrets), [])
            with engine.connect() as conn:
                conn.execute(text(short)).all()
                conn.execute(text(long)).all()
            tracer.current = None
    finally:
        tracer.current = None
        tracer.uninstall()
        engine.dispose()
    selects = {(m["run"], len(m["statement"]) > 100): m["statement"] for m in channel.sent
               if m["statement"].startswith("SELECT")}
    assert selects[(1, False)] == "SELECT '****' AS a" and selects[(2, False)] == short
    assert selects[(1, True)].endswith("xx**…")  # masked, then cut: not a word of it shows ("op…")
    assert selects[(2, True)].endswith("xxop…")
