"""Login (automatic migration, SQLite): check an e-mail and password against the legacy `users`
table and hand the user over to the platform, which then stores them with the same id and password.

The platform calls it only for users it does not have yet.
  callback(None, profile)                         migrate this user
  callback(WrongUsernameOrPasswordError(email))   wrong password (logged as `fp`)
  callback(WrongUsernameOrPasswordError())        unknown or already migrated user (logged as `fu`)
  callback(Exception(message))                    the store could not be asked
Best practices kept here: the legacy user is never deleted (delete later, in a separate job, once
the migration is over), and is marked migrated before we answer, so a user deleted from the
platform's store cannot come back through this script. The mark is made only once the password
matched, right before the platform creates the user: a wrong password or an error marks nothing,
so the user can always try again (Get User never marks; Change Password marks on a reset).
Injected by the runtime: db, text, bcrypt, log, configuration and the error classes.
"""


def login(email, password, callback):
    try:
        row = db.execute(
            text(
                "SELECT id, email, username, nickname, email_verified, password_hash, migrated "
                "FROM users WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
    except Exception as error:  # unreachable store or failed query: a failure, not a "no"
        log.error("login: could not query the users table: %s", error)
        return callback(Exception("The user store could not be reached."))
    if row is None:
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    if row.migrated:
        # The platform only calls Login for users it does not have. This one was copied there once
        # and has since been deleted on purpose: migrating again would bring them back.
        log.info("login: legacy user %s is already migrated; not migrating again", row.id)
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    if not password_matches(password, row.password_hash):
        return callback(WrongUsernameOrPasswordError(email, "Wrong email or password."))
    try:
        marked = db.execute(
            text(
                "UPDATE users SET migrated = 1, migrated_at = CURRENT_TIMESTAMP "
                "WHERE id = :id AND migrated = 0"
            ),
            {"id": row.id},
        ).rowcount
    except Exception as error:  # not marked: do not migrate, or a later deletion could be undone
        log.error("login: could not mark legacy user %s as migrated: %s", row.id, error)
        return callback(Exception("The user could not be migrated."))
    if marked != 1:  # a concurrent login migrated this user between our SELECT and UPDATE
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    return callback(None, profile(row))


def password_matches(password, password_hash):
    """bcrypt check; a hash that is not bcrypt (an old md5, say) never matches instead of crashing."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("utf-8"))
    except ValueError:
        log.warning("login: the stored password hash is not bcrypt; reset this user's password")
        return False


def profile(row):
    """The user as the platform will store it. Get User builds exactly the same dictionary, and the
    password hash never leaves the database."""
    user = {
        "user_id": f"legacy|{row.id}",
        "email": row.email,
        "nickname": row.nickname,
        "email_verified": bool(row.email_verified),
    }
    if row.username:
        user["username"] = row.username
    return user
