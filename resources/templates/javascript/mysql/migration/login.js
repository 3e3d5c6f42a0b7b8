// Login (automatic migration, MySQL/MariaDB): check an e-mail and password against the legacy users
// table and hand the user over to the platform, which then stores them with the same id and password.
//
// The platform calls it only for users it does not have yet.
//   callback(null, profile)                              migrate this user
//   callback(new WrongUsernameOrPasswordError(email))    wrong password (logged as `fp`)
//   callback(new WrongUsernameOrPasswordError())         unknown or already migrated user (logged as `fu`)
//   callback(new Error(message))                         the store could not be asked
// Best practices kept here: the legacy user is never deleted (delete later, in a separate job, once
// the migration is over), and is marked migrated before we answer, so a user deleted from the
// platform's store cannot come back through this script. The mark is made only once the password
// matched, right before the platform creates the user: a wrong password or an error marks nothing,
// so the user can always try again (Get User never marks; Change Password marks on a reset).
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const row = (await run(
        'SELECT id, email, username, nickname, email_verified, password_hash, migrated FROM users WHERE email = ? ORDER BY id LIMIT 1', { email })).rows[0];
      if (!row) return { unknown: true };
      // The platform only calls Login for users it does not have. A migrated one was copied there
      // once and has since been deleted on purpose: migrating again would bring them back.
      if (row.migrated) return { migrated: row };
      if (!(await passwordMatches(password, row.password_hash))) return { wrong: true };
      const marked = (await run(
        'UPDATE users SET migrated = TRUE, migrated_at = CURRENT_TIMESTAMP WHERE id = ? AND migrated = FALSE',
        { id: row.id })).count;
      // 0: a concurrent login migrated this user between our read and our write
      return marked === 1 ? { user: row } : { migrated: row };
    });
  } catch (error) { // not marked: do not migrate, or a later deletion could be undone
    console.error('login: could not query or mark the users table:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (outcome.migrated) {
    console.log('login: legacy user ' + outcome.migrated.id + ' is already migrated; not migrating again');
  }
  if (outcome.unknown || outcome.migrated) return callback(new WrongUsernameOrPasswordError(undefined, 'Wrong email or password.'));
  if (outcome.wrong) return callback(new WrongUsernameOrPasswordError(email, 'Wrong email or password.'));
  return callback(null, profile(outcome.user));

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
