"""CollectorsStashMarket settings.

Everything comes from the environment with a safe embedded default, so a fresh checkout runs
on SQLite, a local-memory cache, an in-memory channel layer and eager Celery. Setting
DATABASE_URL / REDIS_URL / CELERY_BROKER_URL switches to PostgreSQL, Redis and real workers.
A value that is present but malformed raises ImproperlyConfigured.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from csm.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CSM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Served over HTTPS (directly or behind a TLS-terminating proxy): secure cookies, HSTS,
# redirects. Off by default so the embedded site works on http://127.0.0.1:8000.
HTTPS = env_bool("CSM_HTTPS", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key created once per installation."""
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
        return key
    key_file = Path(env_str("SECRET_KEY_FILE", str(VAR_DIR / "secret_key")))
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "channels",
    "allauth",
    "allauth.account",
    "csm",
    "accounts",
    "catalogue",
    "pricing",
    "collection",
    "marketplace",
    "messaging",
    "forum",
    "scanning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "csm.middleware.LanguageRedirectMiddleware",
    "csm.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csm.middleware.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "csm.urls"
WSGI_APPLICATION = "csm.wsgi.application"
ASGI_APPLICATION = "csm.asgi.application"
SITE_ID = 1

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
                "django.template.context_processors.i18n",
                "csm.context_processors.site",
            ],
        },
    },
]

# --- Database ---
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is invalid: {exc}") from exc
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # A silently unreachable host must fail health checks quickly, not hang them.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "csm.sqlite3")),
            "OPTIONS": {
                # WAL + a busy timeout let the web process and eager jobs share the file.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channels, Celery ---
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "csm",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "status-checks": {"task": "csm.tasks.status_checks_run", "schedule": timedelta(minutes=1)},
    "purge-deleted-accounts": {
        "task": "accounts.tasks.accounts_purge_deleted",
        "schedule": crontab(minute=7),
    },
    "price-alert-digests": {
        "task": "pricing.tasks.alert_digests_send",
        "schedule": crontab(hour=7, minute=0),
    },
    # Ingests queue a warm-up themselves; this keeps time-based figures (prices updated in
    # 24 h, active sources) current and refills the cache after a Redis restart.
    "market-caches-warm": {
        "task": "pricing.tasks.market_caches_warm",
        "schedule": timedelta(minutes=15),
    },
    # Prices (pricing.tasks.scrape): the outlier guard's medians first, then each source
    # daily before the 07:00 alert digest; the ECB publishes its rates around 16:00 CET, so
    # 15:30 UTC is after publication in winter (16:30 CET) and summer (17:30 CEST).
    "price-reference-refresh": {
        "task": "pricing.tasks.price_reference_refresh",
        "schedule": crontab(hour=2, minute=30),
    },
    "price-scrape-scryfall": {
        "task": "pricing.tasks.source_scrape", "args": ("scryfall",),
        "schedule": crontab(hour=3, minute=0),
    },
    "price-scrape-ygoprodeck": {
        "task": "pricing.tasks.source_scrape", "args": ("ygoprodeck",),
        "schedule": crontab(hour=3, minute=30),
    },
    "price-scrape-tcgplayer": {
        "task": "pricing.tasks.source_scrape", "args": ("tcgplayer",),
        "schedule": crontab(hour=4, minute=0),
    },
    "price-scrape-cardmarket": {
        "task": "pricing.tasks.source_scrape", "args": ("cardmarket",),
        "schedule": crontab(hour=4, minute=30),
    },
    # Sources that need credentials; the task skips a source that is not configured.
    # CardTrader paces /marketplace/products at one call a second: one game per run.
    "price-scrape-cardtrader-mtg": {
        "task": "pricing.tasks.source_scrape", "args": ("cardtrader",),
        "kwargs": {"tcgs": ["mtg"]}, "schedule": crontab(hour=5, minute=0),
    },
    "price-scrape-cardtrader-pokemon": {
        "task": "pricing.tasks.source_scrape", "args": ("cardtrader",),
        "kwargs": {"tcgs": ["pokemon"]}, "schedule": crontab(hour=6, minute=15),
    },
    "price-scrape-cardtrader-other": {
        "task": "pricing.tasks.source_scrape", "args": ("cardtrader",),
        "kwargs": {"tcgs": ["yugioh", "onepiece", "lorcana", "fab", "starwars", "digimon",
                            "dragonball", "grandarc"]},
        "schedule": crontab(hour=7, minute=30),
    },
    "price-scrape-pricecharting": {
        "task": "pricing.tasks.source_scrape", "args": ("pricecharting",),
        "schedule": crontab(hour=5, minute=30),
    },
    "price-scrape-ebay": {
        "task": "pricing.tasks.source_scrape", "args": ("ebay",),
        "schedule": crontab(hour=8, minute=45),
    },
    # Forecasts read daily snapshots: recompute once the day's scrapes are in (~20 s at
    # 100k cards), not on every new price.
    "price-summaries-refresh": {
        "task": "pricing.tasks.price_summaries_refresh",
        "schedule": crontab(hour=9, minute=0),
    },
    "predictions-refresh": {
        "task": "pricing.tasks.predictions_refresh",
        "schedule": crontab(hour=9, minute=30),
    },
    "fx-rates-fetch": {
        "task": "pricing.tasks.fx_rates_fetch",
        "schedule": crontab(hour=15, minute=30),
    },
}

# --- Auth, sessions, CSRF ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.UsernameOrEmailBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SESSION_COOKIE_NAME = "tcg_session"
SESSION_COOKIE_AGE = 30 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = False

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"

# --- Security headers (active when served over HTTPS) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^healthz$"]

# --- i18n ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "csm_language"

# --- Static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# The embedded server serves uploaded/generated media itself; behind a reverse proxy that
# serves MEDIA_ROOT at MEDIA_URL, set CSM_SERVE_MEDIA=0.
CSM_SERVE_MEDIA = env_bool("CSM_SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ---
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CollectorsStashMarket <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "csm.api.authentication.ApiKeyAuthentication",
        "csm.api.authentication.CookieSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["csm.api.throttling.TierRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "csm.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Reverse proxies in front of us; 0 = key anonymous limits on the peer address, never on
    # a client-supplied X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CollectorsStashMarket API",
    "DESCRIPTION": "Card prices, market intelligence, marketplace, collections and scanning "
    "across twelve trading card games.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Anonymous callers: requests per minute per client IP.
CSM_ANON_RATE_PER_MINUTE = env_int("CSM_ANON_RATE_PER_MINUTE", 30)
# Namespace of the quota counters in Redis (lets several deployments share one Redis).
CSM_QUOTA_PREFIX = env_str("CSM_QUOTA_PREFIX", "csm")

# Price sources B (pricing.sources.cardtrader / pricecharting / ebay): credentials and base
# URLs (tests point the URLs at a local server). A source without credentials is skipped.
CARDTRADER_API_TOKEN = env_str("CARDTRADER_API_TOKEN")
PRICING_CARDTRADER_URL = env_str("PRICING_CARDTRADER_URL", "https://api.cardtrader.com/api/v2")
PRICECHARTING_API_TOKEN = env_str("PRICECHARTING_API_TOKEN")
PRICING_PRICECHARTING_URL = env_str("PRICING_PRICECHARTING_URL", "https://www.pricecharting.com")
EBAY_APP_ID = env_str("EBAY_APP_ID")
EBAY_CERT_ID = env_str("EBAY_CERT_ID")
PRICING_EBAY_URL = env_str("PRICING_EBAY_URL", "https://api.ebay.com")
# Sold items through the Marketplace Insights API (a limited-release API: enable it only
# when eBay granted the keyset its scope).
EBAY_MARKETPLACE_INSIGHTS = env_bool("EBAY_MARKETPLACE_INSIGHTS", False)
# eBay is rate-limited: each run searches the N most valuable cards of each of these games.
PRICING_EBAY_TOP_N = env_int("PRICING_EBAY_TOP_N", 50)
PRICING_EBAY_TCGS = env_list("PRICING_EBAY_TCGS", ["pokemon"])

# Price sources A (pricing.sources.tcgplayer / cardmarket / scryfall / ygoprodeck, FX from
# the ECB): base URLs (tests point them at a local server). None needs credentials.
PRICING_POKEMONTCG_URL = env_str("PRICING_POKEMONTCG_URL", "https://api.pokemontcg.io/v2")
POKEMONTCG_API_KEY = env_str("POKEMONTCG_API_KEY")  # optional: higher rate limits
PRICING_CARDMARKET_URL = env_str(
    "PRICING_CARDMARKET_URL", "https://downloads.s3.cardmarket.com/productCatalog/priceGuide")
# Cardmarket game ids whose price guide is read (1 = Magic: the catalogue's Cardmarket ids
# come from MTGJSON); e.g. "1,3,6" adds Yu-Gi-Oh! and Pokémon.
PRICING_CARDMARKET_GAMES = env_list("PRICING_CARDMARKET_GAMES", ["1"])
PRICING_SCRYFALL_URL = env_str("PRICING_SCRYFALL_URL", "https://api.scryfall.com")
PRICING_YGOPRODECK_URL = env_str("PRICING_YGOPRODECK_URL", "https://db.ygoprodeck.com/api/v7")
PRICING_ECB_URL = env_str("PRICING_ECB_URL", "https://www.ecb.europa.eu/stats/eurofxref")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
CSRF_FAILURE_VIEW = "csm.errors.csrf_failure"
