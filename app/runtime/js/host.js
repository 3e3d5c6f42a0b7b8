'use strict';
// The Node runner child ("container"): started by the IDE (app/engine/node_host.py) as
// `node host.js`, it reads one line of JSON on stdin (channel address + token), connects, says
// hello and ready, then runs one script at a time. It reports what the script did (`log`, `sql`,
// `call` per callback invocation, `finding`, one `done`); the parent (app/domain) decides the
// outcome, the callback-once rule, the profile checks and the log event.

const fs = require('fs');
const path = require('path');
const { PROTOCOL } = require('./protocol.js');
const { Channel } = require('./channel.js');
const { Capture } = require('./capture.js');
const { load, LoadError, entryNames } = require('./loader.js');
const errors = require('./errors.js');
const { describeError, toData, callerLine } = require('./describe.js');

const DEFAULT_GRACE_MS = 200; // after the callback: time for the script's own cleanup (pool.end, ...)
const END_RUN_LIMIT_MS = 3000; // the store's cleanup of a run never holds the next one longer

function loadStore() {
  const storePath = path.join(__dirname, 'require.js');
  try {
    if (fs.existsSync(storePath)) return require(storePath);
  } catch (e) {
    process.stderr.write(`the module store failed to load (${e && e.message}); serving Node's built-ins only\n`);
  }
  return require('./builtin-require.js');
}

let channel = null;
let capture = null;
let store = null;
let active = null; // the run going on

function post(message) { channel.post(message); }

async function main() {
  let hello;
  try {
    hello = JSON.parse(fs.readFileSync(0, 'utf8').split('\n')[0]);
  } catch (e) {
    process.stderr.write('customdb node host: expected the channel on stdin; this mode is started by the IDE\n');
    process.exit(2);
  }
  channel = await Channel.connect(hello.address);
  channel.send({ type: 'hello', token: hello.token, protocol: PROTOCOL, host: 'node', runtime: `node ${process.version}`, pid: process.pid });
  capture = new Capture(post);
  capture.install();
  store = loadStore();
  trackChildren();
  preload();
  channel.onMessage(onMessage, (e) => {
    process.stderr.write(`customdb node host: the parent broke the channel protocol: ${e.message}\n`);
    process.exit(2);
  });
  channel.socket.on('close', () => process.exit(0)); // the parent went away
  channel.socket.on('error', () => process.exit(0));
  process.on('beforeExit', () => { if (active) finish(active, {}); });
  process.on('uncaughtException', (e) => onUncaught(e, 'uncaught exception'));
  process.on('unhandledRejection', (e) => onUncaught(e, 'unhandled promise rejection'));
  process.on('exit', onExit);
  channel.send({ type: 'ready' });
  watchParent();
  setImmediate(warmUp);
}

// What most first runs require (the sample's pg and bcrypt): loaded while the child is a spare,
// not when the user runs. Missing from the store: the run says so itself.
const PRELOAD = ['pg', 'bcrypt'];
function preload() {
  if (store.builtin) return;
  const req = store.makeRequire(path.join(__dirname, 'preload.js'));
  for (const name of PRELOAD) {
    try { req(name); } catch (e) { /* not in this store */ }
  }
}

// The first bcrypt hash of a fresh V8 costs ~60 ms of JIT warm-up: spend it while the child waits
// for its first run (a run that arrives meanwhile waits for it, and would have paid it anyway).
function warmUp() {
  if (store.builtin || active) return;
  try {
    const bcrypt = store.makeRequire(path.join(__dirname, 'preload.js'))('bcrypt');
    bcrypt.compareSync('warm-up', bcrypt.hashSync('warm-up', 4));
  } catch (e) { /* not in this store */ }
}

function onMessage(message) {
  switch (message.type) {
    case 'run': startRun(message); break;
    case 'ping': channel.send({ type: 'pong', time: Date.now() / 1000 }); break;
    case 'exit': process.exit(0); break;
    default: channel.send({ type: 'finding', run: message.run ?? null, code: 'host-unknown-message', severity: 'error', message: `the Node host does not know the message type ${JSON.stringify(message.type)}` });
  }
}

// Processes a script starts end with its run (the hosted sandbox keeps none across requests):
// every spawn goes through ChildProcess.prototype.spawn, so that is where they are counted.
function trackChildren() {
  const { ChildProcess } = require('child_process');
  const spawn = ChildProcess.prototype.spawn;
  ChildProcess.prototype.spawn = function trackedSpawn(...args) {
    const out = spawn.apply(this, args);
    if (active && !active.finished) active.children.push({ child: this, detached: Boolean(args[0] && args[0].detached) });
    return out;
  };
}

function endChildren(run) {
  for (const { child, detached } of run.children) {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue;
    try { process.kill(detached ? -child.pid : child.pid, 'SIGKILL'); } catch (e) {
      try { process.kill(child.pid, 'SIGKILL'); } catch (e2) { /* gone meanwhile */ }
    }
  }
  run.children = [];
}

function startRun(msg) {
  const limits = msg.limits || {};
  const run = {
    id: msg.run, msg, started: process.hrtime.bigint(), calls: 0, finished: false, grace: null,
    returned: null, thrown: null, failure: null, entryLine: null, filename: msg.filename, children: [],
  };
  active = run;
  const ctx = {
    run: msg.run,
    dryRun: !msg.commit,
    timeoutS: limits.timeout_s,
    committed: false,
    sql: (entry) => post({ type: 'sql', run: msg.run, ...entry }),
    finding: (code, severity, message, extra) => post({ type: 'finding', run: msg.run, code, severity, message, ...(extra || {}) }),
    log: (stream, text) => post({ type: 'log', run: msg.run, stream, text: capture.mask(String(text)) }),
  };
  run.ctx = ctx;
  capture.start(msg.run, limits.log_bytes || 1024 * 1024, msg.secrets || []);
  const mask = (text) => capture.mask(text);
  run.mask = mask;
  channel.hold(false);
  if (msg.debug) {
    startBridge(run, msg.debug).then(() => runScript(run, msg), (e) => {
      run.failure = { stage: 'debug', error: { type: 'DebuggerUnavailable', traceback: [],
        message: `the debugger could not attach: ${e && e.message}` } };
      finish(run, {});
    });
    return;
  }
  runScript(run, msg);
}

// A debug run: the bridge worker (cdp-bridge.js) connects to the parent's debug socket, the
// parent sets breakpoints through it, then says go. The worker never keeps the loop alive.
function startBridge(run, debug) {
  const { Worker } = require('worker_threads');
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'cdp-bridge.js'), { workerData: { address: debug.address, token: debug.token } });
    run.bridge = worker;
    run.stopOnEntry = Boolean(debug.stop_on_entry);
    run.breakOnCallbackError = Boolean(debug.break_on_callback_error);
    worker.on('message', (m) => {
      if (m === 'go') { worker.unref(); resolve(); } else if (m === 'gone') reject(new Error('the parent closed the debug socket'));
    });
    worker.on('error', reject);
    worker.on('exit', () => reject(new Error('the bridge ended')));
  });
}

// Break on callback(error): a pause here, which the parent shows at the script's call.
function pauseOnCallbackError() {
  debugger; // eslint-disable-line no-debugger
}

// Stop on entry: a pause here, which the parent steps into the entry (this file is never shown).
function enterPaused(entry, args) {
  debugger; // eslint-disable-line no-debugger
  return entry.apply(undefined, args);
}

function runScript(run, msg) {
  const ctx = run.ctx;
  const mask = run.mask;
  try { store.beginRun(ctx); } catch (e) { process.stderr.write(`module store: ${e && e.message}\n`); }

  let entry;
  const source = String(msg.source || '');
  try {
    const injected = {
      require: store.makeRequire(msg.filename),
      configuration: Object.freeze({ ...(msg.configuration || {}) }),
      ...errors,
    };
    entry = load(msg.filename, source, entryNames(msg.script, source), injected);
  } catch (e) {
    if (e instanceof LoadError) {
      const line = e.line;
      run.failure = { stage: 'load', code: e.kind, line, error: {
        type: e.kind === 'syntax-error' ? 'SyntaxError' : 'MissingEntry', message: mask(e.message),
        traceback: line ? [{ function: '<module>', file: msg.filename, line, library: false }] : [] } };
    } else {
      run.thrown = describeError(e, msg.filename, mask); // thrown while the file's top level ran
    }
    finish(run, {});
    return;
  }
  const text = entry.toString();
  const at = source.indexOf(text);
  run.entryLine = at >= 0 ? source.slice(0, at).split('\n').length : null;

  const callback = function callback(err, value) {
    if (run.finished) return; // a late call: the run is over (the parent ignores it anyway)
    if (run.breakOnCallbackError && err) pauseOnCallbackError();
    run.calls += 1;
    const where = callerLine(run.filename);
    channel.send({ // at once: a script that blocks right after answering still gets its answer out
      type: 'call', run: run.id, seq: run.calls, line: where.line, function: where.function,
      args: arguments.length, keywords: [], error: describeError(err, run.filename, mask), value: toData(value),
    });
    if (run.calls === 1) {
      run.grace = setTimeout(() => finish(run, { pending: true }), msg.grace_ms ?? DEFAULT_GRACE_MS);
      run.grace.unref(); // the loop emptying earlier ends the run earlier (beforeExit)
    }
  };
  const args = [...(msg.arguments || []).map((a) => (a && typeof a === 'object' && 'value' in a ? a.value : a)), callback];
  try {
    const value = run.stopOnEntry ? enterPaused(entry, args) : entry.apply(undefined, args);
    if (value && typeof value.then === 'function') {
      value.then((v) => { run.returned = toData(v); }, (e) => {
        if (!run.finished) { run.thrown = describeError(e, run.filename, mask); if (run.calls === 0) finish(run, {}); }
      });
    } else {
      run.returned = toData(value);
    }
  } catch (e) {
    run.thrown = describeError(e, run.filename, mask);
    finish(run, {});
  }
}

function onUncaught(e, what) {
  const run = active;
  if (!run || run.finished) {
    if (capture) capture.original.stderr(`${what} outside a run: ${(e && e.stack) || e}\n`);
    return;
  }
  if (run.calls === 0) {
    run.thrown = { ...describeError(e, run.filename, run.mask), origin: what };
    finish(run, {});
  } else {
    // The answer is given; the platform's log would still show it.
    post({ type: 'log', run: run.id, stream: 'stderr', text: capture.mask(`${what} after callback was called:\n${(e && e.stack) || e}`) });
  }
}

function doneMessage(run, extra) {
  return {
    type: 'done', run: run.id, returned: run.returned, thrown: run.thrown, pending: false,
    committed: Boolean(run.ctx && run.ctx.committed), entry_line: run.entryLine, failure: run.failure, exit: false,
    duration_ms: Math.round(Number(process.hrtime.bigint() - run.started) / 1e3) / 1e3, ...extra,
  };
}

async function finish(run, { pending = false }) {
  if (run.finished) return;
  run.finished = true;
  if (run.grace) clearTimeout(run.grace);
  if (run.bridge) { run.bridge.terminate(); run.bridge = null; } // detaches the debugger
  const duration = Math.round(Number(process.hrtime.bigint() - run.started) / 1e3) / 1e3;
  let stillPending = pending;
  if (run.ctx && run.failure === null) {
    try {
      await Promise.race([
        Promise.resolve(store.endRun(run.ctx, { graceMs: 0 })),
        new Promise((resolve) => setTimeout(resolve, END_RUN_LIMIT_MS).unref()),
      ]);
      stillPending = stillPending || Boolean(store.pendingWork(run.ctx));
    } catch (e) {
      post({ type: 'log', run: run.id, stream: 'stderr', text: `[cleanup after the run failed: ${e && e.message}]` });
    }
  }
  endChildren(run);
  capture.finish();
  channel.send(doneMessage(run, { pending: stillPending, duration_ms: duration }));
  if (active === run) active = null;
  channel.hold(true);
}

function onExit(code) {
  const run = active;
  if (!run || run.finished || !channel) return;
  // process.exit() from the script: the container ends; say so while the socket still writes.
  capture.finish();
  run.failure = { stage: 'exit', error: { type: 'ProcessExit', traceback: [],
    message: `the script called process.exit(${code}): the Node child exited with code ${code}; on the hosted platform `
      + 'this ends the container, so this one was recycled too (global starts empty on the next run)' } };
  channel.send(doneMessage(run, { exit: true }));
}

// A script stuck in a synchronous loop never sees the channel close; a thread of our own notices
// the parent is gone (we were re-parented) and ends the process.
function watchParent() {
  const { Worker } = require('worker_threads');
  const parent = process.ppid;
  const worker = new Worker(`
    const { workerData } = require('worker_threads');
    setInterval(() => { if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL'); }, 1000);
  `, { eval: true, workerData: { parent, self: process.pid } });
  worker.unref();
}

main().catch((e) => {
  process.stderr.write(`customdb node host: ${(e && e.stack) || e}\n`);
  process.exit(3);
});
