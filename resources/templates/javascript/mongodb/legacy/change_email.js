// Change Email (legacy mode, MongoDB): the user's e-mail address changed on the platform.
//
//   callback(null, true)          changed
//   callback(null, false)         no such user
//   callback(new Error(message))  the new address is taken, or the store could not be written
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function changeEmail(email, newEmail, verified, callback) {
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const taken = await users.findOne({ email: newEmail }, byEmail);
      if (taken && taken.email.toLowerCase() !== String(email).toLowerCase()) return 'taken';
      const result = await users.updateOne({ email }, { $set: { email: newEmail, email_verified: Boolean(verified) } }, byEmail);
      return result.matchedCount > 0;
    });
  } catch (error) {
    console.error('changeEmail: could not update the users collection:', error.message);
    return callback(new Error('The e-mail address could not be changed.'));
  }
  if (outcome === 'taken') return callback(new Error('Another user already has this e-mail address.'));
  return callback(null, outcome);
}
