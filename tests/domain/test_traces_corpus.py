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


def test_corpus_is_found_the_same_inside_a_json_string_and_amid_noise():
    # a whole log exported as one JSON value (escaped once more for files that are JSON already)
    for path in CASES:
        text = path.read_text(encoding="utf-8")
        opts = OPTIONS.get(path.stem, {})
        expected = to_json(analyze(text, **opts))
        assert to_json(analyze(json.dumps({"log": text}), **opts)) == expected, path.stem
        assert to_json(analyze(json.dumps([{"log": text}], indent=2), **opts)) == expected, path.stem
        noisy = "12:00:00 boot at 12:00\n\n" + text + "\nFile \"x\" saved at 12:01\n"
        assert to_json(analyze(noisy, **opts)) == expected, path.stem
