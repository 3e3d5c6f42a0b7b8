-- The legacy users table the templates expect (MySQL 8 / MariaDB 10.5+). Run it once:
--   mysql legacy < schema.sql
-- The default utf8mb4 *_ci collation compares e-mails case-insensitively, so a plain index serves
-- the templates' `email = :email`.
CREATE TABLE IF NOT EXISTS users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(320) NULL,
    username VARCHAR(255) NULL,
    password_hash VARCHAR(255) NOT NULL,
    nickname VARCHAR(255) NULL,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    migrated BOOLEAN NOT NULL DEFAULT FALSE,
    migrated_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
