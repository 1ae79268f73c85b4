"""Settings for Briefings.

Every knob reads the environment and has a default that is safe for local use.
Production sets DJANGO_DEBUG=0 and the variables listed in `.env.example`.
"""
import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only ever used for local development with DEBUG on.
    SECRET_KEY = "django-insecure-local-development-key-not-for-production-use"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "taggit",
    "csp",
    "axes",
    "sources",
    "briefings",
    "public",
    "demo",
]

MIDDLEWARE = [
    # First, so nothing reads a forwarded header that an untrusted peer sent.
    "config.security.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the same frame and content-security headers as pages.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Anonymous GETs of reader pages go straight past the five below (config.anonymous_reads), which must follow
    # it in this order; every other request passes through them.
    "config.anonymous_reads.AnonymousReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last of the five, so it sees the failed logins of every view and answers with the lockout page.
    "axes.middleware.AxesMiddleware",
    # Sets the staff hint cookie on sign-in and clears it on sign-out; other answers pass untouched.
    "briefings.staff_hint.StaffHintMiddleware",
    # request.htmx: the briefing editor's desk answers its own fragment requests with fragments.
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "public.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite file inside the project unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Seconds to wait for the database to accept a connection: an unreachable or hung server fails fast (503).
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; IMMEDIATE makes write
    # transactions take the lock up front instead of failing half-way. Connections
    # persist like PostgreSQL's: opening one re-reads the whole schema, a few ms per request. Reading the file
    # through memory-mapping rather than a read() per page takes a search's full-text scan from 150 to 45 ms
    # of CPU on the benchmark corpus; the pages are the operating system's file cache, shared by every process.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA mmap_size={int(os.environ.get('SQLITE_MMAP_BYTES', str(1024 ** 3)))};"
        ),
    }

# The full-text index is rebuilt from the data, never dumped or loaded (see the router).
DATABASE_ROUTERS = ["briefings.search_index.SearchIndexRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, process-local memory otherwise. Either way a cache that fails costs
# a page at most its timeouts, and is then left alone for a few seconds (config/cache.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds to wait for Redis to accept a connection, and for it to answer a command.
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.5"))
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.5"))
# After a Redis failure, pages are served without the cache for this many seconds before it is tried again.
REDIS_BACKOFF_SECONDS = float(os.environ.get("REDIS_BACKOFF_SECONDS", "5"))
# Without Redis: the most bytes of pages each process keeps in memory (least recently used go first).
PUBLIC_PAGE_CACHE_MAX_BYTES = int(os.environ.get("PUBLIC_PAGE_CACHE_MAX_BYTES", str(64 * 1024 * 1024)))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "briefings",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                "BACKOFF_SECONDS": REDIS_BACKOFF_SECONDS,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ByteBudgetLocMemCache",
            "LOCATION": "briefings",
            # The byte budget bounds it; the entry count is only Django's cull trigger.
            "OPTIONS": {"MAX_BYTES": PUBLIC_PAGE_CACHE_MAX_BYTES, "MAX_ENTRIES": 100_000},
        }
    }

# Logins: axes counts failures and refuses a locked-out account before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed attempts per account from one address before logins are refused, and for how long.
AXES_FAILURE_LIMIT = int(os.environ.get("BRIEFINGS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("BRIEFINGS_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lock lasts the stated minutes; attempts while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_VERBOSE = False

# Where a login or logout goes when its "next" is missing or points off the site: pages that exist.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
LOGOUT_REDIRECT_URL = "public:list"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The desk's time zone: every time shown to staff and readers is in it, and names it (config/formats/).
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

SITE_NAME = os.environ.get("BRIEFINGS_SITE_NAME", "Briefings")

# Public pages are cached this long at most; any public change invalidates them at once.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "600"))
# For `make bench` only: every page is stored and forgotten at once, so each request measures a page-cache miss.
PUBLIC_PAGE_CACHE_BENCHMARK_MISSES = os.environ.get("PUBLIC_PAGE_CACHE_BENCHMARK_MISSES", "0") == "1"
# How long parts of pages (a briefing's article, list and feed entries, a source's passages) are kept; they are
# keyed by what they show, so this only bounds memory use. 0 renders every part on every page-cache miss.
PUBLIC_FRAGMENT_CACHE_SECONDS = int(os.environ.get("PUBLIC_FRAGMENT_CACHE_SECONDS", "3600"))
# What cached pages, kept parts and ETags were rendered by: empty means a digest of the code, templates and
# static files' names, read once per process; a deployment may set its commit instead.
PUBLIC_RELEASE = os.environ.get("PUBLIC_RELEASE", "")
# Pages larger than this (bytes of HTML, JSON or XML) are served but never cached, in memory or in Redis.
PUBLIC_PAGE_MAX_CACHED_BYTES = int(os.environ.get("PUBLIC_PAGE_MAX_CACHED_BYTES", str(1024 * 1024)))
# How long a process may answer from the public state it last read; changes made elsewhere show after it.
PUBLIC_STATE_MEMO_SECONDS = float(os.environ.get("PUBLIC_STATE_MEMO_SECONDS", "1"))
# "auto" picks PostgreSQL full-text search or SQLite FTS5; "plain" forces the simple fallback.
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "auto")
# The largest article file or admin upload accepted, in bytes (a 20 MB article is far beyond a real one).
SOURCES_MAX_FILE_BYTES = int(os.environ.get("SOURCES_MAX_FILE_BYTES", str(32 * 1024 * 1024)))
# Where an upload waits between the admin's preview and its save (empty: a folder in the system's temp dir).
SOURCES_PENDING_DIR = os.environ.get("SOURCES_PENDING_DIR", "")
# Scheme and host used for links in notification emails, e.g. https://briefings.example.org
SITE_URL = os.environ.get("BRIEFINGS_SITE_URL", "http://localhost:8000").rstrip("/")
# How long a shared preview link works, in seconds (it also dies when the briefing changes).
PREVIEW_LINK_MAX_AGE = int(os.environ.get("BRIEFINGS_PREVIEW_LINK_MAX_AGE", str(3 * 24 * 60 * 60)))

# Email: printed to the console locally; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "briefings@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Scripts only from this site: no inline code, no eval. JSON-LD blocks are data, not scripts.
# Styles allow inline attributes, which the admin's widgets use.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
# Addresses or networks (CIDR) of the proxies in front of the site. Only a connection from one of them may
# say, in X-Forwarded-For and X-Forwarded-Proto, who the client is and whether it used HTTPS. Empty: none.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", [])
if BEHIND_TLS_PROXY and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "DJANGO_BEHIND_TLS_PROXY is on but DJANGO_TRUSTED_PROXIES is empty: name the proxy's address or network, "
        "or its X-Forwarded-Proto header is ignored and every request looks like plain HTTP."
    )
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe the health check over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One JSON object per line in production (DJANGO_LOG_FORMAT=json), readable lines locally.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Backups made with dumpdata keep times to the microsecond (Django's JSON rounds them to milliseconds).
SERIALIZATION_MODULES = {"json": "config.exact_json"}

# Tags: "Energy" and "energy" are one tag.
TAGGIT_CASE_INSENSITIVE = True
