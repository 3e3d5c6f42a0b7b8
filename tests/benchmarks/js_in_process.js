'use strict';
// The in-process baseline of bench_js_runner: the same script file, loaded the way the host loads
// it (same injected names, the module store's require), called directly. Each stdin line "N" runs
// N calls one after another and answers with the seconds per call.

const path = require('path');
const readline = require('readline');

const JS = path.join(__dirname, '..', '..', 'app', 'runtime', 'js');
const { load, entryNames } = require(path.join(JS, 'loader.js'));
const errors = require(path.join(JS, 'errors.js'));
let store;
try { store = require(path.join(JS, 'require.js')); } catch (e) { store = require(path.join(JS, 'builtin-require.js')); }

const spec = JSON.parse(process.argv[2]);
const source = require('fs').readFileSync(spec.file, 'utf8');
const entry = load(spec.file, source, entryNames(spec.script, source), {
  require: store.makeRequire(spec.file), configuration: Object.freeze({ ...spec.configuration }), ...errors,
});

function once() {
  return new Promise((resolve, reject) => {
    entry(...spec.args, (err, profile) => (err ? reject(err) : resolve(profile)));
  });
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const n = parseInt(line, 10);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) await once();
  process.stdout.write(`${Number(process.hrtime.bigint() - t0) / 1e9 / n}\n`);
});
