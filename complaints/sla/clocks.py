"""The SLA clocks of a ticket: which one runs in which state, and what an event does to them.

Two kinds of clock are rows of ``deadlines``: the stage clocks (triage, resolve, follow_up; one
at a time, following the state) and, for complaints, the statutory ``reply`` clock, which runs
beside them from logging until the customer has been given the outcome (see ``reply``). The
stage-clock logic here never touches the reply clock; ``open_deadline`` is the stage clock.

Called by ``tickets.operations`` inside the same transaction as the state change, so a
clock never moves for a change that rolled back. Level instants are planned here once
per start or resume; the scan only compares them with the time it is given.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..domain import CASE_KINDS, State
from ..models import Deadline, Ticket
from .calendar import BusinessCalendar
from .policies import calendar_for, get_policy, prefetch, working_days_for

# The clock that runs while a ticket is in a state; awaiting_customer keeps the resolve
# clock but pauses it.
CLOCK_FOR_STATE: dict[State, str] = {
    State.NEW: "triage",
    State.TRIAGED: "resolve",
    State.AWAITING_CUSTOMER: "resolve",
    State.RESOLVED: "follow_up",
}
PAUSED_STATES = frozenset({State.AWAITING_CUSTOMER})
WARNING_SHARE = 0.75
REPLY = "reply"


def open_deadline(ticket: Ticket) -> Deadline | None:
    """The open stage clock (triage, resolve or follow-up), or None; never the reply clock."""
    for d in reversed(ticket.deadlines):
        if d.ended_at is None and d.clock != REPLY:
            return d
    return None


def open_reply(ticket: Ticket) -> Deadline | None:
    """The running reply clock, or None."""
    for d in ticket.deadlines:
        if d.ended_at is None and d.clock == REPLY:
            return d
    return None


def calendar_of(ticket: Ticket, d: Deadline) -> BusinessCalendar:
    if d.clock == REPLY:
        return working_days_for(ticket.office)
    return calendar_for(ticket.office, "24x7" if d.always_open else "business")


def on_transition(ticket: Ticket, event: str, from_state: State | None, to_state: State,
                  now: datetime) -> None:
    """Move the ticket's clocks for a transition that has just been applied."""
    if from_state is None:  # logged: both policies its clocks need, in one read
        prefetch(ticket.kind, ticket.severity, ticket.channel)
    current = open_deadline(ticket)
    # A commendation has no stage clock: nobody waits on its verification (nor a reply clock: policy 0).
    wanted = CLOCK_FOR_STATE.get(to_state) if ticket.kind in CASE_KINDS else None
    if current is not None and current.clock == wanted and from_state is not None and (
        from_state in PAUSED_STATES or to_state in PAUSED_STATES
    ):
        if to_state in PAUSED_STATES:
            pause(ticket, current, now)
        else:
            resume(ticket, current, now)
        return
    if current is not None:
        # A reopen withdraws the follow-up; every other event is the work the clock timed.
        end(ticket, current, now, cancelled=event == "reopen")
    if wanted is not None:
        start(ticket, wanted, now)
    if event in ("log", "resolve", "reject"):
        from . import reply

        reply.on_transition(ticket, event, now)


def start(ticket: Ticket, clock: str, now: datetime) -> Deadline:
    policy = get_policy(ticket.kind, ticket.severity)
    cycle = 1 + sum(1 for d in ticket.deadlines if d.clock == clock)
    d = Deadline(
        office_id=office_of(ticket), clock=clock, cycle=cycle, severity=policy.severity,
        target_seconds=policy.minutes_for(clock) * 60,
        escalate_seconds=policy.escalate_after_minutes * 60,
        always_open=policy.calendar == "24x7",
        started_at=now, running_since=now, consumed_seconds=0, next_level=0,
    )
    _plan(d, calendar_of(ticket, d))  # planned before it joins the session: one INSERT, no UPDATE after it
    ticket.deadlines.append(d)
    return d


def office_of(ticket: Ticket) -> int:
    """The office a ticket's clocks are filed under (its own; a ticket built with its office object
    may not have the id yet)."""
    return ticket.office_id if ticket.office_id is not None else ticket.office.id


def pause(ticket: Ticket, d: Deadline, now: datetime) -> None:
    if d.running_since is None:
        return
    d.consumed_seconds += _seconds(calendar_of(ticket, d).between(d.running_since, now))
    d.running_since = None
    d.next_fire_at = None
    # While paused the future instants are unknown; instants already passed stay.
    for level, attr in enumerate(("warn_at", "due_at", "escalate_at")):
        if level >= d.next_level:
            setattr(d, attr, None)


def resume(ticket: Ticket, d: Deadline, now: datetime) -> None:
    if d.running_since is not None:
        return
    d.running_since = now
    _plan(d, calendar_of(ticket, d))


def end(ticket: Ticket, d: Deadline, now: datetime, *, cancelled: bool = False) -> None:
    if d.running_since is not None:
        d.consumed_seconds += _seconds(calendar_of(ticket, d).between(d.running_since, now))
    d.running_since = None
    d.next_fire_at = None
    d.ended_at = now
    if cancelled:
        d.outcome = "cancelled"
    elif d.clock == REPLY:
        # A statutory deadline is an instant (the end of the regulator's date, or the working days
        # counted from logging): met when the customer was told by then.
        d.outcome = "met" if d.due_at is None or now <= d.due_at else "missed"
    else:
        d.outcome = "met" if d.consumed_seconds <= d.target_seconds else "missed"


def _plan(d: Deadline, cal: BusinessCalendar) -> None:
    """Plan the instants of the levels not yet reached, from the running start."""
    offsets = (math.ceil(d.target_seconds * WARNING_SHARE), d.target_seconds,
               d.target_seconds + d.escalate_seconds)
    base = d.running_since
    assert base is not None  # noqa: S101 - only called on a running clock
    for level, attr in enumerate(("warn_at", "due_at", "escalate_at")):
        if level < d.next_level:
            continue
        left = max(0, offsets[level] - d.consumed_seconds)
        setattr(d, attr, cal.add(base, timedelta(seconds=left)))
    d.next_fire_at = d.level_at(d.next_level)


def seconds_left(ticket: Ticket, d: Deadline, now: datetime) -> int:
    """Business seconds until the target (negative once overdue), paused clocks frozen.

    For the reply clock: working-day seconds from ``now`` to its due instant."""
    if d.clock == REPLY and d.due_at is not None:
        return _seconds(calendar_of(ticket, d).signed_between(now, d.due_at))
    used = d.consumed_seconds
    if d.running_since is not None:
        used += _seconds(calendar_of(ticket, d).between(d.running_since, now))
    return d.target_seconds - used


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())
