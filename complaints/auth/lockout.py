"""The per-account brake on failed sign-ins, which a stranger cannot use to lock the owner out.

Failures are counted per account and per (account, address), in the rate-limit store
(Redis when configured, so all workers see them). When an account has had too many
failures (``LOGIN_LIMIT_PER_ACCOUNT``) it is closed only to the addresses that failed on it
within that window: the guesser keeps getting 429 even with the right password, while the
owner, signing in from an address that has not been failing, gets in. Many addresses each
get at most one guess while the account is braked; the per-address limit
(``LOGIN_LIMIT_PER_ADDRESS``) bounds each of them across all accounts.

Counters are keyed by a hash of the typed email, whether or not such an account exists.
When the store cannot be reached the counts fall back to this process (logged), so sign-in
keeps working.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from ..extensions import limiter

log = logging.getLogger(__name__)
_local: RateLimiter | None = None  # per-process counts while the shared store is away


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _keys(email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "") or "complaints"
    email = email.strip().lower()
    return (prefix, "login-account", _digest(email)), (prefix, "login-pair", _digest(email, address or ""))


def _shared() -> RateLimiter:
    return limiter.limiter


def _fallback() -> RateLimiter:
    global _local  # noqa: PLW0603 - one per process, like the limiter's own fallback
    if _local is None:
        _local = FixedWindowRateLimiter(MemoryStorage())
    return _local


def _blocked_in(strategy: RateLimiter, email: str, address: str) -> bool:
    account, pair = _keys(email, address)
    for item in parse_many(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]):
        if not strategy.test(item, *account):  # the account is braked for this window...
            if strategy.get_window_stats(item, *pair).remaining < item.amount:
                return True  # ...and this address failed on it within the window
    return False


def _fail_in(strategy: RateLimiter, email: str, address: str) -> None:
    account, pair = _keys(email, address)
    for item in parse_many(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]):
        strategy.hit(item, *account)
        strategy.hit(item, *pair)


def blocked(email: str, address: str) -> bool:
    """True when sign-in to ``email`` from ``address`` must wait (answered with 429)."""
    try:
        return _blocked_in(_shared(), email, address)
    except Exception:  # noqa: BLE001 - the store is away: count in this process instead
        log.warning("login counters: rate-limit store unreachable, counting in this process")
        return _blocked_in(_fallback(), email, address)


def record_failure(email: str, address: str) -> None:
    try:
        _fail_in(_shared(), email, address)
    except Exception:  # noqa: BLE001
        log.warning("login counters: rate-limit store unreachable, counting in this process")
        _fail_in(_fallback(), email, address)
