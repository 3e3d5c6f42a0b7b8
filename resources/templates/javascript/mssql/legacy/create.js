// Create (legacy mode, SQL Server): a signup writes the new user into the legacy store.
//
//   callback(null)                                      created
//   callback(new ValidationError('user_exists', ...))   the e-mail address is taken
//   callback(new Error(message))                        missing fields, or the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function create(user, callback) {
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

  const email = String(user.email || '').trim();
  const password = user.password || '';
  if (!email || !password) return callback(new Error('An e-mail address and a password are required.'));
  const rounds = parseInt(configuration.BCRYPT_ROUNDS || '10', 10);
  let exists;
  try {
    exists = await withDatabase(async () => {
      const found = await run('SELECT TOP 1 id FROM users WHERE email = @email', { email });
      if (found.rows.length) return true;
      await run(
        'INSERT INTO users (email, username, password_hash, nickname, email_verified, migrated, created_at) VALUES (@email, @username, @password_hash, @nickname, 0, 0, CURRENT_TIMESTAMP)',
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
