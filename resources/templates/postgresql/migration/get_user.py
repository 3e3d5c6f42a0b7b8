"""Get User (automatic migration, PostgreSQL): look up a user the platform does not have yet.

The platform calls it on signup (exists -> refuse), password reset (the user is then created
from this profile with the new password), e-mail change and some management API calls.
  callback(None, profile)        the user exists and is now marked migrated
  callback(None)                 no such user, or a user already migrated
  callback(Exception(message))   the store could not be asked

Why a user already marked migrated is "not found": the platform only asks about users it does not
have. A marked user was copied there once and has since been deleted on purpose; returning a
profile would let a password reset re-create them ("deleted users come back"), whereas "not found"
lets a fresh signup with that address go ahead as a new user.

Why Get User marks the user too: a profile returned here can become a platform user (password
reset creates it), so the legacy copy must be marked before we answer. The price: a lookup that
only served to refuse a signup marks the user as well. If such a user never reached the platform,
clear the flag (UPDATE users SET migrated = false WHERE id = ...) to let them migrate at their
next login.
Injected by the runtime: db, text, log, configuration and the error classes.
"""


def get_user(email, callback):
    marked = 0
    try:
        row = db.execute(
            text(
                "SELECT id, email, username, nickname, email_verified, migrated "
                "FROM users WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
        if row is not None and not row.migrated:
            marked = db.execute(
                text(
                    "UPDATE users SET migrated = true, migrated_at = CURRENT_TIMESTAMP "
                    "WHERE id = :id AND migrated = false"
                ),
                {"id": row.id},
            ).rowcount
    except Exception as error:  # unreachable store or failed query: a failure, not "not found"
        log.error("get_user: could not query or mark the users table: %s", error)
        return callback(Exception("The user store could not be reached."))
    if row is None:
        return callback(None)
    if marked != 1:  # already migrated (now or by a concurrent call): see the note above
        log.info("get_user: legacy user %s is already migrated; answering not found", row.id)
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
