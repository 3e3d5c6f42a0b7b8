'use strict';
// The embedded sample database: PGlite (PostgreSQL 18 compiled to WebAssembly) in this Node
// process, served on a loopback port by pglite-socket, so a script's require('pg') and the IDE's
// psycopg talk to it as to any PostgreSQL server. Started by app/engine/sampledb.py:
//
//   node server.js --data DIR [--seed FILE] [--port N] [--max-connections N]
//       opens DIR (made from FILE's SQL first when DIR is new: initdb takes 6-8 s and ~700 MB, so
//       the engine makes a seeded DIR once and copies it), prints {"ready": true, "port": N} on
//       stdout, serves until stdin closes (the engine went away) or SIGTERM, then closes the
//       database cleanly and exits
//   node server.js --prepare --data DIR --seed FILE
//       only make DIR from FILE and exit
//
// PGlite is one Postgres session: connections are multiplexed onto it one message at a time,
// and while a transaction is open only the connection that opened it is served.

const fs = require('fs');
const { parseArgs } = require('util');
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');

function fail(message) {
  process.stderr.write(`sample database: ${message}\n`);
  process.exit(2);
}

async function open(dataDir, seedFile) {
  const fresh = !fs.existsSync(dataDir) || fs.readdirSync(dataDir).length === 0;
  if (fresh && !seedFile) fail(`${dataDir} holds no database and no --seed was given`);
  const db = new PGlite(dataDir);
  await db.waitReady;
  if (fresh) await db.exec(fs.readFileSync(seedFile, 'utf8'));
  return db;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string' }, seed: { type: 'string' }, port: { type: 'string', default: '0' },
        'max-connections': { type: 'string', default: '16' }, prepare: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    fail(e.message);
  }
  if (!args.data) fail('--data DIR is required');
  const db = await open(args.data, args.seed);
  if (args.prepare) {
    await db.close();
    process.stdout.write(`${JSON.stringify({ prepared: args.data })}\n`);
    return;
  }
  const server = new PGLiteSocketServer({
    db, host: '127.0.0.1', port: Number(args.port), maxConnections: Number(args['max-connections']),
  });
  await server.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try { await server.stop(); } catch (e) { /* closing anyway */ }
    try { await db.close(); } catch (e) { /* closing anyway */ }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
