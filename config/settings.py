"""Settings for the CRM project.

Everything that differs between machines comes from environment variables; the defaults are
safe for development (SQLite in the project folder, DEBUG on). With DEBUG off the process
refuses to start without a SECRET_KEY.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    # Content-Security-Policy header (CONTENT_SECURITY_POLICY below) and login lockout (AXES_*).
    "csp",
    "axes",
    "common",
    "salescycles",
    "contacts",
    "opportunities",
    "leads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "common.middleware.RejectNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language saved on the user's profile wins over Accept-Language.
    "common.middleware.ProfileLanguageMiddleware",
    # Every view needs a login unless it is marked with @login_not_required (the login page, the
    # health check, later the public lead form); the API authenticates itself and answers 401.
    "common.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The site-wide policy, with the per-view exceptions of common/csp.py (the admin's inline styles).
    "common.csp.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.context_processors.crm",
            ],
        },
    },
]
# Django's form renderer, with <select> elements written in Python (a 200-salesperson filter).
FORM_RENDERER = "common.forms.CrmFormRenderer"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction mode, server-side cursors (used by .iterator()) must be off.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DISABLE_SERVER_SIDE_CURSORS", False)
# The statements every request runs (its session, user and permissions) are prepared once per
# PostgreSQL session (common.prepared.execute). That pays only where connections persist, and a
# pooler in transaction mode shares sessions between clients: off there.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", DATABASES["default"]["CONN_MAX_AGE"] != 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts and wait for it, instead of failing with
    # "database is locked" when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
# A read replica (README, "Scaling out"): the reports read from it, everything else uses the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
CRM_REPORTS_DATABASE = "replica" if "replica" in DATABASES else None
DATABASE_ROUTERS = ["common.db_routing.ReportsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite (the development default) ignores the covering columns of the PostgreSQL indexes of
# opportunities/0004; PostgreSQL, the production database, uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out username + address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "common.auth.CrmModelBackend",
]
# Login brute force: after AXES_FAILURE_LIMIT failed logins for one username from one address, that
# pair is locked for AXES_COOLOFF_MINUTES (UI and admin login; API tokens are not affected).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "common.account_views.locked_out"
# Lockouts are logged as warnings; the per-command and per-login INFO lines would only be noise.
AXES_VERBOSE = False
# The client address is REMOTE_ADDR, as for the enquiry form's rate limit: a client can write any
# X-Forwarded-For it likes, so a proxy must set REMOTE_ADDR (README, "Production notes").
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: the six languages of the origin documents (SPEC §8).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("nl", _("Dutch")),
    ("fi", _("Finnish")),
    ("nb", _("Norwegian Bokmål")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# htmx and Chart.js come from npm (package.json; `make run` and `make test` install them) and are
# served like our own static files: the UI works offline, nothing loads from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
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

# Production hardening that costs nothing in development.
# Database sessions, each request's read by one plain SQL query (common/sessions.py).
SESSION_ENGINE = "common.sessions"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Load balancers probe the health check over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# HSTS stays off until HTTPS is known to work (README, "Production notes"): a browser that has seen
# the header refuses plain HTTP for that long. `check --deploy` warns (security.W004) until it is set.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
# includeSubDomains covers only the names under the CRM's own host (crm.example.com), so it is on.
# Preloading is the domain owner's decision (the preload list takes only a registrable domain that
# sends the header itself): off unless SECURE_HSTS_PRELOAD says so; `check --deploy` reminds (W021).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never
# inline. The exceptions are per view, in common/csp.py (the admin and the Redoc page need inline
# styles; no page runs inline scripts).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Admin import and export: who may do it (model permissions), and every import in a transaction.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests a 401 rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "common.api.CrmAutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "common.filters.FilterBackend",
        "common.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_TOKEN_THROTTLE_RATE", "600/minute")},
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CRM sales opportunity management API",
    "DESCRIPTION": (
        "Sales cycles, contacts, opportunities and their lifecycle (activate, update stage, close), "
        "tasks and quotes. Authenticate with `Authorization: Token <key>` or a browser session. "
        "Refusals of business rules answer 409 with `{detail, code}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields named "type" and "status" mean different things on different objects.
    "ENUM_NAME_OVERRIDES": {
        "OpportunityStatusEnum": "opportunities.models.Opportunity.Status",
        "TaskStatusEnum": "opportunities.models.Task.Status",
        "ContactTypeEnum": "contacts.models.Contact.Type",
        "TaskTypeEnum": "salescycles.models.TaskType",
        "CloseCodeTypeEnum": "salescycles.models.CloseOpportunityCode.Type",
        "LeadStatusEnum": "leads.models.Lead.Status",
        "LeadSourceEnum": "leads.models.Lead.Source",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- CRM settings -------------------------------------------------------------------------
CRM_CURRENCY = os.environ.get("CRM_CURRENCY", "EUR")
# Code of the sales cycle proposed for new opportunities (ignored when missing or blocked).
CRM_DEFAULT_SALES_CYCLE = os.environ.get("CRM_DEFAULT_SALES_CYCLE", "")
# Two contacts are likely duplicates when at least this share of their search strings match.
CRM_DUPLICATE_MATCH_PCT = env_int("CRM_DUPLICATE_MATCH_PCT", 60)
# A lead with the same e-mail or company + person name as a lead of the last this many days is flagged.
CRM_LEAD_DUPLICATE_DAYS = env_int("CRM_LEAD_DUPLICATE_DAYS", 30)
# Submissions of the public lead form per client IP address: "<count>/<s|m|h|d>" (e.g. "5/h", "20/d").
CRM_LEAD_FORM_RATE = os.environ.get("CRM_LEAD_FORM_RATE", "5/h")
# Scheme and host for links in e-mails (e.g. https://crm.example.com); empty: links are paths.
CRM_BASE_URL = os.environ.get("CRM_BASE_URL", "")

# E-mail (lead notifications): printed to the console in development, SMTP (EMAIL_HOST, …) in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
