"""Get User (legacy mode, SQL Server): look a user up by e-mail in the legacy `users` table.

The platform calls it on signup (does the user exist?), password reset and e-mail change.
  callback(None, profile)        the user exists: the same profile Login returns
  callback(None)                 no such user
  callback(Exception(message))   the store could not be asked
Injected by the runtime: db, text, log, configuration and the error classes.
E-mails compare case-insensitively under SQL Server's default *_CI_* collations, so
`email = :email` uses the index; with a case-sensitive collation compare LOWER(email) instead.
"""


def get_user(email, callback):
    try:
        row = db.execute(
            text(
                "SELECT TOP 1 id, email, username, nickname, email_verified "
                "FROM users WHERE email = :email ORDER BY id"
            ),
            {"email": email},
        ).first()
    except Exception as error:  # unreachable store or failed query: a failure, not "not found"
        log.error("get_user: could not query the users table: %s", error)
        return callback(Exception("The user store could not be reached."))
    if row is None:
        return callback(None)
    return callback(None, profile(row))


def profile(row):
    """The user as the platform will store it. Login builds exactly the same dictionary, and the
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
