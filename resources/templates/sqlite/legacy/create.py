"""Create (legacy mode, SQLite): add a user who signs up to the legacy `users` table.

The platform calls it on signup after Get User found nobody, then calls Login to confirm.
  callback(None)                                      created
  callback(ValidationError("user_exists", message))   the e-mail is taken (logged as `fs`)
  callback(Exception(message))                        the store could not be written
`user` carries at least `email` and `password`; `username` when the connection requires one.
The bcrypt cost comes from configuration["BCRYPT_ROUNDS"] (default 10).
"""


def create(user, callback):
    email = (user.get("email") or "").strip()
    password = user.get("password") or ""
    if not email or not password:
        return callback(Exception("An e-mail address and a password are required."))
    rounds = int(configuration.get("BCRYPT_ROUNDS", "10"))
    try:
        existing = db.execute(
            text("SELECT id FROM users WHERE lower(email) = lower(:email) LIMIT 1"),
            {"email": email},
        ).first()
        if existing is None:
            password_hash = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")
            db.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, nickname, email_verified, "
                    "migrated, created_at) VALUES (:email, :username, :password_hash, :nickname, "
                    "0, 0, CURRENT_TIMESTAMP)"
                ),
                {
                    "email": email,
                    "username": user.get("username"),
                    "password_hash": password_hash,
                    "nickname": user.get("nickname") or email.split("@")[0],
                },
            )
    except Exception as error:
        log.error("create: could not write the users table: %s", error)
        return callback(Exception("The user could not be created."))
    if existing is not None:
        return callback(ValidationError("user_exists", "A user with this e-mail address already exists."))
    return callback(None)
