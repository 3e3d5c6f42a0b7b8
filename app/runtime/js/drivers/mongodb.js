'use strict';
// `mongodb`: its instrumentation (SQL trace, dry run) comes next; until then a dry run refuses to
// connect with it, so nothing it writes can escape the dry run.

const runs = require('./runs.js');

function instrument(mod) {
  const ctx = runs.current();
  if (runs.dryRun(ctx)) throw runs.refuse(ctx, 'mongodb is not instrumented for the dry run yet');
  return mod;
}

module.exports = { instrument };
