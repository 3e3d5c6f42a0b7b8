// Verify (legacy mode, MySQL/MariaDB): the user clicked the verification link; mark the e-mail verified.
//
//   callback(null, true)          verified
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function verify(email, callback) {
  const mysql = require('mysql2/promise');
  // one statement; params in the order of their ?
  let connection;
  const run = async (sql, params) => {
    const [result] = await connection.execute(sql, Object.values(params).map((v) => (v === undefined ? null : v)));
    return Array.isArray(result) ? { rows: result, count: result.length } : { rows: [], count: result.affectedRows };
  };
  // connect, do the work, and close the connection whatever happens
  const withDatabase = async (work) => {
    connection = await mysql.createConnection({ uri: configuration.DATABASE_URL, password: configuration.DATABASE_PASSWORD });
    try {
      return await work();
    } finally {
      await connection.end().catch(() => {});
    }
  };

  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET email_verified = TRUE WHERE email = ?', { email })).count);
  } catch (error) {
    console.error('verify: could not update the users table:', error.message);
    return callback(new Error('The e-mail address could not be verified.'));
  }
  return callback(null, changed > 0);
}
