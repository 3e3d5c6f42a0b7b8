"""A secret is masked in the renderings Python and JSON give it (RELIABILITY-REVIEW D11: repr,
KeyError messages, %r, str(list), bytes, json.dumps) and when a long line is cut right through it
(D10), in the child's Masker and the parent's mask() alike."""

from __future__ import annotations

import json

import pytest

from app.engine.secrets import mask
from app.runtime.capture import LineWriter, RunOutput
from app.runtime.masking import Masker
from tests.runtime.test_capture_and_trace import FakeChannel

WEIRD = "pa\\ss'w\"rd-é-42"
PLAIN = "s3cr3t-API-value-1234"

RENDERINGS = {
    "repr": repr(WEIRD), "key-error": str(KeyError(WEIRD)), "percent-r": "%r" % WEIRD,  # noqa: UP031 - the rendering under test "list": str([WEIRD]),
    "json": json.dumps(WEIRD), "json-unicode": json.dumps(WEIRD, ensure_ascii=False), "ascii": ascii(WEIRD),
    "bytes": repr(WEIRD.encode()), "unicode-escape": WEIRD.encode("unicode_escape").decode(),
    "dict-repr": repr({"WEIRD": WEIRD}), "json-of-repr": json.dumps(repr(WEIRD)),
}


def _leaks(text: str) -> bool:
    return any(part in text for part in ("rd-", "-42", "pa\\", "w\\\"r", "w\"rd"))


@pytest.mark.parametrize("rendered", list(RENDERINGS.values()), ids=list(RENDERINGS))
def test_escaped_renderings_of_a_secret_are_masked(rendered):
    for masked in (Masker([WEIRD]).text(f"error: {rendered}!"), mask(f"error: {rendered}!", [WEIRD])):
        assert "****" in masked and not _leaks(masked), masked


def test_a_plain_secret_is_masked_as_before_and_other_text_is_left_alone():
    m = Masker([PLAIN])
    assert m.text(f"k={PLAIN!r} and {json.dumps(PLAIN)}") == "k='****' and \"****\""
    assert m.text("nothing secret here: rd-42 pa\\ss") == "nothing secret here: rd-42 pa\\ss"


@pytest.mark.parametrize("offset", [10, 1, 20, 65536])
def test_a_secret_cut_by_the_long_line_limit_is_masked(offset):
    channel = FakeChannel()
    out = RunOutput(channel)
    writer = LineWriter(out, "stdout", 1)
    out.start(1, 10**7, Masker([PLAIN]))
    writer.write("x" * (65536 - offset) + PLAIN + "y" * 70_000)  # print() writes its newline apart
    writer.write("\n")
    writer.flush()
    texts = [m["text"] for m in channel.sent]
    assert len(texts) >= 2 and "".join(texts).count("****") == 1, [t[-30:] for t in texts]
    assert not any(part in t for t in texts for part in ("s3cr3t", "1234", "API-")), [t[-30:] for t in texts]
    assert sum(len(t) for t in texts) == 65536 - offset + 4 + 70_000
