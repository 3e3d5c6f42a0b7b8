// Create (legacy mode, MongoDB): a signup writes the new user into the legacy store.
//
//   callback(null)                                      created
//   callback(new ValidationError('user_exists', ...))   the e-mail address is taken
//   callback(new Error(message))                        missing fields, or the store could not be written
// The bcrypt cost comes from configuration.BCRYPT_ROUNDS (default 10).
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret), BCRYPT_ROUNDS.
async function create(user, callback) {
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

  const email = String(user.email || '').trim();
  const password = user.password || '';
  if (!email || !password) return callback(new Error('An e-mail address and a password are required.'));
  const rounds = parseInt(configuration.BCRYPT_ROUNDS || '10', 10);
  let exists;
  try {
    exists = await withDatabase(async () => {
      if (await users.findOne({ email }, byEmail)) return true;
      await users.insertOne({
        email,
        username: user.username || null,
        password_hash: await bcrypt.hash(password, rounds),
        nickname: user.nickname || email.split('@')[0],
        email_verified: false,
        migrated: false,
        created_at: new Date(),
      });
      return false;
    });
  } catch (error) {
    console.error('create: could not write the users collection:', error.message);
    return callback(new Error('The user could not be created.'));
  }
  if (exists) return callback(new ValidationError('user_exists', 'A user with this e-mail address already exists.'));
  return callback(null);
}
