// Login (automatic migration, MongoDB): check an e-mail and password against the legacy users
// collection and hand the user over to the platform, which then stores them with the same id and password.
//
// The platform calls it only for users it does not have yet.
//   callback(null, profile)                              migrate this user
//   callback(new WrongUsernameOrPasswordError(email))    wrong password (logged as `fp`)
//   callback(new WrongUsernameOrPasswordError())         unknown or already migrated user (logged as `fu`)
//   callback(new Error(message))                         the store could not be asked
// Best practices kept here: the legacy user is never deleted (delete later, in a separate job, once
// the migration is over), and is marked migrated before we answer, so a user deleted from the
// platform's store cannot come back through this script. The mark is made only once the password
// matched, right before the platform creates the user: a wrong password or an error marks nothing,
// so the user can always try again (Get User never marks; Change Password marks on a reset).
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

  let outcome;
  try {
    outcome = await withDatabase(async () => {
      const row = await users.findOne({ email }, byEmail);
      if (!row) return { unknown: true };
      // The platform only calls Login for users it does not have. A migrated one was copied there
      // once and has since been deleted on purpose: migrating again would bring them back.
      if (row.migrated) return { migrated: row };
      if (!(await passwordMatches(password, row.password_hash))) return { wrong: true };
      const marked = (await users.updateOne({ _id: row._id, migrated: { $ne: true } },
        { $set: { migrated: true, migrated_at: new Date() } })).modifiedCount;
      // 0: a concurrent login migrated this user between our read and our write
      return marked === 1 ? { user: row } : { migrated: row };
    });
  } catch (error) { // not marked: do not migrate, or a later deletion could be undone
    console.error('login: could not query or mark the users collection:', error.message);
    return callback(new Error('The user store could not be reached.'));
  }
  if (outcome.migrated) {
    console.log('login: legacy user ' + outcome.migrated._id + ' is already migrated; not migrating again');
  }
  if (outcome.unknown || outcome.migrated) return callback(new WrongUsernameOrPasswordError(undefined, 'Wrong email or password.'));
  if (outcome.wrong) return callback(new WrongUsernameOrPasswordError(email, 'Wrong email or password.'));
  return callback(null, profile(outcome.user));

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
