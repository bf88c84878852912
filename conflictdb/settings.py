"""Django settings for ConflictDB.

Everything that differs between a laptop and production comes from the environment
(see README "Configuration"). Defaults are the secure ones: DEBUG is off and SECRET_KEY is
required unless CONFLICTDB_DEV=1 says this is a development machine.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from conflictdb.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Development mode: `make run` and `make test` set CONFLICTDB_DEV=1.
DEV_MODE = env_bool("CONFLICTDB_DEV", False)
DEBUG = env_bool("DEBUG", DEV_MODE)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEV_MODE:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or CONFLICTDB_DEV=1 on a "
            "development machine."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEV_MODE else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "conflictdb.apps.ConflictDBAdminConfig",  # django.contrib.admin, its autocomplete ranked (conflictdb.autocomplete)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "rest_framework",
    "knox",  # API tokens, hashed at rest, with an expiry (see "Authentication" below)
    "axes",  # brute-force limits on every login (see "Authentication" below)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",  # background jobs (see "Background jobs" below)
    "django_tasks_db",
    "conflictdb.apps.ConflictDBConfig",
    "sources",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (policy: "Content-Security-Policy" below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: every write in a request is attributed to its user and channel.
    "conflictdb.provenance.ProvenanceMiddleware",
]

ROOT_URLCONF = "conflictdb.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "conflictdb.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed load or import writes; with WAL, synchronous=NORMAL
    # is still crash-safe (a power cut can lose only the last commits, never corrupt). A 64 MB page
    # cache keeps the indexes of a large import in memory instead of re-reading them from disk.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;")
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")

# --- Background jobs (conflictdb.jobs; README "Architecture", docs/jobs.md) ----------------------
# Django's Tasks framework (the django-tasks backport) with its database backend: the queue is a
# table of the same database, run by `manage.py db_worker` (`make run` starts one beside the
# server). Large imports and exports, and the consensus refresh after every import, run there.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND") or "django_tasks_db.DatabaseBackend"}}
# Where a job keeps its input file, its export and its live progress (private to the app's user;
# the web server and every worker must share it).
JOBS_DIR = Path(env_str("JOBS_DIR") or BASE_DIR / "var" / "jobs")
# Admin imports of files larger than this, and admin exports of more rows, run as background jobs.
CSV_JOB_THRESHOLD_BYTES = env_int("CSV_JOB_THRESHOLD_BYTES", 2_000_000)
CSV_JOB_THRESHOLD_ROWS = env_int("CSV_JOB_THRESHOLD_ROWS", 50_000)

# Security: strict unless DEBUG. `manage.py check --deploy` is clean with production settings.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# django-simple-history: the history user comes from the provenance context, not the request.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Reverting from the history page would bypass the verification workflow (it could restore an
# old status); restore goes through the domain layer instead (verification issue).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Changelists on tables larger than this use the database's row estimate instead of COUNT(*)
# (PostgreSQL only; SQLite counts are cheap at the sizes SQLite is used for).
ADMIN_ESTIMATED_COUNT_THRESHOLD = env_int("ADMIN_ESTIMATED_COUNT_THRESHOLD", 100_000)

# Import limits (docs/csv-import.md "Limits"): a file beyond any of them is refused with a message
# saying which, before it can take the memory or the time of the server.
IMPORT_MAX_FILE_MB = env_int("IMPORT_MAX_FILE_MB", 1024)
IMPORT_MAX_CELL_KB = env_int("IMPORT_MAX_CELL_KB", 16 * 1024)  # a document's full text fits
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5_000_000)
IMPORT_MAX_XLSX_UNCOMPRESSED_MB = env_int("IMPORT_MAX_XLSX_UNCOMPRESSED_MB", 1024)
IMPORT_MAX_XLSX_RATIO = env_int("IMPORT_MAX_XLSX_RATIO", 100)  # a sheet's expansion; zip bombs are 1000:1
# A batch left "running" by a process of another host (or an old one) is failed after this long.
IMPORT_STALE_AFTER_HOURS = env_int("IMPORT_STALE_AFTER_HOURS", 24)

# REST API (see docs/api.md). Anonymous users get nothing unless API_ANONYMOUS_READ=1.
API_ANONYMOUS_READ = env_bool("API_ANONYMOUS_READ", False)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an unauthenticated script gets 401 with WWW-Authenticate. Knox keeps
        # only a hash of each token (conflictdb.api.tokens).
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["conflictdb.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "conflictdb.api.filters.SearchFilter",
        "conflictdb.api.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "conflictdb.api.pagination.HybridPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "conflictdb.api.renderers.CSVRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON") or "60/hour",
        "user": env_str("API_THROTTLE_USER") or "20000/hour",
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "conflictdb.api.exceptions.api_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "URL_FORMAT_OVERRIDE": "format",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Authentication: brute-force limits and API tokens (issue 16; docs/api.md "Authentication").
# django-axes counts failed logins on every door that calls authenticate() with the request (the
# admin login and POST /api/token/) and locks out an address and a username independently: too many
# failures from one address lock it for every username, too many for one username lock it from
# every address. A success before the limit clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any check
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # turns an admin lockout into the lockout page
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # axes prints its start-up banner to standard output, into commands' CSV and docs
AXES_LOCKOUT_CALLABLE = "conflictdb.logins.lockout_response"  # the lockout page, 429
# Behind a reverse proxy every request comes from the proxy's address: say how many proxies sit in
# front (each appends to X-Forwarded-For) so the client's own address is counted.
LOGIN_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "conflictdb.logins.client_address"
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= timedelta(0) or LOGIN_PROXY_COUNT < 0:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be positive, "
                               "LOGIN_PROXY_COUNT zero or more.")
# API tokens (django-rest-knox): the database keeps a SHA-512 digest and the first characters
# (to find the row), never the token; every token expires API_TOKEN_TTL_HOURS after creation.
API_TOKEN_TTL = timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 720))
if API_TOKEN_TTL <= timedelta(0):
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be positive: every token expires.")
REST_KNOX = {
    "TOKEN_TTL": API_TOKEN_TTL,
    "AUTH_HEADER_PREFIX": "Token",  # scripts keep sending `Authorization: Token <key>`
    "AUTO_REFRESH": False,  # a stolen token must not live forever by being used
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ConflictDB API",
    "DESCRIPTION": (
        "Claims, casualty figures, equipment losses and territorial changes, each with its source, "
        "quote, verification status and provenance. Read access for researchers; writes for editors "
        "through the same domain rules as the admin."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "sources.models.Source.Kind",
        "ActorKindEnum": "events.models.Actor.Kind",
        "LocationKindEnum": "events.models.Location.Kind",
        "TerritorialChangeKindEnum": "events.models.TerritorialChange.Kind",
        "AttackKindEnum": "events.models.Attack.Kind",
        "CasualtyCategoryEnum": "events.models.CasualtyFigure.Category",
        "EquipmentCategoryEnum": "events.models.EquipmentType.Category",
        "EventPlaceRoleEnum": "events.models.EventLocation.Role",
        "EventActorRoleEnum": "events.models.EventActor.Role",
        "DisplacementPlaceRoleEnum": "events.models.DisplacementPlace.Role",
        "DatePrecisionEnum": "events.vocabularies.DatePrecision",
        "VerificationStatusEnum": "conflictdb.models.VerificationStatus",
    },
}

# Map tiles for the admin maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png". Empty: no
# tiles (the app works offline; points still show). Leaflet itself is served by the app.
MAP_TILE_URL = env_str("MAP_TILE_URL") or ""
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION") or ""


# --- Content-Security-Policy (django-csp; docs/protection.md "Content-Security-Policy") ----------
# Strict on every page: no inline script or style, no eval, nothing from elsewhere but map tiles.
# Our templates carry no inline script, style or handler (JS and CSS are static files, data goes in
# json_script or data- attributes); the Swagger page loads its init script as a file
# (SpectacularSwaggerSplitView) and Redoc, whose styled-components insert <style> elements, gets a
# per-response nonce on that page only (conflictdb.api.docs). tests/conflictdb/test_csp_browser.py
# opens every kind of page in Chromium and counts zero violations.
def _tile_origin(tile_url):
    """The origin a tile URL template loads from, as a CSP source: a `{s}` subdomain becomes `*.`."""
    parts = urlsplit(tile_url)
    host = re.sub(r"^\{[a-z]+\}\.", "*.", parts.netloc)
    if parts.scheme not in {"http", "https"} or not host or "{" in host:
        raise ImproperlyConfigured(f"MAP_TILE_URL={tile_url!r} has no host a browser policy can name.")
    return f"{parts.scheme}://{host}"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *([_tile_origin(MAP_TILE_URL)] if MAP_TILE_URL else [])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# --- end Content-Security-Policy ------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}
