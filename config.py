"""Configuration from environment variables: one base class, one subclass per environment."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _default_sqlite_url() -> str:
    instance = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))
    return f"sqlite:///{instance / 'complaints.sqlite3'}"


def normalise_db_url(url: str) -> str:
    """Let users write postgres:// or postgresql:// and still get psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = normalise_db_url(os.environ.get("DATABASE_URL") or _default_sqlite_url())
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "15"))
    SMTP_CAFILE = os.environ.get("SMTP_CAFILE", "")  # extra CA for a private mail server
    MAIL_FROM = os.environ.get("MAIL_FROM", "complaints@localhost")
    MAIL_MAX_REJECTIONS = int(os.environ.get("MAIL_MAX_REJECTIONS", "3"))
    # Messages to the customer (with their consent): SMS through an HTTP gateway, email over SMTP.
    # No SMS_GATEWAY_URL: no SMS is queued (the ticket page says so). Credentials: USER and PASSWORD
    # as HTTP basic auth, or TOKEN as a bearer header; never logged, stored or shown.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_USER = os.environ.get("SMS_GATEWAY_USER", "")
    SMS_GATEWAY_PASSWORD = os.environ.get("SMS_GATEWAY_PASSWORD", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    # The JSON POSTed per message; {phone}, {text} and {ref} are replaced by JSON-escaped values.
    SMS_GATEWAY_BODY = os.environ.get("SMS_GATEWAY_BODY", '{"to": "{phone}", "text": "{text}", "ref": "{ref}"}')
    SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10"))  # seconds per request
    CUSTOMER_LOCALE = os.environ.get("CUSTOMER_LOCALE", "zh")  # the language of the customers' messages
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", "8"))  # local hour from which digests go out
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "zh_CN")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    SCHEDULER_EMBEDDED = _bool("SCHEDULER_EMBEDDED")
    SCHEDULER_EVERY = float(os.environ.get("SCHEDULER_EVERY", "0"))  # >0: every job at this interval (s)
    MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "300"))  # a dead sender's rows wait this long
    LOCK_TIMEOUT_SECONDS = float(os.environ.get("LOCK_TIMEOUT_SECONDS", "10"))  # PostgreSQL: longest wait for a lock
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("zh_CN", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a clerk may keep a form open all morning
    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB: no legitimate request is larger
    PAGE_SIZE = 25
    # Yuan: a compensation offered above this is approved by an administrator only (exact decimal).
    COMPENSATION_CAP = Decimal(os.environ.get("COMPENSATION_CAP", "2000"))
    # Evidence: where files live (empty: ATTACHMENTS_DIR, default instance/attachments; file:///dir; s3://bucket/prefix)
    STORAGE_URL = os.environ.get("STORAGE_URL", "")
    ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # MinIO, Ceph, another provider's S3 API
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
    ATTACHMENTS_PER_TICKET = int(os.environ.get("ATTACHMENTS_PER_TICKET", "20"))
    IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", "40000000"))  # larger: refused as a bomb
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # store (Redis) down: count per process, never answer 500
    STATUS_LOOKUP_LIMIT = os.environ.get("STATUS_LOOKUP_LIMIT", "10 per minute;60 per hour")
    # Wrong digits one reference may take, from all addresses together; then even the right ones fail.
    STATUS_LOOKUP_LIMIT_PER_REFERENCE = os.environ.get("STATUS_LOOKUP_LIMIT_PER_REFERENCE", "5 per hour")
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))  # proxy hops whose X-Forwarded-* are believed
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per minute")
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))  # a new API token works this many days
    REFUSE_KNOWN_PASSWORDS = False  # production: no demo data, no published or common passwords
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per line on stdout
    TESTING = False

    @classmethod
    def init_app(cls, app) -> None:  # noqa: ANN001 - Flask app
        pass


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    SECRET_KEY = "test-secret"  # noqa: S105 - tests only
    # Fast hashing for the hundreds of test users; production keeps scrypt (a test checks it).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name
    SERVER_NAME = None


class ProductionConfig(Config):
    REFUSE_KNOWN_PASSWORDS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def init_app(cls, app) -> None:  # noqa: ANN001
        # Read at start-up, not import: a production start without secrets is refused.
        secret = os.environ.get("SECRET_KEY", "")
        if len(secret) < 16 or secret == DEV_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set (16 characters or more) to start in production")
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError("DATABASE_URL must be set to start in production")
        app.config["SECRET_KEY"] = secret
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(url)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("COMPLAINTS_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"unknown COMPLAINTS_ENV {name!r}; one of {sorted(CONFIGS)}") from None
