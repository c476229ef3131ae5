"""Settings for newsarchive, read from the environment.

One module serves development, tests and production; the environment decides:

- ``DEBUG`` (default ``1``): ``0`` selects production behaviour.
- ``SECRET_KEY``: required when ``DEBUG=0``; development uses a fixed,
  clearly insecure key so that ``make run`` needs no set-up.
- ``DATABASE_URL`` (default: the SQLite file ``var/db.sqlite3``), e.g.
  ``postgres://postgres@127.0.0.1:5432/newsarchive``.
- ``ALLOWED_HOSTS``: comma-separated host names.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


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


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG=0.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

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
    "rest_framework",
    "drf_spectacular",
    "simple_history",
    "axes",
    "actors",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: signed-in users read their own writes from the primary.
    "newsarchive.routers.PinToPrimaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Its process_exception runs for views and lazily rendered templates alike.
    "newsarchive.middleware.DatabaseUnavailableMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsarchive.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "newsarchive.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
# Read replicas (docs/scale-out.md): comma-separated URLs; public reads are spread over them.
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica{number}"] = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
    # Tests run against one database: a replica alias reads the primary's test database.
    DATABASES[f"replica{number}"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["newsarchive.routers.PrimaryReplicaRouter"]
# PostgreSQL compiles a query it deems expensive (JIT): 150–250 ms of compiling for a
# facet count that runs in 100 ms at a million articles. A page's queries are short, so
# the archive's connections do without; POSTGRES_JIT=1 keeps the server's own setting.
if not env_bool("POSTGRES_JIT", False):
    for database in DATABASES.values():
        if database["ENGINE"] == "django.db.backends.postgresql":
            options = database.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the linker's automaton version and rendered fragments: Redis when
# REDIS_URL is set (shared by every app server), this process's memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
# How long an anonymous reader's page is kept whole at most (articles.caching.
# cache_public_page); a change to the archive retires it at once anyway. 0: never kept.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "900"))
# How long after it was counted a slow figure (facet counts, charts) may still be shown
# when the archive has changed since (articles.caching.cached, stale_ok). 0: never.
ARCHIVE_FIGURES_STALE_SECONDS = int(os.environ.get("ARCHIVE_FIGURES_STALE_SECONDS", "300"))
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# django-axes runs first, so a locked-out username or address never reaches a password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for an hour;
# a correct login before then resets the count. The address is REMOTE_ADDR, which a client
# cannot forge (X-Forwarded-For is not trusted for this; docs/deployment.md).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

LOGIN_URL = "admin:login"

# Production (DEBUG=0): HTTPS only, behind a proxy that sets X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Nothing inline runs: every script and style is a file under static/. JSON-LD blocks are
# data, not scripts, so they need no exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Django 6 behaviour now: a scheme-less URL typed in a form means https.
FORMS_URLFIELD_ASSUME_HTTPS = True

# Editors' history pages show who changed what; keep the diff readable.
SIMPLE_HISTORY_REVERT_DISABLED = False
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ARCHIVE_PAGE_SIZE = 20

# The public JSON API (docs/api.md). Its viewsets set their pagination (``?page_size=``,
# at most 100) and read-only permission themselves (actors/api.py): DRF imports the
# DEFAULT_* classes while defining its own views, so they cannot live in a module that
# imports those views. The defaults below serve any other DRF view: closed unless it opts in.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "newsarchive API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Public, read-only JSON API of newsarchive, a web archive of geopolitical news about "
        "Israel, the United States and Iran: published articles with their confirmed actors, "
        "topics and talks; actors with their aliases and roles; bilateral talks; topics; "
        "outlets. Every list takes the parameters of its page, `modified_since` for syncing, "
        "and `page` / `page_size` (at most 100)."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a ``kind``: one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "actors.models.Actor.Kind",
        "AliasKindEnum": "actors.models.Alias.Kind",
        "TalkKindEnum": "actors.models.Talk.Kind",
        "ArticleKindEnum": "articles.models.Article.Kind",
        "OutletKindEnum": "articles.models.Outlet.Kind",
        "ArticleActorRoleEnum": "articles.models.ArticleActor.Role",
    },
}
