// Get User (legacy mode, PostgreSQL): look a user up by e-mail in the legacy users table.
//
// The platform calls it on signup (exists -> refuse), password reset, e-mail change and some
// management API calls.
//   callback(null, profile)       the user exists
//   callback(null)                no such user
//   callback(new Error(message))  the store could not be asked
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function getUser(email, callback) {
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

  let row;
  try {
    row = await withDatabase(async () => (await run(
      'SELECT id, email, username, nickname, email_verified FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 1', { email })).rows[0]);
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
