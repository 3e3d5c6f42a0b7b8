"""A script that writes onto the runner's channel (issue 19, D5 and D6), as a user runs the CLI:
the run ends `crashed` with one clear message or at --timeout, never a parent traceback or a hang."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.runner_support import make_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the socket in /proc")

WRITE_ON_CHANNEL = """\
import os, time

def get_user(email, callback):
    for fd in range(3, 256):
        try:
            if os.readlink(f"/proc/self/fd/{{fd}}").startswith("socket:"):
                os.write(fd, {payload!r})
        except OSError:
            pass
    {after}
"""


def run_cli(tmp_path, payload: bytes, after: str, timeout: str = "3") -> tuple[subprocess.CompletedProcess, float]:
    project = make_project(tmp_path / "p", {"get_user": WRITE_ON_CHANNEL.format(payload=payload, after=after)})
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "app", "run", str(project.root), "get_user",
                           "--input", '{"email": "alice@example.com"}', "--timeout", timeout, "--json"],
                          capture_output=True, text=True, timeout=45)  # the old code hung until this
    return done, time.monotonic() - started


def test_garbage_on_the_channel_is_crashed_with_a_clear_message_not_a_traceback(tmp_path):
    done, _ = run_cli(tmp_path, b"\x00\x00\x00\x05garbage-not-json", "callback(None, {'user_id': 'x'})")
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert done.returncode == 1 and result["outcome"] == "crashed"
    assert result["error"]["message"].startswith("the runner child broke the channel protocol: a frame is not JSON")


def test_a_fake_huge_length_header_then_sleep_ends_long_before_the_outer_limit(tmp_path):
    done, elapsed = run_cli(tmp_path, b"\x7f\xff\xff\xf0{\"type\": ", "time.sleep(120)")
    result = json.loads(done.stdout)
    assert done.returncode == 1 and result["outcome"] == "crashed"
    assert "a frame header announced 2147483632 bytes" in result["error"]["message"]
    assert elapsed < 30


def test_a_frame_that_never_completes_ends_at_the_time_limit(tmp_path):
    done, elapsed = run_cli(tmp_path, b"\x00\x00\x03\xe8{\"type\": \"log\", \"te", "time.sleep(120)")
    result = json.loads(done.stdout)
    assert done.returncode == 1 and result["outcome"] == "timeout"
    assert result["error"]["message"] == "Request to Webtask exceeded allowed execution time"
    assert 3 <= elapsed < 30
