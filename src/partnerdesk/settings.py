"""Settings, read from the environment.

Every value has a safe default for local use. ``PARTNERDESK_ENV=production`` turns on the
hardened defaults and makes a missing ``SECRET_KEY`` a start-up error. See README.md for the
full list of variables.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("PARTNERDESK_DATA_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENV = os.environ.get("PARTNERDESK_ENV", "development")
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured("PARTNERDESK_ENV must be 'development' or 'production'.")
PRODUCTION = ENV == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when PARTNERDESK_ENV=production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-change-me-" + "x" * 20

# Fernet keys for secret properties, newest first; older keys stay for rotation.
# Without them a key is derived from SECRET_KEY (fine for development).
PARTNERDESK_ENCRYPTION_KEYS = env_list("PARTNERDESK_ENCRYPTION_KEYS")
if PRODUCTION and not PARTNERDESK_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "PARTNERDESK_ENCRYPTION_KEYS must be set when PARTNERDESK_ENV=production "
        "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if not PRODUCTION else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    # Before django_tasks_db: core's ``db_worker`` (the same worker, with a heartbeat) is
    # found first. See partnerdesk/core/management/commands/db_worker.py.
    "partnerdesk.core",
    "django_tasks_db",
    "ninja",
    "partnerdesk.accounts",
    "partnerdesk.crm",
    "partnerdesk.sla",
    "partnerdesk.tickets",
    "partnerdesk.notifications",
    "partnerdesk.automation",
    "partnerdesk.webhooks",
    "partnerdesk.portal",
    "partnerdesk.partner_program",
    "partnerdesk.dashboard",
    "partnerdesk.knowledge",
    "partnerdesk.satisfaction",
    "partnerdesk.reports",
    "partnerdesk.api",
    "partnerdesk.devtools",  # manage.py scale_data (benchmarks); no models, no pages
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "partnerdesk.core.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partnerdesk.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partnerdesk.urls"
WSGI_APPLICATION = "partnerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnerdesk.core.context_processors.navigation",
            ],
        },
    },
]

if not PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
_DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'partnerdesk.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        # A web request reuses its process's PostgreSQL connection for up to a minute (checked
        # before reuse, below): a new connection is a new server process, a few ms of both
        # cores for every request. An SQLite file costs nothing to open.
        conn_max_age=int(
            os.environ.get("CONN_MAX_AGE", "60" if _DATABASE_URL.startswith("postgres") else "0")
        ),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share one file: WAL lets readers and one writer work
    # side by side; IMMEDIATE takes the write lock at BEGIN so two writers queue up on the
    # busy timeout instead of failing with "database is locked" half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Covering indexes (Index(include=...)) are a PostgreSQL optimisation by design: SQLite
    # builds the same index on its key columns, which answers the same queries.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the app's queries are short and index-driven, and where a plan's cost crosses
    # jit_above_cost compiling it costs more than it saves (524 ms of 1,297 on the staff home's
    # attention counts at 1M tickets; no worker query ever reaches it). docs/performance.md.
    # join_collapse_limit 4: the planner searches join orders four tables at a time, not
    # eight. A page's queries join a record to its many-to-one relations (select_related);
    # searching every order of eight of them cost more than the query: 6.5 ms of planning
    # for 0.15 ms of execution on the ticket page's ticket, 0.8 ms at 4.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = " ".join(
        filter(None, [_pg_options.get("options"), "-c jit=off -c join_collapse_limit=4"])
    )
# A kept connection (CONN_MAX_AGE > 0, and always in the workers) is checked before reuse.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Workers keep their database connection this many seconds whatever CONN_MAX_AGE says (which
# is for web requests); 0 reconnects for every task. See
# docs/performance.md ("Workers").
PARTNERDESK_WORKER_CONN_MAX_AGE = int(os.environ.get("PARTNERDESK_WORKER_CONN_MAX_AGE", "600"))
# Events a worker claims at once from the outbox (automation.outbox); SQLite has one writer, so
# its batches are shorter: a web request waits for the write lock at most one batch.
PARTNERDESK_OUTBOX_BATCH = int(
    os.environ.get(
        "PARTNERDESK_OUTBOX_BATCH",
        "5" if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else "20",
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend; loads the signed-in user with the unread count (the bell).
    "partnerdesk.accounts.auth.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_VALID_DAYS = int(os.environ.get("PARTNERDESK_INVITATION_VALID_DAYS", "7"))

# Brute-force protection: lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form posts the email in "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "partnerdesk.accounts.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client's address for that lockout (see accounts.auth.client_ip). Behind reverse proxies
# set PARTNERDESK_PROXY_COUNT to how many there are (each appending to the header below), or
# everyone shares the proxy's address and one person's failures lock an account for all.
# (django-ipware, which axes' AXES_IPWARE_* settings configure, is not installed.)
PARTNERDESK_PROXY_COUNT = int(os.environ.get("PARTNERDESK_PROXY_COUNT", "0"))
PARTNERDESK_CLIENT_IP_HEADER = "HTTP_" + os.environ.get(
    "PARTNERDESK_CLIENT_IP_HEADER", "X-Forwarded-For"
).strip().upper().replace("-", "_")
AXES_CLIENT_IP_CALLABLE = "partnerdesk.accounts.auth.client_ip"
# And per account, from any address: after this many failures each further attempt waits
# 1, 2, 4, ... seconds, up to the cap; never a lockout (see accounts.throttle).
PARTNERDESK_LOGIN_THROTTLE_AFTER = int(os.environ.get("PARTNERDESK_LOGIN_THROTTLE_AFTER", "10"))
PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY = int(
    os.environ.get("PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY", "300")
)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time format per language, the same on every page (partnerdesk/formats/).
FORMAT_MODULE_PATH = ["partnerdesk.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic target (production); in development WhiteNoise serves from the finders.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or (PROJECT_DIR / "staticfiles" if PRODUCTION else None)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve straight from the source tree while developing
MEDIA_ROOT = Path(os.environ.get("PARTNERDESK_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Task attachments live here, outside the web root; a view serves them to those who may see them.
PARTNERDESK_PRIVATE_ROOT = Path(os.environ.get("PARTNERDESK_PRIVATE_ROOT", DATA_DIR / "private"))
PARTNERDESK_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PARTNERDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
PARTNERDESK_ATTACHMENT_TYPES = env_list(
    "PARTNERDESK_ATTACHMENT_TYPES",
    "pdf,png,jpg,jpeg,gif,webp,txt,csv,xlsx,xls,docx,doc,pptx,zip,eml",
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("PARTNERDESK_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))


def parse_email_url(url: str) -> dict:
    """EMAIL_URL -> a MAILERS entry.

    smtp://user:password@host:587?tls=1, smtps://user:password@host:465, console:, locmem:,
    file:/path/to/dir, dummy:
    """
    parsed = urlparse(url)
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parsed.scheme in backends:
        conf = {"BACKEND": backends[parsed.scheme], "OPTIONS": {}}
        if parsed.scheme == "file":
            conf["OPTIONS"]["file_path"] = unquote(parsed.path) or str(DATA_DIR / "mail")
        return conf
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parsed.scheme!r} is not supported.")
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parsed.hostname or "localhost",
            "port": parsed.port or (465 if parsed.scheme == "smtps" else 25),
            "username": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "use_ssl": parsed.scheme == "smtps",
            "use_tls": query.get("tls", "0") in {"1", "true"},
            "timeout": int(query.get("timeout", "20")),
        },
    }


MAILERS = {
    "default": parse_email_url(
        os.environ.get("EMAIL_URL", "smtp://localhost:25" if PRODUCTION else "console:")
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Partnerdesk <partnerdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies to task emails go to reply+<signed token>@PARTNERDESK_REPLY_DOMAIN; the MTA pipes them
# to `manage.py inbound_email` (or they reach the built-in listener, `manage.py inbound_smtp`).
PARTNERDESK_REPLY_DOMAIN = os.environ.get("PARTNERDESK_REPLY_DOMAIN", "reply.localhost")
PARTNERDESK_REPLY_MAX_AGE_DAYS = int(os.environ.get("PARTNERDESK_REPLY_MAX_AGE_DAYS", "90"))
# Tickets by email (issue 14): a reply to a ticket closed at most this many days ago reopens
# it, a later one opens a follow-up ticket; a sender opens at most this many tickets an hour
# through the support mailboxes (more is dropped: mail loops).
PARTNERDESK_TICKET_REOPEN_DAYS = int(os.environ.get("PARTNERDESK_TICKET_REOPEN_DAYS", "7"))
PARTNERDESK_MAILBOX_RATE_LIMIT = int(os.environ.get("PARTNERDESK_MAILBOX_RATE_LIMIT", "10"))
# Bounces one address gets in an hour (for tickets and tasks alike); later mail that would
# bounce is dropped unanswered, so a sender whose mail keeps bouncing cannot start a loop.
PARTNERDESK_BOUNCE_RATE_LIMIT = int(os.environ.get("PARTNERDESK_BOUNCE_RATE_LIMIT", "5"))

# Hand every committed domain event to the workers (automations, notifications).
PARTNERDESK_DISPATCH_EVENTS = env_bool("PARTNERDESK_DISPATCH_EVENTS", True)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PARTNERDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Every worker (``manage.py db_worker``) records a heartbeat this often, from a thread, so the
# beat goes on while a long task runs; a worker silent for 4 beats shows as stale.
PARTNERDESK_WORKER_HEARTBEAT_SECONDS = int(
    os.environ.get("PARTNERDESK_WORKER_HEARTBEAT_SECONDS", "15")
)
# A task row still RUNNING this long after it started, whose worker has sent no heartbeat for
# as long (a worker that was killed), is marked FAILED by the periodic reclaim job. A task
# that runs longer on a live worker is never touched: its worker keeps beating.
PARTNERDESK_TASK_STALE_AFTER = int(os.environ.get("PARTNERDESK_TASK_STALE_AFTER", str(15 * 60)))

SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True  # only the server reads it
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # The workers' task lines: one line per failure, a summary every N seconds otherwise
        # (core/tasklog.py), so they stay out of the request log of `manage.py serve`.
        "tasks": {
            "()": "partnerdesk.core.tasklog.TaskLogSummary",
            "every": float(os.environ.get("PARTNERDESK_TASK_LOG_SUMMARY_SECONDS", "60")),
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default "django" logger has its own console handler and propagates to the
        # root as well: every django.* line (the worker's task log) would print twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "django.tasks": {
            "level": os.environ.get("TASKS_LOG_LEVEL", "WARNING"),
            "handlers": ["tasks"],
            "propagate": False,
        },
    },
}

PARTNERDESK = {
    "AGENCY_NAME": os.environ.get("PARTNERDESK_AGENCY_NAME", "Partnerdesk"),
    "PAGE_SIZE": 25,
    "API_PAGE_SIZE_MAX": 200,
}
