"""The tree of regions (province, city, district...) that offices sit in, and who covers which.

Scope is read in the database through ``region_links``, a closure table: one row for every
(ancestor, descendant) pair, the region itself included at depth 0. "The offices below region R"
is an indexed equality join, whatever the depth of the tree, and moving an office is one UPDATE
of ``offices.region_id`` that every scope query sees at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Region(db.Model):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class RegionLink(db.Model):
    """Closure of the region tree: ``ancestor`` is ``descendant`` or above it, ``depth`` levels up."""

    __tablename__ = "region_links"
    __table_args__ = (
        Index("ix_region_links_descendant", "descendant_id", "depth"),
        CheckConstraint("depth >= 0", name="depth_not_negative"),
    )

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)


# A supervisor assigned to a region covers every office below it, now and as offices are added.
user_regions = Table(
    "user_regions",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_user_regions_region", "region_id"),
)
