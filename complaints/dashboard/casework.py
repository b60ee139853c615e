"""Regulator appeals and compensation in figures: the dashboard's tiles and the JSON behind
GET /api/v1/appeals and GET /api/v1/compensation, in the user's scope.

Months are read in each office's time zone (a timestamp's month is its office's), except paid_on,
which is a calendar date already. Money is summed in whole fen by the database (the Money column
stores fen) and given back as exact Decimal yuan: no float anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import BigInteger, and_, func, select, type_coerce

from ..authz import can_access_office, in_scope, is_admin, scoped_tickets
from ..domain import OPEN_STATES, Channel, CompensationStatus, Verdict
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..models import Compensation, Office, Ticket, User
from ..models.ticket import fen_to_yuan
from ..scorecards import months
from ..tickets.queries import appeal_late, logged_in_month


def offices_in_scope(user: User, code: str | None = None) -> list[Office]:
    """The offices whose figures the user may read (admins all, others their own), or just the one named:
    404 when there is no such office, 403 when it is not theirs."""
    if code:
        office = db.session.scalar(select(Office).where(Office.code == code[:32]))
        if office is None:
            raise NotFound(_("No office with this code."))
        if not can_access_office(user, office.id):
            raise Forbidden(_("You do not cover this office."))
        return [office]
    stmt = select(Office).order_by(Office.code)
    if not is_admin(user):
        stmt = stmt.where(in_scope(Office.id, user))
    return list(db.session.scalars(stmt))


def _by_zone(offices: Iterable[Office]) -> dict[str, list[int]]:
    zones: dict[str, list[int]] = defaultdict(list)
    for o in offices:
        zones[o.timezone].append(o.id)
    return zones


@dataclass
class CompensationRow:
    office: Office
    offered: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    count_offered: int = 0
    count_paid: int = 0

    def as_json(self) -> dict:
        return {"office": self.office.code, "offered": f"{self.offered:.2f}", "paid": f"{self.paid:.2f}",
                "count_offered": self.count_offered, "count_paid": self.count_paid}


def _fen_sum(column):  # noqa: ANN001, ANN202
    # The sum of whole fen, read as a number (not through the Money type's per-row conversion).
    return type_coerce(func.coalesce(func.sum(column), 0), BigInteger)


def compensation_by_office(offices: list[Office], month: str) -> list[CompensationRow]:
    """Per office: compensation offered in the month (stated at resolve that month, by the office's
    calendar; refused offers left out) and paid in the month (by paid_on), with their counts."""
    rows = {o.id: CompensationRow(o) for o in offices}
    if not rows:
        return []
    for zone, ids in _by_zone(offices).items():
        start, end = months.bounds(month, zone)
        for office_id, fen, n in db.session.execute(
            select(Ticket.office_id, _fen_sum(Compensation.offered), func.count())
            .join(Ticket, Ticket.id == Compensation.ticket_id)
            .where(Ticket.office_id.in_(ids), Compensation.created_at >= start, Compensation.created_at < end,
                   Compensation.status != CompensationStatus.REFUSED)
            .group_by(Ticket.office_id)
        ):
            rows[office_id].offered, rows[office_id].count_offered = fen_to_yuan(fen), n
    first, after = months.bounds(month, "UTC")
    for office_id, fen, n in db.session.execute(
        select(Ticket.office_id, _fen_sum(Compensation.offered), func.count())
        .join(Ticket, Ticket.id == Compensation.ticket_id)
        .where(Ticket.office_id.in_(list(rows)), Compensation.status == CompensationStatus.PAID,
               Compensation.paid_on >= first.date(), Compensation.paid_on < after.date())
        .group_by(Ticket.office_id)
    ):
        rows[office_id].paid, rows[office_id].count_paid = fen_to_yuan(fen), n
    return list(rows.values())


@dataclass
class AppealRow:
    office: Office
    appeals: int = 0
    valid: int = 0
    not_valid: int = 0

    @property
    def pending(self) -> int:
        return self.appeals - self.valid - self.not_valid

    def as_json(self) -> dict:
        return {"office": self.office.code, "appeals": self.appeals, "valid": self.valid,
                "not_valid": self.not_valid, "pending": self.pending}


def appeals_by_office(offices: list[Office], month: str) -> list[AppealRow]:
    """Per office: the appeals the regulator forwarded in the month (logged that month, by the office's
    calendar) and how many of them were judged valid, not valid, or are still waiting for a verdict."""
    rows = {o.id: AppealRow(o) for o in offices}
    for zone, ids in _by_zone(offices).items():
        start, end = months.bounds(month, zone)
        for office_id, n, valid, not_valid in db.session.execute(
            select(Ticket.office_id, func.count(), func.count().filter(Ticket.verdict == Verdict.VALID),
                   func.count().filter(Ticket.verdict == Verdict.NOT_VALID))
            .where(Ticket.channel == Channel.REGULATOR, Ticket.office_id.in_(ids),
                   Ticket.created_at >= start, Ticket.created_at < end)
            .group_by(Ticket.office_id)
        ):
            row = rows[office_id]
            row.appeals, row.valid, row.not_valid = n, valid or 0, not_valid or 0
    return list(rows.values())


@dataclass
class Casework:
    """The dashboard's appeal and compensation figures for the user's offices this month."""

    month: str
    open_appeals: int = 0
    past_due: int = 0
    valid_this_month: int = 0
    compensation: list[CompensationRow] = field(default_factory=list)

    @property
    def month_args(self) -> dict[str, str]:
        return logged_in_month(self.month)

    @property
    def offered(self) -> Decimal:
        return sum((r.offered for r in self.compensation), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.compensation), Decimal("0.00"))


def casework(user: User, now: datetime, zone: str) -> Casework:
    month = months.current(now, zone)
    open_appeals, past_due = db.session.execute(
        scoped_tickets(select(func.count(), func.count().filter(and_(*appeal_late(now, zone)))), user)
        .where(Ticket.channel == Channel.REGULATOR, Ticket.state.in_(OPEN_STATES))).one()  # the queue's rule
    offices = offices_in_scope(user)
    c = Casework(month, open_appeals or 0, past_due or 0)
    c.valid_this_month = sum(r.valid for r in appeals_by_office(offices, month))
    c.compensation = [r for r in compensation_by_office(offices, month) if r.count_offered or r.count_paid]
    return c
