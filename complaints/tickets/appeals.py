"""Regulator appeals: linking an appeal to the complaint it escalated.

The regulator forwards an appeal without our reference, so the link is made by a person who
names the original; it is accepted only when the two are visibly the same customer's case
(the same phone, or a postal item in common), so that a reference alone reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..authz import can_view_ticket, scoped_tickets
from ..domain import CASE_KINDS, Channel
from ..errors import InvalidInput
from ..extensions import db
from ..models import Ticket, TicketItem, User


def link(appeal: Ticket, original: Ticket, *, field: str, items: Iterable[dict[str, Any]]) -> None:
    """Point ``appeal`` at ``original`` or raise InvalidInput naming ``field``."""
    if original.id is not None and original.id == appeal.id:
        raise _refuse(field, _("A ticket cannot duplicate itself."))
    numbers = {i["number"] for i in items}
    same_phone = bool(appeal.customer_phone) and appeal.customer_phone == original.customer_phone
    shared_item = bool(numbers) and db.session.scalar(
        select(TicketItem.id).where(TicketItem.ticket_id == original.id, TicketItem.number.in_(numbers)).limit(1)
    ) is not None
    if not (same_phone or shared_item) or original.kind not in CASE_KINDS:
        # Praise is nothing to appeal against. Word for word what an unknown reference gets (inputs._ticket
        # for a field with any_office): another office's
        # reference without a match tells nothing about that ticket, not even that it exists.
        raise _refuse(field, not_the_same_case())
    # Only now, the customer's case being the same, may the answer say what the ticket is.
    if original.channel == Channel.REGULATOR:
        raise _refuse(field, _("That ticket is itself an appeal: name the complaint it escalated."))
    appeal.appeal_of = original


def not_the_same_case() -> str:
    return _("Unknown reference, or not the same customer's case (no phone or postal item in common).")


def appeal_refs(ids: Iterable[int]) -> dict[int, list[str]]:
    """The references of the appeals that escalated each of these tickets, in one query."""
    ids = list(ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    for original_id, ref in db.session.execute(
            select(Ticket.appeal_of_id, Ticket.ref).where(Ticket.appeal_of_id.in_(ids)).order_by(Ticket.id)):
        out.setdefault(original_id, []).append(ref)
    return out


CANDIDATES = 10


def candidates(appeal: Ticket, user: User) -> list[Ticket]:
    """Complaints in the user's offices that this unlinked appeal may escalate: the same customer
    phone or a postal item in common, newest first. What link() would accept, found for the user."""
    if not appeal.is_appeal or appeal.appeal_of_id is not None:
        return []
    numbers = [i.number for i in appeal.items]
    same = []
    if appeal.customer_phone:
        same.append(Ticket.customer_phone == appeal.customer_phone)
    if numbers:
        same.append(Ticket.id.in_(select(TicketItem.ticket_id).where(TicketItem.number.in_(numbers))))
    if not same:
        return []
    return list(db.session.scalars(
        scoped_tickets(select(Ticket), user)
        .where(or_(*same), Ticket.channel != Channel.REGULATOR, Ticket.kind.in_(CASE_KINDS), Ticket.id != appeal.id)
        .order_by(Ticket.id.desc()).limit(CANDIDATES)))


def appeals_of(original: Ticket) -> list[Ticket]:
    """The appeals that escalated this complaint (its office sees them on the ticket)."""
    return list(db.session.scalars(select(Ticket).where(Ticket.appeal_of_id == original.id).order_by(Ticket.id)))


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(_("Some fields are missing or invalid."), {field: message})


def regulator_overdue(ticket: Ticket, today: date) -> bool:
    """The regulator's deadline has passed and no reply has been sent."""
    return (ticket.is_appeal and ticket.regulator_due is not None and ticket.regulator_replied_on is None
            and ticket.regulator_due < today)


@dataclass
class AppealPage:
    """What the ticket page shows about appeals: for an appeal its original and, while unlinked, the
    complaints it may escalate; for a complaint the appeals that escalated it. Each ticket comes with
    whether the user may open it (an appeal and its original may be in different offices)."""

    overdue: bool = False
    original: tuple[Ticket, bool] | None = None
    escalated: list[tuple[Ticket, bool]] = field(default_factory=list)
    candidates: list[Ticket] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return bool(self.original or self.escalated or self.candidates)


def page(ticket: Ticket, user: User, now: datetime) -> AppealPage:
    today = now.astimezone(ZoneInfo(ticket.office.timezone)).date()
    out = AppealPage(overdue=regulator_overdue(ticket, today))
    if ticket.appeal_of is not None:
        out.original = (ticket.appeal_of, can_view_ticket(user, ticket.appeal_of))
    out.escalated = [(a, can_view_ticket(user, a)) for a in appeals_of(ticket)]
    out.candidates = candidates(ticket, user)
    return out
