// Login (legacy mode, MongoDB): check an e-mail and password against the legacy users collection.
//
// The platform calls it on every password login, and right after Create to confirm a signup.
//   callback(null, profile)                              the password is right
//   callback(new WrongUsernameOrPasswordError(email))    wrong password (logged as `fp`)
//   callback(new WrongUsernameOrPasswordError())         unknown user (logged as `fu`)
//   callback(new Error(message))                         the store could not be asked
// configuration: DATABASE_URL, DATABASE_PASSWORD (secret).
async function login(email, password, callback) {
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

  let row;
  try {
    row = await withDatabase(() => users.findOne({ email }, byEmail));
  } catch (error) { // unreachable store or failed query: a failure, not a "no"
    console.error('login: could not query the users collection:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (!row) return callback(new WrongUsernameOrPasswordError(undefined, 'Wrong email or password.'));
  if (!(await passwordMatches(password, row.password_hash))) {
    return callback(new WrongUsernameOrPasswordError(email, 'Wrong email or password.'));
  }
  return callback(null, profile(row));

  // bcrypt check; a hash that is not bcrypt (an old md5, say) never matches instead of crashing
  async function passwordMatches(password, passwordHash) {
    try {
      return await bcrypt.compare(password, passwordHash);
    } catch (error) {
      console.warn("login: the stored password hash is not bcrypt; reset this user's password");
      return false;
    }
  }

  // The user as the platform will store it. Get User builds exactly the same profile, and the
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
