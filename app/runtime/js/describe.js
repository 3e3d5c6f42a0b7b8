'use strict';
// What a script handed to callback (or threw), as JSON data for the parent.

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

function describeError(err) {
  if (err === null || err === undefined) return null;
  if (err instanceof Error || (typeof err === 'object' && typeof err.message === 'string' && typeof err.stack === 'string')) {
    const fields = {};
    for (const k of Object.keys(err)) if (k !== 'message' && k !== 'stack') fields[k] = toData(err[k]);
    return {
      name: String(err.name || (err.constructor && err.constructor.name) || 'Error'),
      class: err.constructor && err.constructor.name ? err.constructor.name : null,
      message: String(err.message),
      fields,
      stack: typeof err.stack === 'string' ? err.stack : null,
      is_error: true,
    };
  }
  return { name: typeof err, class: null, message: typeof err === 'string' ? err : JSON.stringify(toData(err)),
    fields: {}, stack: null, is_error: false };
}

// The line of the script that called callback (the first frame in the script's file).
function callerLine(filename) {
  const stack = new Error().stack.split('\n');
  for (const line of stack) {
    const i = line.indexOf(filename + ':');
    if (i >= 0) {
      const n = parseInt(line.slice(i + filename.length + 1), 10);
      if (Number.isInteger(n)) return n;
    }
  }
  return null;
}

module.exports = { toData, describeError, callerLine };
