"""Bundle export refuses a secret however a file spells it (RELIABILITY-REVIEW D12): a Python
literal with escapes and either quote, a JSON-escaped case, and masks the repr form in --trace."""

from __future__ import annotations

import json
import zipfile

import pytest

from app.engine.bundles import BundleError, export_bundle
from app.engine.secrets import set_secret
from tests.runner_support import GET_USER, LOGIN, make_project

WEIRD = "pa\\ss'w\"rd-é-42"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "data"))


def project_with(tmp_path, scripts):
    p = make_project(tmp_path / "p", scripts, configuration="WEIRD = { secret = true }\n")
    set_secret(p, "WEIRD", WEIRD)
    return p


@pytest.mark.parametrize("literal", [
    "'pa\\\\ss\\'w\"rd-\\xe9-42'",           # the review's case: repr-like, \xe9
    "\"pa\\\\ss'w\\\"rd-\\u00e9-42\"",       # double quotes, \u00e9
    "'pa\\\\ss' \"'w\\\"rd-é-42\"",          # implicit concatenation
], ids=["single", "double", "concatenated"])
def test_a_script_spelling_the_secret_as_an_escaped_literal_is_refused(tmp_path, literal):
    p = project_with(tmp_path, {"get_user": f"LEGACY_KEY = {literal}\n" + GET_USER})
    assert eval(literal) == WEIRD  # noqa: S307 - the test's own literal
    out = tmp_path / "b.zip"
    with pytest.raises(BundleError) as e:
        export_bundle(p, out)
    assert "scripts/get_user.py" in str(e.value) and "'WEIRD'" in str(e.value) and not out.exists()


def test_a_case_holding_the_secret_json_escaped_is_refused(tmp_path):
    p = project_with(tmp_path, {"login": LOGIN})
    (p.root / "cases").mkdir(exist_ok=True)
    (p.root / "cases" / "c.json").write_text(json.dumps({"script": "login", "input": {"password": WEIRD}}))
    with pytest.raises(BundleError) as e:
        export_bundle(p, tmp_path / "b.zip")
    assert "cases/c.json" in str(e.value)


def test_the_repr_of_the_secret_in_a_trace_is_masked(tmp_path):
    p = project_with(tmp_path, {"login": LOGIN})
    out = tmp_path / "b.zip"
    trace = f"Traceback (most recent call last):\n  File \"login.py\", line 2, in login\nKeyError: {WEIRD!r}\n"
    export_bundle(p, out, script="login", trace=trace)
    with zipfile.ZipFile(out) as z:
        everything = b"".join(z.read(n) for n in z.namelist()).decode("utf-8")
    everything = everything.replace(str(tmp_path), "<tmp>")  # a path may hold pytest's …/pytest-42N/…
    assert "rd-é-42" not in everything and "-42" not in everything and "KeyError: '****'" in everything
