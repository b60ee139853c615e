"""Regulator appeals: linking an appeal to the complaint it escalated.

The regulator forwards an appeal without our reference, so the link is made by a person who
names the original; it is accepted only when the two are visibly the same customer's case
(the same phone, or a postal item in common), so that a reference alone reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..domain import Channel
from ..errors import InvalidInput
from ..extensions import db
from ..models import Ticket, TicketItem


def link(appeal: Ticket, original: Ticket, *, field: str, items: Iterable[dict[str, Any]]) -> None:
    """Point ``appeal`` at ``original`` or raise InvalidInput naming ``field``."""
    if original.channel == Channel.REGULATOR:
        raise _refuse(field, _("That ticket is itself an appeal: name the complaint it escalated."))
    if original.id is not None and original.id == appeal.id:
        raise _refuse(field, _("A ticket cannot duplicate itself."))
    numbers = {i["number"] for i in items}
    same_phone = bool(appeal.customer_phone) and appeal.customer_phone == original.customer_phone
    shared_item = bool(numbers) and db.session.scalar(
        select(TicketItem.id).where(TicketItem.ticket_id == original.id, TicketItem.number.in_(numbers)).limit(1)
    ) is not None
    if not (same_phone or shared_item):
        raise _refuse(field, _("Unknown reference, or not the same customer's case (no phone or postal item "
                               "in common)."))
    appeal.appeal_of = original


def appeals_of(original: Ticket) -> list[Ticket]:
    """The appeals that escalated this complaint (its office sees them on the ticket)."""
    return list(db.session.scalars(select(Ticket).where(Ticket.appeal_of_id == original.id).order_by(Ticket.id)))


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(_("Some fields are missing or invalid."), {field: message})
