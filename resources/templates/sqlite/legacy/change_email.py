"""Change Email (legacy mode, SQLite): move a user to a new e-mail address.

The platform calls it on an e-mail change, after Get User found the user.
  callback(None, True)           changed
  callback(None, False)          no such user
  callback(Exception(message))   the new address belongs to someone else, or the store failed
"""


def change_email(email, new_email, verified, callback):
    try:
        taken = db.execute(
            text(
                "SELECT id FROM users WHERE lower(email) = lower(:new_email) "
                "AND NOT (lower(email) = lower(:email)) LIMIT 1"
            ),
            {"email": email, "new_email": new_email},
        ).first()
        result = None
        if taken is None:
            result = db.execute(
                text("UPDATE users SET email = :new_email, email_verified = :verified WHERE lower(email) = lower(:email)"),
                {"email": email, "new_email": new_email, "verified": bool(verified)},
            )
    except Exception as error:
        log.error("change_email: could not update the users table: %s", error)
        return callback(Exception("The e-mail address could not be changed."))
    if taken is not None:
        return callback(Exception("Another user already has this e-mail address."))
    return callback(None, result.rowcount > 0)
