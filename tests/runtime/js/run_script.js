'use strict';
// A small stand-in for the Node host (app/runtime/js/host.js) that tests the module store and the
// drivers on their own: it runs the entry of a hosted-style script file with the store's `require`
// and prints, as one JSON line, what the store reported (sql entries, findings, logs) and what the
// callback got. Input (argv[2], JSON): {file, args, configuration, dryRun, runs?: n, graceMs?}.

const fs = require('fs');
const vm = require('vm');
const path = require('path');

const store = require(path.resolve(__dirname, '../../../app/runtime/js/require.js'));

class WrongUsernameOrPasswordError extends Error {
  constructor(email, message) { super(message || 'Wrong email or password.'); this.name = 'WrongUsernameOrPasswordError'; this.email = email; }
}
class ValidationError extends Error {
  constructor(code, message) { super(message); this.name = 'ValidationError'; this.code = code; }
}
class UnauthorizedError extends Error {
  constructor(message) { super(message); this.name = 'UnauthorizedError'; }
}

function load(file, req, configuration) {
  const code = fs.readFileSync(file, 'utf8');
  const wrapper = `(function (require, configuration, WrongUsernameOrPasswordError, ValidationError, UnauthorizedError) { return (\n${code}\n); })`;
  const fn = new vm.Script(wrapper, { filename: file, lineOffset: -1 }).runInThisContext();
  return fn(req, Object.freeze({ ...configuration }), WrongUsernameOrPasswordError, ValidationError, UnauthorizedError);
}

function describe(err) {
  if (err === null || err === undefined) return null;
  return { name: err.name, message: err.message, code: err.code };
}

async function runOnce(input, n) {
  const events = { run: n, sql: [], findings: [], logs: [], calls: [], committed: false };
  const ctx = {
    run: n, dryRun: input.dryRun !== false, timeoutS: 20,
    sql: (entry) => events.sql.push(entry),
    finding: (code, severity, message, extra) => events.findings.push({ code, severity, message, ...(extra || {}) }),
    log: (stream, text) => events.logs.push({ stream, text }),
  };
  store.beginRun(ctx);
  const entry = load(input.file, store.makeRequire(input.file), input.configuration || {});
  await new Promise((resolve) => {
    const limit = setTimeout(() => { events.timeout = true; resolve(); }, (input.timeoutS || 10) * 1000);
    let answered = false;
    const callback = (err, value) => {
      events.calls.push({ error: describe(err), value: value === undefined ? null : value });
      if (!answered) {
        answered = true;
        setTimeout(() => { clearTimeout(limit); resolve(); }, input.graceMs ?? 100);
      }
    };
    try {
      const r = entry(...(input.args || []), callback);
      if (r && typeof r.then === 'function') r.catch((e) => { events.threw = describe(e); clearTimeout(limit); resolve(); });
    } catch (e) {
      events.threw = describe(e);
      clearTimeout(limit);
      resolve();
    }
  });
  events.pendingBefore = store.pendingWork(ctx);
  await store.endRun(ctx, { graceMs: 0 });
  events.pendingAfter = store.pendingWork(ctx);
  events.committed = Boolean(ctx.committed);
  return events;
}

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = [];
  for (let n = 1; n <= (input.runs || 1); n += 1) out.push(await runOnce(input, n));
  if (input.modules) out.push({ modules: store.modules() });
  process.stdout.write(JSON.stringify(out) + '\n');
  if (input.exit !== false) process.exit(0);
}

main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(3); });
