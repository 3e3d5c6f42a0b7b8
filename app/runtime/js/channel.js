'use strict';
// The socket to the parent: connect, send frames (run events batched every few ms), receive
// frames. `hold(false)` unrefs the socket while a run goes on, so the event loop empties (and
// `beforeExit` fires) as soon as the script has nothing left to do.

const net = require('net');
const { encode, FrameReader } = require('./protocol.js');

const FLUSH_MS = 20;
const MAX_QUEUED = 256;

class Channel {
  constructor(socket) {
    this.socket = socket;
    this.outbox = [];
    this.timer = null;
    this.reader = new FrameReader();
    this.flushed = 0;
    socket.setNoDelay(true);
  }

  static connect(address) {
    return new Promise((resolve, reject) => {
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(address);
      const socket = m ? net.connect(Number(m[2]), m[1]) : net.connect(address);
      socket.once('connect', () => resolve(new Channel(socket)));
      socket.once('error', reject);
    });
  }

  // Send now, after (and together with) what is queued.
  send(message) {
    if (this.outbox.length) {
      this.outbox.push(message);
      message = { type: 'batch', events: this.outbox };
      this.outbox = [];
    }
    this._write(message);
  }

  // Queue a run event; it leaves within FLUSH_MS, or with the next send(). After a quiet spell it
  // leaves at once: a script that logs and then blocks the event loop (a loop, a long computation)
  // would otherwise keep its line from the parent until the run is killed.
  post(message) {
    this.outbox.push(message);
    if (this.outbox.length >= MAX_QUEUED || (this.timer === null && performance.now() - this.flushed >= FLUSH_MS)) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref(); // never keeps a finished run alive
    }
  }

  flush() {
    this.flushed = performance.now();
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (!this.outbox.length) return;
    const events = this.outbox;
    this.outbox = [];
    this._write(events.length === 1 ? events[0] : { type: 'batch', events });
  }

  _write(message) {
    if (!this.socket.destroyed) this.socket.write(encode(message));
  }

  hold(on) {
    if (on) this.socket.ref(); else this.socket.unref();
  }

  onMessage(handler, onBroken) {
    this.socket.on('data', (chunk) => {
      let messages;
      try { messages = this.reader.push(chunk); } catch (e) { onBroken(e); return; }
      for (const m of messages) handler(m);
    });
  }
}

module.exports = { Channel };
