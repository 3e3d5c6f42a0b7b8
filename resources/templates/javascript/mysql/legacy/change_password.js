// Change Password (legacy mode, MySQL/MariaDB): store the new password's bcrypt hash.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function changePassword(email, newPassword, callback) {
  const bcrypt = require('bcrypt');
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

  const passwordHash = await bcrypt.hash(newPassword, parseInt(configuration.BCRYPT_ROUNDS || '10', 10));
  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET password_hash = ? WHERE email = ?',
      { password_hash: passwordHash, email })).count);
  } catch (error) {
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, changed > 0);
}
