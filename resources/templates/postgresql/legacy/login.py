"""Login (legacy mode, PostgreSQL): check an e-mail and password against the legacy `users` table.

The platform calls it on every password login, and right after Create to confirm a signup.
  callback(None, profile)                         the password is right
  callback(WrongUsernameOrPasswordError(email))   wrong password (logged as `fp`)
  callback(WrongUsernameOrPasswordError())        unknown user (logged as `fu`)
  callback(Exception(message))                    the store could not be asked
Injected by the runtime: db, text, bcrypt, log, configuration and the error classes.
"""


def login(email, password, callback):
    try:
        row = db.execute(
            text(
                "SELECT id, email, username, nickname, email_verified, password_hash "
                "FROM users WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
    except Exception as error:  # unreachable store or failed query: a failure, not a "no"
        log.error("login: could not query the users table: %s", error)
        return callback(Exception("The user store could not be reached."))
    if row is None:
        return callback(WrongUsernameOrPasswordError(None, "Wrong email or password."))
    if not password_matches(password, row.password_hash):
        return callback(WrongUsernameOrPasswordError(email, "Wrong email or password."))
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
