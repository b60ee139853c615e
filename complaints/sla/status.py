"""What a ticket's clocks say now: for the ticket page, the queue and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import Deadline, Ticket
from . import clocks

DAY_SECONDS = 24 * 3600


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def state_of(d: Deadline) -> str:
    if d.ended_at is not None:
        return d.outcome or "met"
    return "paused" if d.running_since is None else "running"


def deadline_to_dict(ticket: Ticket, d: Deadline, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clock": d.clock,
        "cycle": d.cycle,
        "state": state_of(d),
        "calendar": "24x7" if d.always_open else "business",
        "target_minutes": d.target_seconds // 60,
        "started_at": _iso(d.started_at),
        "warn_at": _iso(d.warn_at),
        "due_at": _iso(d.due_at),
        "escalate_at": _iso(d.escalate_at),
        "ended_at": _iso(d.ended_at),
    }
    if d.clock == clocks.REPLY:
        data["calendar"] = "working_days"
        data["target_working_days"] = round(d.target_seconds / DAY_SECONDS, 2)
    if d.ended_at is None:
        left = clocks.seconds_left(ticket, d, now)
        data["business_seconds_left"] = left
        data["overdue"] = left < 0
        data["paused"] = d.running_since is None
    return data


def deadlines_to_dict(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The latest clock of each kind by name (``reply`` the statutory reply clock), and ``current``
    naming the stage clock running or paused (never the reply clock, which runs beside it)."""
    out: dict[str, Any] = {"current": None}
    for d in ticket.deadlines:
        out[d.clock] = deadline_to_dict(ticket, d, now)
        if d.ended_at is None and d.clock != clocks.REPLY:
            out["current"] = d.clock
    return out


def current(ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The stage clock running or paused, as a dict; None when there is none."""
    d = clocks.open_deadline(ticket)
    return deadline_to_dict(ticket, d, now) if d is not None else None


def reply(ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The reply clock (running or ended), as a dict; None when the ticket has none."""
    d = next((d for d in ticket.deadlines if d.clock == clocks.REPLY), None)
    return deadline_to_dict(ticket, d, now) if d is not None else None
