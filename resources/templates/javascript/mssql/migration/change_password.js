// Change Password (automatic migration, SQL Server): the password reset of a user not yet migrated.
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
  let marked;
  try {
    marked = await withDatabase(async () => {
      const row = (await run(
        'SELECT TOP 1 id, migrated FROM users WHERE email = @email ORDER BY id', { email })).rows[0];
      if (!row || row.migrated) return 0; // Get User answered "not found" for both
      return (await run(
        'UPDATE users SET password_hash = @password_hash, migrated = 1, migrated_at = CURRENT_TIMESTAMP WHERE id = @id AND migrated = 0', { password_hash: passwordHash, id: row.id })).count;
    });
  } catch (error) { // not changed and not marked: the platform creates nobody
    console.error('changePassword: could not update the users table:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, marked === 1); // 0: a concurrent login or reset migrated the user first
}
