"""Django settings for kongres: the one settings module. Values come from ``config.py``."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from kongres.config import load_config, secret_key_from

CONFIG = load_config()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR: Path = CONFIG["data_dir"]

DEBUG = CONFIG["debug"]
SECRET_KEY = CONFIG["secret_key"] or secret_key_from(DATA_DIR)
ALLOWED_HOSTS = CONFIG["allowed_hosts"]
SITE_URL = CONFIG["site_url"].rstrip("/")
# Duplicate registrations are found on the address without "+tag" at these domains
# (kongres.registration.validators.email_key).
KONGRES_EMAIL_TAG_DOMAINS = [domain.lower() for domain in CONFIG["email_tag_domains"]]

INSTALLED_APPS = [
    "modeltranslation",  # before admin, so that translated fields show side by side
    "kongres.accounts.admin_config.KongresAdminConfig",  # the admin: superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks_db",
    # ours, from the bottom layer up (the import contract in pyproject.toml)
    "kongres.core",
    "kongres.events",
    "kongres.mail",
    "kongres.audit",
    "kongres.accounts",
    "kongres.content",
    "kongres.webhooks",
    "kongres.registration",
    "kongres.checkin",
    "kongres.campaigns",
    "kongres.feedback",
    "kongres.materials",
    "kongres.privacy",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "kongres.orga",
    "kongres.api",
    "kongres.demo",
    "ninja",  # the API's documents from its own static files (Swagger UI; no CDN)
]

MIDDLEWARE = [
    # first: the scheme (X-Forwarded-Proto) is believed only from a trusted proxy
    "kongres.core.proxy.ForwardedProtoMiddleware",
    "kongres.core.cache.PublicPageCacheMiddleware",  # a cached public page skips the rest
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (two-factor)
    "django.contrib.messages.middleware.MessageMiddleware",
    "kongres.accounts.middleware.SessionTimeoutMiddleware",  # staff: idle and absolute limits
    # staff pages need the second factor where the account must use one (review 2026-12, H2)
    "kongres.accounts.middleware.TwoFactorMiddleware",
    "kongres.accounts.middleware.LoginThrottledMiddleware",  # 429 for a throttled login (M1)
    "kongres.events.middleware.CurrentEditionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kongres.urls"
WSGI_APPLICATION = "kongres.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kongres.core.context_processors.site",
            ],
            "builtins": ["kongres.core.templatetags.kongres"],
        },
    }
]

# Database: PostgreSQL when a URL is given, else SQLite in WAL mode with IMMEDIATE transactions
# (the write lock is taken at BEGIN, so a check-and-take cannot interleave).
if CONFIG["database_url"]:
    DATABASES = {"default": dj_database_url.parse(CONFIG["database_url"], conn_max_age=600)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters bound on the server (psycopg's own default), and a statement prepared
        # the fifth time a connection sends it (Django turns psycopg's prepared statements
        # off for connection poolers; kongres connects directly, with persistent
        # connections): PostgreSQL stops parsing and planning the same statements on every
        # request (the seat pools' read of a registration: 0.25 ms of the database server's
        # CPU each time, 0.03 ms prepared).
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if (
        DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        and CONFIG["database_health_check"] == "poll"
    ):
        # Django's backend, with a health check that polls the socket instead of sending
        # SELECT 1; it cannot see every failure (kongres/core/postgresql/base.py says which)
        DATABASES["default"]["ENGINE"] = "kongres.core.postgresql"
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kongres.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                # seconds a transaction waits for the write lock: SQLite's lock timeout
                # (kongres.core.locks)
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How long a locking transaction waits for a row lock on PostgreSQL (SET LOCAL lock_timeout,
# kongres.core.locks) before the person gets "busy: try again in a moment".
KONGRES_LOCK_TIMEOUT_MS = CONFIG["lock_timeout_ms"]
KONGRES_LINK_VALID_DAYS = CONFIG["link_valid_days"]
KONGRES_PURGE_AFTER_DAYS = CONFIG["purge_after_days"]
KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS = CONFIG["purge_unconfirmed_after_days"]
# Webhooks (kongres.webhooks.validators, services): private targets allowed; days of failure
# after which a subscription is turned off (its edition's administrators are mailed).
KONGRES_WEBHOOKS_ALLOW_PRIVATE = CONFIG["webhooks_allow_private"]
KONGRES_WEBHOOKS_DISABLE_AFTER_DAYS = CONFIG["webhooks_disable_after_days"]
# Retention (kongres.privacy.retention.logs_purge): the API's Idempotency-Key answers and the
# webhook delivery log are deleted after this many days.
KONGRES_API_IDEMPOTENCY_KEEP_DAYS = CONFIG["api_idempotency_keep_days"]
KONGRES_WEBHOOK_LOG_KEEP_DAYS = CONFIG["webhook_log_keep_days"]
# Uploads (review 2026-12, L11): the size limit of kongres.core.validators, and whether the
# application serves /media/ itself (DEBUG, `make demo`, a site without nginx) or leaves it
# to the web server (production: deploy/nginx/kongres.conf).
KONGRES_UPLOAD_MAX_BYTES = CONFIG["upload_max_mb"] * 1024 * 1024
KONGRES_SERVE_MEDIA = CONFIG["serve_media"] or DEBUG
# Folders of MEDIA_ROOT that are never served (deploy/nginx/kongres.conf answers 404 for them
# too): speakers' materials waiting for an organiser's approval (kongres.materials).
KONGRES_PRIVATE_MEDIA_DIRS = ("materials-pending",)
# The largest speakers' materials and recordings (kongres.core.validators), stored through
# the storage "materials" (STORAGES below).
KONGRES_MATERIAL_MAX_BYTES = CONFIG["material_max_mb"] * 1024 * 1024
KONGRES_RECORDING_MAX_BYTES = CONFIG["recording_max_mb"] * 1024 * 1024
# Name badges (review 2026-12, L11): at most this many in one PDF made by a request (about 0.1 s
# each); a larger selection is offered in parts, `kongres badges` makes any number.
KONGRES_BADGES_PER_PDF = 80

# The cache every process shares: rate-limit counters, one-time form tokens, sessions, the
# content generation (kongres.core.cache), cached pages. Redis when cache_url says so (falling
# back to the database cache while Redis is unreachable: kongres.core.cachebackend), else the
# database cache (its table is made by the migration core 0001). Never a process's memory:
# gunicorn or granian run several processes, and `kongres worker` another.
CACHE_TABLE = "kongres_cache"
CACHES = {
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        # rate-limit counters must not be culled early: Django's default keeps 300 entries
        "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 4},
    }
}
if CONFIG["cache_url"]:
    CACHES["default"] = {
        "BACKEND": "kongres.core.cachebackend.RedisWithDatabaseFallback",
        "LOCATION": CONFIG["cache_url"],
        "OPTIONS": {
            "FALLBACK": "database",
            "RETRY_SECONDS": 10,
            # an unreachable Redis must cost a request milliseconds, not seconds
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
        },
    }
else:
    CACHES["default"] = CACHES["database"]
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Jobs that `kongres worker` runs on a schedule: (dotted path of a function taking no
# arguments, interval in seconds). Each job must be safe to run twice at the same time.
KONGRES_PERIODIC_JOBS = [
    # the verification mails the registration function writes (with no task of their own)
    ("kongres.mail.services.mail_due_wake", 1),
    ("kongres.mail.delivery.mail_retry_due", 60),
    ("kongres.webhooks.services.webhook_retry_due", 60),
    ("kongres.registration.tasks.expire_due", 30),
    ("kongres.registration.tasks.draw_due", 60),
    ("kongres.registration.tasks.reconfirmation_due", 300),
    ("kongres.campaigns.tasks.scheduled_mail_due", 300),
    # retention (review 2026-12, M7): purge_after_days, purge_unconfirmed_after_days
    ("kongres.privacy.tasks.purge_due", 3600),
    # the feedback survey: invitations once the congress is over (each participant once)
    ("kongres.feedback.tasks.invite_due", 600),
    # certificates of attendance once an edition is over (kongres.checkin.certificates)
    ("kongres.checkin.tasks.certificates_issue_due", 3600),
    # api_idempotency_keep_days, webhook_log_keep_days
    ("kongres.privacy.tasks.logs_purge_due", 3600),
]

# Staff accounts (security review 2026-12, L5): passwords of 12 characters or more (ASVS L2);
# a session ends after a time without activity (shorter on a check-in phone) and a fixed time
# after signing in (kongres.accounts.middleware.SessionTimeoutMiddleware).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every login form counts failures per account and per address before hashing a password
# (kongres.accounts.backends; review 2026-12, M1). Two factors: an account with an
# authenticator app, with a role in an edition that requires it, or every account when
# two_factor_required is set (kongres.accounts.middleware.TwoFactorMiddleware; H2).
AUTHENTICATION_BACKENDS = ["kongres.accounts.backends.ThrottledModelBackend"]
KONGRES_TWO_FACTOR_REQUIRED = CONFIG["two_factor_required"]
SESSION_COOKIE_AGE = CONFIG["session_max_hours"] * 3600
KONGRES_SESSION_MAX_AGE = SESSION_COOKIE_AGE  # seconds after signing in, whatever the activity
KONGRES_SESSION_IDLE = CONFIG["session_idle_minutes"] * 60  # seconds without activity
KONGRES_SESSION_IDLE_CHECKIN = CONFIG["checkin_session_idle_minutes"] * 60

# Internationalisation: Polish first, English second.
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
TIME_ZONE = CONFIG["time_zone"]
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["kongres.formats"]  # English dates as the pages write them
MODELTRANSLATION_DEFAULT_LANGUAGE = "pl"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("pl",)

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # speakers' materials and recordings (under materials/): MEDIA_ROOT by default,
    # S3-compatible storage (django-storages) or any other by configuration
    # (materials_storage_backend, materials_storage_options)
    "materials": {
        "BACKEND": CONFIG["materials_storage_backend"]
        or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": CONFIG["materials_storage_options"],
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Source maps (the API docs' scripts, about half of the static bytes) are not precompressed:
# only a browser's developer tools ask for them, and compressing them took more than half of
# collectstatic's time, on every start after an upgrade (and in each test that starts a server).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks here at start-up

# Mail: by default written to files under var/mail, so that a demo user can click the links.
_mail_url = CONFIG["mail_url"]
if not _mail_url:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
elif _mail_url.startswith("console:"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif _mail_url.startswith("file:"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": _mail_url.removeprefix("file:").removeprefix("//")},
        }
    }
else:
    _mail = urlsplit(_mail_url)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _mail.hostname or "127.0.0.1",
                "port": _mail.port or 25,
                "username": unquote(_mail.username or ""),
                "password": unquote(_mail.password or ""),
                "use_tls": _mail.scheme == "smtp+tls",
                "use_ssl": _mail.scheme == "smtps",
                "timeout": 10,
            },
        }
    }
DEFAULT_FROM_EMAIL = SERVER_EMAIL = CONFIG["mail_from"]

# Security: a strict Content Security Policy; no inline scripts or styles, no other hosts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if SITE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# Forms may be sent from the site's own origin (as the visitor sees it, also behind a proxy)
# and from the origins the configuration adds.
_site = urlsplit(SITE_URL)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}", *CONFIG["csrf_trusted_origins"]]

# Behind a reverse proxy (deploy/): the proxies whose X-Forwarded-For (the client's address,
# kongres.core.proxy.client_ip) and X-Forwarded-Proto (https) are believed. Requests from
# anyone else have X-Forwarded-Proto removed (kongres.core.proxy.ForwardedProtoMiddleware).
KONGRES_TRUSTED_PROXIES = CONFIG["trusted_proxies"]
if KONGRES_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = CONFIG["https_redirect"]
SECURE_HSTS_SECONDS = CONFIG["hsts_seconds"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG["hsts_include_subdomains"]
SECURE_HSTS_PRELOAD = CONFIG["hsts_preload"]

LOGIN_URL = "orga:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"kongres": {"level": "INFO"}},
}
