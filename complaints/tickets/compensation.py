"""Compensation (赔偿): stated at resolve, then approved, paid or refused, in exact yuan.

Each function is an effect of a row of the workflow table (which says who may fire it and in
which compensation status); it changes the compensation and returns, the event is recorded by
``operations.fire_event``. Amounts are Decimal end to end and stored as whole fen.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app

from ..domain import CompensationBasis, CompensationStatus
from ..models import Compensation, Ticket, User

DEFAULT_CAP = Decimal("2000")


def cap() -> Decimal:
    """Above this offer (yuan) only an administrator may approve: ``COMPENSATION_CAP``."""
    return Decimal(str(current_app.config.get("COMPENSATION_CAP") or DEFAULT_CAP))


def state(ticket: Ticket, *, claimed: Decimal, offered: Decimal, basis: CompensationBasis,
          now: datetime) -> Compensation:
    """Record (or, before approval, restate) the compensation of a ticket being resolved."""
    status = CompensationStatus.OVER_CAP if offered > cap() else CompensationStatus.OFFERED
    comp = ticket.compensation
    if comp is None:
        comp = Compensation(created_at=now)
        ticket.compensation = comp
    comp.claimed, comp.offered, comp.basis, comp.status = claimed, offered, basis, status
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
