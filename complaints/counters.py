"""Counters kept in the rate-limit store (Redis when configured, so every worker sees them),
falling back to this process when the store cannot be reached, so that signing in and the
public status page keep working (the fallback is logged). Used by the login brake and the
status page's per-reference cap."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from .extensions import limiter

log = logging.getLogger(__name__)
T = TypeVar("T")
_local: RateLimiter | None = None  # per-process counts while the shared store is away


def shared() -> RateLimiter:
    return limiter.limiter


def counting(action: Callable[[RateLimiter], T], what: str) -> T:
    """Run ``action`` against the shared store; when it cannot be reached, against this process."""
    global _local  # noqa: PLW0603 - one per process, like the limiter's own fallback
    try:
        return action(shared())
    except Exception:  # noqa: BLE001 - the store is away: count in this process instead
        log.warning("%s: rate-limit store unreachable, counting in this process", what)
        if _local is None:
            _local = FixedWindowRateLimiter(MemoryStorage())
        return action(_local)


def key(kind: str, *parts: str) -> tuple[str, ...]:
    """A counter's key: the store keeps a digest, never the email, address or reference itself."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "") or "complaints"
    return prefix, kind, hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
