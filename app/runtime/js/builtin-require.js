'use strict';
// The stand-in module store used when the offline store (require.js) is not installed: Node's
// built-ins only, behind require.js's interface (makeRequire / beginRun / endRun / pendingWork /
// modules), so the host never knows which one it talks to.

const { isBuiltin, createRequire } = require('module');

class ModuleNotAvailable extends Error {}

function makeRequire(scriptPath) {
  const real = createRequire(scriptPath);
  let current = null;
  function require(name) {
    if (typeof name === 'string' && isBuiltin(name)) return real(name);
    const message = `Cannot find module '${name}': the offline module store is not installed here, so only `
      + "Node's built-in modules (crypto, http, ...) can be required";
    if (current) current.finding('module-not-available', 'error', message, {});
    const err = new ModuleNotAvailable(message);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  require.resolve = real.resolve;
  require.cache = real.cache;
  require._bind = (ctx) => { current = ctx; };
  return require;
}

const runs = new Set();
function beginRun(ctx) { runs.add(ctx); }
async function endRun(ctx) { runs.delete(ctx); }
function pendingWork() { return false; }
function modules() { return []; }

module.exports = { makeRequire, beginRun, endRun, pendingWork, modules, builtin: true };
