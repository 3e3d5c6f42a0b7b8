"""Bad input gets one line and exit 2, never a traceback (RELIABILITY-REVIEW D9): deeply nested TOML
(a), a script that is not UTF-8 (b), --input or a case nested thousands deep (c), a lone surrogate in
--input (d), and malformed bundle manifests (e)."""

from __future__ import annotations

import json
import zipfile

import pytest

from app.cli import main
from tests.runner_support import GET_USER, LOGIN, make_project

ALICE = '{"email": "alice@example.com", "password": "wonderland-42"}'


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", {"login": LOGIN, "get_user": GET_USER})


def one_line_exit_2(capsys, *argv: str) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, (code, err[-2000:])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-2000:]
    return err


@pytest.mark.parametrize("nested", ["x = " + "{a=" * 5000 + "1" + "}" * 5000,
                                    "x = " + "[" * 100_000 + "]" * 100_000], ids=["tables", "arrays"])
@pytest.mark.parametrize("verb", [["run", "{root}", "login", "--input", ALICE], ["lint", "{root}"],
                                  ["config", "list", "{root}"]], ids=["run", "lint", "config"])
def test_deeply_nested_toml(project, capsys, nested, verb):
    with open(project.root / "customdb.toml", "a", encoding="utf-8") as f:
        f.write("\n[extra]\n" + nested + "\n")
    err = one_line_exit_2(capsys, *[a.replace("{root}", str(project.root)) for a in verb])
    assert "customdb.toml" in err and "nested" in err


@pytest.mark.parametrize("verb", [["run", "{root}", "login", "--input", ALICE],
                                  ["debug", "{root}", "login", "--input", ALICE],
                                  ["test", "{root}"], ["rehearse", "{root}"]],
                         ids=["run", "debug", "test", "rehearse"])
def test_a_script_that_is_not_utf8(project, capsys, verb):
    for key in ("login", "get_user"):
        path = project.root / "scripts" / f"{key}.py"
        path.write_bytes(path.read_bytes() + "# caf\u00e9\n".encode("latin-1"))
    (project.root / "cases").mkdir(exist_ok=True)
    (project.root / "cases" / "a.json").write_text(json.dumps({"script": "login", "input": json.loads(ALICE),
                                                               "expect": {"outcome": "ok"}}))
    argv = [a.replace("{root}", str(project.root)) for a in verb]
    if verb[0] == "test":  # each case reports its own problem: FAIL with the reason, exit 1
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 1 and "Traceback" not in out + err and "is not UTF-8 text" in out, out + err
        return
    err = one_line_exit_2(capsys, *argv)
    assert "UTF-8" in err and ".py" in err


@pytest.mark.parametrize("depth", [3_000, 60_000])
def test_input_nested_too_deep(project, capsys, depth):
    nested = '{"email": ' + "[" * depth + "]" * depth + "}"
    err = one_line_exit_2(capsys, "run", str(project.root), "get_user", "--input", nested)
    assert "nested" in err


def test_a_case_nested_too_deep(project, capsys):
    (project.root / "cases").mkdir(exist_ok=True)
    (project.root / "cases" / "deep.json").write_text('{"script": "get_user", "input": {"email": '
                                                      + "[" * 100_000 + "]" * 100_000 + "}}")
    code = main(["test", str(project.root)])
    out, err = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in out + err
    assert "nested" in out + err


def test_a_lone_surrogate_in_the_input(project, capsys):
    err = one_line_exit_2(capsys, "run", str(project.root), "get_user", "--input", '{"email": "\\ud800"}', "--json")
    assert "surrogate" in err


def _bundle(tmp_path, manifest) -> str:
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", manifest if isinstance(manifest, str) else json.dumps(manifest))
        z.writestr("customdb.toml", 'name = "x"\n')
    return str(path)


BASE = {"format": "customdb-reproduction-bundle", "format_version": 1}


@pytest.mark.parametrize("manifest", [
    '{"format": "customdb-reproduction-bundle", "format_version": 1, "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
    {**BASE, "files": 5}, {**BASE, "files": [{"path": [1]}]}, {**BASE, "files": "customdb.toml"},
    {**BASE, "files": [{"path": "customdb.toml", "sha256": 7}]},
], ids=["nested", "files-int", "path-list", "files-str", "sha-int"])
def test_a_malformed_manifest(tmp_path, capsys, manifest):
    err = one_line_exit_2(capsys, "bundle", "import", _bundle(tmp_path, manifest), str(tmp_path / "out"))
    assert "manifest" in err
    assert not (tmp_path / "out").exists()
