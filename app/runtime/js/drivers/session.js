'use strict';
// The dry run of one physical connection, whatever the driver: the connection's statements run one
// after another through `chain`; before the script's first statement the dry run opens its own
// transaction, the script's BEGIN / COMMIT / ROLLBACK become savepoints (a COMMIT with no BEGIN of
// the script's is held back), statements that would end or escape the transaction are refused,
// and the transaction is rolled back when the connection closes or the run ends.
// With commit writes on, statements go through unchanged.

const runs = require('./runs.js');
const { classify } = require('./sqltx.js');

class Session {
  // exec(sql) -> Promise of the driver's result, sending one statement of our own on the connection.
  constructor({ ctx, dialect, exec, begin = 'BEGIN', rollback = 'ROLLBACK', savepoint, release, rollbackTo }) {
    this.ctx = ctx;
    this.dialect = dialect;
    this.exec = exec;
    this.sql = {
      begin,
      rollback,
      savepoint: savepoint || ((n) => `SAVEPOINT ${n}`),
      release: release === undefined ? (n) => `RELEASE SAVEPOINT ${n}` : release,
      rollbackTo: rollbackTo || ((n) => `ROLLBACK TO SAVEPOINT ${n}`),
    };
    this.inTx = false;
    this.depth = 0; // the script's BEGINs open now (each one a savepoint)
    this.seq = 0;
    this.chain = Promise.resolve();
  }

  dry() {
    return runs.dryRun(this.ctx);
  }

  // Run `step` after everything sent before it on this connection.
  queue(step) {
    const result = this.chain.then(step);
    this.chain = result.then(() => {}, () => {});
    return result;
  }

  // One of our own statements, traced.
  async own(sql) {
    const t0 = process.hrtime.bigint();
    try {
      const result = await this.exec(sql);
      runs.sql(this.ctx, sql, null, t0, null, null);
      return result;
    } catch (e) {
      runs.sql(this.ctx, sql, null, t0, null, e);
      throw e;
    }
  }

  // Our BEGIN, when the dry run has no transaction open on this connection yet: [] or [BEGIN].
  begin() {
    if (!this.dry() || this.inTx) return [];
    this.inTx = true;
    this.depth = 0;
    this.names = [];
    return [this.sql.begin];
  }

  async ensureBegun() {
    for (const sql of this.begin()) await this.own(sql);
  }

  // What to do with a statement the script sends, decided at once (the state moves with it):
  // {before: [our statements first], send: the text to send (the script's, or its rewrite),
  //  label: how the trace shows it, after: [our statements once it succeeded],
  //  fake: {error} | {result: null} instead of sending anything}.
  plan(text) {
    if (!this.dry()) {
      if (this.ctx) this.ctx.committed = true;
      return { before: [], send: text };
    }
    const k = classify(text, this.dialect);
    const script = typeof text === 'string' ? text.trim() : '';
    switch (k.kind) {
      case 'refuse':
        return { before: [], fake: { error: runs.refuse(this.ctx, k.what) } };
      case 'begin': {
        const before = this.begin();
        this.depth += 1;
        const name = `customdb_${++this.seq}`;
        this.names.push(name);
        return { before, send: this.sql.savepoint(name), label: `${this.sql.savepoint(name)} -- the script's ${script} (dry run)` };
      }
      case 'commit': {
        if (this.depth > 0 && this.inTx) {
          this.depth -= 1;
          const name = this.names.pop();
          if (!this.sql.release) return { before: [], fake: { result: null }, label: `-- the script's ${script}: kept in the dry run's transaction` };
          return { before: [], send: this.sql.release(name), label: `${this.sql.release(name)} -- the script's ${script} (dry run)` };
        }
        return { before: [], fake: { result: null }, label: runs.HELD_COMMIT };
      }
      case 'rollback': {
        if (this.depth > 0 && this.inTx) {
          this.depth -= 1;
          const name = this.names.pop();
          return {
            before: [],
            send: this.sql.rollbackTo(name),
            label: `${this.sql.rollbackTo(name)} -- the script's ${script} (dry run)`,
            after: this.sql.release ? [this.sql.release(name)] : [],
          };
        }
        if (this.inTx) { // the script throws away what it wrote: so does the dry run (a new transaction follows)
          this.inTx = false;
          return { before: [], send: this.sql.rollback };
        }
        return { before: [], fake: { result: null }, label: `${script} -- nothing to roll back (dry run)` };
      }
      default:
        return { before: this.begin(), send: text };
    }
  }

  // After the run or before the connection closes: undo what it wrote.
  async undo() {
    if (!this.inTx) return;
    this.inTx = false;
    this.depth = 0;
    this.names = [];
    await this.own(this.sql.rollback);
  }
}

module.exports = { Session };
