"""Improvement actions: what a supervisor did about a clerk's factor, and when to look again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain import ActionKind, Factor
from ..extensions import db
from .enum_column import enum_column_type
from .types import UTCDateTime, utcnow


class ImprovementAction(db.Model):
    """One action for one clerk and factor, taken in ``start_month`` and reviewed at ``review_month``
    (both YYYY-MM). Its result is not stored: the card computes it from the scores and tickets, so it
    cannot drift from them."""

    __tablename__ = "improvement_actions"
    __table_args__ = (
        Index("ix_improvement_actions_office_review", "office_id", "review_month"),
        Index("ix_improvement_actions_clerk", "clerk_id", "start_month"),
        CheckConstraint("review_month > start_month", name="review_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    factor: Mapped[Factor] = mapped_column(enum_column_type(Factor, "factor"))
    action: Mapped[ActionKind] = mapped_column(enum_column_type(ActionKind, "action"))
    description: Mapped[str] = mapped_column(Text)
    start_month: Mapped[str] = mapped_column(String(7))
    review_month: Mapped[str] = mapped_column(String(7))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
