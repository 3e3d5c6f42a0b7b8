"""The parsers never raise: arbitrary text, and arbitrary mutations of the real traces of the corpus."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.traces import analyze, to_json

CORPUS = sorted((Path(__file__).parents[1] / "fixtures" / "traces").glob("*.txt"))
TEXTS = [p.read_text(encoding="utf-8") for p in CORPUS]
# fragments that steer random text into the parsers' interesting states
PIECES = ["Traceback (most recent call last):\n", '  File "/s/login.py", line ', ", in ", "<lambda>", "\n",
          "    at ", " (", ":1:2)", "node:internal/x", "<anonymous>", "\\n", '\\"', '"', "{", "}",
          "Error: ", "  + Exception Group ", "    | ", "^^^^", "[cause]: ", "eval at ", "(", ")", "9" * 30,
          "2026-11-24T10:00:00Z ", "\r", "\t", " ", "at ", "File \\\"", "Uncaught "]

fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str, script: str | None = None) -> None:
    traces = analyze(text, script=script, sources={"login": "def login(e, p, cb):\n    pass\n"})
    json.dumps(to_json(traces))  # always serialisable
    for t in traces:
        assert t.frames
        for f in t.frames:
            assert f.line is None or f.line >= 0


@fast
@given(st.text())
def test_arbitrary_text_never_raises(text):
    check(text)


@fast
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60))
def test_trace_shaped_noise_never_raises(parts):
    check("".join(parts))
    check("".join(parts), script="get_user")


@st.composite
def mutated_trace(draw):
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap_lines", "truncate"]))
        i = draw(st.integers(0, len(text)))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif op == "insert":
            text = text[:i] + draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=10))) + text[i:]
        elif op == "duplicate":
            text = text[:i] + text[i:i + draw(st.integers(1, 80))] + text[i:]
        elif op == "truncate":
            text = text[:i]
        else:
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


@fast
@given(mutated_trace())
def test_mutated_real_traces_never_raise(text):
    check(text)


@fast
@given(mutated_trace())
def test_mutated_traces_inside_json_never_raise(text):
    check(json.dumps({"stack": text}))
    check(json.dumps([{"e": {"stack": text}}], indent=2))
