"""Get User (automatic migration, PostgreSQL): look up a user the platform does not have yet.

The platform calls it on signup (exists -> refuse), identifier-first login, management API calls
(e-mail change, create user: is the address taken?) and password reset (then Change Password runs
and the platform creates the user from this profile with the new password). Only a reset that
Change Password confirms creates anybody.
  callback(None, profile)        the user exists and has not migrated
  callback(None)                 no such user, or a user already migrated
  callback(Exception(message))   the store could not be asked

Why it never marks the user migrated: most of these calls only ask whether the user exists, and
the platform creates nobody then. A user marked here would be stranded: Login refuses a marked
user and Get User answers "not found" for one, so they could never log in or reset their password
again (and anyone typing their e-mail on the signup page could do that to them). The user is
marked where the platform really creates them: by Login when it hands them over, and by Change
Password when a reset migrates them.

Why a user already marked migrated is "not found": the platform only asks about users it does not
have. A marked user was copied there once and has since been deleted on purpose; returning a
profile would let a password reset re-create them ("deleted users come back"), whereas "not found"
lets a fresh signup with that address go ahead as a new user.
Injected by the runtime: db, text, log, configuration and the error classes.
"""


def get_user(email, callback):
    try:
        row = db.execute(
            text(
                "SELECT id, email, username, nickname, email_verified, migrated "
                "FROM users WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
    except Exception as error:  # unreachable store or failed query: a failure, not "not found"
        log.error("get_user: could not query the users table: %s", error)
        return callback(Exception("The user store could not be reached."))
    if row is None:
        return callback(None)
    if row.migrated:  # copied to the platform once and deleted there since: see the note above
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
