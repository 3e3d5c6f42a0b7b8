"""`customdb bundle export/import` and `customdb reproduce` as support engineers call them: output,
JSON shapes, exit codes, and every refusal as one line with exit 2."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.bundle_support import write_bomb, write_bundle, write_symlink_bundle
from tests.engine.test_replay import CUSTOMER_TRACE
from tests.engine.test_replay import GET_USER as FAILING_GET_USER
from tests.runner_support import make_project


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bundle(tmp_path, capsys):
    p = make_project(tmp_path / "customer", {"get_user": FAILING_GET_USER})
    (tmp_path / "trace.log").write_text(CUSTOMER_TRACE)
    code, out, err = cli(capsys, "bundle", "export", p.root, tmp_path / "repro.zip", "--input",
                         '{"email": "alice@example.com"}', "--trace", tmp_path / "trace.log", "--data", "--json")
    assert code == 0, err
    return tmp_path / "repro.zip", json.loads(out)


def test_export_json_names_what_was_written(bundle):
    _, data = bundle
    assert list(data) == ["bundle", "files", "script", "data", "masked", "tables"]
    assert data["script"] == "get_user"  # taken from the trace: no --script needed
    assert data["data"] == "sqlite_copy" and data["masked"] is False
    assert {"manifest.json", "repro/repro.json", "repro/trace.txt", "data/legacy.db"} <= set(data["files"])


def test_import_then_restricted_until_trusted_then_reproduce(bundle, tmp_path, capsys):
    zip_path, _ = bundle
    target = tmp_path / "support"
    code, out, _ = cli(capsys, "bundle", "import", zip_path, target, "--json")
    assert code == 0
    assert json.loads(out) == {"project": str(target), "name": "test", "database_url": "sqlite:///legacy.db",
                               "scripts": ["get_user"], "restricted": True}

    for argv in (["run", target, "get_user"], ["test", target], ["reproduce", target],
                 ["debug", target, "get_user"]):
        code, out, err = cli(capsys, *argv)
        assert code == 2 and out == "", argv
        assert f"customdb trust {target}" in err and len(err.strip().splitlines()) == 1, argv

    code, out, _ = cli(capsys, "lint", target)
    assert code != 2  # reading and linting work in restricted mode
    code, out, _ = cli(capsys, "trace", target / "repro" / "trace.txt", "--project", target)
    assert code == 0 and "helper" in out

    assert cli(capsys, "trust", target)[0] == 0
    code, out, _ = cli(capsys, "reproduce", target, "--json")
    data = json.loads(out)
    assert code == 0 and data["reproduced"] is True and data["matched_frames"] == 2
    assert list(data) == ["script", "reproduced", "same_type", "same_message", "matched_frames", "customer",
                          "local", "rows"]
    code, out, _ = cli(capsys, "reproduce", target)
    assert code == 0 and out.splitlines()[0] == "get_user: REPRODUCED"


def test_reproduce_exits_1_when_the_error_is_gone(bundle, tmp_path, capsys):
    zip_path, _ = bundle
    target = tmp_path / "support"
    cli(capsys, "bundle", "import", zip_path, target)
    cli(capsys, "trust", target)
    script = target / "scripts" / "get_user.py"
    script.write_text(script.read_text().replace("row.nickname", "row.email"))
    code, out, _ = cli(capsys, "reproduce", target)
    assert code == 1 and out.splitlines()[0] == "get_user: NOT REPRODUCED"


def test_export_with_mask(tmp_path, capsys):
    p = make_project(tmp_path / "c", {"get_user": FAILING_GET_USER})
    code, out, _ = cli(capsys, "bundle", "export", p.root, tmp_path / "m.zip", "--script", "get_user",
                       "--input", '{"email": "alice@example.com"}', "--data", "--mask")
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'm.zip'}") and "masked" in out


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda d: (d / "x.zip").write_text("no zip") and d / "x.zip", "not a zip file"),
    (lambda d: write_bundle(d / "n.zip", manifest=False), "not a reproduction bundle"),
    (lambda d: write_bundle(d / "e.zip", {"../escape.py": b"x"}), "escapes the target folder"),
    (lambda d: write_bundle(d / "a.zip", {"/abs.py": b"x"}), "absolute path"),
    (lambda d: write_symlink_bundle(d / "l.zip"), "symbolic link"),
    (lambda d: write_bomb(d / "b.zip"), "zip bomb"),
    (lambda d: d / "missing.zip", "no such file"),
])
def test_import_refusals_exit_2_with_one_line(tmp_path, capsys, make, fragment):
    zip_path = make(tmp_path)
    code, out, err = cli(capsys, "bundle", "import", zip_path, tmp_path / "t")
    assert code == 2 and out == "" and fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "t").exists()


def test_import_into_a_non_empty_folder_exits_2(bundle, tmp_path, capsys):
    zip_path, _ = bundle
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    code, _, err = cli(capsys, "bundle", "import", zip_path, tmp_path / "busy")
    assert code == 2 and "is not empty" in err


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--script", "nope"], "unknown script 'nope'"),
    (["--input", "{bad"], "--input is not valid JSON"),
    (["--input", '{"email": "a@b.co"}'], "--script KEY"),
    (["--trace", "{missing}"], "no such file"),
])
def test_export_refusals_exit_2_with_one_line(tmp_path, capsys, extra, fragment):
    p = make_project(tmp_path / "c", {"get_user": FAILING_GET_USER})
    argv = [a.replace("{missing}", str(tmp_path / "absent.log")) for a in extra]
    code, out, err = cli(capsys, "bundle", "export", p.root, tmp_path / "o.zip", *argv)
    assert code == 2 and out == "" and fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.zip").exists()


def test_bundle_without_a_subcommand_exits_2(capsys):
    code, _, err = cli(capsys, "bundle")
    assert code == 2 and "bundle export" in err


def test_reproduce_without_repro_exits_2(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"get_user": FAILING_GET_USER})
    code, _, err = cli(capsys, "reproduce", p.root)
    assert code == 2 and "repro/repro.json" in err
