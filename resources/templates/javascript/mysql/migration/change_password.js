// Change Password (automatic migration, MySQL/MariaDB): the password reset of a user not yet migrated.
//
// The platform calls it when such a user confirms a password reset, after Get User found them. When
// it answers true the platform creates the user from Get User's profile with the new password, and
// every later login is the platform's own: this is where a reset migrates the user, so this is where
// the user is marked migrated (Get User never marks).
//   callback(null, true)          changed and marked migrated: the platform creates the user now
//   callback(null, false)         no such user, or already migrated: nothing changed
//   callback(new Error(message))  the store could not be written: nothing changed
// The new hash and the mark are one write, so a reset that fails leaves the user as they were.
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
  let marked;
  try {
    marked = await withDatabase(async () => {
      const row = (await run(
        'SELECT id, migrated FROM users WHERE email = ? ORDER BY id LIMIT 1', { email })).rows[0];
      if (!row || row.migrated) return 0; // Get User answered "not found" for both
      return (await run(
        'UPDATE users SET password_hash = ?, migrated = TRUE, migrated_at = CURRENT_TIMESTAMP WHERE id = ? AND migrated = FALSE', { password_hash: passwordHash, id: row.id })).count;
    });
  } catch (error) { // not changed and not marked: the platform creates nobody
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, marked === 1); // 0: a concurrent login or reset migrated the user first
}
