"""SLA policies, office calendars, per-ticket deadlines and the reminders decided for them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain import Channel, Kind, Severity
from ..extensions import db
from .enum_column import enum_column_type
from .types import UTCDateTime, utcnow

CALENDARS = ("business", "24x7")
CLOCKS = ("triage", "resolve", "follow_up", "reply")
LEVELS = ("warning", "breach", "escalation")


class SlaPolicy(db.Model):
    """Targets for one (kind, severity); a missing row means the shipped default."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint("triage_minutes > 0 AND resolve_minutes > 0 AND follow_up_minutes > 0",
                        name="targets_positive"),
        CheckConstraint("escalate_after_minutes >= 0", name="escalation_not_negative"),
        CheckConstraint("calendar IN ('business', '24x7')", name="calendar_known"),
    )

    kind: Mapped[Kind] = mapped_column(enum_column_type(Kind, "kind"), primary_key=True)
    severity: Mapped[Severity] = mapped_column(enum_column_type(Severity, "severity"), primary_key=True)
    triage_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    follow_up_minutes: Mapped[int] = mapped_column(Integer)
    escalate_after_minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str] = mapped_column(String(10), default="business")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReplyPolicy(db.Model):
    """The statutory reply target for one (kind, channel) in working days; 0: no reply clock.

    A missing row means the shipped default (complaints 7 working days, service errors none).
    For a regulator appeal the target is the regulator's own deadline; this row gives it when
    the forwarding notice names none.
    """

    __tablename__ = "reply_policies"
    __table_args__ = (
        CheckConstraint("days >= 0 AND days <= 60", name="days_range"),
        CheckConstraint("escalate_after_days >= 0 AND escalate_after_days <= 30", name="escalation_range"),
    )

    kind: Mapped[Kind] = mapped_column(enum_column_type(Kind, "kind"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, "channel"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    escalate_after_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficeHours(db.Model):
    """One weekday's opening hours at an office; a weekday without a row is closed.

    An office without any row keeps the shipped default week; an admin cannot close all seven days.
    """

    __tablename__ = "office_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes > opens", name="closes_after_opens"),
    )

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class Holiday(db.Model):
    """An office's own exception to the national calendar: a closed day, or (``is_open``) an open one.

    Closed: renovation, a local holiday. Open: a Sunday opening, or a national day off the
    office still works. An office exception beats the national calendar on that day.
    """

    __tablename__ = "holidays"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


NATIONAL_KINDS = ("off", "work")


class NationalDay(db.Model):
    """China's national calendar, shared by every office: a day off, or a make-up working day (调休).

    Filled by ``flask --app complaints calendar import-cn YEAR`` from the chinese-calendar package.
    """

    __tablename__ = "national_days"
    __table_args__ = (CheckConstraint("kind IN ('off', 'work')", name="kind_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(100), default="")


class Deadline(db.Model):
    """One SLA clock of a ticket: triage, resolve or follow-up, numbered per reopening.

    ``consumed_seconds`` is the business time used before ``running_since``; while the
    ticket waits for the customer the clock is paused (``running_since`` is NULL). The
    three level instants are planned when the clock starts or resumes; ``next_fire_at``
    is the instant of the next level not yet decided, and is what the scan looks up.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("ticket_id", "clock", "cycle", name="uq_deadlines_ticket_clock_cycle"),
        CheckConstraint("clock IN ('triage', 'resolve', 'follow_up', 'reply')", name="clock_known"),
        CheckConstraint("next_level BETWEEN 0 AND 3", name="next_level_range"),
        CheckConstraint("outcome IS NULL OR outcome IN ('met', 'missed', 'cancelled')", name="outcome_known"),
        # The scan: one index range over the due instants of running clocks.
        Index("ix_deadlines_next_fire_at", "next_fire_at",
              postgresql_where=text("next_fire_at IS NOT NULL"), sqlite_where=text("next_fire_at IS NOT NULL")),
        # The queue's "overdue" and "due soon" filters and the "due" ordering.
        Index("ix_deadlines_open_ticket", "ticket_id", "due_at",
              postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL")),
        Index("ix_deadlines_open_due", "due_at",
              postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL")),
        # The dashboard: clocks met or missed this month.
        Index("ix_deadlines_ended_outcome", "ended_at", "outcome",
              postgresql_where=text("ended_at IS NOT NULL"), sqlite_where=text("ended_at IS NOT NULL")),
        # The same two per office, for a region's figures: each office is a range of the index, so a
        # province's clocks are read office by office (the clock too, so the index alone answers).
        Index("ix_deadlines_office_ended", "office_id", "ended_at", "outcome", "clock",
              postgresql_where=text("ended_at IS NOT NULL"), sqlite_where=text("ended_at IS NOT NULL")),
        Index("ix_deadlines_office_open", "office_id", "due_at", "clock",
              postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # The ticket's office, copied when the clock starts (a ticket never changes office): scope and
    # region figures filter clocks by office without going through their tickets.
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    clock: Mapped[str] = mapped_column(String(10))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    severity: Mapped[Severity] = mapped_column(enum_column_type(Severity, "severity"))
    target_seconds: Mapped[int] = mapped_column(Integer)
    escalate_seconds: Mapped[int] = mapped_column(Integer)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumed_seconds: Mapped[int] = mapped_column(Integer, default=0)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_level: Mapped[int] = mapped_column(Integer, default=0)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))

    ticket = relationship("Ticket", back_populates="deadlines")

    @property
    def paused(self) -> bool:
        return self.ended_at is None and self.running_since is None

    def level_at(self, level: int) -> datetime | None:
        return (self.warn_at, self.due_at, self.escalate_at)[level] if level < 3 else None


class Reminder(db.Model):
    """The decision that a level of a deadline was reached: at most one per (deadline, level)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("deadline_id", "level", name="uq_reminders_deadline_level"),
        CheckConstraint("level IN ('warning', 'breach', 'escalation')", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    # False when a later level was already due (after downtime): recorded, not mailed.
    mailed: Mapped[bool] = mapped_column(Boolean, default=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
