"""The statutory reply clock: from logging until the customer has been given the outcome.

A complaint runs it beside its stage clocks (triage, resolve, follow-up), per the reply policy
of its kind and channel (:class:`~complaints.models.ReplyPolicy`; a missing row is the shipped
default: complaints 7 working days, service errors none, escalation 1 working day after the
due instant; 0 days: no reply clock).

Working days are China's working days from the national calendar: Monday to Friday, minus the
national days off, plus the make-up working days (调休), counted as whole days (24 hours each)
in the office's time zone. The office's own exceptions and opening hours do not shorten a
statutory deadline, so they are not read (:func:`~complaints.sla.policies.working_days_for`).
A complaint logged on a working day at 10:00 with 7 working days is due at 10:00 on the
seventh working day after; one logged on a day off starts counting at the next working day's
midnight.

A regulator appeal (channel ``regulator``) is due at the end of ``regulator_due`` (local time
of the office); when the forwarding notice named no date, logging sets ``regulator_due`` from
the reply policy of (kind, regulator), counted in working days.

It ends (met when by the due instant, else missed):

- when a contact with the customer that reached them is recorded on a resolved or closed
  ticket (:func:`on_contact`);
- for an appeal, at resolve, whose required input is the reply sent to the regulator;
- when a customer message telling the outcome has been sent (:func:`customer_told`, called by
  the message delivery in its own transaction).

Rejecting the ticket cancels it; reopening does not restart it. Warning at 75 %, breach at
100 %, escalation after the policy's delay: the same levels, recipients and outbox as the
stage clocks (the scan reads every row of ``deadlines`` alike).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from ..domain import Channel, State
from ..models import Deadline, Ticket
from . import clocks
from .policies import DEFAULT_SEVERITY, get_reply_policy, working_days_for

DAY_SECONDS = 24 * 3600
AFTER_RESOLUTION = frozenset({State.RESOLVED, State.CLOSED})


def on_transition(ticket: Ticket, event: str, now: datetime) -> None:
    """Called by ``clocks.on_transition`` for log, resolve and reject."""
    if event == "log":
        start(ticket, now)
        return
    d = clocks.open_reply(ticket)
    if d is None:
        return
    if event == "reject":
        clocks.end(ticket, d, now, cancelled=True)
    elif event == "resolve" and ticket.is_appeal:
        clocks.end(ticket, d, now)  # the reply to the regulator is required at resolve


def on_contact(ticket: Ticket, values: dict[str, Any], now: datetime, from_state: State | None = None) -> None:
    """A recorded contact (``contact_customer``, or a ``follow_up``'s contact) fired on a resolved or
    closed ticket: the customer reached after resolution has been given the outcome."""
    state = ticket.state if from_state is None else from_state
    reached = "reached" in (_value(values.get("outcome")), _value(values.get("contact")))
    if state not in AFTER_RESOLUTION or not reached:
        return
    d = clocks.open_reply(ticket)
    if d is not None:
        clocks.end(ticket, d, now)


def customer_told(ticket: Ticket, at: datetime) -> None:
    """A customer message telling the outcome was sent at ``at``: end the open reply clock as of
    then (met or missed); nothing when none is open. Does not commit: the caller's transaction
    (the message marked sent) carries it."""
    d = clocks.open_reply(ticket)
    if d is not None:
        clocks.end(ticket, d, at)


def is_late(ticket: Ticket, now: datetime) -> bool:
    """The reply clock is still open and past its due instant: the customer may appeal (the status page)."""
    d = clocks.open_reply(ticket)
    return d is not None and d.due_at is not None and d.due_at < now


def start(ticket: Ticket, now: datetime) -> Deadline | None:
    """Start the reply clock of a newly logged ticket, when its policy (or the regulator) sets one."""
    if any(d.clock == clocks.REPLY for d in ticket.deadlines):
        return None  # never restarted
    policy = get_reply_policy(ticket.kind, ticket.channel)
    cal = working_days_for(ticket.office)
    appeal = ticket.channel == Channel.REGULATOR
    if appeal and ticket.regulator_due is None and policy.days > 0:
        ticket.regulator_due = due_date(cal.add(now, timedelta(seconds=policy.days * DAY_SECONDS)), cal.zone)
    if appeal and ticket.regulator_due is not None:
        due = cal.end_of_day(ticket.regulator_due)
    elif policy.days > 0 and not appeal:
        due = cal.add(now, timedelta(seconds=policy.days * DAY_SECONDS))
    else:
        return None
    target = int(cal.between(now, due).total_seconds())
    escalate = policy.escalate_after_days * DAY_SECONDS
    d = Deadline(
        office_id=clocks.office_of(ticket), clock=clocks.REPLY, cycle=1, severity=ticket.severity or DEFAULT_SEVERITY,
        target_seconds=target, escalate_seconds=escalate, always_open=False,
        started_at=now, running_since=now, consumed_seconds=0, next_level=0,
        warn_at=cal.add(now, timedelta(seconds=math.ceil(target * clocks.WARNING_SHARE))),
        due_at=due, escalate_at=cal.add(due, timedelta(seconds=escalate)),
    )
    d.next_fire_at = d.warn_at
    ticket.deadlines.append(d)  # complete before it joins the session: one INSERT, no UPDATE
    return d


def due_date(instant: datetime, zone: Any) -> date:
    """The local date on which a span that runs out at ``instant`` ends (a span that runs out at
    midnight ends on the day before)."""
    return (instant - timedelta(microseconds=1)).astimezone(zone).date()


def _value(value: Any) -> Any:
    return getattr(value, "value", value)
