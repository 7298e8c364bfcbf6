"""Django settings. Every value that differs between installations comes from the environment.

Variables (all optional; `tests/site/test_settings_doc.py` fails if the code reads one not listed here, and
docs/deployment.md explains each for a production installation):
  DATABASE_URL           postgres://user@host:5432/name; unset = SQLite file var/ceptoar.sqlite3
  CEPTOAR_VAR_DIR        where the SQLite file, secret key, uploads and collected static files live
  CEPTOAR_SECRET_KEY     signing key; unset = one generated once and kept in var/secret-key
  CEPTOAR_SECRET_KEY_FALLBACKS  comma-separated former keys, still accepted for what they signed while
                         a new key takes over (sessions, acknowledgement links); unset = none
  CEPTOAR_DEBUG          1 for development error pages
  CEPTOAR_ALLOWED_HOSTS  comma-separated host names the site answers to
  CEPTOAR_CSRF_TRUSTED_ORIGINS  comma-separated further origins (https://host) forms may be posted from;
                         the origin of CEPTOAR_BASE_URL is always trusted
  CEPTOAR_HTTPS          1 = the site is reached over HTTPS only (through a TLS reverse proxy): plain HTTP is
                         redirected, HSTS is sent, cookies are marked Secure (default 0, for the demo)
  CEPTOAR_PROXY_SSL_HEADER  the header the reverse proxy sets to "https" on requests it received over TLS,
                         e.g. X-Forwarded-Proto (required with CEPTOAR_HTTPS=1; the proxy must overwrite it)
  CEPTOAR_HSTS_SECONDS   Strict-Transport-Security max-age with CEPTOAR_HTTPS=1 (default 31536000, a year)
  CEPTOAR_HSTS_INCLUDE_SUBDOMAINS  1 = HSTS covers the site's subdomains too (default 1)
  CEPTOAR_HSTS_PRELOAD   1 = ask to be preloaded in browsers (public domains only; default 0)
  CEPTOAR_SECURE_COOKIES session and CSRF cookies only over HTTPS (default: as CEPTOAR_HTTPS)
  CEPTOAR_TRUSTED_PROXY_COUNT  reverse proxies in front of `ceptoar serve` that append the client's
                         address to X-Forwarded-For (default 0): log-in throttling counts per client address
  CEPTOAR_BASE_URL       the site's address as recipients reach it, put into e-mails and webhooks
                         (default http://127.0.0.1:8000; https://… with CEPTOAR_HTTPS=1)
  CEPTOAR_LOG_LEVEL      DEBUG, INFO, WARNING (default), ERROR or CRITICAL; logs go to standard error
  CEPTOAR_ATTACHMENT_MAX_BYTES  largest attachment of an alert or report (default 10485760, 10 MiB)
  CEPTOAR_FIRST_REPORT_HOURS    hours after detection the first incident report is due, unless the CEPTOAR
                         sets its own (default 24)
  CEPTOAR_DETAILED_REPORT_HOURS hours after detection the detailed (final) report is due (default 72)
  CEPTOAR_SMTP_HOST      SMTP relay for alert e-mails (default 127.0.0.1)
  CEPTOAR_SMTP_PORT      its port (default 8025)
  CEPTOAR_SMTP_TIMEOUT_S seconds before an SMTP conversation counts as failed (default 10)
  CEPTOAR_MAIL_FROM      sender address of alert e-mails (default ceptoar@localhost)
  CEPTOAR_WEBHOOK_TIMEOUT_S  seconds a webhook receiver may take to answer (default 5)
  CEPTOAR_WEBHOOK_SECRET key that signs webhook bodies; unset = derived from the secret key
  CEPTOAR_OUTBOUND_ALLOW comma-separated networks (10.20.0.0/16), addresses and host names
                         (hooks.intra.example.jp, *.intra.example.jp) that webhook and chat channels may
                         reach although they are not public internet addresses (in-house receivers on a
                         closed network); unset = none: loopback, private, link-local, shared, multicast
                         and reserved addresses are refused (docs/deployment.md)
  CEPTOAR_DELIVERY_MAX_ATTEMPTS  tries before a delivery counts as failed for good (default 8)
  CEPTOAR_ACK_LINK_MAX_AGE_DAYS  days an e-mail's acknowledgement link stays valid (default 14)
  CEPTOAR_WARNING_LISTS_DIR  a folder of further or updated warning lists (JSON, the format of
                         ceptoar/intel/warninglists.py); unset = the lists shipped only
  CEPTOAR_IMPORT_MAX_BYTES  `ceptoar import`: the largest file, in bytes (default 20 MiB; the whole demo
                         registry as JSON is 6 MB)
  CEPTOAR_IMPORT_MAX_RECORDS  `ceptoar import`: the most records a file may hold (default 100,000; the demo
                         registry has 25,000)
  CEPTOAR_EXCHANGE_MAX_BYTES  the largest MISP event file an import reads, from the command line or the
                         upload page (default 52428800, 50 MiB)
  CEPTOAR_STIX_MAX_BYTES `ceptoar import stix` and the STIX upload page: the largest bundle, in bytes
                         (default 104857600, 100 MiB; ATT&CK Enterprise is about 45 MB)
  CEPTOAR_DEMO_MAILBOX   1 = the /demo/mailbox/ page (set by `ceptoar demo`; never in production)
  CEPTOAR_SERVE_PROCESSES  `ceptoar serve`: server processes sharing the port (default: the CPU count)
  CEPTOAR_SERVE_THREADS  `ceptoar serve`: threads of each process (default 4)
  CEPTOAR_ESCALATION_BACKUP_AFTER_MIN     default escalation plan: minutes without receipt before the
  CEPTOAR_ESCALATION_HEAD_AFTER_MIN       backup contacts, the head and the secretariat's call list are
  CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN  reached (default 30 / 60 / 120)
  CEPTOAR_CORRELATION_LIMIT  an observable carried by more than this many items the reader may see is held
                         back as over-correlating: shown as such, its items not listed (default 50)
Benchmarks only (`ceptoar bench`, never in production):
  CEPTOAR_PDF_FONT       a Japanese TrueType (.ttf) file the exercise report's PDF embeds (default: Debian's
                         IPAexGothic, fonts-ipaexfont-gothic, installed by `make install`)
  CEPTOAR_BENCH_KEEP     1 = keep each run's scratch database and var directory, to look into a failure
  CEPTOAR_BENCH_PROFILE  set by the fan-out benchmark itself: the file its profiled phase writes to
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ceptoar.config import (
    database_from_env,
    env_bool,
    env_header,
    env_int,
    env_list,
    env_log_level,
    env_outbound_allow,
    env_secret_key_fallbacks,
    env_str,
    origin_of,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("CEPTOAR_VAR_DIR") or Path.cwd() / "var").resolve()

DEBUG = env_bool("CEPTOAR_DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR, DEBUG)
# After a key change, signatures made with the former keys (sessions, e-mails' acknowledgement links) still
# hold while these are listed; everything new is signed with SECRET_KEY (docs/deployment.md).
SECRET_KEY_FALLBACKS = env_secret_key_fallbacks("CEPTOAR_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("CEPTOAR_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CEPTOAR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ceptoar.site",
    "ceptoar.accounts",
    "ceptoar.registry",
    "ceptoar.sharing",
    "ceptoar.alerts",
    "django_tasks",
    "django_tasks_db",
    "ceptoar.channels",
    "ceptoar.escalation",
    "ceptoar.reports",
    "ceptoar.search",
    "ceptoar.analysis",
    "ceptoar.exercises",
    "ceptoar.agreements",
    "ceptoar.notifications",
    "ceptoar.intel",
    "ceptoar.api",
    "ninja",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ceptoar.site.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ceptoar.site.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ceptoar.accounts.middleware.RequireMfaMiddleware",
    "ceptoar.accounts.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "ceptoar.urls"
WSGI_APPLICATION = "ceptoar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ceptoar.site.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# Accounts are provisioned by the secretariat, never by self sign-up.
ACCOUNT_ADAPTER = "ceptoar.accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# A password reset never signs the person in: the next log-in asks for the password and, for staff
# roles, the one-time code (allauth's default, stated because the second factor depends on it).
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CEPTOAR"
# No "trust this browser": every staff session passes the second factor itself (RequireMfaMiddleware).
MFA_TRUST_ENABLED = False
# Staff roles pass TOTP in every session (accounts.middleware.RequireMfaMiddleware). Not read from the
# environment: no installation can switch it off; a test that creates a staff account without an
# authenticator may turn it off for itself.
CEPTOAR_MFA_REQUIRED = True
# Log-in throttling (allauth's rate limits) counts attempts per client address; behind a reverse proxy
# that address is in X-Forwarded-For, added by as many proxies as this says.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("CEPTOAR_TRUSTED_PROXY_COUNT", 0, minimum=0)

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "ceptoar_language"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
# Production sits behind a TLS reverse proxy (docs/deployment.md); the demo and the tests speak plain HTTP
# on 127.0.0.1, so everything that insists on HTTPS waits for CEPTOAR_HTTPS=1.
CEPTOAR_HTTPS = env_bool("CEPTOAR_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("CEPTOAR_SECURE_COOKIES", CEPTOAR_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Our own page instead of Django's, whose inline <style> the Content-Security-Policy would refuse.
CSRF_FAILURE_VIEW = "ceptoar.site.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Attachments to alerts: larger files are refused with a message naming the limit.
CEPTOAR_ATTACHMENT_MAX_BYTES = env_int("CEPTOAR_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# The Japanese font the exercise report's PDF embeds (exercises.fonts); empty = IPAexGothic where the
# system's package puts it.
CEPTOAR_PDF_FONT = env_str("CEPTOAR_PDF_FONT", "")

# Warning lists an installation adds or updates without code (intel.warninglists); empty = shipped only.
CEPTOAR_WARNING_LISTS_DIR = env_str("CEPTOAR_WARNING_LISTS_DIR", "")

# Registry imports: larger files, or files with more records, are refused with a message naming the limit.
CEPTOAR_IMPORT_MAX_BYTES = env_int("CEPTOAR_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
CEPTOAR_IMPORT_MAX_RECORDS = env_int("CEPTOAR_IMPORT_MAX_RECORDS", 100_000, minimum=1)
# STIX bundles (`intel.stix.importer`): a larger one is refused before it is parsed.
CEPTOAR_STIX_MAX_BYTES = env_int("CEPTOAR_STIX_MAX_BYTES", 100 * 1024 * 1024, minimum=1024)

# MISP events (and other exchange files) that come in: a larger file is refused before it is parsed.
CEPTOAR_EXCHANGE_MAX_BYTES = env_int("CEPTOAR_EXCHANGE_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)

# Reporting deadlines (hours after detection) of a CEPTOAR that has not set its own: the first report and
# the detailed (final) one.
CEPTOAR_REPORTING_DEADLINES = {
    "first": env_int("CEPTOAR_FIRST_REPORT_HOURS", 24, minimum=1),
    "details": env_int("CEPTOAR_DETAILED_REPORT_HOURS", 72, minimum=1),
}

# How long a point of contact may go unverified before the freshness page lists it.
CEPTOAR_CONTACT_STALE_DAYS = 180

# The cache every `ceptoar serve` process and worker shares, in the database they already share: allauth
# counts failed log-ins and one-time codes there, so its limits hold across processes and hosts instead of
# multiplying with their number, and no cache service is needed. The table is created by `migrate`
# (site/migrations/0001_cache_table.py).
CACHE_TABLE = "ceptoar_cache"
# Room for every counter an attack could make: at the default 300 entries, a flood of attempts under other
# names would cull the counters of the account really under attack.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    }
}

# Background work (alert deliveries) is a row in the same database, so an enqueue commits or rolls back
# with the transaction that made it; `ceptoar worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CEPTOAR_BASE_URL = env_str("CEPTOAR_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not CEPTOAR_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"CEPTOAR_BASE_URL={CEPTOAR_BASE_URL!r} must start with http:// or https://.")
# Forms are posted from the address people are given, whatever Host header the proxy passes on.
CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, origin_of(CEPTOAR_BASE_URL)]

# HTTPS (CEPTOAR_HTTPS=1). `ceptoar serve` speaks plain HTTP to the TLS reverse proxy in front of it, so it
# can tell a request the proxy received over TLS only by the header the proxy sets (and overwrites).
_proxy_header = env_header("CEPTOAR_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
_hsts_seconds = env_int("CEPTOAR_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
_hsts_subdomains = env_bool("CEPTOAR_HSTS_INCLUDE_SUBDOMAINS", True)
_hsts_preload = env_bool("CEPTOAR_HSTS_PRELOAD", False)
if CEPTOAR_HTTPS:
    if not CEPTOAR_BASE_URL.startswith("https://"):
        raise ImproperlyConfigured(
            f"CEPTOAR_HTTPS=1 but CEPTOAR_BASE_URL={CEPTOAR_BASE_URL!r} is not an https:// address; "
            "e-mails and webhooks would carry links that the site then redirects."
        )
    if SECURE_PROXY_SSL_HEADER is None:
        raise ImproperlyConfigured(
            "CEPTOAR_HTTPS=1 needs CEPTOAR_PROXY_SSL_HEADER (e.g. X-Forwarded-Proto): the name of the header "
            "the TLS reverse proxy sets to https. Without it every request would be redirected to HTTPS again."
        )
    SECURE_SSL_REDIRECT = True
    # A monitor may ask each `ceptoar serve` process for /health directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = _hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _hsts_subdomains
    SECURE_HSTS_PRELOAD = _hsts_preload
    if not _hsts_preload:
        # The preload list ships inside browsers for public domains; a closed network's host is never on
        # it, so Django's reminder to join it (security.W021) is noise there. CEPTOAR_HSTS_PRELOAD=1 asks.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("CEPTOAR_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("CEPTOAR_SMTP_PORT", 8025, minimum=1)
EMAIL_TIMEOUT = env_int("CEPTOAR_SMTP_TIMEOUT_S", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("CEPTOAR_MAIL_FROM", "ceptoar@localhost")

CEPTOAR_WEBHOOK_TIMEOUT_S = env_int("CEPTOAR_WEBHOOK_TIMEOUT_S", 5, minimum=1)
CEPTOAR_WEBHOOK_SECRET = env_str("CEPTOAR_WEBHOOK_SECRET", "")
# Webhook and chat channels reach only public internet addresses, and these (ceptoar.utilities.outbound).
CEPTOAR_OUTBOUND_ALLOW = env_outbound_allow("CEPTOAR_OUTBOUND_ALLOW")
CEPTOAR_DELIVERY_MAX_ATTEMPTS = env_int("CEPTOAR_DELIVERY_MAX_ATTEMPTS", 8, minimum=1)
# Backoff between tries of one delivery: base × factor^(attempt−1), with up to 20 % jitter.
CEPTOAR_DELIVERY_RETRY_BASE_S = 30
CEPTOAR_DELIVERY_RETRY_FACTOR = 2
# Deliveries per send task; a worker that dies holds at most this many for one lease. Each task costs a
# worker some tens of milliseconds of claiming and setting up while its mail connection is idle: at 200 a
# national fan-out spent a sixth of its sending time on that (docs/benchmarks.md).
CEPTOAR_DELIVERY_BATCH_SIZE = 500
# A delivery left "sending" longer than this belonged to a worker that died; the sweeper returns it.
CEPTOAR_DELIVERY_LEASE_S = 300
# After this, the e-mail's acknowledgement link is refused and the person acknowledges on the portal.
CEPTOAR_DEMO_MAILBOX = env_bool("CEPTOAR_DEMO_MAILBOX", False)

# Default escalation plan (minutes after publication), for organisations without their own.
CEPTOAR_ESCALATION_BACKUP_AFTER_MIN = env_int("CEPTOAR_ESCALATION_BACKUP_AFTER_MIN", 30, minimum=1)
CEPTOAR_ESCALATION_HEAD_AFTER_MIN = env_int("CEPTOAR_ESCALATION_HEAD_AFTER_MIN", 60, minimum=1)
CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN = env_int("CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN", 120, minimum=1)
if not (
    CEPTOAR_ESCALATION_BACKUP_AFTER_MIN
    < CEPTOAR_ESCALATION_HEAD_AFTER_MIN
    < CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN
):
    raise ImproperlyConfigured(
        "CEPTOAR_ESCALATION_BACKUP_AFTER_MIN < CEPTOAR_ESCALATION_HEAD_AFTER_MIN < "
        "CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN must hold (backup contacts, then the head, then calls)."
    )
CEPTOAR_ACK_LINK_MAX_AGE_DAYS = env_int("CEPTOAR_ACK_LINK_MAX_AGE_DAYS", 14, minimum=1)
# Correlation (intel.correlation): a value matching more items than this, among those the reader may see,
# is over-correlating (a shared resolver, a common file name) and is not expanded.
CEPTOAR_CORRELATION_LIMIT = env_int("CEPTOAR_CORRELATION_LIMIT", 50, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_log_level("CEPTOAR_LOG_LEVEL", "WARNING")},
}
