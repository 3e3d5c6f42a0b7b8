-- The legacy users table the templates expect (SQLite). The sample store is generated with it.
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT,
    username TEXT NULL,
    password_hash TEXT NOT NULL,
    nickname TEXT,
    email_verified INTEGER NOT NULL,
    migrated INTEGER NOT NULL DEFAULT 0,
    migrated_at TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_email_lower ON users (lower(email));
