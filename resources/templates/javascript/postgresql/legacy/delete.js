// Delete (legacy mode, PostgreSQL): the user was deleted on the platform; delete the legacy copy.
//
//   callback(null)                deleted (or there was nothing to delete)
//   callback(new Error(message))  not a legacy user id, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function deleteUser(id, callback) {
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

  const legacyId = String(id).split('|').pop().trim();
  if (!/^\d+$/.test(legacyId)) return callback(new Error('Not a legacy user id: ' + id));
  try {
    await withDatabase(() => run('DELETE FROM users WHERE id = $1', { id: Number(legacyId) }));
  } catch (error) {
    console.error('deleteUser: could not delete from the users table:', error.message);
    return callback(new Error('The user could not be deleted.'));
  }
  return callback(null);
}
