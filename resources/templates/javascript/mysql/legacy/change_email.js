// Change Email (legacy mode, MySQL/MariaDB): the user's e-mail address changed on the platform.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the new address is taken, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
// E-mails compare case-insensitively under MySQL's default *_ci collations, so `email = :email`
// uses the index; with a case-sensitive (_bin/_cs) collation compare LOWER(email) instead.
async function changeEmail(email, newEmail, verified, callback) {
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const taken = await run(
        'SELECT id FROM users WHERE email = ? AND NOT (email = ?) LIMIT 1',
        { new_email: newEmail, email });
      if (taken.rows.length) return 'taken';
      const result = await run(
        'UPDATE users SET email = ?, email_verified = ? WHERE email = ?',
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
