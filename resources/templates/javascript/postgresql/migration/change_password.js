// Change Password (automatic migration, PostgreSQL): the password reset of a user not yet migrated.
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
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DATABASE_URL, password: configuration.DATABASE_PASSWORD });
  // one statement; params in the order of their $n
  const run = async (sql, params) => {
    const result = await client.query(sql, Object.values(params));
    return { rows: result.rows, count: result.rowCount };
  };
  // connect, do the work, and close the connection whatever happens
  const withDatabase = async (work) => {
    try {
      await client.connect();
      return await work();
    } finally {
      await client.end().catch(() => {});
    }
  };

  const passwordHash = await bcrypt.hash(newPassword, parseInt(configuration.BCRYPT_ROUNDS || '10', 10));
  let marked;
  try {
    marked = await withDatabase(async () => {
      const row = (await run(
        'SELECT id, migrated FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 1', { email })).rows[0];
      if (!row || row.migrated) return 0; // Get User answered "not found" for both
      return (await run(
        'UPDATE users SET password_hash = $1, migrated = true, migrated_at = CURRENT_TIMESTAMP WHERE id = $2 AND migrated = false', { password_hash: passwordHash, id: row.id })).count;
    });
  } catch (error) { // not changed and not marked: the platform creates nobody
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, marked === 1); // 0: a concurrent login or reset migrated the user first
}
