"""API bearer tokens: random, shown once, stored as SHA-256; they expire and can be revoked.

Credentials end together: a password change, an admin reset and a deactivation call
``end_credentials``, which bumps the user's session generation (every signed-in browser of
theirs is signed out at its next request) and revokes every token of theirs. Reactivating a
user revives nothing: their tokens stay revoked.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import ApiToken, User

DEFAULT_DAYS = 90


def token_days() -> int:
    """How long a new token works (config ``API_TOKEN_DAYS``); tokens issued before expiry
    existed (``expires_at`` empty) count this many days from their creation."""
    days = current_app.config.get("API_TOKEN_DAYS", DEFAULT_DAYS) if has_app_context() else DEFAULT_DAYS
    return int(days)


def issue_token(user: User, now: datetime, days: int | None = None) -> str:
    days = token_days() if days is None else days
    if days < 1:
        raise ValueError("a token works at least one day")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token), created_at=now,
                            expires_at=now + timedelta(days=days)))
    db.session.flush()
    return token


def expires_at(row: ApiToken) -> datetime:
    return row.expires_at or row.created_at + timedelta(days=token_days())


def _live(now: datetime):  # noqa: ANN202 - a SQL condition
    return and_(
        ApiToken.revoked.is_(False),
        or_(ApiToken.expires_at > now,
            and_(ApiToken.expires_at.is_(None), ApiToken.created_at > now - timedelta(days=token_days()))),
    )


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    if not token or len(token) > 200:
        return None
    now = now or clock.now()
    # One round trip for the token, its user and the user's offices: every API call starts here.
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token), _live(now))
        .options(joinedload(ApiToken.user).joinedload(User.offices))
    ).unique().first()
    if row is None or not row.user.active:
        return None
    return row.user


def live_tokens(user: User, now: datetime | None = None) -> list[ApiToken]:
    """The user's tokens that still work, newest first (for listing; never their secrets)."""
    now = now or clock.now()
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, _live(now))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_tokens(user: User) -> int:
    """Revoke every token of ``user``; returns how many were still unrevoked."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True).execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return int(result.rowcount or 0)


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one token of ``user``; False when it is not theirs (or does not exist)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    row.revoked = True
    db.session.flush()
    return True


def end_credentials(user: User) -> None:
    """End every session and every token of ``user`` (the caller re-signs its own session in)."""
    user.session_generation = (user.session_generation or 0) + 1
    revoke_tokens(user)
