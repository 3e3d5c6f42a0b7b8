'use strict';
// `mongodb` (6 by default; 5.1.0 and 3.1.4 by version) instrumented:
// - trace: every command through the driver's command monitoring (`monitorCommands`), shown as
//   `db.collection command` with the command's body as parameters, its duration, the documents
//   it returned or changed, and its error;
// - dry run: MongoDB has no transaction to roll back on a standalone server, so writes (insert,
//   update, delete, findAndModify, index and collection changes) are refused with DryRunRefused
//   and said so; with commit writes on they go through. (Transactions on a replica set are not
//   used for the dry run: writes are refused there too.)
// - the hosted template's callback API (`client.connect(cb)`, `MongoClient.connect(url, cb)`,
//   `collection.findOne(q, cb)`, `cursor.toArray(cb)`), removed in mongodb 5, is served by
//   promise-to-callback shims; 3.x has its own.
// - clients left open are closed after the run (connection-left-open).

const runs = require('./runs.js');

const INTERNAL = new Set(['hello', 'ismaster', 'isMaster', 'saslStart', 'saslContinue', 'endSessions', 'ping',
  'buildInfo', 'getnonce', 'authenticate']);
const WRITE_METHODS = ['insertOne', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany',
  'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete', 'bulkWrite', 'createIndex', 'createIndexes',
  'dropIndex', 'dropIndexes', 'drop', 'rename', 'insert', 'update', 'remove', 'save', 'findAndModify',
  'findAndRemove', 'ensureIndex'];
const DB_WRITES = ['createCollection', 'dropCollection', 'dropDatabase', 'renameCollection', 'createIndex'];
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'create', 'drop',
  'dropDatabase', 'createIndexes', 'dropIndexes', 'renameCollection', 'collMod']);
const CALLBACK_METHODS = {
  Collection: ['findOne', 'countDocuments', 'estimatedDocumentCount', 'distinct', 'indexes', 'indexExists',
    'indexInformation', 'count', 'find', 'aggregate', ...WRITE_METHODS],
  Db: ['command', 'listCollections', 'stats', 'collections', ...DB_WRITES],
  AbstractCursor: ['toArray', 'next', 'hasNext', 'tryNext', 'close'],
  FindCursor: ['count', 'explain'],
  MongoClient: ['close'],
};

function major(packageDir) {
  try {
    return parseInt(require(require('path').join(packageDir, 'package.json')).version, 10);
  } catch (e) {
    return null;
  }
}

function shown(command) {
  const body = {};
  for (const [k, v] of Object.entries(command || {})) {
    if (k === 'lsid' || k === '$db' || k === '$clusterTime' || k === '$readPreference' || k === 'txnNumber') continue;
    body[k] = v;
  }
  return body;
}

function countOf(reply) {
  if (!reply || typeof reply !== 'object') return null;
  if (reply.cursor && Array.isArray(reply.cursor.firstBatch)) return reply.cursor.firstBatch.length;
  if (reply.cursor && Array.isArray(reply.cursor.nextBatch)) return reply.cursor.nextBatch.length;
  if (typeof reply.n === 'number') return reply.n;
  if (reply.value !== undefined) return reply.value ? 1 : 0;
  return null;
}

function callbackify(proto, names) {
  for (const name of names) {
    const original = proto && proto[name];
    if (typeof original !== 'function' || original.__customdbCallback) continue;
    const shim = function callbackShim(...args) {
      const cb = args.length && typeof args[args.length - 1] === 'function' ? args.pop() : null;
      const result = original.apply(this, args);
      if (!cb) return result;
      if (result && typeof result.then === 'function') {
        result.then((v) => process.nextTick(cb, null, v), (e) => process.nextTick(cb, e));
      } else {
        process.nextTick(cb, null, result); // find(q, cb) gave the cursor
      }
      return undefined;
    };
    shim.__customdbCallback = true;
    proto[name] = shim;
  }
}

function blockWrites(proto, names, where) {
  for (const name of names) {
    const original = proto && proto[name];
    if (typeof original !== 'function' || original.__customdbBlock) continue;
    const guard = function dryRunGuard(...args) {
      const ctx = runs.current();
      if (!runs.dryRun(ctx)) return original.apply(this, args);
      const target = where(this);
      const what = `a MongoDB write (${name} on ${target}), which cannot be rolled back`;
      const error = runs.refuse(ctx, what);
      runs.sql(ctx, `${target} ${name}`, args.filter((a) => typeof a !== 'function').slice(0, 2), null, null, error);
      runs.notice(ctx, 'mongodb-write', 'dry-run-write-blocked', 'warning',
        `dry run: MongoDB writes are refused (${name} on ${target}); run with commit writes on to let the script write`, {});
      const cb = args.length && typeof args[args.length - 1] === 'function' ? args[args.length - 1] : null;
      if (cb) {
        process.nextTick(cb, error);
        return undefined;
      }
      return Promise.reject(error);
    };
    guard.__customdbBlock = true;
    proto[name] = guard;
  }
}

function instrument(mongodb, { packageDir } = {}) {
  const version = packageDir ? major(packageDir) : 6;
  const Base = mongodb.MongoClient;
  if (!Base) return mongodb;
  const modern = version === null || version >= 5; // callbacks removed in 5

  function watch(client) {
    const started = new Map();
    client.on('commandStarted', (e) => {
      if (INTERNAL.has(e.commandName)) return;
      started.set(e.requestId, { t0: process.hrtime.bigint(), ctx: client.__customdbCtx || runs.current(), e });
    });
    const done = (e, failure) => {
      const s = started.get(e.requestId);
      if (!s) return;
      started.delete(e.requestId);
      const collection = s.e.command && typeof s.e.command[s.e.commandName] === 'string' ? `.${s.e.command[s.e.commandName]}` : '';
      runs.sql(s.ctx, `${s.e.databaseName}${collection} ${s.e.commandName}`, shown(s.e.command), s.t0,
        failure ? null : countOf(e.reply), failure ? (e.failure || new Error('command failed')) : null);
    };
    client.on('commandSucceeded', (e) => done(e, false));
    client.on('commandFailed', (e) => done(e, true));
  }

  function track(client) {
    if (client.__customdbHandle) {
      runs.adopt(client.__customdbHandle);
      client.__customdbCtx = client.__customdbHandle.ctx;
      return;
    }
    const ctx = runs.current();
    client.__customdbCtx = ctx;
    client.__customdbHandle = runs.track({
      label: 'a MongoDB client',
      owners: [client],
      parked: false,
      closed: false,
      isOpen() { return !this.closed; },
      close: () => Promise.resolve(originalClose.call(client)).catch(() => {}),
      park() { this.parked = true; },
      unpark() { this.parked = false; },
    }, ctx);
  }

  const originalConnect = Base.prototype.connect;
  const originalClose = Base.prototype.close;

  class MongoClient extends Base {
    constructor(url, options, ...rest) {
      super(url, Object.assign({}, options || {}, { monitorCommands: true }), ...rest);
      watch(this);
    }

    static connect(url, options, callback) {
      if (typeof options === 'function') { callback = options; options = undefined; }
      const client = new MongoClient(url, options);
      return client.connect(callback);
    }

    connect(callback) {
      track(this);
      if (!modern) return originalConnect.call(this, callback);
      const promise = originalConnect.call(this);
      if (typeof callback !== 'function') return promise;
      runs.notice(this.__customdbCtx, 'mongodb-callback', 'compat-shim', 'info',
        `mongodb ${version}: connect(callback) and the other callback forms were removed in mongodb 5; `
        + 'they are served here by shims over the promises (require(\'mongodb@3.1.4\') is the hosted template\'s version)', {});
      promise.then((c) => process.nextTick(callback, null, c), (e) => process.nextTick(callback, e));
      return undefined;
    }

    close(...args) {
      if (this.__customdbHandle) {
        this.__customdbHandle.closed = true;
        runs.untrack(this.__customdbHandle);
      }
      return originalClose.apply(this, args);
    }
  }

  const collectionName = (c) => {
    const db = c.dbName || (c.s && (c.s.dbName || (c.s.db && c.s.db.databaseName))) || '?';
    return `${db}.${c.collectionName || (c.s && c.s.name) || '?'}`;
  };
  blockWrites(mongodb.Collection && mongodb.Collection.prototype, WRITE_METHODS, collectionName);
  blockWrites(mongodb.Db && mongodb.Db.prototype, DB_WRITES, (d) => d.databaseName || '?');
  const dbCommand = mongodb.Db && mongodb.Db.prototype.command;
  if (dbCommand && !dbCommand.__customdbBlock) {
    const guarded = function command(cmd, ...rest) {
      const name = cmd && typeof cmd === 'object' ? Object.keys(cmd)[0] : null;
      if (name && WRITE_COMMANDS.has(name) && runs.dryRun(runs.current())) {
        const probe = { [name]: dbCommand };
        blockWrites(probe, [name], () => `${this.databaseName}.${cmd[name]}`);
        return probe[name].call(this, cmd, ...rest);
      }
      return dbCommand.call(this, cmd, ...rest);
    };
    guarded.__customdbBlock = true;
    mongodb.Db.prototype.command = guarded;
  }
  if (modern) {
    for (const [cls, names] of Object.entries(CALLBACK_METHODS)) {
      if (mongodb[cls]) callbackify(mongodb[cls].prototype, names);
    }
    callbackify(MongoClient.prototype, CALLBACK_METHODS.MongoClient);
  }

  const descriptor = Object.getOwnPropertyDescriptor(mongodb, 'MongoClient');
  if (descriptor && descriptor.writable) { // 3.x: plain properties
    mongodb.MongoClient = MongoClient;
    return mongodb;
  }
  return Object.create(mongodb, { MongoClient: { value: MongoClient, enumerable: true } });
}

module.exports = { instrument };
