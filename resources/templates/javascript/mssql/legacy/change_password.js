// Change Password (legacy mode, SQL Server): store the new password's bcrypt hash.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function changePassword(email, newPassword, callback) {
  const bcrypt = require('bcrypt');
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

  const passwordHash = await bcrypt.hash(newPassword, parseInt(configuration.BCRYPT_ROUNDS || '10', 10));
  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET password_hash = @password_hash WHERE email = @email',
      { password_hash: passwordHash, email })).count);
  } catch (error) {
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, changed > 0);
}
