"""`customdb rehearse` as a user (or CI) calls it: JSON shape, limit, CSV, exit codes."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3

import pytest

from app.cli import main
from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project

KEYS = ["users", "ok", "failed", "by_code", "examples", "duration_s", "workers", "stranded_sample"]


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clean(tmp_path):
    p = create_project(tmp_path / "clean", mode="migration")
    generate_legacy_db(p.root / "legacy.db", users=200)
    return p


@pytest.fixture
def dirty(tmp_path):
    p = create_project(tmp_path / "dirty", mode="legacy")
    generate_legacy_db(p.root / "legacy.db", users=400, dirty=True)
    return p


def test_clean_store_exits_0_with_the_documented_json(clean, capsys):
    before = hashlib.sha256((clean.root / "legacy.db").read_bytes()).hexdigest()
    code, out, _ = cli(capsys, "rehearse", str(clean.root), "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == KEYS
    assert (data["users"], data["ok"], data["failed"], data["by_code"], data["examples"]) == (200, 200, 0, {}, [])
    assert hashlib.sha256((clean.root / "legacy.db").read_bytes()).hexdigest() == before


def test_dirty_store_exits_1_with_counts_examples_and_csv(dirty, tmp_path, capsys):
    target = tmp_path / "failures.csv"
    code, out, _ = cli(capsys, "rehearse", str(dirty.root), "--json", "--csv", str(target))
    data = json.loads(out)
    assert code == 1 and data["failed"] == data["users"] - data["ok"] > 0
    assert set(data["by_code"]) == {"not-found", "duplicate-user-id"}
    assert {e["code"] for e in data["examples"]} == set(data["by_code"])
    assert all(set(e) == {"identifier", "code", "message", "user_id"} for e in data["examples"])
    with target.open(newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == sum(data["by_code"].values())


def test_human_output_and_limit(dirty, capsys):
    code, out, _ = cli(capsys, "rehearse", str(dirty.root), "--limit", "5")
    assert code == 0 and out.startswith("5 users checked in ") and ": 5 ok, 0 failed" in out


def test_unusable_input_exits_2(clean, capsys):
    assert cli(capsys, "rehearse", str(clean.root), "--limit", "-1")[0] == 2
    clean.extra["rehearsal"] = {"query": "SELECT nope FROM nowhere"}
    clean.save()
    code, out, err = cli(capsys, "rehearse", str(clean.root))
    assert code == 2 and out == "" and "identifier query failed" in err and len(err.strip().splitlines()) == 1
    clean.script_path("get_user").unlink()
    code, _, err = cli(capsys, "rehearse", str(clean.root), "--json")
    assert code == 2 and "get_user.py does not exist" in err


def test_a_get_user_writing_through_its_own_engine_leaves_the_store_unchanged(clean, capsys):
    clean.write_script("get_user", (
        "from sqlalchemy import create_engine\n\n"
        "def get_user(email, callback):\n"
        "    engine = create_engine(db.engine.url)\n"
        "    with engine.begin() as conn:\n"
        "        conn.execute(text(\"UPDATE users SET nickname = 'written' WHERE email = :e\"), {'e': email})\n"
        "    engine.dispose()\n"
        "    callback(None, {'user_id': 'legacy|' + email, 'email': email})\n"))
    with sqlite3.connect(clean.root / "legacy.db") as check:
        before = check.execute("SELECT id, nickname FROM users ORDER BY id").fetchall()
    code, out, _ = cli(capsys, "rehearse", str(clean.root), "--json")
    assert code == 0 and json.loads(out)["ok"] == 200
    with sqlite3.connect(clean.root / "legacy.db") as check:  # a separate connection, after the rehearsal
        assert check.execute("SELECT id, nickname FROM users ORDER BY id").fetchall() == before
        assert check.execute("SELECT count(*) FROM users WHERE nickname = 'written'").fetchone() == (0,)


def test_workers_is_an_additive_flag_and_the_report_is_the_same(clean, capsys):
    code, out, _ = cli(capsys, "rehearse", str(clean.root), "--json", "--workers", "1")
    one = json.loads(out)
    code2, out2, _ = cli(capsys, "rehearse", str(clean.root), "--json", "--workers", "2")
    two = json.loads(out2)
    assert code == code2 == 0 and one["workers"] == 1 and two["workers"] in (1, 2)
    for key in ("users", "ok", "failed", "by_code", "examples"):
        assert one[key] == two[key]
    assert one["stranded_sample"]["users"] > 0 and one["stranded_sample"]["stranded"] == 0
    with pytest.raises(SystemExit):
        main(["rehearse", str(clean.root), "--workers", "x"])
    assert cli(capsys, "rehearse", str(clean.root), "--workers", "0")[0] == 2
