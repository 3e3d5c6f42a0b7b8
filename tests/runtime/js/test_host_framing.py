"""The Node host's framing (app/runtime/js/protocol.js) against the Python side's reading of it:
what it sends is one valid frame even when oversized, and a frame the protocol forbids is refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from app.engine.node import find_node

JS = Path(__file__).resolve().parents[3] / "app" / "runtime" / "js"


def node(code: str) -> str:
    prelude = f"const p = require({json.dumps(str(JS / 'protocol.js'))});\n"
    done = subprocess.run([find_node().path, "-e", prelude + code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_frame_is_a_big_endian_length_and_utf8_json():
    out = node("process.stdout.write(p.encode({type: 'log', run: 1, text: 'é'}).toString('hex'))")
    data = bytes.fromhex(out)
    assert int.from_bytes(data[:4], "big") == len(data) - 4
    assert json.loads(data[4:].decode("utf-8")) == {"type": "log", "run": 1, "text": "é"}


def test_an_oversized_message_is_cut_to_fit_with_a_notice():
    out = node("const f = p.encode({type: 'call', run: 3, seq: 1, value: 'x'.repeat(17 * 1024 * 1024)});"
               "process.stdout.write(JSON.stringify({n: f.readUInt32BE(0), body: f.subarray(4).toString()}))")
    frame = json.loads(out)
    body = json.loads(frame["body"])
    assert frame["n"] <= 16 * 1024 * 1024
    assert (body["type"], body["run"], body["seq"]) == ("call", 3, 1) and "truncated" in body["value"]


def test_forbidden_frames_are_refused():
    out = node("""
      const cases = {
        zero: Buffer.from([0, 0, 0, 0]),
        huge: Buffer.from([0x7f, 0xff, 0xff, 0xf0]),
        notJson: Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('abc')]),
        noType: Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{}')]),
      };
      const seen = {};
      for (const [name, bytes] of Object.entries(cases)) {
        try { new p.FrameReader().push(bytes); seen[name] = 'accepted'; } catch (e) { seen[name] = 'refused'; }
      }
      const r = new p.FrameReader();
      const frame = p.encode({type: 'ping'});
      seen.split = [r.push(frame.subarray(0, 3)).length, r.push(frame.subarray(3)).length];
      process.stdout.write(JSON.stringify(seen));
    """)
    assert json.loads(out) == {"zero": "refused", "huge": "refused", "notJson": "refused", "noType": "refused",
                               "split": [0, 1]}
