'use strict';
// `pg` (node-postgres 8) instrumented: every statement of Client#query (also through Pool, whose
// clients are Clients) is traced; in a dry run each connection works inside a transaction that is
// rolled back at the end (see session.js). `pg.connect(conString, cb)`, removed in pg 7 and still
// what the hosted Postgres template calls, is served by a Pool per run and connection string, as
// pg 6 kept one per connection string.

const runs = require('./runs.js');
const { Session } = require('./session.js');

const STATE = Symbol('customdb.pg');

function rowsOf(result) {
  if (!result) return null;
  if (Array.isArray(result)) return result.reduce((n, r) => n + (rowsOf(r) || 0), 0);
  if (Array.isArray(result.rows) && result.fields && result.fields.length) return result.rows.length;
  return typeof result.rowCount === 'number' ? result.rowCount : null;
}

function describeClient(client) {
  const p = client.connectionParameters || {};
  return `a pg connection to ${p.host || 'localhost'}:${p.port || 5432}${p.database ? `/${p.database}` : ''}`;
}

function instrument(pg) {
  const Client = pg.Client;
  const proto = Client.prototype;
  const originalQuery = proto.query;
  const originalConnect = proto.connect;
  const originalEnd = proto.end;

  function stateOf(client) {
    let s = client[STATE];
    if (!s) {
      const ctx = runs.current();
      s = client[STATE] = {
        session: new Session({ ctx, dialect: 'pg', exec: (sql) => originalQuery.call(client, sql) }),
        handle: null,
      };
      s.handle = runs.track({
        label: describeClient(client),
        owners: [client],
        quiet: false,
        parked: false,
        isOpen: () => !client._ending && !client._ended && Boolean(client._connected || client._connecting),
        rollback: () => s.session.queue(() => s.session.undo()),
        close: () => originalEnd.call(client),
        park() { this.parked = true; try { client.unref(); } catch (e) { /* not connected */ } },
        unpark() { this.parked = false; try { client.ref(); } catch (e) { /* not connected */ } },
      }, ctx);
    }
    const ctx = runs.adopt(s.handle);
    if (ctx) s.session.ctx = ctx;
    return s;
  }

  proto.connect = function connect(callback) {
    stateOf(this);
    return originalConnect.call(this, callback);
  };

  proto.query = function query(config, values, callback) {
    if (config == null) return originalQuery.call(this, config, values, callback);
    const s = stateOf(this);
    const session = s.session;
    const client = this;
    if (typeof config.submit === 'function') { // a cursor or stream: traced as sent, rows unknown
      session.queue(async () => {
        await session.ensureBegun();
        runs.sql(session.ctx, config.text || '(submittable query)', config.values, null, null, null);
        originalQuery.call(client, config, values, callback);
      });
      return config;
    }
    let cb = callback;
    let vals = values;
    if (typeof vals === 'function') { cb = vals; vals = undefined; }
    const cfg = typeof config === 'string' ? { text: config } : Object.assign({}, config);
    if (vals !== undefined) cfg.values = vals;
    if (!cb && typeof cfg.callback === 'function') cb = cfg.callback;
    delete cfg.callback;
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError('callback is not a function');

    const promise = session.queue(async () => {
      const text = cfg.text;
      const plan = session.plan(text);
      try {
        for (const own of plan.before) await session.own(own);
      } catch (e) {
        session.inTx = false; // our BEGIN failed: the script's statement is not sent outside a transaction
        throw e;
      }
      const t0 = process.hrtime.bigint();
      if (plan.fake) {
        runs.sql(session.ctx, plan.label || text, cfg.values, t0, null, plan.fake.error || null);
        if (plan.fake.error) throw plan.fake.error;
        return { command: null, rowCount: null, rows: [], fields: [] };
      }
      const sent = plan.send === text ? cfg : { text: plan.send };
      try {
        const result = await originalQuery.call(client, sent);
        runs.sql(session.ctx, plan.label || text, plan.send === text ? cfg.values : null, t0, rowsOf(result), null);
        for (const extra of plan.after || []) await session.own(extra);
        if (session.dry() && session.inTx && client.getTransactionStatus && client.getTransactionStatus() === 'I') {
          session.inTx = false; // the transaction ended under us (it cannot, by the plan): begin again next time
        }
        return result;
      } catch (e) {
        runs.sql(session.ctx, plan.label || text, plan.send === text ? cfg.values : null, t0, null, e);
        throw e;
      }
    });
    if (cb) {
      promise.then((r) => process.nextTick(cb, null, r), (e) => process.nextTick(cb, e));
      return undefined;
    }
    return promise;
  };

  proto.end = function end(cb) {
    const s = this[STATE];
    const client = this;
    if (!s) return originalEnd.call(this, cb);
    runs.untrack(s.handle);
    const done = s.session.queue(() => s.session.undo()).catch(() => {}).then(() => originalEnd.call(client));
    if (cb) {
      done.then(() => process.nextTick(cb), (e) => process.nextTick(cb, e));
      return undefined;
    }
    return done;
  };

  instrumentPool(pg);
  addConnectShim(pg);
  return pg;
}

// A Pool used during a run is that run's: ended after the run unless `global` keeps it.
function instrumentPool(pg) {
  const Pool = Object.getPrototypeOf(pg.Pool.prototype).constructor; // pg-pool's Pool, under pg's BoundPool
  const proto = Pool.prototype;
  const POOL = Symbol('customdb.pg.pool');
  const originalEnd = proto.end;
  function poolHandle(pool, quiet) {
    let h = pool[POOL];
    if (!h) {
      const o = pool.options || {};
      h = pool[POOL] = runs.track({
        label: `a pg Pool (${o.host || (o.connectionString ? 'connection string' : 'localhost')})`,
        owners: [pool],
        quiet,
        parked: false,
        isOpen: () => !pool.ending && !pool.ended,
        rollback: async () => {
          await Promise.all(pool._clients.map((c) => (c[STATE] ? c[STATE].session.queue(() => c[STATE].session.undo()) : null)));
        },
        close: () => {
          for (const c of pool._clients) if (!pool._idle.some((i) => i.client === c) && c.release) c.release(true);
          return originalEnd.call(pool);
        },
        park() {
          this.parked = true;
          if (this.allowExit === undefined) this.allowExit = pool.options.allowExitOnIdle;
          pool.options.allowExitOnIdle = true;
          for (const item of pool._idle) {
            try { item.client.unref(); } catch (e) { /* gone */ }
            if (item.timeoutId && item.timeoutId.unref) item.timeoutId.unref();
          }
        },
        unpark() {
          this.parked = false;
          pool.options.allowExitOnIdle = this.allowExit;
          for (const c of pool._clients) { try { c.ref(); } catch (e) { /* gone */ } }
        },
      });
    }
    runs.adopt(h);
    return h;
  }
  for (const name of ['connect', 'query']) {
    const original = proto[name];
    proto[name] = function poolMethod(...args) {
      poolHandle(this, Boolean(this.customdbShim));
      runs.capPool(this, this.options, 'max');
      return original.apply(this, args);
    };
  }
  proto.end = function end(cb) {
    if (this[POOL]) runs.untrack(this[POOL]);
    return originalEnd.call(this, cb);
  };
  // pooled clients are the pool's to close: the pool's handle reports, not each client's
  const originalNewClient = proto.newClient;
  proto.newClient = function newClient(pendingItem) {
    const result = originalNewClient.call(this, pendingItem);
    const client = this._clients[this._clients.length - 1];
    if (client && client[STATE]) client[STATE].handle.quiet = true;
    if (client && client[STATE]) client[STATE].handle.pooled = this;
    return result;
  };
}

function addConnectShim(pg) {
  const perRun = new WeakMap(); // ctx -> Map(connection key -> Pool)
  const outside = new Map();
  function poolFor(config) {
    const ctx = runs.current();
    let pools = ctx ? perRun.get(ctx) : outside;
    if (!pools) {
      pools = new Map();
      perRun.set(ctx, pools);
    }
    const key = typeof config === 'string' ? config : JSON.stringify(config || {});
    let pool = pools.get(key);
    if (!pool || pool.ending) {
      pool = new pg.Pool(typeof config === 'string' ? { connectionString: config } : config);
      pool.customdbShim = true;
      pool.on('error', () => {}); // an idle client's error reaches the script through its next query
      pools.set(key, pool);
    }
    if (ctx) {
      runs.notice(ctx, 'pg.connect', 'compat-shim', 'info',
        'pg.connect(conString, callback) was removed in pg 7; it is served here by a Pool for this connection string, '
        + 'as pg 6 did (call done() to give the client back; the pool is closed after the run)', {});
    }
    return pool;
  }
  pg.connect = function connect(config, callback) {
    if (typeof config === 'function') { callback = config; config = undefined; }
    const pool = poolFor(config);
    if (typeof callback !== 'function') return pool.connect();
    pool.connect((err, client, done) => callback(err, client, done));
    return undefined;
  };
  pg.end = function end() {
    const ctx = runs.current();
    const pools = ctx ? perRun.get(ctx) : outside;
    if (!pools) return;
    for (const pool of pools.values()) pool.end().catch(() => {});
    pools.clear();
  };
}

module.exports = { instrument };
