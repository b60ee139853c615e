"""Extensions, created once and bound to the app in create_app (no app imported here)."""

import hashlib
import logging

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter as _Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that Alembic migrations are reproducible on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
log = logging.getLogger(__name__)


def session_identifier() -> str:
    """What strong session protection ties a session to: the client address and user agent.

    Flask-Login's own identifier reads ``X-Forwarded-For``, which any client can write; this
    one reads ``request.remote_addr``, which a trusted proxy sets only through ProxyFix
    (``TRUSTED_PROXIES``) and nobody can set otherwise.
    """
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


class Limiter(_Limiter):
    """Flask-Limiter that says in the application log when it counts per process.

    With ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`` an unreachable store (Redis) makes the
    limits count in this process instead of answering 500; they go back to the store when it
    answers again (Flask-Limiter checks it with a growing interval).
    """

    def init_app(self, app: Flask) -> None:
        if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss", "valkey")):
            # A store that does not answer fails fast (then the per-process fallback), never hangs a sign-in.
            options = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
            app.config["RATELIMIT_STORAGE_OPTIONS"] = options | dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        super().init_app(app)
        self._storage_dead = False  # a new app starts on its configured store

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        was_dead = self._storage_dead
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        finally:
            if self._storage_dead and not was_dead:
                log.warning("rate-limit store unreachable: counting limits per process until it answers")
            elif was_dead and not self._storage_dead:
                log.warning("rate-limit store answers again: limits are shared again")

    def store_up(self) -> bool:
        """Whether the configured store answers now (a Redis PING; memory always does)."""
        try:
            return bool(self.storage.check())
        except Exception:  # noqa: BLE001 - any failure to answer is "down"
            return False


login_manager = LoginManager()
login_manager._session_identifier_generator = session_identifier  # noqa: SLF001 - no public setter
csrf = CSRFProtect()
babel = Babel()
# Per client address (request.remote_addr: behind a proxy, as ProxyFix sets it from TRUSTED_PROXIES);
# RATELIMIT_STORAGE_URI picks a shared store (memory:// counts per process).
limiter = Limiter(key_func=get_remote_address)
