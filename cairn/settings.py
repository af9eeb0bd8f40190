"""Cairn's one settings module, driven by environment variables.

Development defaults need nothing set. Production is ``DEBUG=0`` with a real
``SECRET_KEY`` and ``ALLOWED_HOSTS``; ``cairn check --deploy`` is then clean.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cairn.core import email_url

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


DEBUG = envbool("DEBUG", "1")
_DEV_SECRET = "cairn-development-only-not-secret"  # noqa: S105 - refused below outside DEBUG
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("Set SECRET_KEY (50+ random characters) when DEBUG is off.")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_NAME = os.environ.get("SITE_NAME", "Cairn")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "cairn.core",
    "cairn.goals",
    "cairn.assessment",
    "cairn.portfolio",
    "cairn.roadmap",
    "cairn.kpis",
    "cairn.governance",
    "cairn.language",
    "cairn.aigov",
    "cairn.documents",
    "cairn.execution",
    "cairn.notifications",
    "cairn.webhooks",
    "cairn.exchange",
    "cairn.transfer",
    "cairn.identity",
    "cairn.links",
    "cairn.api",
]

MIDDLEWARE = [
    "cairn.core.logs.RequestIdMiddleware",  # first: every later log line carries the request id
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cairn.core.security_headers.PermissionsPolicyMiddleware",
    "cairn.core.middleware.ApiErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cairn.identity.sessions.SessionActivityMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cairn.identity.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cairn.core.middleware.FirstRunMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cairn.urls"
WSGI_APPLICATION = "cairn.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cairn.context_processors.cairn",
                "cairn.notifications.context_processors.inbox",
            ],
        },
    },
]

# --- Database: SQLite file by default, PostgreSQL when DATABASE_URL is set.
# Where the SQLite file and collected static files live: ./var unless told otherwise.
DATA_DIR = Path(os.environ.get("CAIRN_DATA_DIR", Path.cwd() / "var"))
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
    # busy timeout instead of failing with "database is locked" mid-transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": envint("SQLITE_TIMEOUT", 20),  # seconds to wait for the lock, then a 503
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=envint("DB_CONN_MAX_AGE", 60)
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A database that is down or restarting answers a page with a 503 within seconds,
        # instead of holding the request until the proxy gives up.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("DB_CONNECT_TIMEOUT", 3)
        )
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "cairn.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # However SQLite is named (SQLITE_PATH or DATABASE_URL=sqlite:///…), the same options.
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # no per-process state: scale-out safe

# --- Sign-in throttling (django-axes) and sessions: see docs/sign-in.md.
# Axes' backend goes first: it refuses a locked-out account or address before any password
# is checked; the model backend then signs people in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused for members of an organisation that requires single sign-on.
    "cairn.identity.backends.PasswordBackend",
    "cairn.identity.oidc.Backend",  # single sign-on (OpenID Connect)
]
# The backend a page signs a person in with after checking their password itself (setup,
# joining through an invitation): core names it through this setting.
CAIRN_PASSWORD_BACKEND = "cairn.identity.backends.PasswordBackend"
# Failed sign-ins counted per account and, separately, per address: either reaching the limit
# within the cool-off locks out. A success clears that account's count only: axes' own reset
# (AXES_RESET_ON_SUCCESS) would also clear every count of the address, so that signing in to
# one's own account between guesses would undo the limit on someone else's
# (cairn.identity.sessions.signed_in does the narrower reset).
AXES_FAILURE_LIMIT = envint("CAIRN_SIGNIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("CAIRN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "cairn.identity.throttle.lockout_response"
# The address is REMOTE_ADDR, as for every security event (a proxy in front sets it).
AXES_CLIENT_IP_CALLABLE = "cairn.identity.events.client_ip"
AXES_ENABLE_ADMIN = False  # locked-out people are listed for their organisation's owners
AXES_VERBOSE = False  # no banner on every command; failures are still logged
# Password reset links asked for per hour, per address and per e-mail address typed.
CAIRN_PASSWORD_RESETS_PER_HOUR = envint("CAIRN_PASSWORD_RESETS_PER_HOUR", 5)
# Signed out after this long without a request. The expiry is pushed forward by
# cairn.identity.sessions.SessionActivityMiddleware at most once a minute, not by saving the
# session on every request (a database write per page).
SESSION_COOKIE_AGE = envint("CAIRN_SESSION_IDLE_MINUTES", 480) * 60
SESSION_SAVE_EVERY_REQUEST = False

# --- Cache: per-process memory by default; Redis when REDIS_URL is set (several app servers).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis out of reach fails a request in a second or two, never hangs it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }

# --- Internationalisation
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files: vendored assets, served by the app itself (whitenoise), never a CDN.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at every start otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
    if envbool("BEHIND_HTTPS_PROXY", "0"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content Security Policy (django-csp 4): Cairn's pages load only their own scripts,
# styles, images and fonts, with no inline code, and may not be framed. Pictures and fonts
# may also be data: URLs (Tabler's icons, the favicon). CAIRN_CSP_REPORT_ONLY=1 sends the
# same policy as report-only instead (the browser logs what it would block, blocks nothing).
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if envbool("CAIRN_CSP_REPORT_ONLY", "0"):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# --- Single sign-on (OpenID Connect), see docs/sso.md: on when OIDC_ISSUER and OIDC_CLIENT_ID
# are set. The provider's endpoints come from its discovery document, fetched at the first
# single sign-on and cached (cairn.identity.oidc), never here: `cairn check` needs no network.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if OIDC_ISSUER and not OIDC_RP_CLIENT_ID:
    raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID (and OIDC_CLIENT_SECRET).")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your company account")
# The claim listing the person's groups or roles, and what they give in which organisation:
# "cairn-owners=summit:owner,cairn-editors=summit:editor" (claim value=org slug:role).
OIDC_ROLE_CLAIM = os.environ.get("OIDC_ROLE_CLAIM", "").strip()
OIDC_ROLE_MAP = []
for _entry in filter(None, (e.strip() for e in os.environ.get("OIDC_ROLE_MAP", "").split(","))):
    _value, _, _target = _entry.rpartition("=")  # a group's name may hold "=", a slug cannot
    _slug, _, _role = _target.partition(":")
    if not (_value and _slug and _role in {"owner", "editor", "viewer"}):
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP: {_entry!r} is not claim-value=org-slug:owner|editor|viewer."
        )
    OIDC_ROLE_MAP.append((_value, _slug, _role))
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True  # S256; the state and the nonce are on by default
OIDC_STORE_ID_TOKEN = True  # the hint sent with the provider's sign-out
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)  # seconds for the provider to answer
OIDC_AUTHENTICATE_CLASS = "cairn.identity.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "cairn.identity.oidc.CallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "cairn.identity.oidc.provider_logout_url"
if OIDC_ISSUER:
    # Signing out (a form) ends at the provider's end_session_endpoint: the browser follows
    # that redirect only if form-action allows the provider's origin.
    _CSP["DIRECTIVES"]["form-action"].append("/".join(OIDC_ISSUER.split("/")[:3]))

NINJA_PAGINATION_MAX_LIMIT = 500
# Requests a minute one API token may make (0: no limit); beyond, 429 with Retry-After.
CAIRN_API_TOKEN_RATE = envint("CAIRN_API_TOKEN_RATE", 600)
# The largest request body (uploaded files apart): 50,000 measurements in one API call with
# the longest names and notes fit; a larger body answers 413 saying the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CAIRN_MAX_BODY_MB", 64) * 2**20

# Background jobs (optimisations, schedules, documents, imports) wait in the database for
# `cairn worker`.
# TASKS_BACKEND=immediate runs them at once, inside the request (tests, small installs).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("TASKS_BACKEND") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- E-mail: one EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, console://, file://DIR).
# Unset, mails are written as .eml files to var/mail (DATA_DIR/mail) for development.
# EMAIL_BACKEND, when set, wins (e.g. a django-anymail provider backend, see docs/email.md).
for _name, _value in email_url.parse(
    os.environ.get("EMAIL_URL", "file://mail"), base=DATA_DIR
).items():
    globals()[_name] = _value
if os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["EMAIL_BACKEND"]
# A provider's settings for django-anymail, as JSON: {"POSTMARK_SERVER_TOKEN": "…"}.
ANYMAIL = json.loads(os.environ.get("ANYMAIL") or "{}")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 15)  # seconds for the mail server to answer
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Cairn <cairn@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's public address, for every link in a mail or a webhook (no trailing slash).
CAIRN_BASE_URL = os.environ.get("CAIRN_BASE_URL", "http://localhost:8000").rstrip("/")
# Webhooks may reach private and loopback addresses only when the installation allows it.
CAIRN_WEBHOOKS_ALLOW_PRIVATE = envbool("CAIRN_WEBHOOKS_ALLOW_PRIVATE", "0")
# KPI connectors (cairn.kpis.connectors): private and loopback addresses, and plain http,
# only when allowed (by default in development, so that the demo's feed on this server works).
CAIRN_CONNECTORS_ALLOW_PRIVATE = envbool("CAIRN_CONNECTORS_ALLOW_PRIVATE", "1" if DEBUG else "0")
# SQLite connectors may open database files in this folder only (unset: none at all).
CAIRN_CONNECTORS_SQLITE_DIR = os.environ.get("CAIRN_CONNECTORS_SQLITE_DIR", "")
# Fernet key(s), comma-separated, newest first, for the secrets connectors keep (tokens,
# database addresses). In development a key is derived from SECRET_KEY; in production a
# connector with a secret cannot be saved or run without one (cairn.kpis.secrets).
CAIRN_SECRETS_KEY = os.environ.get("CAIRN_SECRETS_KEY", "")
CAIRN_SECRETS_FROM_SECRET_KEY = DEBUG  # development only: the key is derived, and says so
# The worker runs these every so many seconds (the reminders decide their own slots).
CAIRN_PERIODIC = [
    ("cairn.notifications.tasks.tick", envint("CAIRN_TICK_SECONDS", 60)),
    ("cairn.webhooks.tasks.tick", 300),
    ("cairn.kpis.connector_tasks.tick", 60),
]
CAIRN_REMIND_EVERY_MINUTES = envint("CAIRN_REMIND_EVERY_MINUTES", 15)

# --- Logs: one line per request and per event on the console, each with its request id
# (cairn.core.logs). JSON when DEBUG is off unless LOG_FORMAT=text; text in development.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cairn.core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "cairn.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # One line per request answered; runserver prints its own in development.
        "cairn.request": {
            "level": os.environ.get("CAIRN_REQUEST_LOG_LEVEL", "WARNING" if DEBUG else "INFO")
        },
        # Django logs each 4xx/5xx again without the duration: cairn.request has it.
        "django.request": {"level": "ERROR"},
        # WeasyPrint and fontTools write a line per step of every PDF at INFO: keep them out
        # of the console unless they warn.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
