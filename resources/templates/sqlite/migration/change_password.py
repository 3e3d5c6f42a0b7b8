"""Change Password (automatic migration, SQLite): the password reset of a user not yet migrated.

The platform calls it when such a user confirms a password reset, after Get User found them. When
it answers True the platform creates the user from Get User's profile with the new password, and
every later login is the platform's own: this is where a reset migrates the user, so this is where
the user is marked migrated (Get User never marks: the platform also calls it for lookups that
create nobody). A user the platform already has never reaches this script.
  callback(None, True)           changed and marked migrated: the platform creates the user now
  callback(None, False)          no such user, or already migrated: nothing changed
  callback(Exception(message))   the store could not be written: nothing changed
The new hash and the mark are one UPDATE, so a reset that fails leaves the user as they were
(they can still log in with the old password, or reset again), never marked without the platform
having them. The bcrypt cost comes from configuration["BCRYPT_ROUNDS"] (default 10).
Injected by the runtime: db, text, bcrypt, log, configuration and the error classes.
"""


def change_password(email, new_password, callback):
    rounds = int(configuration.get("BCRYPT_ROUNDS", "10"))
    password_hash = bcrypt.hashpw(new_password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")
    try:
        row = db.execute(
            text(
                "SELECT id, migrated "
                "FROM users WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
        if row is None or row.migrated:  # Get User answered "not found" for both: nothing to reset
            return callback(None, False)
        marked = db.execute(
            text(
                "UPDATE users SET password_hash = :password_hash, migrated = 1, "
                "migrated_at = CURRENT_TIMESTAMP WHERE id = :id AND migrated = 0"
            ),
            {"id": row.id, "password_hash": password_hash},
        ).rowcount
    except Exception as error:  # not changed and not marked: the platform creates nobody
        log.error("change_password: could not update the users table: %s", error)
        return callback(Exception("The password could not be changed."))
    return callback(None, marked == 1)  # 0: a concurrent login or reset migrated the user first
