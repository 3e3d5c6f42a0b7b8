// Get User (legacy mode, MongoDB): look a user up by e-mail in the legacy users collection.
//
// The platform calls it on signup (exists -> refuse), password reset, e-mail change and some
// management API calls.
//   callback(null, profile)       the user exists
//   callback(null)                no such user
//   callback(new Error(message))  the store could not be asked
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function getUser(email, callback) {
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

  let row;
  try {
    row = await withDatabase(() => users.findOne({ email }, byEmail));
  } catch (error) { // unreachable store or failed query: a failure, not "not found"
    console.error('getUser: could not query the users collection:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (!row) return callback(null);
  return callback(null, profile(row));

  // The user as the platform will store it. Login builds exactly the same profile, and the
  // password hash never leaves the database.
  function profile(row) {
    const user = {
      user_id: 'legacy|' + row._id.toString(),
      email: row.email,
      nickname: row.nickname,
      email_verified: Boolean(row.email_verified),
    };
    if (row.username) user.username = row.username;
    return user;
  }
}
