"""`customdb trace` reads a bounded amount and keeps a bounded number of frames per trace
(RELIABILITY-REVIEW D8, D17): endless input (`yes | customdb trace -`, /dev/zero) never grows past
the read cap, which the output mentions, and a trace of thousands of frames keeps the first and last
ones with the number left out."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from app.cli import main, verb_trace

PY_HEADER = "Traceback (most recent call last):\n"


def py_frame(i: int) -> str:
    return f'  File "/app/scripts/login.py", line {i + 1}, in f{i}\n    return f{i + 1}(n)\n'


class EndlessStdin:
    """stdin whose buffer never ends: a read without a size would never return, so it fails."""

    class _Buffer:
        def read(self, size: int = -1) -> bytes:
            if size is None or size < 0:
                raise AssertionError("stdin was read without a bound")
            line = b"y\n"
            return (line * (size // len(line) + 1))[:size]

    buffer = _Buffer()


def test_endless_stdin_is_read_up_to_the_cap_and_the_output_says_so(capsys, monkeypatch):
    monkeypatch.setattr(verb_trace, "MAX_INPUT_BYTES", 1 << 20, raising=False)
    monkeypatch.setattr(sys, "stdin", EndlessStdin())
    code = main(["trace", "-", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out)["traces"] == []
    assert json.loads(out).get("truncated_at_bytes") == 1 << 20
    assert "only the first 1 MB" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/zero and RLIMIT_AS")
@pytest.mark.slow
def test_dev_zero_is_bounded_in_a_real_process():
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
    done = subprocess.run([sys.executable, "-c", limit + "import sys; from app.cli import main; "
                           "sys.exit(main(['trace', '/dev/zero']))"], capture_output=True, text=True, timeout=120)
    assert done.returncode in (1, 2), done.stderr[-2000:]
    assert "MemoryError" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "only the first" in done.stderr


def test_a_trace_of_thousands_of_frames_keeps_the_first_and_last(capsys, tmp_path):
    log = tmp_path / "deep.log"
    log.write_text(PY_HEADER + "".join(py_frame(i) for i in range(5_000)) + "RecursionError: too deep\n")
    code = main(["trace", str(log), "--json"])
    out, _ = capsys.readouterr()
    trace = json.loads(out)["traces"][0]
    assert code == 0 and trace["exception"]["type"] == "RecursionError"
    frames = trace["frames"]
    assert len(frames) == 1000 and trace["omitted_frames"] == 4_000
    assert frames[0]["function"] == "f0" and frames[499]["function"] == "f499"
    assert frames[500]["function"] == "f4500" and frames[-1]["function"] == "f4999"
    code = main(["trace", str(log)])
    human = capsys.readouterr().out
    assert "... 4000 more frames ..." in human


def test_v8_frames_are_capped_too(capsys):
    text = "TypeError: x is not a function\n" + "".join(
        f"    at f{i} (/data/webtask.js:{i + 1}:5)\n" for i in range(3_000))
    sys_stdin = io.TextIOWrapper(io.BytesIO(text.encode()))
    old = sys.stdin
    sys.stdin = sys_stdin
    try:
        code = main(["trace", "-", "--json"])
    finally:
        sys.stdin = old
    trace = json.loads(capsys.readouterr().out)["traces"][0]
    assert code == 0 and len(trace["frames"]) == 1000 and trace["omitted_frames"] == 2_000
