// Create (legacy mode, MySQL/MariaDB): a signup writes the new user into the legacy store.
//
//   callback(null)                                      created
//   callback(new ValidationError('user_exists', ...))   the e-mail address is taken
//   callback(new Error(message))                        missing fields, or the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function create(user, callback) {
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

  const email = String(user.email || '').trim();
  const password = user.password || '';
  if (!email || !password) return callback(new Error('An e-mail address and a password are required.'));
  const rounds = parseInt(configuration.BCRYPT_ROUNDS || '10', 10);
  let exists;
  try {
    exists = await withDatabase(async () => {
      const found = await run('SELECT id FROM users WHERE email = ? LIMIT 1', { email });
      if (found.rows.length) return true;
      await run(
        'INSERT INTO users (email, username, password_hash, nickname, email_verified, migrated, created_at) VALUES (?, ?, ?, ?, FALSE, FALSE, CURRENT_TIMESTAMP)',
        {
          email,
          username: user.username || null,
          password_hash: await bcrypt.hash(password, rounds),
          nickname: user.nickname || email.split('@')[0],
        });
      return false;
    });
  } catch (error) {
    console.error('create: could not write the users table:', error.message);
    return callback(new Error('The user could not be created.'));
  }
  if (exists) return callback(new ValidationError('user_exists', 'A user with this e-mail address already exists.'));
  return callback(null);
}
