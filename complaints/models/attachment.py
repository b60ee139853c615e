"""Evidence attached to a ticket: photos and scanned documents.

The bytes live in the configured storage (a directory or S3) under ``storage_key``; the
row holds what the history and the ticket page need. Nothing is deleted: an admin may
redact a file, which removes its bytes and keeps the row with who, when and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User

if TYPE_CHECKING:
    from .ticket import Ticket


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_ticket_id", "ticket_id", "id"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))  # as the uploader named it, for display only
    content_type: Mapped[str] = mapped_column(String(50))  # detected from the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_script: Mapped[bool] = mapped_column(Boolean, default=False)  # a PDF with JavaScript: download only
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redacted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    redaction_reason: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id], lazy="joined")
    redacted_by: Mapped[User | None] = relationship(foreign_keys=[redacted_by_id])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def redacted(self) -> bool:
        return self.redacted_at is not None
