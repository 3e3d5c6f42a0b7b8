// Change Password (legacy mode, MongoDB): store the new password's bcrypt hash.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function changePassword(email, newPassword, callback) {
  const bcrypt = require('bcrypt');
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

  const passwordHash = await bcrypt.hash(newPassword, parseInt(configuration.BCRYPT_ROUNDS || '10', 10));
  let changed;
  try {
    changed = await withDatabase(async () => (await users.updateOne({ email }, { $set: { password_hash: passwordHash } }, byEmail)).matchedCount);
  } catch (error) {
    console.error('changePassword: could not update the users collection:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, changed > 0);
}
