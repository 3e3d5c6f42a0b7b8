// Delete (legacy mode, MongoDB): the user was deleted on the platform; delete the legacy copy.
//
//   callback(null)                deleted (or there was nothing to delete)
//   callback(new Error(message))  not a legacy user id, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function deleteUser(id, callback) {
  const { MongoClient, ObjectId } = require('mongodb');
  const url = new URL(configuration.DATABASE_URL);
  const auth = url.username ? { username: decodeURIComponent(url.username), password: configuration.DATABASE_PASSWORD } : undefined;
  url.username = '';
  const client = new MongoClient(url.toString(), auth ? { auth } : {});
  // e-mails compare case-insensitively, as the SQL templates' do
  const byEmail = { collation: { locale: 'en', strength: 2 } };
  let users;
  // connect, do the work, and close the connection whatever happens
  const withDatabase = async (work) => {
    try {
      await client.connect();
      users = client.db().collection('users');
      return await work();
    } finally {
      await client.close().catch(() => {});
    }
  };

  const legacyId = String(id).split('|').pop().trim();
  if (!ObjectId.isValid(legacyId)) return callback(new Error('Not a legacy user id: ' + id));
  try {
    await withDatabase(() => users.deleteOne({ _id: new ObjectId(legacyId) }));
  } catch (error) {
    console.error('deleteUser: could not delete from the users collection:', error.message);
    return callback(new Error('The user could not be deleted.'));
  }
  return callback(null);
}
