'use strict';
// Wire protocol v1 framing (docs/protocol.md): a 4-byte unsigned big-endian length N, then N bytes
// of UTF-8 JSON holding one object with a string "type". The only module that knows the framing.

const MAX_FRAME = 16 * 1024 * 1024;
const PROTOCOL = 1;

function encode(message) {
  let body = Buffer.from(JSON.stringify(message, jsonReplacer), 'utf8');
  if (body.length > MAX_FRAME) {
    // Never send more than the parent accepts: what does not fit is replaced by a notice.
    body = Buffer.from(JSON.stringify(shrink(message, body.length)), 'utf8');
  }
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

function shrink(message, size) {
  const notice = `[message of ${size} bytes truncated: over the ${MAX_FRAME}-byte frame limit]`;
  if (message.type === 'batch') {
    return { type: 'batch', events: [{ type: 'log', run: (message.events[0] || {}).run, stream: 'stderr', text: notice }] };
  }
  const out = { type: message.type, run: message.run };
  for (const k of Object.keys(message)) {
    const v = message[k];
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
  }
  out.truncated = notice;
  if ('value' in message) out.value = notice;
  return out;
}

function jsonReplacer(_key, value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

// Accumulates chunks and yields complete messages; throws on a frame the protocol forbids.
class FrameReader {
  constructor() { this.chunks = []; this.size = 0; }
  push(chunk) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out = [];
    for (;;) {
      if (this.size < 4) break;
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const n = buf.readUInt32BE(0);
      if (n === 0 || n > MAX_FRAME) throw new Error(`frame of ${n} bytes`);
      if (buf.length < 4 + n) break;
      const message = JSON.parse(buf.toString('utf8', 4, 4 + n));
      if (message === null || typeof message !== 'object' || Array.isArray(message) || typeof message.type !== 'string') {
        throw new Error('a message that is not an object with a "type"');
      }
      out.push(message);
      const rest = buf.subarray(4 + n);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }
}

module.exports = { MAX_FRAME, PROTOCOL, encode, FrameReader };
