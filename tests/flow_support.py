"""A legacy store on the private PostgreSQL test server, seeded with the sample users, and a project
that reaches it with the PostgreSQL templates (the database password only in the test keychain)."""

from __future__ import annotations

import secrets as pysecrets
from pathlib import Path

import sqlalchemy
from sqlalchemy import text

from app.domain.project import Project, load_project
from app.domain.scripts import Mode
from app.domain.templates import schema_path, template_keys, template_source
from app.engine.sample import generate_rows
from app.engine.secrets import DATABASE_PASSWORD, set_secret


def pg_store(pg, users: int = 40) -> tuple[str, str]:
    """(project URL without password, admin URL with it) of a fresh database holding the sample users."""
    database = f"flows_{pysecrets.token_hex(4)}"
    with pg.admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{database}" OWNER "{pg.user}"')
    url = f"postgresql+psycopg://{pg.user}@127.0.0.1:{pg.port}/{database}"
    admin = sqlalchemy.engine.make_url(url).set(password=pg.password).render_as_string(hide_password=False)
    engine = sqlalchemy.create_engine(admin, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.begin() as conn:
            body = "\n".join(line for line in schema_path("postgresql").read_text(encoding="utf-8").splitlines()
                             if not line.lstrip().startswith("--"))
            for statement in (s.strip() for s in body.split(";")):
                if statement:
                    conn.exec_driver_sql(statement)
            conn.execute(text(
                "INSERT INTO users (id, email, username, password_hash, nickname, email_verified, migrated, "
                "migrated_at, created_at) VALUES (:id, :email, :username, :hash, :nickname, :verified, "
                ":migrated, NULL, :created)"),
                [{"id": r[0], "email": r[1], "username": r[2], "hash": r[3], "nickname": r[4],
                  "verified": bool(r[5]), "migrated": False, "created": r[8]} for r in generate_rows(users)])
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))")
    finally:
        engine.dispose()
    return url, admin


def pg_project(root: Path, pg, mode: Mode, users: int = 40) -> tuple[Project, str]:
    """(project, admin URL) for a new project on a fresh PostgreSQL legacy store."""
    url, admin = pg_store(pg, users)
    project = Project(root=root, name=f"postgresql {mode}", mode=mode, database_url=url)
    project.save()
    for key in template_keys(mode):
        project.write_script(key, template_source("postgresql", mode, key))
    project = load_project(root)
    set_secret(project, DATABASE_PASSWORD, pg.password)
    return project, admin


def table_rows(admin_url: str) -> list[tuple]:
    engine = sqlalchemy.create_engine(admin_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM users ORDER BY id"))]
    finally:
        engine.dispose()
