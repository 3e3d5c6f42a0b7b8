// Get User (legacy mode, MySQL/MariaDB): look a user up by e-mail in the legacy users table.
//
// The platform calls it on signup (exists -> refuse), password reset, e-mail change and some
// management API calls.
//   callback(null, profile)       the user exists
//   callback(null)                no such user
//   callback(new Error(message))  the store could not be asked
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
// E-mails compare case-insensitively under MySQL's default *_ci collations, so `email = :email`
// uses the index; with a case-sensitive (_bin/_cs) collation compare LOWER(email) instead.
async function getUser(email, callback) {
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

  let row;
  try {
    row = await withDatabase(async () => (await run(
      'SELECT id, email, username, nickname, email_verified FROM users WHERE email = ? ORDER BY id LIMIT 1', { email })).rows[0]);
  } catch (error) { // unreachable store or failed query: a failure, not "not found"
    console.error('getUser: could not query the users table:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (!row) return callback(null);
  return callback(null, profile(row));

  // The user as the platform will store it. Login builds exactly the same profile, and the
  // password hash never leaves the database.
  function profile(row) {
    const user = {
      user_id: 'legacy|' + row.id,
      email: row.email,
      nickname: row.nickname,
      email_verified: Boolean(row.email_verified),
    };
    if (row.username) user.username = row.username;
    return user;
  }
}
