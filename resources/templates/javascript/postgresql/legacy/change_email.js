// Change Email (legacy mode, PostgreSQL): the user's e-mail address changed on the platform.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the new address is taken, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function changeEmail(email, newEmail, verified, callback) {
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const taken = await run(
        'SELECT id FROM users WHERE lower(email) = lower($1) AND NOT (lower(email) = lower($2)) LIMIT 1',
        { new_email: newEmail, email });
      if (taken.rows.length) return 'taken';
      const result = await run(
        'UPDATE users SET email = $1, email_verified = $2 WHERE lower(email) = lower($3)',
        { new_email2: newEmail, verified: Boolean(verified), email2: email });
      return result.count > 0;
    });
  } catch (error) {
    console.error('changeEmail: could not update the users table:', error.message);
    return callback(new Error('The e-mail address could not be changed.'));
  }
  if (outcome === 'taken') return callback(new Error('Another user already has this e-mail address.'));
  return callback(null, outcome);
}
