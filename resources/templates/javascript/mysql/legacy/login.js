// Login (legacy mode, MySQL/MariaDB): check an e-mail and password against the legacy users table.
//
// The platform calls it on every password login, and right after Create to confirm a signup.
//   callback(null, profile)                              the password is right
//   callback(new WrongUsernameOrPasswordError(email))    wrong password (logged as `fp`)
//   callback(new WrongUsernameOrPasswordError())         unknown user (logged as `fu`)
//   callback(new Error(message))                         the store could not be asked
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
// E-mails compare case-insensitively under MySQL's default *_ci collations, so `email = :email`
// uses the index; with a case-sensitive (_bin/_cs) collation compare LOWER(email) instead.
async function login(email, password, callback) {
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

  let row;
  try {
    row = await withDatabase(async () => (await run(
      'SELECT id, email, username, nickname, email_verified, password_hash FROM users WHERE email = ? ORDER BY id LIMIT 1', { email })).rows[0]);
  } catch (error) { // unreachable store or failed query: a failure, not a "no"
    console.error('login: could not query the users table:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (!row) return callback(new WrongUsernameOrPasswordError(undefined, 'Wrong email or password.'));
  if (!(await passwordMatches(password, row.password_hash))) {
    return callback(new WrongUsernameOrPasswordError(email, 'Wrong email or password.'));
  }
  return callback(null, profile(row));

  // bcrypt check; a hash that is not bcrypt (an old md5, say) never matches instead of crashing
  async function passwordMatches(password, passwordHash) {
    try {
      return await bcrypt.compare(password, passwordHash);
    } catch (error) {
      console.warn("login: the stored password hash is not bcrypt; reset this user's password");
      return false;
    }
  }

  // The user as the platform will store it. Get User builds exactly the same profile, and the
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
