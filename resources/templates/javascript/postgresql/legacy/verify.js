// Verify (legacy mode, PostgreSQL): the user clicked the verification link; mark the e-mail verified.
//
//   callback(null, true)          verified
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function verify(email, callback) {
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

  let changed;
  try {
    changed = await withDatabase(async () => (await run(
      'UPDATE users SET email_verified = true WHERE lower(email) = lower($1)', { email })).count);
  } catch (error) {
    console.error('verify: could not update the users table:', error.message);
    return callback(new Error('The e-mail address could not be verified.'));
  }
  return callback(null, changed > 0);
}
