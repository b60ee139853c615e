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

from flask import current_app
from limits import parse_many
from limits.strategies import RateLimiter

from .. import counters


def _keys(email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    email = email.strip().lower()
    return counters.key("login-account", email), counters.key("login-pair", email, address or "")


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
    return counters.counting(lambda s: _blocked_in(s, email, address), "login counters")


def record_failure(email: str, address: str) -> None:
    counters.counting(lambda s: _fail_in(s, email, address), "login counters")
