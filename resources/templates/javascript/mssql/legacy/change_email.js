// Change Email (legacy mode, SQL Server): the user's e-mail address changed on the platform.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the new address is taken, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
// E-mails compare case-insensitively under SQL Server's default *_CI_* collations, so
// `email = :email` uses the index; with a case-sensitive collation compare LOWER(email) instead.
async function changeEmail(email, newEmail, verified, callback) {
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const taken = await run(
        'SELECT TOP 1 id FROM users WHERE email = @new_email AND NOT (email = @email)',
        { new_email: newEmail, email });
      if (taken.rows.length) return 'taken';
      const result = await run(
        'UPDATE users SET email = @new_email2, email_verified = @verified WHERE email = @email2',
        { new_email2: newEmail, verified: Boolean(verified), email2: email });
      return result.count > 0;
    });
  } catch (error) {
    console.error('changeEmail: could not update the users table:', error.message);
    return callback(new Error('The e-mail address could not be changed.'));
  }
  if (outcome === 'taken') return callback(new Error('Another user already has this e-mail address.'));
  return callback(null, outcome);
}
