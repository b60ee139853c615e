"""Items handled per office and month: the denominator of the regulator's rates per million items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OfficeVolume(db.Model):
    """The number of postal items an office handled in a month (``month`` is its first day).

    No row means no figure yet (not zero items): a report says which offices are missing.
    """

    __tablename__ = "office_volumes"
    __table_args__ = (CheckConstraint("items >= 0", name="items_not_negative"),)

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    items: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
