// Change Password (automatic migration, MongoDB): the password reset of a user not yet migrated.
//
// The platform calls it when such a user confirms a password reset, after Get User found them. When
// it answers true the platform creates the user from Get User's profile with the new password, and
// every later login is the platform's own: this is where a reset migrates the user, so this is where
// the user is marked migrated (Get User never marks).
//   callback(null, true)          changed and marked migrated: the platform creates the user now
//   callback(null, false)         no such user, or already migrated: nothing changed
//   callback(new Error(message))  the store could not be written: nothing changed
// The new hash and the mark are one write, so a reset that fails leaves the user as they were.
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
  let marked;
  try {
    marked = await withDatabase(async () => {
      const row = await users.findOne({ email }, byEmail);
      if (!row || row.migrated) return 0; // Get User answered "not found" for both
      return (await users.updateOne({ _id: row._id, migrated: { $ne: true } },
        { $set: { password_hash: passwordHash, migrated: true, migrated_at: new Date() } })).modifiedCount;
    });
  } catch (error) { // not changed and not marked: the platform creates nobody
    console.error('changePassword: could not update the users collection:', error.message);
    return callback(new Error('The password could not be changed.'));
  }
  return callback(null, marked === 1); // 0: a concurrent login or reset migrated the user first
}
