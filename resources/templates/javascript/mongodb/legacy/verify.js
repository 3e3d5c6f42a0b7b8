// Verify (legacy mode, MongoDB): the user clicked the verification link; mark the e-mail verified.
//
//   callback(null, true)          verified
//   callback(null, false)         no such user
//   callback(new Error(message))  the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function verify(email, callback) {
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

  let changed;
  try {
    changed = await withDatabase(async () => (await users.updateOne({ email }, { $set: { email_verified: true } }, byEmail)).matchedCount);
  } catch (error) {
    console.error('verify: could not update the users collection:', error.message);
    return callback(new Error('The e-mail address could not be verified.'));
  }
  return callback(null, changed > 0);
}
