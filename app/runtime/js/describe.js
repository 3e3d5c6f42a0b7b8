'use strict';
// What a script handed to callback (or threw), as JSON data for the parent.

const path = require('path');

const MAX_DEPTH = 32;

function toData(value, depth = 0, seen = new WeakSet()) {
  if (value === null || value === undefined) return value === undefined ? null : value;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return value;
  if (t === 'number') return Number.isFinite(value) ? value : String(value);
  if (t === 'bigint') return value.toString();
  if (t === 'function' || t === 'symbol') return `[${t}]`;
  if (depth >= MAX_DEPTH) return '…';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (typeof value.toJSON === 'function' && !(value instanceof Error)) return toData(value.toJSON(), depth + 1, seen);
    if (Array.isArray(value)) return value.map((v) => toData(v, depth + 1, seen));
    if (value instanceof Map) return toData(Object.fromEntries(value), depth + 1, seen);
    if (value instanceof Set) return toData([...value], depth + 1, seen);
    const out = {};
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (v !== undefined && typeof v !== 'function') out[k] = toData(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

const PLATFORM = new Set(['WrongUsernameOrPasswordError', 'ValidationError', 'UnauthorizedError']);
const HOST_DIR = __dirname;
const FRAME = /^\s*at (?:async )?(?:(.+?) \()?(?:(.+?):(\d+):(\d+)|(native|<anonymous>))\)?$/;

// The frames of a V8 stack, outermost first, from the script's first frame down, without the
// host's own (docs/protocol.md: {function, file, line, library}; `column` and `anonymous` added).
function frames(stack, filename) {
  const out = [];
  for (const text of String(stack || '').split('\n')) {
    const m = FRAME.exec(text);
    if (!m || !m[2]) continue;
    const file = m[2];
    if (file.startsWith(HOST_DIR + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    let name = m[1] || null;
    if (name && name.includes(' [as ')) name = name.slice(0, name.indexOf(' [as '));
    const anonymous = !name || name === '<anonymous>' || name.endsWith('.<anonymous>');
    out.push({ function: name || '<anonymous>', file, line: Number(m[3]), column: Number(m[4]),
      library: file !== filename, anonymous });
  }
  out.reverse();
  const first = out.findIndex((f) => f.file === filename);
  return first > 0 ? out.slice(first) : out;
}

function platformOf(value) {
  for (let proto = value; proto; proto = Object.getPrototypeOf(proto)) {
    const name = proto.constructor && proto.constructor.name;
    if (PLATFORM.has(name) && proto.constructor.prototype === proto) return name;
  }
  return null;
}

function platformFields(platform, err) {
  if (platform === 'WrongUsernameOrPasswordError') return { user_id_or_email: toData(err.user_id) };
  if (platform === 'ValidationError') return { code: toData(err.code) };
  return {};
}

// An error object of docs/protocol.md: what the script threw or passed as callback's first argument.
// An error whose message or stack cannot be read (a getter that throws) is still described.
function describeError(err, filename, mask = (t) => t) {
  try {
    return describeUnsafe(err, filename, mask);
  } catch (e) {
    let name = 'Error';
    try { name = String((err && err.constructor && err.constructor.name) || 'Error'); } catch (e2) { /* keep */ }
    return { class: name, platform: null, kind: 'error', fields: {}, traceback: [],
      message: `(the error's message could not be read: ${e && e.message})` };
  }
}

function describeUnsafe(err, filename, mask) {
  if (err === null || err === undefined) return null;
  if (typeof err === 'function' && err.prototype instanceof Error) { // the class itself was passed
    let instance = null;
    try { instance = new err(); } catch (e) { instance = null; }
    const platform = instance ? platformOf(instance) : null;
    return { class: err.name || 'Error', platform, kind: 'class', message: mask(String((instance && instance.message) || '')),
      fields: instance ? platformFields(platform, instance) : {}, traceback: [] };
  }
  const isError = err instanceof Error
    || (typeof err === 'object' && typeof err.message === 'string' && typeof err.stack === 'string');
  if (!isError) {
    const text = typeof err === 'string' ? err : JSON.stringify(toData(err));
    return { class: err === null ? 'null' : (err.constructor && err.constructor.name) || typeof err, platform: null,
      kind: 'value', message: mask(String(text)), fields: {}, traceback: [] };
  }
  const platform = platformOf(err);
  const out = {
    class: (err.constructor && err.constructor.name) || String(err.name || 'Error'),
    platform, kind: 'error', message: mask(String(err.message)),
    fields: platformFields(platform, err), traceback: frames(err.stack, filename),
  };
  return out;
}

// Where the script called callback: the innermost frame in the script's file ({line, function}).
function callerLine(filename) {
  const inner = frames(new Error().stack, filename).filter((f) => f.file === filename);
  const f = inner[inner.length - 1];
  return f ? { line: f.line, function: f.anonymous ? null : f.function } : { line: null, function: null };
}

module.exports = { toData, describeError, callerLine, frames };
