"""Monthly assessments of the positive factors, their change history, and the scoring settings.

The negative factors (complaints, errors) have no table: they are computed from the
tickets every time, so they cannot drift from the records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# The factors a supervisor scores for each clerk; hardware is scored per office.
CLERK_FACTORS = ("attitude", "skill", "responsibility", "management", "highlights")


def _score_checks(prefix: str) -> tuple:
    return tuple(CheckConstraint(f"{f} IS NULL OR ({f} BETWEEN 0 AND 10)", name=f"{prefix}{f}_range")
                 for f in CLERK_FACTORS)


class Assessment(db.Model):
    """One clerk's scores for one month (YYYY-MM); a factor left empty counts as 0."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("clerk_id", "month", name="uq_assessments_clerk_month"),
        Index("ix_assessments_office_month", "office_id", "month"),
        *_score_checks(""),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    attitude: Mapped[int | None] = mapped_column(Integer)
    skill: Mapped[int | None] = mapped_column(Integer)
    responsibility: Mapped[int | None] = mapped_column(Integer)
    management: Mapped[int | None] = mapped_column(Integer)
    highlights: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(Text)  # JSON object: factor -> comment
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HardwareScore(db.Model):
    """An office's hardware score for a month, applied to every clerk there."""

    __tablename__ = "hardware_scores"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoreChange(db.Model):
    """Every change to an assessment or a hardware score: who, when, old, new. Append-only."""

    __tablename__ = "score_changes"
    __table_args__ = (Index("ix_score_changes_office_month", "office_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    factor: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[int | None] = mapped_column(Integer)
    new_value: Mapped[int | None] = mapped_column(Integer)
    old_comment: Mapped[str | None] = mapped_column(Text)
    new_comment: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreSettings(db.Model):
    """Severity weights and penalties (one row; missing means the defaults)."""

    __tablename__ = "score_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    weight_low: Mapped[int] = mapped_column(Integer, default=1)
    weight_medium: Mapped[int] = mapped_column(Integer, default=2)
    weight_high: Mapped[int] = mapped_column(Integer, default=3)
    weight_critical: Mapped[int] = mapped_column(Integer, default=5)
    complaint_penalty: Mapped[int] = mapped_column(Integer, default=5)
    error_penalty: Mapped[int] = mapped_column(Integer, default=3)
    # Points each verified commendation adds to the clerk's highlights (0: off, the default).
    commendation_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
