"""`customdb trace FILE|- [--project DIR] [--script KEY] [--json]` as a user or CI calls it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.domain.project import Project

FIXTURES = Path(__file__).parents[1] / "fixtures" / "traces"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["trace", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_is_the_documented_document(capsys):
    code, out, err = run(capsys, str(FIXTURES / "py_lambda_entry.txt"), "--json")
    assert code == 0 and err == ""
    # the corpus document, plus the (additive) hosted-message diagnoses: none in a plain traceback
    assert json.loads(out) == {**json.loads((FIXTURES / "py_lambda_entry.json").read_text()), "diagnoses": []}


def test_human_output_marks_anonymous_frames_and_suggests_names(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "js_hosted_anonymous.txt"), "--script", "login")
    assert code == 0
    assert "Trace 1 (JavaScript): TypeError: Cannot read properties of undefined (reading 'email')" in out
    assert "ANONYMOUS" in out and "[library]" in out
    assert "suggestion: the login entry (frame #3) is anonymous; name it 'login'" in out
    code, out, _ = run(capsys, str(FIXTURES / "py_misnamed_entry.txt"))
    assert "is named 'remove_account'; name it 'delete_user'" in out


def test_stdin_and_script_option(capsys, monkeypatch):
    text = "Error: x\n    at /data/io/webtask.js:3:1\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = run(capsys, "-", "--script", "get_user", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["traces"][0]["suggestions"] == [
        {"script": "get_user", "recommended_name": "getUser", "reason": "anonymous", "frame": 0}]


def test_no_trace_exits_1(capsys, tmp_path):
    f = tmp_path / "quiet.log"
    f.write_text("all good\n")
    code, out, err = run(capsys, str(f))
    assert code == 1 and out == "" and err.strip() == "customdb trace: no stack trace found"
    code, out, err = run(capsys, str(f), "--json")
    assert code == 1 and json.loads(out) == {"traces": [], "diagnoses": []}


def test_hosted_messages_without_a_stack_exit_0_with_their_diagnoses(capsys, tmp_path):
    f = tmp_path / "tenant.log"
    f.write_text("10:00 Request to Webtask exceeded allowed execution time\n"
                 '{"date": "2026-11-24", "type": "fu", "user_name": "zed@example.com", "connection": "legacy"}\n')
    Project(root=tmp_path / "proj", name="p").save()
    code, out, err = run(capsys, str(f), "--json", "--project", str(tmp_path / "proj"))
    doc = json.loads(out)
    assert code == 0 and doc["traces"] == []
    assert [d["code"] for d in doc["diagnoses"]] == ["execution-time-limit", "log-event"]
    assert doc["diagnoses"][1]["command"] == (
        f"customdb run {tmp_path / 'proj'} login --input '{{\"email\": \"zed@example.com\"}}'")
    code, out, _ = run(capsys, str(f))
    assert code == 0 and "line 1: [execution-time-limit]" in out and "line 2: [log-event] fu" in out
    assert "reproduce: customdb run DIR login --input" in out


def test_unreadable_input_exits_2_with_one_line(capsys, tmp_path):
    (tmp_path / "bin.log").write_bytes(b"\xff\xfe\x00\xd8 broken \x80\x81")
    for path, words in [(tmp_path / "missing.log", "no such file"), (tmp_path, "is a directory"),
                        (tmp_path / "bin.log", "not UTF-8 text")]:
        code, out, err = run(capsys, str(path))
        assert code == 2 and out == ""
        assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_utf16_from_a_windows_shell_is_read(capsys, tmp_path):
    f = tmp_path / "ps.log"
    f.write_bytes((FIXTURES / "py_misnamed_entry.txt").read_text().encode("utf-16"))
    code, out, _ = run(capsys, str(f), "--json")
    assert code == 0 and json.loads(out)["traces"][0]["exception"]["type"] == "ValueError"


def test_bad_script_key_and_bad_project_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, str(FIXTURES / "py_lambda_entry.txt"), "--script", "logon")
    assert code == 2 and "unknown script 'logon'" in err
    code, _, err = run(capsys, str(FIXTURES / "py_lambda_entry.txt"), "--project", str(tmp_path / "nope"))
    assert code == 2 and "no such project folder" in err


def test_project_frames_carry_the_current_source_line(capsys, tmp_path):
    root = tmp_path / "acme"
    Project(root=root, name="acme").save()
    (root / "scripts").mkdir()
    (root / "scripts" / "login.py").write_text(
        "# login\nPROFILES = {}\nlogin = lambda email, password, callback: callback(None, PROFILES[email])\n")
    code, out, _ = run(capsys, str(FIXTURES / "py_lambda_entry.txt"), "--project", str(root), "--json")
    frames = json.loads(out)["traces"][0]["frames"]
    assert code == 0
    assert frames[1]["script"] == "login"
    assert frames[1]["source"] == "login = lambda email, password, callback: callback(None, PROFILES[email])"
    assert "source" not in frames[0]
    code, out, _ = run(capsys, str(FIXTURES / "py_lambda_entry.txt"), "--project", str(root))
    assert "| login = lambda email, password" in out


@pytest.mark.slow
def test_real_process_stdin_pipe():
    text = (FIXTURES / "js_json_lines.txt").read_bytes()
    p = subprocess.run([sys.executable, "-m", "app", "trace", "-", "--json"], input=text,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["traces"][0]["frames"][-1]["file"] == "/data/io/node18/0a9b/webtask.js"


def test_empty_file_and_bom(capsys, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    code, _, err = run(capsys, str(empty))
    assert code == 1 and "no stack trace found" in err
    bom = tmp_path / "bom.log"
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "js_cause.txt").read_bytes())
    code, out, _ = run(capsys, str(bom), "--json")
    assert code == 0 and len(json.loads(out)["traces"]) == 2
