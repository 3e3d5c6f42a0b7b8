"""Change Email (legacy mode, SQL Server): move a user to a new e-mail address.

The platform calls it on an e-mail change, after Get User found the user.
  callback(None, True)           changed
  callback(None, False)          no such user
  callback(Exception(message))   the new address belongs to someone else, or the store failed
E-mails compare case-insensitively under SQL Server's default *_CI_* collations, so
`email = :email` uses the index; with a case-sensitive collation compare LOWER(email) instead.
"""


def change_email(email, new_email, verified, callback):
    try:
        taken = db.execute(
            text(
                "SELECT TOP 1 id FROM users WHERE email = :new_email "
                "AND NOT (email = :email)"
            ),
            {"email": email, "new_email": new_email},
        ).first()
        result = None
        if taken is None:
            result = db.execute(
                text("UPDATE users SET email = :new_email, email_verified = :verified WHERE email = :email"),
                {"email": email, "new_email": new_email, "verified": bool(verified)},
            )
    except Exception as error:
        log.error("change_email: could not update the users table: %s", error)
        return callback(Exception("The e-mail address could not be changed."))
    if taken is not None:
        return callback(Exception("Another user already has this e-mail address."))
    return callback(None, result.rowcount > 0)
