-- The legacy users table the templates expect (SQL Server 2016+). Run it once:
--   sqlcmd -d legacy -i schema.sql
-- The default *_CI_* collation compares e-mails case-insensitively, so a plain index serves the
-- templates' `email = :email`.
IF OBJECT_ID(N'dbo.users', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.users (
        id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
        email NVARCHAR(320) NULL,
        username NVARCHAR(255) NULL,
        password_hash NVARCHAR(255) NOT NULL,
        nickname NVARCHAR(255) NULL,
        email_verified BIT NOT NULL DEFAULT 0,
        migrated BIT NOT NULL DEFAULT 0,
        migrated_at DATETIME2 NULL,
        created_at DATETIME2 NOT NULL DEFAULT CURRENT_TIMESTAMP
    );
    CREATE INDEX users_email ON dbo.users (email);
END;
