// Get User (automatic migration, MySQL/MariaDB): look up a user the platform does not have yet.
//
// The platform calls it on signup (exists -> refuse), identifier-first login, management API calls
// (e-mail change, create user: is the address taken?) and password reset (then Change Password runs
// and the platform creates the user from this profile with the new password).
//   callback(null, profile)       the user exists and has not migrated
//   callback(null)                no such user, or a user already migrated
//   callback(new Error(message))  the store could not be asked
// Why it never marks the user migrated: most of these calls only ask whether the user exists, and
// the platform creates nobody then. A user marked here would be stranded: Login refuses a marked
// user and Get User answers "not found" for one, so they could never log in or reset their password
// again. The user is marked where the platform really creates them: by Login when it hands them
// over, and by Change Password when a reset migrates them.
// Why a migrated user is "not found": the platform only asks about users it does not have. A marked
// user was copied there once and has since been deleted on purpose; a profile here would let a
// password reset re-create them, whereas "not found" lets a fresh signup go ahead as a new user.
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
      'SELECT id, email, username, nickname, email_verified, migrated FROM users WHERE email = ? ORDER BY id LIMIT 1', { email })).rows[0]);
  } catch (error) { // unreachable store or failed query: a failure, not "not found"
    console.error('getUser: could not query the users table:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (!row) return callback(null);
  if (row.migrated) { // copied to the platform once and deleted there since: see above
    console.log('getUser: legacy user ' + row.id + ' is already migrated; answering not found');
    return callback(null);
  }
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
