"""The corpus: realistic traces of both languages (tests/fixtures/traces/*.txt), each checked against
the reviewed `customdb trace --json` document next to it (*.json)."""

import json
from pathlib import Path

import pytest

from app.domain.traces import analyze, to_json

CORPUS = Path(__file__).parents[1] / "fixtures" / "traces"
CASES = sorted(CORPUS.glob("*.txt"))
# traces whose file names map to no script: the user names the script on the command line
OPTIONS = {"js_hosted_anonymous": {"script": "login"}}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus_trace_matches_its_expected_json(path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    got = to_json(analyze(path.read_text(encoding="utf-8"), **OPTIONS.get(path.stem, {})))
    assert got == expected


def test_corpus_covers_both_languages_and_at_least_25_traces():
    languages: dict[str, int] = {}
    for path in CASES:
        for t in json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["traces"]:
            languages[t["language"]] = languages.get(t["language"], 0) + 1
    assert sum(languages.values()) >= 25
    assert languages.get("python", 0) >= 10 and languages.get("javascript", 0) >= 10


def test_corpus_is_still_found_with_windows_line_endings():
    for path in CASES:
        text = path.read_text(encoding="utf-8")
        assert to_json(analyze(text.replace("\n", "\r\n"), **OPTIONS.get(path.stem, {}))) == \
            to_json(analyze(text, **OPTIONS.get(path.stem, {}))), path.stem
