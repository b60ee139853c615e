"""Queue emails in the outbox: one row per recipient, unique by key, in the caller's transaction.

Nothing is sent here. Because the row is written in the same transaction as the decision
that wants it, a decision that rolls back queues nothing, and a committed one cannot be
lost: delivery picks it up, however often the sender crashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import OutboxMessage, User


def queue(key: str, recipient: User, subject: str, body: str, now: datetime,
          reminder_id: int | None = None) -> bool:
    """Queue one email; returns False when an email with this key was queued before."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(OutboxMessage).values(
        key=key, reminder_id=reminder_id, recipient_id=recipient.id, to_addr=recipient.email,
        subject=subject[:300], body=body, status="pending", attempts=0, rejections=0,
        next_attempt_at=now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id)
    # RETURNING, not rowcount: drivers report -1 for an INSERT that returns rows.
    return db.session.scalar(stmt) is not None
