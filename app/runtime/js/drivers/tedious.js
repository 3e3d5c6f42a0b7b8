'use strict';
// `tedious` (SQL Server; 19 by default, 11.0.3 and 1.11.0 by version) instrumented: every request
// (execSql, execSqlBatch, callProcedure, execute) is traced with its named parameters, row count
// and error. A dry run begins a transaction on the connection before the script's first request
// (tedious allows one request at a time, so the script's request waits for it), turns the
// script's beginTransaction / commitTransaction / rollbackTransaction into savepoints, refuses
// transaction control sent as SQL text (T-SQL has no RELEASE SAVEPOINT and BEGIN TRAN inside
// sp_executesql cannot be rewritten safely), and rolls back before close or at the run's end.
//
// The hosted SQL Server template was written for tedious 1.x: `{userName, password, server}` and
// no connect() call (1.x connected in the constructor). With the current tedious such code never
// connects and never calls back; here the old config is converted and a connection whose
// 'connect' event has listeners but that was never connect()ed is connected on the next turn.

const runs = require('./runs.js');
const { classify } = require('./sqltx.js');

const STATE = Symbol('customdb.tedious');

function paramsOf(request) {
  const out = {};
  for (const p of request.parameters || []) out[p.name] = p.value;
  return Object.keys(out).length ? out : null;
}

function describe(connection) {
  const c = connection.config || {};
  const db = c.options && c.options.database;
  return `a tedious connection to ${c.server || 'localhost'}${db ? `/${db}` : ''}`;
}

function major(packageDir) {
  try {
    return parseInt(require(require('path').join(packageDir, 'package.json')).version, 10);
  } catch (e) {
    return null;
  }
}

function instrument(tedious, { packageDir } = {}) {
  const Connection = tedious.Connection;
  const proto = Connection.prototype;
  if (packageDir && major(packageDir) < 2) wrapped.set(tedious, tedious); // 1.x: its own old API
  if (proto.__customdb) return wrapModule(tedious);
  proto.__customdb = true;
  const original = {};
  for (const name of ['execSql', 'execSqlBatch', 'callProcedure', 'execute', 'prepare', 'beginTransaction',
    'commitTransaction', 'rollbackTransaction', 'saveTransaction', 'close', 'connect']) {
    if (typeof proto[name] === 'function') original[name] = proto[name];
  }

  function stateOf(connection) {
    let s = connection[STATE];
    if (!s) {
      const ctx = runs.current();
      s = connection[STATE] = { ctx, inTx: false, names: [], seq: 0 };
      s.handle = runs.track({
        label: describe(connection),
        owners: [connection],
        parked: false,
        isOpen: () => !connection.closed && !(connection.state && connection.STATE && connection.state === connection.STATE.FINAL),
        rollback: () => rollback(connection),
        close: () => new Promise((resolve) => {
          const timer = setTimeout(resolve, 1000);
          connection.once('end', () => { clearTimeout(timer); resolve(); });
          try { original.close.call(connection); } catch (e) { clearTimeout(timer); resolve(); }
        }),
        park() { this.parked = true; try { connection.socket && connection.socket.unref(); } catch (e) { /* gone */ } },
        unpark() { this.parked = false; try { connection.socket && connection.socket.ref(); } catch (e) { /* gone */ } },
      }, ctx);
    }
    const ctx = runs.adopt(s.handle);
    if (ctx) s.ctx = ctx;
    return s;
  }

  const loggedIn = (c) => !c.STATE || c.state === c.STATE.LOGGED_IN;

  function rollback(connection) {
    const s = connection[STATE];
    return new Promise((resolve) => {
      if (!s || !s.inTx || !loggedIn(connection) || connection.request && !connection.request.finished && connection.state !== connection.STATE.LOGGED_IN) {
        resolve(); // closing the connection rolls the transaction back on the server
        return;
      }
      s.inTx = false;
      s.names = [];
      const t0 = process.hrtime.bigint();
      original.rollbackTransaction.call(connection, (err) => {
        runs.sql(s.ctx, 'ROLLBACK TRANSACTION', null, t0, null, err || null);
        resolve();
      });
    });
  }

  // Our transaction first (dry run), then `go`.
  function begun(connection, s, go, fail) {
    if (!runs.dryRun(s.ctx) || s.inTx) return go();
    const t0 = process.hrtime.bigint();
    s.inTx = true;
    return original.beginTransaction.call(connection, (err) => {
      runs.sql(s.ctx, 'BEGIN TRANSACTION', null, t0, null, err || null);
      if (err) {
        s.inTx = false;
        return fail(err);
      }
      return go();
    }, '');
  }

  function traced(s, request, label) {
    const t0 = process.hrtime.bigint();
    const callback = request.callback;
    const statement = label || request.sqlTextOrProcedure || '(request)';
    const params = paramsOf(request);
    request.callback = function tracedCallback(err, rowCount) {
      runs.sql(s.ctx, statement, params, t0, err ? null : (typeof rowCount === 'number' ? rowCount : null), err || null);
      if (callback) return callback.apply(this, arguments);
      return undefined;
    };
  }

  function later(fn) {
    setImmediate(fn);
  }

  for (const method of ['execSql', 'execSqlBatch', 'callProcedure', 'execute', 'prepare']) {
    if (!original[method]) continue;
    proto[method] = function request(req, ...rest) {
      const s = stateOf(this);
      const connection = this;
      if (!runs.dryRun(s.ctx)) {
        if (s.ctx) s.ctx.committed = true;
        traced(s, req);
        return original[method].call(this, req, ...rest);
      }
      if (method === 'execSql' || method === 'execSqlBatch') {
        const kind = classify(req.sqlTextOrProcedure, 'mssql');
        if (kind.kind !== 'other') {
          const what = kind.kind === 'refuse' ? kind.what
            : 'transaction control sent as SQL text (use connection.beginTransaction(), commitTransaction() and rollbackTransaction(), which the dry run turns into savepoints)';
          const error = runs.refuse(s.ctx, what);
          runs.sql(s.ctx, req.sqlTextOrProcedure, paramsOf(req), process.hrtime.bigint(), null, error);
          later(() => req.callback(error));
          return undefined;
        }
      }
      traced(s, req);
      return begun(connection, s, () => original[method].call(connection, req, ...rest), (err) => req.callback(err));
    };
  }

  proto.beginTransaction = function beginTransaction(callback, name, isolationLevel) {
    const s = stateOf(this);
    if (!runs.dryRun(s.ctx)) {
      const t0 = process.hrtime.bigint();
      if (s.ctx) s.ctx.committed = true;
      return original.beginTransaction.call(this, (err, ...rest) => {
        runs.sql(s.ctx, 'BEGIN TRANSACTION', null, t0, null, err || null);
        if (callback) callback(err, ...rest);
      }, name, isolationLevel);
    }
    const connection = this;
    return begun(connection, s, () => {
      const savepoint = `customdb_${++s.seq}`;
      const t0 = process.hrtime.bigint();
      return original.saveTransaction.call(connection, (err) => {
        runs.sql(s.ctx, `SAVE TRANSACTION ${savepoint} -- the script's beginTransaction() (dry run)`, null, t0, null, err || null);
        if (!err) s.names.push(savepoint);
        if (callback) callback(err);
      }, savepoint);
    }, (err) => callback && callback(err));
  };

  proto.commitTransaction = function commitTransaction(callback, name) {
    const s = stateOf(this);
    if (!runs.dryRun(s.ctx)) {
      const t0 = process.hrtime.bigint();
      return original.commitTransaction.call(this, (err) => {
        runs.sql(s.ctx, 'COMMIT TRANSACTION', null, t0, null, err || null);
        if (callback) callback(err);
      }, name);
    }
    const label = s.names.length ? `-- the script's commitTransaction(): savepoint ${s.names.pop()} kept in the dry run's transaction` : runs.HELD_COMMIT;
    runs.note(s.ctx, label);
    later(() => callback && callback(null));
    return undefined;
  };

  proto.rollbackTransaction = function rollbackTransaction(callback, name) {
    const s = stateOf(this);
    const t0 = process.hrtime.bigint();
    if (!runs.dryRun(s.ctx) || !s.inTx) {
      return original.rollbackTransaction.call(this, (err) => {
        runs.sql(s.ctx, 'ROLLBACK TRANSACTION', null, t0, null, err || null);
        if (callback) callback(err);
      }, name);
    }
    if (s.names.length) {
      const savepoint = s.names.pop();
      return original.rollbackTransaction.call(this, (err) => {
        runs.sql(s.ctx, `ROLLBACK TRANSACTION ${savepoint} -- the script's rollbackTransaction() (dry run)`, null, t0, null, err || null);
        if (callback) callback(err);
      }, savepoint);
    }
    s.inTx = false; // the script throws away what it wrote: so does the dry run
    return original.rollbackTransaction.call(this, (err) => {
      runs.sql(s.ctx, 'ROLLBACK TRANSACTION', null, t0, null, err || null);
      if (callback) callback(err);
    });
  };

  proto.close = function close() {
    const s = this[STATE];
    if (!s) return original.close.call(this);
    runs.untrack(s.handle);
    if (s.inTx && runs.dryRun(s.ctx)) {
      const connection = this;
      rollback(connection).then(() => original.close.call(connection));
      return undefined;
    }
    return original.close.call(this);
  };

  if (original.connect) {
    proto.connect = function connect(listener) {
      stateOf(this);
      if (this.__customdbAutoConnected) { // the compatibility shim connected it already
        if (listener) this.once('connect', listener);
        return undefined;
      }
      this.__customdbConnectCalled = true;
      return original.connect.call(this, listener);
    };
  }
  return wrapModule(tedious);
}

// tedious >= 2 takes {authentication: {type: 'default', options: {userName, password}}} and
// encrypts by default; 1.x took {userName, password} and did not.
function convertConfig(config) {
  if (!config || typeof config !== 'object' || config.authentication || !('userName' in config || 'password' in config)) {
    return { config, converted: false };
  }
  const { userName, password, domain, ...rest } = config;
  const options = Object.assign({ encrypt: false, trustServerCertificate: true }, rest.options || {});
  return {
    config: Object.assign({}, rest, {
      options,
      authentication: domain
        ? { type: 'ntlm', options: { userName, password, domain } }
        : { type: 'default', options: { userName, password } },
    }),
    converted: true,
  };
}

const wrapped = new WeakMap();

// What `require('tedious')` gives the script: the module, with a Connection that understands the
// tedious 1.x way of connecting. (The module's own exports are read-only getters.)
function wrapModule(tedious) {
  if (wrapped.has(tedious)) return wrapped.get(tedious);
  const Base = tedious.Connection;
  class Connection extends Base {
    constructor(config) {
      const { config: converted, converted: wasOld } = convertConfig(config);
      super(converted);
      const ctx = runs.current();
      if (wasOld) {
        runs.notice(ctx, 'tedious-config', 'compat-shim', 'info',
          'tedious: a tedious 1.x config ({userName, password, server}) was converted to the current form '
          + '({authentication: {type: "default", options: {userName, password}}}, encrypt off as in 1.x)', {});
      }
      setImmediate(() => {
        if (this.__customdbConnectCalled || this.listenerCount('connect') === 0) return;
        if (this.STATE && this.state !== this.STATE.INITIALIZED) return;
        runs.notice(ctx, 'tedious-connect', 'compat-shim', 'info',
          'tedious: the script never called connection.connect() (tedious 1.x connected in the constructor); '
          + 'it was connected for it. Call connection.connect() with the current tedious', {});
        Base.prototype.connect.call(this);
        this.__customdbAutoConnected = true;
      });
    }
  }
  const api = Object.create(tedious, { Connection: { value: Connection, enumerable: true } });
  wrapped.set(tedious, api);
  return api;
}

module.exports = { instrument, convertConfig };
