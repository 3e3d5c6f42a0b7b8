'use strict';
// `mysql` (2.x) instrumented: Connection#query (also beginTransaction/commit/rollback, which are
// queries, and pools, whose connections are Connections) is traced; in a dry run each connection
// works inside a transaction rolled back at the end (see session.js). mysql queues a connection's
// commands itself, so our own statements are queued in front of the script's at once and the
// Query object the script gets back is mysql's own (its events and streaming work as ever).
// The hosted MySQL template never calls end(): the run's end closes what it left open.

const runs = require('./runs.js');
const { Session } = require('./session.js');

const STATE = Symbol('customdb.mysql');

function rowsOf(results) {
  if (Array.isArray(results)) return results.length;
  if (results && typeof results.affectedRows === 'number') return results.affectedRows;
  return null;
}

function describe(connection, driver) {
  const c = connection.config || {};
  return `a ${driver} connection to ${c.host || 'localhost'}:${c.port || 3306}${c.database ? `/${c.database}` : ''}`;
}

// Shared by mysql and mysql2 (whose Connection has the same query/end/destroy shape).
function instrumentConnection(proto, { driver, isOpen, methods = ['query'], makeQuery }) {
  const originals = {};
  for (const name of [...methods, 'end', 'destroy']) originals[name] = proto[name];

  function own(connection, sql) {
    const s = connection[STATE];
    const t0 = process.hrtime.bigint();
    originals.query.call(connection, sql, (err) => {
      runs.sql(s.session.ctx, sql, null, t0, null, err || null);
      if (err && runs.dryRun(s.session.ctx)) {
        s.session.inTx = false;
        // never let the script's statements run outside the dry run's transaction
        try { originals.destroy.call(connection); } catch (e) { /* already gone */ }
      }
    });
  }

  function stateOf(connection) {
    let s = connection[STATE];
    if (!s) {
      const ctx = runs.current();
      s = connection[STATE] = { session: new Session({ ctx, dialect: 'mysql', begin: 'START TRANSACTION', exec: null }) };
      s.handle = runs.track({
        label: describe(connection, driver),
        owners: [connection, connection._pool].filter(Boolean),
        parked: false,
        isOpen: () => isOpen(connection),
        rollback: () => new Promise((resolve) => {
          if (!s.session.inTx || !isOpen(connection)) return resolve();
          s.session.inTx = false;
          const t0 = process.hrtime.bigint();
          originals.query.call(connection, 'ROLLBACK', (err) => { runs.sql(s.session.ctx, 'ROLLBACK', null, t0, null, err || null); resolve(); });
        }),
        close: () => new Promise((resolve) => {
          const timer = setTimeout(() => { try { originals.destroy.call(connection); } catch (e) { /* gone */ } resolve(); }, 1000);
          try {
            originals.end.call(connection, () => { clearTimeout(timer); resolve(); });
          } catch (e) {
            clearTimeout(timer);
            resolve();
          }
        }),
        park() { this.parked = true; try { if (connection.stream || connection._socket) (connection.stream || connection._socket).unref(); } catch (e) { /* gone */ } },
        unpark() { this.parked = false; try { if (connection.stream || connection._socket) (connection.stream || connection._socket).ref(); } catch (e) { /* gone */ } },
      }, ctx);
    }
    const ctx = runs.adopt(s.handle);
    if (ctx) s.session.ctx = ctx;
    return s;
  }

  for (const method of methods) {
    const original = originals[method];
    proto[method] = function query(sql, values, cb) {
      const s = stateOf(this);
      const session = s.session;
      const connection = this;
      // A pool hands its connection a query object it made (mysql: Query with _callback, mysql2:
      // Query command with onResult): rewritten in place before it is queued.
      const command = sql && typeof sql === 'object' && typeof sql.sql === 'string'
        && ('_callback' in sql || 'onResult' in sql) ? sql : null;
      if (!command && typeof values === 'function') { cb = values; values = undefined; }
      const text = typeof sql === 'string' ? sql : (sql && sql.sql);
      const params = command ? command.values : (values !== undefined ? values : (sql && typeof sql === 'object' ? sql.values : undefined));
      const plan = session.plan(text);
      for (const statement of plan.before) own(this, statement);
      const t0 = process.hrtime.bigint();
      const ctx = session.ctx;
      const label = plan.label || text;
      const fakeError = plan.fake && plan.fake.error;
      let send = plan.fake ? 'DO 0' : plan.send; // a no-op in the connection's queue keeps callbacks in order
      if (fakeError && !command && !cb) {
        // refused, and nobody to hand the error to but the Query's listeners or the connection
        const q = makeQuery(this, undefined);
        runs.sql(ctx, label, params, t0, null, fakeError);
        return q.fake(fakeError);
      }
      const rewritten = send !== text;
      const after = plan.after || [];
      let done = false;
      const finish = (err, rows) => {
        if (done) return;
        done = true;
        runs.sql(ctx, label, rewritten && !fakeError ? null : params, t0, err || plan.fake ? null : rows, fakeError || err || null);
        if (!err) for (const extra of after) own(connection, extra);
      };
      const wrap = (fn) => function traced(err, results) {
        finish(err, rowsOf(results));
        if (fakeError) return fn.call(this, fakeError);
        return fn.apply(this, arguments);
      };
      let q;
      if (command) {
        if (rewritten) {
          command.sql = send;
          command.values = undefined;
        }
        const key = '_callback' in command ? '_callback' : 'onResult';
        if (typeof command[key] === 'function') command[key] = wrap(command[key]);
        q = original.call(this, command);
        if (typeof command[key] !== 'function') watch(q, finish);
        return q;
      }
      let sqlArg = sql;
      if (rewritten) sqlArg = typeof sql === 'object' && sql ? Object.assign({}, sql, { sql: send, values: undefined }) : send;
      const sendValues = rewritten ? undefined : values;
      if (cb) return sendValues === undefined ? original.call(this, sqlArg, wrap(cb)) : original.call(this, sqlArg, sendValues, wrap(cb));
      q = sendValues === undefined ? original.call(this, sqlArg) : original.call(this, sqlArg, sendValues);
      watch(q, finish);
      return q;
    };
  }

  proto.end = function end(options, callback) {
    const s = this[STATE];
    this.__customdbEnded = true;
    if (s) {
      runs.untrack(s.handle);
      if (s.session.inTx && runs.dryRun(s.session.ctx)) {
        s.session.inTx = false;
        const t0 = process.hrtime.bigint();
        const ctx = s.session.ctx;
        originals.query.call(this, 'ROLLBACK', (err) => runs.sql(ctx, 'ROLLBACK', null, t0, null, err || null));
      }
    }
    return originals.end.call(this, options, callback);
  };
  proto.destroy = function destroy(...args) {
    this.__customdbEnded = true;
    if (this[STATE]) runs.untrack(this[STATE].handle);
    return originals.destroy.apply(this, args);
  };
  return { stateOf };
}

// No callback: the script listens to the Query's events; watched without adding listeners (a
// listener of ours would change where the driver sends an error).
function watch(q, finish) {
  if (!q || typeof q.emit !== 'function') return;
  const emit = q.emit;
  let count = 0;
  let okRows = null;
  q.emit = function watched(event, ...rest) {
    if (event === 'result') {
      const r = rest[0];
      if (r && !Array.isArray(r) && typeof r.affectedRows === 'number') okRows = (okRows || 0) + r.affectedRows;
      else count += 1;
    } else if (event === 'error') {
      finish(rest[0], null);
    } else if (event === 'end') {
      finish(null, okRows !== null && count === 0 ? okRows : count);
    }
    return emit.call(this, event, ...rest);
  };
}

function instrument(mysql, { packageDir }) {
  const Connection = require(require('path').join(packageDir || mysqlDir(mysql), 'lib', 'Connection.js'));
  if (Connection.prototype.__customdb) return mysql;
  Connection.prototype.__customdb = true;
  capPools(require(require('path').join(packageDir || mysqlDir(mysql), 'lib', 'Pool.js')).prototype);
  instrumentConnection(Connection.prototype, {
    driver: 'mysql',
    isOpen: (c) => !c.__customdbEnded && c.state !== 'disconnected' && !(c._protocol && (c._protocol._ended || c._protocol._quitSequence)),
    makeQuery: (connection, cb) => ({
      fake(error) {
        const q = Connection.createQuery('SELECT 1', undefined, undefined);
        process.nextTick(() => {
          if (cb) cb(error, error ? undefined : { affectedRows: 0, fieldCount: 0 }, undefined);
          else if (error) {
            if (q.listenerCount('error')) q.emit('error', error);
            else connection.emit('error', error);
          }
          q.emit('end');
        });
        return q;
      },
    }),
  });
  return mysql;
}

function capPools(proto) {
  const original = proto.getConnection;
  proto.getConnection = function getConnection(...args) {
    runs.capPool(this, this.config, 'connectionLimit');
    return original.apply(this, args);
  };
}

function mysqlDir() {
  return require('path').dirname(require.resolve('mysql/package.json'));
}

module.exports = { instrument, instrumentConnection, rowsOf, capPools };
