"""Settings from the environment: production hardening, DATABASE_URL and EMAIL_URL parsing."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from partnerdesk.settings import parse_email_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def prod_env(tmp_path):
    """A minimal, clean production environment (nothing inherited but PATH and HOME)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PARTNERDESK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "PARTNERDESK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PARTNERDESK_DATA_DIR": str(tmp_path / "data"),
    }


def run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_json(env, expression: str):
    """Import the real settings module under ``env`` and return ``expression`` as JSON."""
    code = (
        "import json, sys; sys.path.insert(0, 'src'); "
        "import partnerdesk.settings as s; "
        f"print(json.dumps({expression}, default=str))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_passes_in_production(prod_env):
    result = run(["manage.py", "check", "--deploy"], prod_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_without_secret_key_fails(prod_env):
    del prod_env["SECRET_KEY"]
    result = run(["manage.py", "check"], prod_env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_without_encryption_keys_fails(prod_env):
    del prod_env["PARTNERDESK_ENCRYPTION_KEYS"]
    result = run(["manage.py", "check"], prod_env)
    assert result.returncode != 0
    assert "PARTNERDESK_ENCRYPTION_KEYS" in result.stderr


def test_unknown_environment_name_fails(prod_env):
    prod_env["PARTNERDESK_ENV"] = "staging"
    result = run(["manage.py", "check"], prod_env)
    assert result.returncode != 0
    assert "PARTNERDESK_ENV" in result.stderr


def test_production_values(prod_env):
    prod_env["ALLOWED_HOSTS"] = " example.com , www.example.com ,"
    prod_env["PARTNERDESK_ENCRYPTION_KEYS"] = "k1,k2"
    prod_env["EMAIL_URL"] = "smtps://mailer:p%40ss@mail.example.com"
    values = settings_json(
        prod_env,
        "{'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'keys': s.PARTNERDESK_ENCRYPTION_KEYS,"
        " 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        " 'language_secure': s.LANGUAGE_COOKIE_SECURE,"
        " 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS,"
        " 'mail': s.MAILERS['default'], 'engine': s.DATABASES['default']['ENGINE'],"
        " 'options': s.DATABASES['default'].get('OPTIONS', {})}",
    )
    assert values["debug"] is False
    assert values["hosts"] == ["example.com", "www.example.com"]
    assert values["keys"] == ["k1", "k2"]
    assert values["session_secure"] is True
    assert values["csrf_secure"] is True
    assert values["language_secure"] is True
    assert values["ssl_redirect"] is True
    assert values["hsts"] >= 60 * 60 * 24 * 365
    assert values["mail"]["OPTIONS"]["password"] == "p@ss"
    assert values["mail"]["OPTIONS"]["use_ssl"] is True
    assert values["mail"]["OPTIONS"]["port"] == 465
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in values["options"]["init_command"]


def test_database_url_selects_postgres(prod_env):
    prod_env["DATABASE_URL"] = "postgres://pd:secret@db.internal:5433/partnerdesk"
    prod_env["CONN_MAX_AGE"] = "60"
    db = settings_json(prod_env, "s.DATABASES['default']")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == (
        "db.internal",
        5433,
        "partnerdesk",
        "pd",
        "secret",
    )
    assert db["CONN_MAX_AGE"] == 60
    # SQLite-only options are not applied to PostgreSQL.
    assert "transaction_mode" not in db.get("OPTIONS", {})


def test_development_defaults(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARTNERDESK_DATA_DIR": str(tmp_path / "data"),
    }
    values = settings_json(
        env,
        "{'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'secret': bool(s.SECRET_KEY),"
        " 'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
        " 'mail': s.MAILERS['default']['BACKEND']}",
    )
    assert values["debug"] is True
    assert "localhost" in values["hosts"]
    assert values["secret"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].startswith(str(tmp_path / "data"))
    assert values["mail"].endswith("console.EmailBackend")


# ---------------------------------------------------------------- EMAIL_URL


def test_smtp_url_with_tls():
    conf = parse_email_url("smtp://u:p@host:2525?tls=1")
    assert conf["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert conf["OPTIONS"] == {
        "host": "host",
        "port": 2525,
        "username": "u",
        "password": "p",
        "use_ssl": False,
        "use_tls": True,
        "timeout": 20,
    }


def test_smtp_defaults():
    options = parse_email_url("smtp://mail.example.com")["OPTIONS"]
    assert (options["host"], options["port"], options["use_tls"]) == ("mail.example.com", 25, False)
    assert (options["username"], options["password"]) == ("", "")


def test_smtps_and_escaped_credentials():
    options = parse_email_url("smtps://me%40example.com:p%3Aw%2Fd@mail.example.com?timeout=5")[
        "OPTIONS"
    ]
    assert options["username"] == "me@example.com"
    assert options["password"] == "p:w/d"
    assert options["port"] == 465
    assert options["use_ssl"] is True
    assert options["timeout"] == 5


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console:", "console"),
        ("locmem:", "locmem"),
        ("dummy:", "dummy"),
        ("file:/tmp/partnerdesk-mail", "filebased"),
    ],
)
def test_other_backends(url, backend):
    conf = parse_email_url(url)
    assert conf["BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"
    if backend == "filebased":
        assert conf["OPTIONS"]["file_path"] == "/tmp/partnerdesk-mail"  # noqa: S108


@pytest.mark.parametrize("url", ["sendgrid://key@x", "http://mail", "nonsense"])
def test_unsupported_scheme(url):
    with pytest.raises(ImproperlyConfigured):
        parse_email_url(url)
