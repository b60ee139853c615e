"""API bearer tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, User


def issue_token(user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token), created_at=now))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    # One round trip for the token, its user and the user's offices: every API call starts here.
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token), ApiToken.revoked.is_(False))
        .options(joinedload(ApiToken.user).joinedload(User.offices))
    ).unique().first()
    if row is None or not row.user.active:
        return None
    return row.user
