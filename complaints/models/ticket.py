from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ..domain import (
    OPEN_STATES,
    Category,
    Channel,
    CompensationBasis,
    CompensationStatus,
    Contact,
    Finding,
    Kind,
    Product,
    RejectReason,
    RootCause,
    Severity,
    State,
    Verdict,
)
from ..extensions import db
from .enum_column import enum_column_type
from .office import Office
from .types import UTCDateTime, utcnow
from .user import User

# The open states as SQL literals: the predicate of the partial index of open tickets, which a query
# can only use when it names the same states as literals (see ``open_ticket``).
OPEN_STATES_SQL = "state IN (" + ", ".join(f"'{s.value}'" for s in OPEN_STATES) + ")"


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_office_state_id", "office_id", "state", "id"),
        Index("ix_tickets_state_id", "state", "id"),
        Index("ix_tickets_kind_id", "kind", "id"),
        # A supervisor's queue, newest first in their office.
        Index("ix_tickets_office_id", "office_id", "id"),
        Index("ix_tickets_office_kind_id", "office_id", "kind", "id"),
        # A month's tickets of many offices at once (a region's scorecards), by occurred_at.
        Index("ix_tickets_office_occurred", "office_id", "occurred_at"),
        # The dashboard, read from the indexes alone: tickets logged per week and kind, the
        # top categories, for all offices or one; open tickets per office.
        Index("ix_tickets_created", "created_at", "kind", "category"),
        Index("ix_tickets_office_created", "office_id", "created_at", "kind", "category"),
        Index("ix_tickets_state_office", "state", "office_id"),
        # Open tickets per office: a province's thousand offices are a thousand short ranges, read from
        # an index of the open tickets alone (a few per cent of them).
        Index("ix_tickets_open_office", "office_id", "state",
              postgresql_where=text(OPEN_STATES_SQL), sqlite_where=text(OPEN_STATES_SQL)),
        # A clerk's tickets logged today, and resolved tickets waiting for a follow-up (the dashboard).
        Index("ix_tickets_logged_by", "logged_by_id", "created_at"),
        Index("ix_tickets_state_resolved", "state", "resolved_at"),
        # Scorecards: a month's attributed tickets, and one clerk's over the months.
        Index("ix_tickets_attributed_month", "occurred_at", "attributed_clerk_id",
              postgresql_where=text("attributed_clerk_id IS NOT NULL"),
              sqlite_where=text("attributed_clerk_id IS NOT NULL")),
        Index("ix_tickets_attributed_clerk", "attributed_clerk_id", "occurred_at",
              postgresql_where=text("attributed_clerk_id IS NOT NULL"),
              sqlite_where=text("attributed_clerk_id IS NOT NULL")),
        Index("ix_tickets_involved_clerk", "involved_clerk_id", "occurred_at",
              postgresql_where=text("involved_clerk_id IS NOT NULL"),
              sqlite_where=text("involved_clerk_id IS NOT NULL")),
        # Appeals forwarded by the regulator: counted and listed per office and month.
        Index("ix_tickets_appeals", "office_id", "created_at",
              postgresql_where=text("channel = 'regulator'"), sqlite_where=text("channel = 'regulator'")),
        Index("ix_tickets_appeal_of", "appeal_of_id",
              postgresql_where=text("appeal_of_id IS NOT NULL"), sqlite_where=text("appeal_of_id IS NOT NULL")),
        # The regulator names every appeal by its case number: required on that channel only.
        CheckConstraint("(channel = 'regulator') = (regulator_case IS NOT NULL)", name="regulator_case_iff_appeal"),
        CheckConstraint("verdict IS NULL OR channel = 'regulator'", name="verdict_only_for_appeals"),
        CheckConstraint("version >= 1", name="version_positive"),
        # Hardware as the root cause means nobody at the counter is at fault.
        CheckConstraint("root_cause IS NULL OR root_cause <> 'hardware' OR attributed_clerk_id IS NULL",
                        name="no_clerk_for_hardware"),
        CheckConstraint(
            "expectation IS NULL OR (expectation BETWEEN 1 AND 5)", name="expectation_range"
        ),
        CheckConstraint(
            "perception IS NULL OR (perception BETWEEN 1 AND 5)", name="perception_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[Kind] = mapped_column(enum_column_type(Kind, "kind"))
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, "channel"))
    state: Mapped[State] = mapped_column(enum_column_type(State, "state"), default=State.NEW)
    version: Mapped[int] = mapped_column(Integer, default=1)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    description: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_name: Mapped[str | None] = mapped_column(String(100))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    involved_clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The customer agreed to be sent messages about the ticket (SMS to the phone, email when given).
    customer_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    customer_email: Mapped[str | None] = mapped_column(String(254))
    # An appeal the regulator forwarded (channel regulator): its case number and reply deadline,
    # the complaint it escalated (when known), the reply sent to the regulator and its verdict.
    regulator_case: Mapped[str | None] = mapped_column(String(64))
    regulator_due: Mapped[date | None] = mapped_column(Date)
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    regulator_reply: Mapped[str | None] = mapped_column(Text)
    regulator_replied_on: Mapped[date | None] = mapped_column(Date)
    verdict: Mapped[Verdict | None] = mapped_column(enum_column_type(Verdict, "verdict"))
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # what went wrong: chosen at logging, may be corrected at triage
    category: Mapped[Category] = mapped_column(
        enum_column_type(Category, "category"), default=Category.OTHER, server_default=Category.OTHER.value)
    # triage
    severity: Mapped[Severity | None] = mapped_column(enum_column_type(Severity, "severity"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # reject
    reject_reason: Mapped[RejectReason | None] = mapped_column(
        enum_column_type(RejectReason, "reject_reason")
    )
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # resolve
    resolution: Mapped[str | None] = mapped_column(Text)
    # What the customer is told (the status page, the message on resolve); resolution is internal.
    outcome: Mapped[str | None] = mapped_column(Text)
    finding: Mapped[Finding | None] = mapped_column(enum_column_type(Finding, "finding"))
    root_cause: Mapped[RootCause | None] = mapped_column(enum_column_type(RootCause, "root_cause"))
    attributed_clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # follow-up (the latest one)
    contact: Mapped[Contact | None] = mapped_column(enum_column_type(Contact, "contact"))
    expectation: Mapped[int | None] = mapped_column(Integer)
    perception: Mapped[int | None] = mapped_column(Integer)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic locking: every UPDATE says WHERE version = <loaded>, so a concurrent
    # change makes the flush fail instead of overwriting it.
    __mapper_args__ = {"version_id_col": version}

    office: Mapped[Office] = relationship(lazy="joined")
    involved_clerk: Mapped[User | None] = relationship(foreign_keys=[involved_clerk_id])
    logged_by: Mapped[User] = relationship(foreign_keys=[logged_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    attributed_clerk: Mapped[User | None] = relationship(foreign_keys=[attributed_clerk_id])
    duplicate_of: Mapped[Ticket | None] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    appeal_of: Mapped[Ticket | None] = relationship(remote_side=[id], foreign_keys=[appeal_of_id])
    compensation: Mapped[Compensation | None] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", uselist=False)
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.seq", cascade="all, delete-orphan"
    )
    deadlines = relationship(
        "Deadline", back_populates="ticket", order_by="Deadline.id", cascade="all, delete-orphan"
    )
    items: Mapped[list[TicketItem]] = relationship(
        back_populates="ticket", order_by="TicketItem.position", cascade="all, delete-orphan"
    )
    attachments = relationship(
        "Attachment", back_populates="ticket", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.ref} {self.state}>"

    # Conditions the workflow table names (Transition.ticket_when, Field.applies_to).
    @property
    def is_appeal(self) -> bool:
        return self.channel == Channel.REGULATOR

    @property
    def compensation_status(self) -> CompensationStatus | None:
        return self.compensation.current_status if self.compensation is not None else None

    @property
    def compensation_open(self) -> bool:
        """Compensation may be (re)stated at resolve: a compensable category, and none approved yet."""
        from ..domain import COMPENSABLE

        return self.category in COMPENSABLE and self.compensation_status in (
            None, CompensationStatus.OFFERED, CompensationStatus.OVER_CAP)


class TicketEvent(db.Model):
    """One accepted transition. Append-only: never updated or deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[State | None] = mapped_column(enum_column_type(State, "from_state"))
    to_state: Mapped[State] = mapped_column(enum_column_type(State, "to_state"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User] = relationship(lazy="joined")


class TicketItem(db.Model):
    """A postal item the ticket is about: its number (normalised) and product."""

    __tablename__ = "ticket_items"
    __table_args__ = (
        UniqueConstraint("ticket_id", "number", name="uq_ticket_items_ticket_number"),
        # An item number finds its tickets at once (search box, API ?item=).
        Index("ix_ticket_items_number", "number", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(30))
    product: Mapped[Product] = mapped_column(enum_column_type(Product, "product"))

    ticket: Mapped[Ticket] = relationship(back_populates="items")


class Money(TypeDecorator):
    """Yuan as exact decimals, stored as whole fen (BigInteger): exact sums on every backend."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        fen = Decimal(value) * 100
        if fen != fen.to_integral_value():
            raise ValueError("money has at most two decimal places")
        return int(fen)

    def process_result_value(self, value: int | None, dialect):  # noqa: ANN001
        return None if value is None else fen_to_yuan(value)


def fen_to_yuan(fen: int | None) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


class Compensation(db.Model):
    """The compensation of a ticket (loss, damage, delay): stated at resolve, then its course as events."""

    __tablename__ = "compensations"
    __table_args__ = (
        CheckConstraint("claimed >= 0 AND offered >= 0", name="amounts_not_negative"),
        CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_ref IS NOT NULL)",
                        name="paid_has_date_and_reference"),
        # Totals per month: offered by the day it was stated, paid by the day it was paid.
        Index("ix_compensations_created", "created_at"),
        Index("ix_compensations_paid_on", "paid_on", postgresql_where=text("paid_on IS NOT NULL"),
              sqlite_where=text("paid_on IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    claimed: Mapped[Decimal] = mapped_column(Money)
    offered: Mapped[Decimal] = mapped_column(Money)
    basis: Mapped[CompensationBasis] = mapped_column(enum_column_type(CompensationBasis, "basis"))
    status: Mapped[CompensationStatus] = mapped_column(enum_column_type(CompensationStatus, "status"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_ref: Mapped[str | None] = mapped_column(String(64))
    refused_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="compensation")

    @property
    def current_status(self) -> CompensationStatus:
        """The status with the cap in force now (tickets.compensation.status_of): what pages show and
        what the workflow table reads."""
        from ..tickets.compensation import status_of

        return status_of(self)
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class RefCounter(db.Model):
    """The last reference number handed out per (kind prefix, year)."""

    __tablename__ = "ref_counters"

    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def open_ticket() -> Any:
    """The ticket is open, its states written into the SQL as literals: bound parameters would hide from
    the planner (PostgreSQL's generic plans, SQLite always) that the partial index of open tickets
    applies."""
    return Ticket.state.in_(bindparam("open_states", list(OPEN_STATES), expanding=True, literal_execute=True,
                                      unique=True))
