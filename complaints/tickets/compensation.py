"""Compensation (赔偿): stated at resolve, then approved, paid or refused, in exact yuan.

Each function is an effect of a row of the workflow table (which says who may fire it and in
which compensation status); it changes the compensation and returns, the event is recorded by
``operations.fire_event``. Amounts are Decimal end to end and stored as whole fen.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, not_

from ..domain import CompensationBasis, CompensationStatus, label
from ..models import Compensation, Ticket, User

if TYPE_CHECKING:
    from ..workflow import Transition

DEFAULT_CAP = Decimal("2000")


def cap() -> Decimal:
    """Above this offer (yuan) only an administrator may approve: ``COMPENSATION_CAP``."""
    value = current_app.config.get("COMPENSATION_CAP")
    return DEFAULT_CAP if value in (None, "") else Decimal(str(value))


def not_allowed(t: Transition, ticket: Ticket) -> str:
    """Why a compensation event does not fit the compensation's status, in words."""
    comp = ticket.compensation
    if comp is None:
        return _("This ticket has no compensation: it is stated when the ticket is resolved.")
    status = status_of(comp)
    if t.event == "approve_compensation" and status == CompensationStatus.OVER_CAP:
        return _("The offer of %(offered)s yuan is above the cap of %(cap)s yuan: only an administrator may "
                 "approve it.", offered=f"{comp.offered:.2f}", cap=f"{cap():.2f}")
    if t.event == "approve_compensation_over_cap" and status == CompensationStatus.OFFERED:
        return _("The offer is within the cap: approve it as any other.")
    return _("The compensation is %(status)s.", status=label(status))


AWAITING_APPROVAL = (CompensationStatus.OFFERED, CompensationStatus.OVER_CAP)


def status_of(comp: Compensation) -> CompensationStatus:
    """The compensation's status as the table reads it: an offer waiting for approval is above the
    cap or not by the cap in force now, so lowering the cap sends pending offers to an administrator."""
    if comp.status in AWAITING_APPROVAL:
        return CompensationStatus.OVER_CAP if comp.offered > cap() else CompensationStatus.OFFERED
    return comp.status


def having_status(status: CompensationStatus) -> ColumnElement[bool]:
    """status_of as SQL: the rows a list filter on the status finds."""
    if status in AWAITING_APPROVAL:
        over = Compensation.offered > cap()
        return and_(Compensation.status.in_(AWAITING_APPROVAL),
                    over if status == CompensationStatus.OVER_CAP else not_(over))
    return Compensation.status == status


def state(ticket: Ticket, *, claimed: Decimal, offered: Decimal, basis: CompensationBasis,
          now: datetime) -> Compensation:
    """Record (or, before approval, restate) the compensation of a ticket being resolved."""
    comp = ticket.compensation
    if comp is None:
        comp = Compensation(created_at=now)
        ticket.compensation = comp
    comp.claimed, comp.offered, comp.basis = claimed, offered, basis
    comp.status = CompensationStatus.OFFERED
    comp.status = status_of(comp)  # stored as it stands now; the table reads it with status_of
    comp.updated_at = now
    return comp


def approve(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    comp = ticket.compensation
    assert comp is not None  # noqa: S101 - the table allows the event only with one
    comp.status = CompensationStatus.APPROVED
    comp.approved_at = now
    comp.updated_at = now
    comp.approved_by_id = actor.id


def pay(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    comp = ticket.compensation
    assert comp is not None  # noqa: S101
    comp.status = CompensationStatus.PAID
    comp.paid_on = v["paid_on"]
    comp.payment_ref = v["payment_ref"]
    comp.updated_at = now


def refuse(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    comp = ticket.compensation
    assert comp is not None  # noqa: S101
    comp.status = CompensationStatus.REFUSED
    comp.refused_reason = v["reason"]
    comp.updated_at = now
