// Delete (legacy mode, SQL Server): the user was deleted on the platform; delete the legacy copy.
//
//   callback(null)                deleted (or there was nothing to delete)
//   callback(new Error(message))  not a legacy user id, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function deleteUser(id, callback) {
  const sql = require('mssql');
  const url = new URL(configuration.DATABASE_URL);
  const pool = new sql.ConnectionPool({
    server: url.hostname,
    port: Number(url.port) || 1433,
    user: decodeURIComponent(url.username),
    password: configuration.DATABASE_PASSWORD,
    database: decodeURIComponent(url.pathname.slice(1)),
    options: { encrypt: configuration.DATABASE_ENCRYPT === 'true', trustServerCertificate: true },
  });
  // one statement; params by their @name
  const run = async (text, params) => {
    const request = pool.request();
    for (const [name, value] of Object.entries(params)) request.input(name, value === undefined ? null : value);
    const result = await request.query(text);
    return { rows: result.recordset || [], count: result.rowsAffected.reduce((a, b) => a + b, 0) };
  };
  // connect, do the work, and close the connection whatever happens
  const withDatabase = async (work) => {
    try {
      await pool.connect();
      return await work();
    } finally {
      await pool.close().catch(() => {});
    }
  };

  const legacyId = String(id).split('|').pop().trim();
  if (!/^\d+$/.test(legacyId)) return callback(new Error('Not a legacy user id: ' + id));
  try {
    await withDatabase(() => run('DELETE FROM users WHERE id = @id', { id: Number(legacyId) }));
  } catch (error) {
    console.error('deleteUser: could not delete from the users table:', error.message);
    return callback(new Error('The user could not be deleted.'));
  }
  return callback(null);
}
