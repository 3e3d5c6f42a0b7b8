'use strict';
// The script's console output: process.stdout/stderr.write (console.log and friends) become the
// `log` events of the current run, line by line, masked and capped per run (one notice, then
// nothing). Writes outside a run (our own, or a stray timer's) go to the real stream, which the
// parent drains.

const LINE_CAP = 64 * 1024;

class Capture {
  constructor(post) {
    this.post = post;
    this.run = null;
    this.cap = 1024 * 1024;
    this.size = 0;
    this.capped = false;
    this.secrets = [];
    this.pending = { stdout: '', stderr: '' };
    this.original = {};
  }

  install() {
    for (const stream of ['stdout', 'stderr']) {
      const target = process[stream];
      this.original[stream] = target.write.bind(target);
      const capture = this;
      target.write = function write(chunk, encoding, cb) {
        if (capture.run === null) return capture.original[stream](chunk, encoding, cb);
        capture.write(stream, chunk, encoding);
        const done = typeof encoding === 'function' ? encoding : cb;
        if (typeof done === 'function') process.nextTick(done);
        return true;
      };
    }
  }

  start(run, cap, secrets) {
    this.run = run;
    this.cap = cap;
    this.size = 0;
    this.capped = false;
    // each secret as written, and as JSON and util.inspect render it (a log line may carry either)
    const util = require('util');
    const forms = new Set();
    for (const s of secrets) {
      if (typeof s !== 'string' || !s) continue;
      forms.add(s);
      forms.add(JSON.stringify(s).slice(1, -1));
      forms.add(util.inspect(s).slice(1, -1));
    }
    this.secrets = [...forms].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
    this.pending = { stdout: '', stderr: '' };
  }

  mask(text) {
    for (const s of this.secrets) if (text.includes(s)) text = text.split(s).join('****'); // app/runtime/masking.py's MASK
    return text;
  }

  write(stream, chunk, encoding) {
    if (this.capped) return;
    let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    if (this.size + text.length > this.cap) {
      text = text.slice(0, Math.max(0, this.cap - this.size));
      this.size = this.cap;
      this.lines(stream, text, true);
      this.end(stream);
      this.capped = true;
      this.emit('stderr', `[output capped: more than ${this.cap} bytes were written in this run; the rest was dropped]`);
      return;
    }
    this.size += text.length;
    this.lines(stream, text, false);
  }

  lines(stream, text, _final) {
    // masked before it is cut, so a cut never splits a secret into pieces the parent cannot see
    const parts = this.mask(this.pending[stream] + text).split('\n');
    this.pending[stream] = parts.pop();
    for (const line of parts) this.emit(stream, line);
    while (this.pending[stream].length > LINE_CAP) {
      this.emit(stream, this.pending[stream].slice(0, LINE_CAP));
      this.pending[stream] = this.pending[stream].slice(LINE_CAP);
    }
  }

  end(stream) {
    if (this.pending[stream]) this.emit(stream, this.pending[stream]);
    this.pending[stream] = '';
  }

  emit(stream, text) {
    this.post({ type: 'log', run: this.run, stream, text: this.mask(text) });
  }

  // The run is over: what is left without a newline goes out, later writes are not this run's.
  finish() {
    if (this.run === null) return;
    this.end('stdout');
    this.end('stderr');
    this.run = null;
  }
}

module.exports = { Capture };
