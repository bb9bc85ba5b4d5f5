"""Django settings of motcua.

Every operator knob is read once here from the environment, with its default beside it.
The README's settings table lists them; keep the two in step.
"""

import os
import warnings
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


# --- operator knobs -------------------------------------------------------------------------
DATA_DIR = Path(_env("MOTCUA_DATA_DIR", str(BASE_DIR / "data")))
DEBUG = _env_bool("MOTCUA_DEBUG", False)
SECRET_KEY = _env("MOTCUA_SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = [h for h in _env("MOTCUA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
MOTCUA_PROVINCE_CODE = int(_env("MOTCUA_PROVINCE_CODE", "52"))
MOTCUA_PUBLIC_URL = _env("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
MOTCUA_DEMO = _env_bool("MOTCUA_DEMO", False)
# Citizens' sign-in (OpenID Connect, VNeID in production): the provider's issuer URL (its
# discovery document is ISSUER/.well-known/openid-configuration), this site's client, the
# scopes asked for and the ID-token claim holding the 12-digit personal ID number.
# In demo mode they default to the local stand-in provider mounted at /oidc-dev/.
MOTCUA_OIDC_ISSUER = _env(
    "MOTCUA_OIDC_ISSUER", f"{MOTCUA_PUBLIC_URL}/oidc-dev" if MOTCUA_DEMO else ""
)
MOTCUA_OIDC_CLIENT_ID = _env("MOTCUA_OIDC_CLIENT_ID", "motcua-demo" if MOTCUA_DEMO else "")
MOTCUA_OIDC_CLIENT_SECRET = _env("MOTCUA_OIDC_CLIENT_SECRET", "demo-only" if MOTCUA_DEMO else "")
MOTCUA_OIDC_SCOPES = _env("MOTCUA_OIDC_SCOPES", "openid profile")
MOTCUA_OIDC_ID_CLAIM = _env("MOTCUA_OIDC_ID_CLAIM", "personal_id_number")
MOTCUA_OIDC_TIMEOUT = float(_env("MOTCUA_OIDC_TIMEOUT", "10"))
MOTCUA_UPLOAD_MAX_BYTES = int(_env("MOTCUA_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Per request: at most this many files, and this many bytes in all (413 beyond, body unread).
MOTCUA_UPLOAD_MAX_FILES = int(_env("MOTCUA_UPLOAD_MAX_FILES", "20"))
MOTCUA_REQUEST_MAX_BYTES = int(_env("MOTCUA_REQUEST_MAX_BYTES", str(MOTCUA_UPLOAD_MAX_BYTES * 6)))
# The built-in sandbox gateway lives on this server: by default its URLs follow the public URL.
MOTCUA_PAYMENT_GATEWAY_URL = _env(
    "MOTCUA_PAYMENT_GATEWAY_URL", f"{MOTCUA_PUBLIC_URL}/sandbox-gateway/pay"
)
MOTCUA_PAYMENT_QUERY_URL = _env(
    "MOTCUA_PAYMENT_QUERY_URL", f"{MOTCUA_PUBLIC_URL}/sandbox-gateway/query"
)
MOTCUA_PAYMENT_MERCHANT = _env("MOTCUA_PAYMENT_MERCHANT", "MOTCUA52")
MOTCUA_PAYMENT_SECRET = _env("MOTCUA_PAYMENT_SECRET", "sandbox-secret-change-me")
MOTCUA_SANDBOX_GATEWAY = _env_bool("MOTCUA_SANDBOX_GATEWAY", True)
# The sandbox notifies motcua (IPN) after answering the payer's browser, from a thread of its
# own, as a bank's servers do; off: before answering, in the request (deterministic tests).
MOTCUA_SANDBOX_IPN_BACKGROUND = _env_bool("MOTCUA_SANDBOX_IPN_BACKGROUND", True)
# Signing keys and certificates (motcua pki init); documents stay unsigned until it exists.
MOTCUA_PKI_DIR = Path(_env("MOTCUA_PKI_DIR", str(DATA_DIR / "pki")))
MOTCUA_PKI_PASSPHRASE = _env("MOTCUA_PKI_PASSPHRASE", "development-pki-passphrase-change-me")
# Root certificates (PEM or DER files, comma-separated) the public verification page trusts;
# empty: the development CA of MOTCUA_PKI_DIR.
MOTCUA_VERIFY_TRUST_ROOTS = [p for p in _env("MOTCUA_VERIFY_TRUST_ROOTS", "").split(",") if p]
EMAIL_BACKEND = _env("MOTCUA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = _env("MOTCUA_EMAIL_FROM", "motcua@localhost")
# Hours before a dossier's due time at which its leaders are warned (motcua escalate).
MOTCUA_DUE_SOON_HOURS = int(_env("MOTCUA_DUE_SOON_HOURS", "24"))
MOTCUA_ESCALATION_EMAIL = _env_bool("MOTCUA_ESCALATION_EMAIL", True)
LOG_LEVEL = _env("MOTCUA_LOG_LEVEL", "INFO")
# Officers' sign-in: failed attempts per (username, address) before a lock, and its length.
MOTCUA_LOGIN_MAX_FAILURES = int(_env("MOTCUA_LOGIN_MAX_FAILURES", "5"))
MOTCUA_LOGIN_LOCKOUT_MINUTES = int(_env("MOTCUA_LOGIN_LOCKOUT_MINUTES", "15"))
# Budgets per client address on the public endpoints (motcua/accounts/ratelimit.py): "on" (the
# defaults: lookup=60/minute, upload=10/minute, submit=20/hour, feedback=20/hour), "off", or
# "group=N/unit,..." replacing some defaults.
MOTCUA_RATE_LIMITS = _env("MOTCUA_RATE_LIMITS", "on")
# Who must sign in with a TOTP second factor: roles ("leader,admin"), "all", or "" (nobody).
MOTCUA_TOTP_REQUIRED = _env("MOTCUA_TOTP_REQUIRED", "leader,admin")
# Years a closed dossier's personal data are kept before `motcua purge` anonymises them
# (docs/privacy.md has the retention table).
MOTCUA_RETENTION_DOSSIER_YEARS = int(_env("MOTCUA_RETENTION_DOSSIER_YEARS", "5"))
MOTCUA_RETENTION_LAND_DOSSIER_YEARS = int(_env("MOTCUA_RETENTION_LAND_DOSSIER_YEARS", "20"))
# Drill mode: the server honours the drill's virtual clock (motcua drill run). Only ever on a
# throw-away drill instance with its own database, never on the production one.
MOTCUA_DRILL = _env_bool("MOTCUA_DRILL", False)
# Interconnection (motcua/exchange): our code towards peers, and the outbox's retry schedule.
MOTCUA_EXCHANGE_CODE = _env("MOTCUA_EXCHANGE_CODE", f"tinh-{MOTCUA_PROVINCE_CODE}")
MOTCUA_OUTBOX_MAX_ATTEMPTS = int(_env("MOTCUA_OUTBOX_MAX_ATTEMPTS", "12"))
MOTCUA_OUTBOX_BACKOFF_SECONDS = float(_env("MOTCUA_OUTBOX_BACKOFF_SECONDS", "10"))
MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS = float(_env("MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS", "3600"))
MOTCUA_OUTBOX_LEASE_SECONDS = float(_env("MOTCUA_OUTBOX_LEASE_SECONDS", "120"))
MOTCUA_PEER_TIMEOUT_SECONDS = float(_env("MOTCUA_PEER_TIMEOUT_SECONDS", "15"))
MOTCUA_WORKER_INTERVAL_SECONDS = float(_env("MOTCUA_WORKER_INTERVAL_SECONDS", "1"))
# Delivered/answered messages and finished tasks older than this are deleted (exchange.prune).
MOTCUA_EXCHANGE_RETENTION_DAYS = int(_env("MOTCUA_EXCHANGE_RETENTION_DAYS", "365"))
# Background tasks: the database queue by default (no extra service); e.g. a Redis backend.
MOTCUA_TASKS_BACKEND = _env("MOTCUA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
# A queued task still running after this long is taken as abandoned (its worker died) and rerun.
MOTCUA_TASK_LEASE_SECONDS = float(_env("MOTCUA_TASK_LEASE_SECONDS", "3600"))
# National Public Service Portal (motcua/exchange/dvcqg): where status updates go, and the secret
# shared with it. Without a secret only demo mode registers the portal (with a development one).
MOTCUA_DVCQG_URL = _env("MOTCUA_DVCQG_URL", "http://127.0.0.1:8090")
MOTCUA_DVCQG_SECRET = _env("MOTCUA_DVCQG_SECRET", "")
DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'motcua.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: PostgreSQL compiles any query it prices above jit_above_cost, and the
    # dashboard's (priced as if each row ran its rarely taken fallbacks) then spends a second
    # compiling what runs in milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# ---------------------------------------------------------------------------------------------

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so that
    # two writers queue on busy_timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Kept open between requests like PostgreSQL's: opening one (functions registered, PRAGMAs)
    # costs a few milliseconds of CPU, more than a whole submission's queries.
    DATABASES["default"]["CONN_MAX_AGE"] = 60

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its static Swagger UI for /api/docs: served by us, never from a CDN
    "django_tasks",
    "django_tasks_db",  # the task queue's table (motcua worker runs it)
    "motcua.core",
    "motcua.pki",
    "motcua.org",
    "motcua.deadlines",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.payments",
    "motcua.eoffice",
    "motcua.exchange",
    "motcua.exchange.dvcqg",
    "motcua.exchange.federation",
    "motcua.reports",
    "motcua.drill",
    "motcua.portal",
    "motcua.citizens",  # citizens' sign-in through OpenID Connect (VNeID)
    "motcua.backoffice",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "motcua.accounts",
    "motcua.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "motcua.core.security.SecurityHeadersMiddleware",
    "motcua.core.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "motcua.accounts.ratelimit.RateLimitMiddleware",
    "motcua.org.middleware.ApiKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.core.context.OriginMiddleware",
]

TASKS = {"default": {"BACKEND": MOTCUA_TASKS_BACKEND}}

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:worklist"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "motcua" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "motcua.core.context_processors.site",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        # Officers' passwords: 12 characters at least outside the demo.
        "OPTIONS": {"min_length": 8 if MOTCUA_DEMO else 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "motcua" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (development, tests) WhiteNoise serves straight from the app folders,
# and the not-yet-collected STATIC_ROOT is expected to be missing.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = MOTCUA_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = MOTCUA_UPLOAD_MAX_FILES
CSRF_FAILURE_VIEW = "motcua.core.errors_views.csrf_failure"

OTP_TOTP_ISSUER = "motcua"
# Wrong codes count towards the sign-in lock (motcua/accounts): no second, per-device delay.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
SESSION_COOKIE_HTTPONLY = True
# Served over https (MOTCUA_PUBLIC_URL): cookies only over TLS, and browsers told to stay on
# TLS for a year (HSTS). Behind a TLS-terminating proxy set MOTCUA_TRUST_X_FORWARDED_PROTO=1
# (only if the proxy overwrites X-Forwarded-Proto), or Django never sees the request as secure.
MOTCUA_HTTPS = MOTCUA_PUBLIC_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = MOTCUA_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if MOTCUA_HTTPS else 0
if _env_bool("MOTCUA_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"event": {"()": "motcua.core.logging.EventFormatter"}},
    # ID and phone numbers are masked in every record, whatever a message carries.
    "filters": {"personal_data": {"()": "motcua.core.privacy.PersonalDataFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "event",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # httpx logs whole URLs at INFO; gateway URLs carry dossier codes and amounts.
        "httpx": {"level": "WARNING"},
    },
}
