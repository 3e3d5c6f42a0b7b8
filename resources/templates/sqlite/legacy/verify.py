"""Verify (legacy mode, SQLite): mark a user's e-mail address as verified.

The platform calls it when the user follows the verification link.
  callback(None, True)           verified
  callback(None, False)          no such user
  callback(Exception(message))   the store could not be written
The profile's email_verified comes from Login and Get User, which read the column set here.
"""


def verify(email, callback):
    try:
        result = db.execute(
            text("UPDATE users SET email_verified = 1 WHERE lower(email) = lower(:email)"),
            {"email": email},
        )
    except Exception as error:
        log.error("verify: could not update the users table: %s", error)
        return callback(Exception("The e-mail address could not be verified."))
    return callback(None, result.rowcount > 0)
