// Verify (legacy mode, SQL Server): the user clicked the verification link; mark the e-mail verified.
//
//   callback(null, true)          verified
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function verify(email, callback) {
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

  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET email_verified = 1 WHERE email = @email', { email })).count);
  } catch (error) {
    console.error('verify: could not update the users table:', error.message);
    return callback(new Error('The e-mail address could not be verified.'));
  }
  return callback(null, changed > 0);
}
