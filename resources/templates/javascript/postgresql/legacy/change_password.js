// Change Password (legacy mode, PostgreSQL): store the new password's bcrypt hash.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
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
  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET password_hash = $1 WHERE lower(email) = lower($2)',
      { password_hash: passwordHash, email })).count);
  } catch (error) {
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, changed > 0);
}
