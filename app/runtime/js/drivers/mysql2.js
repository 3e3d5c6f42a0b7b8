'use strict';
// `mysql2` (3.x) instrumented like `mysql` (mysql.js): query and execute (prepared statements) of
// every connection (also pooled ones and those behind `mysql2/promise`, which call the same
// methods) are traced, and a dry run holds each connection inside a transaction rolled back at
// the end.

const path = require('path');
const { instrumentConnection, capPools } = require('./mysql.js');

function instrument(mysql2, { packageDir }) {
  const dir = packageDir || path.dirname(require.resolve('mysql2/package.json'));
  const BaseConnection = require(path.join(dir, 'lib', 'base', 'connection.js'));
  const proto = BaseConnection.prototype;
  if (proto.__customdb) return mysql2;
  proto.__customdb = true;
  capPools(require(path.join(dir, 'lib', 'base', 'pool.js')).prototype);
  instrumentConnection(proto, {
    driver: 'mysql2',
    methods: ['query', 'execute'],
    isOpen: (c) => !c.__customdbEnded && !c._fatalError && Boolean(c.stream) && !c.stream.destroyed,
    makeQuery: (connection) => ({
      fake(error) {
        const { EventEmitter } = require('events');
        const q = new EventEmitter();
        process.nextTick(() => {
          if (q.listenerCount('error')) q.emit('error', error);
          else connection.emit('error', error);
          q.emit('end');
        });
        return q;
      },
    }),
  });
  return mysql2;
}

module.exports = { instrument };
