"""What every benchmark needs from PostgreSQL: the server DATABASE_URL points to, and a fresh
database of its own on it, created before the run and dropped after it."""

from __future__ import annotations

import os
import sys

import dj_database_url


def server_settings(why: str) -> dict:
    """The server's settings from DATABASE_URL; exit with a message unless it is PostgreSQL
    (``why`` says why this benchmark needs it)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(
            f"This benchmark runs on PostgreSQL only ({why}). "
            f"DATABASE_URL points to {config['ENGINE']}."
        )
    return config


def database_url(config: dict, name: str) -> str:
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{name}"


def admin_connection(config: dict):
    import psycopg

    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def create_database(config: dict, name: str) -> None:
    from psycopg import sql

    with admin_connection(config) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(config: dict, name: str) -> None:
    from psycopg import sql

    with admin_connection(config) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
