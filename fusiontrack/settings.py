"""Django settings for fusiontrack, read from the environment in one place.

Environment variables (all optional except where production says otherwise):

FUSIONTRACK_ENV
    ``development`` (default), ``demo``, ``production`` or ``test``. Production fails closed:
    the system checks in ``fusiontrack/registry/checks.py`` refuse DEBUG, a missing or default
    secret key, SQLite without the explicit override, and the demo logins.
FUSIONTRACK_SECRET_KEY / FUSIONTRACK_SECRET_KEY_FILE
    The Django secret key, or a file holding it. Required in production. Development and test
    use a fixed, clearly insecure key; demo creates a random key once in the data directory.
DATABASE_URL
    Selects the database for every command (web, CLI, manage.py), parsed by dj-database-url:
    ``sqlite:////abs/path/db.sqlite3`` or ``postgres://user:pass@host:5432/name``.
    Unset: SQLite at ``$FUSIONTRACK_DATA_DIR/fusiontrack.sqlite3``.
FUSIONTRACK_DATA_DIR
    Where the embedded SQLite database, the demo secret key and collected static files live.
    Default ``./var`` (relative to the working directory), created when missing.
FUSIONTRACK_ALLOWED_HOSTS
    Comma-separated host names. Default ``localhost,127.0.0.1,[::1]`` outside production;
    empty (nothing served) in production until set.
FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION
    ``1`` to accept SQLite in production on purpose (single-clinic installs). Default off.
FUSIONTRACK_DEBUG
    ``1``/``0``. Default on in development only.
FUSIONTRACK_SECURE_SSL_REDIRECT, FUSIONTRACK_HSTS_SECONDS, FUSIONTRACK_TRUST_X_FORWARDED_PROTO
    Production transport security (defaults: redirect on, one year of HSTS, proxy header
    not trusted).
FUSIONTRACK_TIME_ZONE
    The clinic's zone (e.g. ``Europe/Stockholm``) for "today" and displayed times; data is
    stored in UTC whatever it is. Default ``UTC``.
FUSIONTRACK_STALLED_<STAGE>_DAYS
    Worklist: days in one stage before an episode counts as stalled (clinic protocol).
FUSIONTRACK_CSRF_TRUSTED_ORIGINS
    Comma-separated origins (``https://registry.example.org``) when served behind a proxy.
FUSIONTRACK_MFA_REQUIRED
    ``1`` to require a TOTP second factor for every staff log-in. Default on in production only.
FUSIONTRACK_SESSION_IDLE_SECONDS, FUSIONTRACK_SESSION_ABSOLUTE_SECONDS
    Staff sessions end after this long without a request (default 1800) or after log-in
    (default 43200).
FUSIONTRACK_LOGIN_MAX_FAILURES_PER_ACCOUNT, FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP,
FUSIONTRACK_LOGIN_WINDOW_SECONDS
    Log-in throttling: failures within the window (default 10 per account, 50 per IP address,
    900 s) that lock further attempts until the window has passed.
FUSIONTRACK_TRUSTED_PROXIES
    Number of reverse proxies in front of the app that append the client's address to
    X-Forwarded-For (default 0: use the connection's address). Log-in throttling per IP and the
    audit trail's "from where" use it; set it, or every user shares the proxy's address.
FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT
    ``0`` lets research exports and cohort analytics include patients with registry consent
    only. Default on. Patients who withdrew consent are always left out.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "demo", "production", "test")
INSECURE_DEVELOPMENT_KEY = "django-insecure-fusiontrack-development-key-never-use-in-production"


class ImproperlyConfiguredEnv(RuntimeError):
    """An environment variable holds a value this module cannot use."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r}: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r}: expected a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default) or default
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name}={value!r}: expected one of {', '.join(choices)}.")
    return value


def env_secret(name: str) -> str:
    """A secret from NAME or from the file named by NAME_FILE (Docker/systemd credentials)."""
    value = env_str(name)
    if value:
        return value
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(f"{name}_FILE={path!r}: cannot read it ({exc}).") from exc
    return ""


def _demo_secret_key(data_dir: Path) -> str:
    """A random key created once per demo data directory, so demo sessions survive restarts."""
    path = data_dir / "demo_secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


FUSIONTRACK_ENV = env_choice("FUSIONTRACK_ENV", ENVIRONMENTS, "development")
IS_PRODUCTION = FUSIONTRACK_ENV == "production"
IS_DEMO = FUSIONTRACK_ENV == "demo"

DATA_DIR = Path(env_str("FUSIONTRACK_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("FUSIONTRACK_DEBUG", FUSIONTRACK_ENV == "development")

SECRET_KEY = env_secret("FUSIONTRACK_SECRET_KEY")
FUSIONTRACK_SECRET_KEY_IS_DEFAULT = not SECRET_KEY
if not SECRET_KEY:
    # Production keeps the insecure key only so the system check can name the problem
    # (fusiontrack.E002) instead of Django failing with a bare ImproperlyConfigured.
    SECRET_KEY = _demo_secret_key(DATA_DIR) if IS_DEMO else INSECURE_DEVELOPMENT_KEY
    FUSIONTRACK_SECRET_KEY_IS_DEFAULT = not IS_DEMO

ALLOWED_HOSTS = env_list(
    "FUSIONTRACK_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env_list("FUSIONTRACK_CSRF_TRUSTED_ORIGINS", [])
FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION = env_bool("FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "fusiontrack.registry",
    "fusiontrack.security",
    "fusiontrack.portal",
    "fusiontrack.imaging",
    "fusiontrack.api",
    "fusiontrack.fhir",
    "fusiontrack.interop",
    "fusiontrack.insight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fusiontrack.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fusiontrack.security.middleware.SessionTimeoutMiddleware",
    "fusiontrack.security.middleware.MfaRequiredMiddleware",
    "fusiontrack.security.middleware.DeniedAccessAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fusiontrack.urls"
WSGI_APPLICATION = "fusiontrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fusiontrack.registry.context_processors.fusiontrack",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'fusiontrack.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("FUSIONTRACK_DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
FUSIONTRACK_DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
if FUSIONTRACK_DATABASE_IS_SQLITE:
    # WAL lets the demo server read while the loader or scheduler writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (OWASP password storage recommendation); the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # NIST SP 800-63B 5.1.1.2: breached passwords refused, long passphrases allowed.
    {"NAME": "fusiontrack.security.passwords.BreachedPasswordValidator"},
    {"NAME": "fusiontrack.security.passwords.MaximumLengthValidator"},
]
# The registry's backend plus log-in throttling (fusiontrack/security/throttle.py).
AUTHENTICATION_BACKENDS = ["fusiontrack.security.backends.ThrottledBackend"]
FUSIONTRACK_LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int(
    "FUSIONTRACK_LOGIN_MAX_FAILURES_PER_ACCOUNT", 10
)
FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP = env_int("FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP", 50)
FUSIONTRACK_LOGIN_WINDOW_SECONDS = env_int("FUSIONTRACK_LOGIN_WINDOW_SECONDS", 900)
# TOTP second factor for every staff log-in: required in production, optional elsewhere.
FUSIONTRACK_MFA_REQUIRED = env_bool("FUSIONTRACK_MFA_REQUIRED", IS_PRODUCTION)
OTP_TOTP_ISSUER = "fusiontrack"
FUSIONTRACK_TRUSTED_PROXIES = env_int("FUSIONTRACK_TRUSTED_PROXIES", 0)
FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT = env_bool(
    "FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT", True
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "registry:worklist"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# Storage is always UTC (USE_TZ); this zone only decides "today" and how times are shown.
TIME_ZONE = env_str("FUSIONTRACK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
WHITENOISE_USE_FINDERS = DEBUG or FUSIONTRACK_ENV in {"development", "test"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if FUSIONTRACK_ENV in {"production", "demo"}
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after 30 min without a request or 12 h after log-in (OWASP ASVS 3.3.2;
# enforced by fusiontrack.security.middleware.SessionTimeoutMiddleware).
FUSIONTRACK_SESSION_IDLE_SECONDS = env_int("FUSIONTRACK_SESSION_IDLE_SECONDS", 30 * 60)
FUSIONTRACK_SESSION_ABSOLUTE_SECONDS = env_int("FUSIONTRACK_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = FUSIONTRACK_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for this host, on path / (ASVS 3.3.x).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("FUSIONTRACK_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("FUSIONTRACK_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FUSIONTRACK_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("FUSIONTRACK_HSTS_PRELOAD", True)
    if env_bool("FUSIONTRACK_TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("FUSIONTRACK_LOG_LEVEL", "WARNING")},
}

# Clinic protocol defaults (not clinical facts): an episode that stays in one stage longer than
# this many days appears on the worklist as "stalled". SOURCE MISSING: no published standard
# exists for stage durations in a fusion pathway; clinics should set their own.
FUSIONTRACK_STALLED_STAGE_DAYS = {
    "evaluation": env_int("FUSIONTRACK_STALLED_EVALUATION_DAYS", 60),
    "conservative_care": env_int("FUSIONTRACK_STALLED_CONSERVATIVE_CARE_DAYS", 180),
    "surgical_decision": env_int("FUSIONTRACK_STALLED_SURGICAL_DECISION_DAYS", 60),
    "preparation": env_int("FUSIONTRACK_STALLED_PREPARATION_DAYS", 90),
    "surgery": env_int("FUSIONTRACK_STALLED_SURGERY_DAYS", 14),
}

# --- email (patient invitations and reminders go through Django's email backends) ---------------
# Production: SMTP from the environment. Elsewhere: a file backend under the data directory, so
# the demo and development never try to reach a mail server (messages can be read as files).
if FUSIONTRACK_ENV == "production":
    EMAIL_BACKEND = env_str(
        "FUSIONTRACK_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
    )
else:
    EMAIL_BACKEND = env_str(
        "FUSIONTRACK_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")
EMAIL_HOST = env_str("FUSIONTRACK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FUSIONTRACK_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("FUSIONTRACK_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("FUSIONTRACK_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("FUSIONTRACK_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("FUSIONTRACK_DEFAULT_FROM_EMAIL", "fusiontrack@localhost")
