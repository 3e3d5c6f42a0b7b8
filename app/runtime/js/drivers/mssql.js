'use strict';
// `mssql` runs on tedious: the tedious copy it loads is instrumented (drivers/tedious.js), so its
// requests, transactions and pooled connections get the same SQL trace and dry run.

const path = require('path');

function instrument(mssql, { packageDir, instrumentDependency }) {
  instrumentDependency(packageDir || path.dirname(require.resolve('mssql/package.json')), 'tedious');
  return mssql;
}

module.exports = { instrument };
