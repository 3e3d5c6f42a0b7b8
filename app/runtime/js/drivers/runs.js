'use strict';
// Which run is going on, and the connections each run opened. Modules are cached per process, so
// a driver asks `current()` when a connection opens and keeps that run: everything a connection
// reports goes to the run that opened it (or that last used it, for one kept in `global`), never
// to whichever run happens to be current when a late event arrives.

const HELD_COMMIT = 'COMMIT -- held back: dry run (run with commit to write)';
const REFUSED = (what) => `dry run: ${what}, so its writes could not be rolled back; the dry run refuses it. `
  + 'Run with commit writes on (customdb run --commit, or the Run panel\'s "commit writes") to let it write.';

let active = null;
const state = new WeakMap(); // ctx -> {handles: Set, notices: Set, ended: bool}

function stateOf(ctx) {
  let s = state.get(ctx);
  if (!s) {
    s = { handles: new Set(), notices: new Set(), ended: false };
    state.set(ctx, s);
  }
  return s;
}

function beginRun(ctx) {
  active = ctx;
  stateOf(ctx);
}

function current() {
  return active;
}

function ended(ctx) {
  return !ctx || stateOf(ctx).ended;
}

// A connection (or pool) the run opened. handle: {label, owners: [objects the script holds],
// isOpen(), rollback() -> Promise (dry run: undo what it wrote), close() -> Promise,
// park() (kept in `global`: stop holding the event loop), unpark()}.
function track(handle, ctx = active) {
  if (!ctx) return handle;
  handle.ctx = ctx;
  stateOf(ctx).handles.add(handle);
  return handle;
}

function untrack(handle) {
  if (handle.ctx) stateOf(handle.ctx).handles.delete(handle);
}

// A kept connection used again in a later run belongs to that run from now on.
function adopt(handle) {
  const ctx = active;
  if (!ctx || handle.ctx === ctx || (handle.ctx && !ended(handle.ctx))) return handle.ctx;
  untrack(handle);
  track(handle, ctx);
  if (handle.unpark) handle.unpark();
  return ctx;
}

function dryRun(ctx) {
  return Boolean(ctx && ctx.dryRun);
}

// Values the script keeps for the next run: what `global` (the container's global object) holds,
// one level into plain objects too (global.db = {pool}).
function keptValues() {
  const kept = new Set();
  for (const key of Object.keys(globalThis)) {
    let value;
    try { value = globalThis[key]; } catch (e) { continue; }
    if (!value || typeof value !== 'object') continue;
    kept.add(value);
    if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const inner of Object.values(value)) if (inner && typeof inner === 'object') kept.add(inner);
    }
  }
  return kept;
}

// In a dry run every connection holds its own transaction, so two connections of one pool would
// not see each other's writes: a pool serves one connection at a time while a run is dry (the
// limit it had comes back for a run that commits).
const LIMIT = Symbol('customdb.poolLimit');
function capPool(pool, holder, key) {
  if (!holder) return;
  if (dryRun(active)) {
    if (!(LIMIT in pool)) pool[LIMIT] = holder[key];
    holder[key] = 1;
  } else if (LIMIT in pool) {
    holder[key] = pool[LIMIT];
    delete pool[LIMIT];
  }
}

function safe(fn) {
  try {
    return Promise.resolve(fn()).catch(() => {});
  } catch (e) {
    return Promise.resolve();
  }
}

async function endRun(ctx) {
  if (active === ctx) active = null;
  const s = stateOf(ctx);
  s.ended = true;
  const handles = [...s.handles];
  if (!handles.length) return;
  const kept = keptValues();
  // every connection first rolled back (dry run), then closed, in parallel: one slow server never
  // holds the others' cleanup
  await Promise.all(handles.map(async (h) => {
    if (!h.isOpen()) {
      untrack(h);
      return;
    }
    if (dryRun(ctx) && h.rollback) await safe(() => h.rollback());
    if (h.pooled) { // its pool closes it (or keeps it, when `global` keeps the pool)
      untrack(h);
      return;
    }
    if (h.owners && h.owners.some((o) => kept.has(o))) {
      if (h.park) h.park(); // kept in `global` for the next run, as the hosted container keeps it
      return;
    }
    if (!h.quiet) {
      ctx.finding('connection-left-open', 'warning',
        `${h.label} was left open when the run ended; closed after the run${dryRun(ctx) ? ' (its transaction rolled back)' : ''}. `
        + 'Close it on every path (e.g. connection.end() before calling callback), or keep it in `global` to reuse it',
        {});
    }
    await safe(() => h.close());
    untrack(h);
  }));
}

function pendingWork(ctx) {
  const s = state.get(ctx);
  if (!s) return false;
  for (const h of s.handles) if (!h.pooled && h.isOpen() && !h.parked) return true;
  return false;
}

// A finding said once per run (e.g. "bcrypt is served by bcryptjs").
function notice(ctx, key, code, severity, message, extra) {
  if (!ctx) return;
  const s = stateOf(ctx);
  if (s.notices.has(key)) return;
  s.notices.add(key);
  ctx.finding(code, severity, message, extra || {});
}

// Parameters as the trace shows them (the host masks secrets in them, as the Python host does).
function traceValue(value) {
  if (value === undefined) return null;
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  try {
    return JSON.stringify(value);
  } catch (e) {
    return String(value);
  }
}

function traceParams(params) {
  if (params === undefined || params === null) return null;
  if (Array.isArray(params)) return params.map(traceValue);
  if (typeof params === 'object' && Object.getPrototypeOf(params) === Object.prototype) {
    const out = {};
    for (const [k, v] of Object.entries(params)) out[k] = traceValue(v);
    return out;
  }
  return [traceValue(params)];
}

function errorText(err) {
  if (!err) return null;
  const text = `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message || String(err)}`;
  return text.split('\n')[0].slice(0, 500);
}

// One `sql` entry for ctx: t0 from process.hrtime.bigint() when the statement was sent.
function sql(ctx, statement, params, t0, rows, err) {
  if (!ctx) return;
  const duration = t0 === null || t0 === undefined ? null : Math.round(Number(process.hrtime.bigint() - t0) / 1000) / 1000;
  try {
    ctx.sql({ statement: String(statement).trim(), params: traceParams(params), duration_ms: duration,
      rows: rows === undefined ? null : rows, error: errorText(err) });
  } catch (e) {
    // the channel is gone: the host notices
  }
}

function note(ctx, statement) {
  sql(ctx, statement, null, null, null, null);
}

class DryRunRefused extends Error {
  constructor(what) {
    super(REFUSED(what));
    this.name = 'DryRunRefused';
  }
}

function refuse(ctx, what) {
  if (ctx && ctx.log) {
    try { ctx.log('stderr', `[dry run] refused: ${what}\n`); } catch (e) { /* the channel is gone */ }
  }
  return new DryRunRefused(what);
}

module.exports = {
  beginRun, endRun, pendingWork, current, track, untrack, adopt, ended, dryRun, notice, sql, note,
  refuse, DryRunRefused, HELD_COMMIT, traceParams, capPool,
};
