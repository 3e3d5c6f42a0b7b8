"""Change Password (legacy mode, PostgreSQL): store a new bcrypt hash for a user.

The platform calls it on password reset, after Get User found the user.
  callback(None, True)           changed
  callback(None, False)          no such user
  callback(Exception(message))   the store could not be written
The bcrypt cost comes from configuration["BCRYPT_ROUNDS"] (default 10).
"""


def change_password(email, new_password, callback):
    rounds = int(configuration.get("BCRYPT_ROUNDS", "10"))
    password_hash = bcrypt.hashpw(new_password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")
    try:
        result = db.execute(
            text("UPDATE users SET password_hash = :password_hash WHERE lower(email) = lower(:email)"),
            {"email": email, "password_hash": password_hash},
        )
    except Exception as error:
        log.error("change_password: could not update the users table: %s", error)
        return callback(Exception("The password could not be changed."))
    return callback(None, result.rowcount > 0)
