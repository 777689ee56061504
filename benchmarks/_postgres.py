"""What every benchmark needs from PostgreSQL: the server DATABASE_URL points to, and a fresh
database of its own on it, created before the run and dropped after it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def migrated_database(config: dict, name: str, *, keep: bool) -> Iterator[str]:
    """Create database ``name``, set Django up on it (DATABASE_URL must already name it) and
    migrate it; yield a line saying so (server version, migration time, CPUs, load). At the
    end the connection is closed and the database dropped, unless ``keep``."""
    create_database(config, name)
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        started = time.monotonic()
        call_command("migrate", verbosity=0)  # also installs the default pipelines and SLAs
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        yield (
            f"PostgreSQL {version}, database {name} migrated in "
            f"{time.monotonic() - started:.1f} s; {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f} (other work on the machine shows in the figures)"
        )
        connection.close()
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            drop_database(config, name)
