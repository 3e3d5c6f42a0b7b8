// Delete (legacy mode, MySQL/MariaDB): the user was deleted on the platform; delete the legacy copy.
//
//   callback(null)                deleted (or there was nothing to delete)
//   callback(new Error(message))  not a legacy user id, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function deleteUser(id, callback) {
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

  const legacyId = String(id).split('|').pop().trim();
  if (!/^\d+$/.test(legacyId)) return callback(new Error('Not a legacy user id: ' + id));
  try {
    await withDatabase(() => run('DELETE FROM users WHERE id = ?', { id: Number(legacyId) }));
  } catch (error) {
    console.error('deleteUser: could not delete from the users table:', error.message);
    return callback(new Error('The user could not be deleted.'));
  }
  return callback(null);
}
