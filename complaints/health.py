"""GET /healthz for load balancers and process supervisors: 200 when the database answers, else 503.

It also reports the rate-limit store (Redis when configured). A store that does not answer
does not turn the health red: the limits then count per process (weaker with several
workers, but sign-in and the status page keep working), and taking every worker out of the
load balancer for it would turn a weaker limit into an outage. Only when the per-process
fallback is switched off does a dead store make the health 503, since sign-in would fail.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from .extensions import db, limiter

bp = Blueprint("health", __name__)


def _ratelimit_store() -> tuple[str, bool]:
    """The store's state for the report, and whether the application still works with it."""
    if limiter.store_up():
        return "up", True
    if current_app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"):
        return "down (per-process fallback)", True
    return "down", False


@bp.get("/healthz")
def healthz():
    store, store_ok = _ratelimit_store()
    try:
        db.session.execute(text("SELECT 1"))
    except OperationalError:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "down", "ratelimit_store": store}), 503
    if not store_ok:
        return jsonify({"status": "unavailable", "database": "up", "ratelimit_store": store}), 503
    return jsonify({"status": "ok", "database": "up", "ratelimit_store": store})
