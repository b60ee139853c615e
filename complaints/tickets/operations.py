"""Every change of a ticket's state is one function here.

Each checks, changes the ticket, appends exactly one history event and flushes; none
commits. The caller (a view, the API, the CLI) commits, or rolls back on DomainError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..admin.operations import find_office
from ..authz import can_access_office, can_view_ticket, is_admin
from ..customers import operations as customer_messages
from ..domain import Category, Channel, Finding, Kind, Role, State, label
from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import IdempotencyKey, Ticket, TicketEvent, TicketItem, User
from ..search.query import index_ticket
from ..sla import clocks
from ..sla import reply as reply_clock
from ..workflow import BY_EVENT, Transition, allowed_events, role_may, window_open
from . import appeals, compensation, inputs
from .refs import next_ref

IDEMPOTENCY_WINDOW = timedelta(hours=24)  # a key names its ticket this long, then it is forgotten
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,100}")


def check_idempotency_key(value: str, field: str = "Idempotency-Key") -> str:
    """An idempotency key as given, or 422: 1 to 100 printable ASCII characters."""
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        message = _("An idempotency key must be 1 to 100 printable ASCII characters.")
        raise InvalidInput(message, {field: message})
    return value


def ticket_for_key(actor: User, key: str, now: datetime) -> Ticket | None:
    """The ticket the actor logged with ``key`` within the last 24 hours, or None."""
    ticket = db.session.scalar(
        select(Ticket).join(IdempotencyKey, IdempotencyKey.ticket_id == Ticket.id)
        .where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key,
               IdempotencyKey.created_at > now - IDEMPOTENCY_WINDOW))
    if ticket is not None and not can_view_ticket(actor, ticket):
        raise Forbidden(_("This ticket belongs to an office you do not cover."))
    return ticket


def sweep_idempotency_keys(now: datetime) -> int:
    """Forget the keys past their day (none is read after it): the scheduler's hourly housekeeping, so
    that the table holds about a day of logging instead of every key ever sent. Returns how many."""
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - IDEMPOTENCY_WINDOW))
    return result.rowcount or 0


def log_ticket(actor: User, raw: Mapping[str, Any], *, now: datetime, defaults: bool = True,
               idempotency_key: str | None = None) -> Ticket:
    """Log a new complaint or service error at the counter.

    ``defaults``: an API client that sends no category gets ``other``; the web form passes
    False, so the clerk must choose.

    ``idempotency_key`` (checked, and looked up with ticket_for_key, by the caller) is written in
    the same transaction as the ticket. Of two requests with one key at once, the second fails on
    the key's unique constraint (IntegrityError, at the flush or the commit): its caller rolls back
    and answers with ticket_for_key, the first request's ticket.
    """
    t = BY_EVENT["log"]
    if not role_may(t, actor):
        raise Forbidden(_("Your role may not log tickets."))
    allowed = None if is_admin(actor) else partial(can_access_office, actor)
    _check_office_scope(raw.get("office"), allowed)
    values = inputs.clean(t, raw, office=None, now=now, allowed_offices=allowed, defaults=defaults)
    _check_commendation(values)
    office = values["office"]
    year = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    ticket = Ticket(
        ref=next_ref(values["kind"], year),  # after every check: a refusal takes no number
        kind=values["kind"],
        channel=values["channel"],
        category=values.get("category", Category.OTHER),  # a commendation need not say: the column's default
        office=office,
        office_id=office.id,
        description=values["description"],
        occurred_at=values["occurred_at"],
        customer_name=values.get("customer_name"),
        customer_phone=values.get("customer_phone"),
        customer_email=values.get("customer_email"),
        customer_consent=bool(values.get("customer_consent")),
        regulator_case=values.get("regulator_case"),
        regulator_due=values.get("regulator_due"),
        involved_clerk=values.get("clerk"),
        logged_by=actor,
        logged_by_id=actor.id,
        state=State.NEW,
        created_at=now,
        updated_at=now,
        events=[],  # a new ticket has none: no query to find that out
        compensation=None,  # likewise: stated at resolve
        deadlines=[],
        items=[TicketItem(position=n, number=i["number"], product=i["product"])
               for n, i in enumerate(values.get("items") or [], start=1)],
        attachments=[],
    )
    if values.get("appeal_of") is not None:
        appeals.link(ticket, values["appeal_of"], field="appeal_of", items=values.get("items") or [])
    db.session.add(ticket)
    ev = _append_event(ticket, t, actor, None, State.NEW, inputs.to_payload(values), now)
    with db.session.no_autoflush:  # the policy and calendar reads need nothing pending: one flush of all three rows
        clocks.on_transition(ticket, t.event, None, State.NEW, now)
    db.session.flush()
    index_ticket(ticket)  # in the same transaction: a logged ticket is always findable
    customer_messages.on_event(ticket, ev, now)  # with consent: the customer is told, in this transaction
    if idempotency_key is not None:
        db.session.execute(delete(IdempotencyKey).where(  # the same key past its day: forgotten, replaced
            IdempotencyKey.user_id == actor.id, IdempotencyKey.key == idempotency_key,
            IdempotencyKey.created_at <= now - IDEMPOTENCY_WINDOW))
        db.session.add(IdempotencyKey(user_id=actor.id, key=idempotency_key, ticket_id=ticket.id, created_at=now))
        db.session.flush()
    return ticket


def _check_commendation(values: dict[str, Any]) -> None:
    """A commendation is praise, not a case: the regulator forwards appeals, never praise."""
    if values["kind"] != Kind.COMMENDATION:
        return
    if values["channel"] == Channel.REGULATOR:
        message = _("A commendation does not come through the regulator.")
        raise InvalidInput(_("Some fields are missing or invalid."), {"channel": message})
    if values.get("category") not in (None, Category.OTHER):  # nothing went wrong: no category to count
        raise InvalidInput(_("Some fields are missing or invalid."),
                           {"category": _("A commendation names no category: leave it empty.")})


def _check_office_scope(code: Any, allowed: Callable[[int], bool] | None) -> None:
    """Logging for an existing office one does not cover is a scope refusal (403), not bad input."""
    if allowed is None or not isinstance(code, str) or len(code) > 32 or "\x00" in code:
        return  # the input check answers it, field by field
    office = find_office(code.strip())
    if office is not None and office.active and not allowed(office.id):
        raise Forbidden(_("You do not cover office %(code)s.", code=office.code))


def fire_event(
    ticket: Ticket,
    actor: User,
    event: str,
    raw: Mapping[str, Any],
    *,
    version: Any,
    now: datetime,
) -> TicketEvent:
    """Fire a workflow event on a ticket, or raise (403 / 409 / 422) having changed nothing."""
    t = BY_EVENT.get(event) if isinstance(event, str) else None
    if t is None or t.event == "log":
        raise InvalidInput(_("Unknown event."), {"event": _("Unknown event.")})
    if not can_access_office(actor, ticket.office_id):
        raise Forbidden(_("This ticket belongs to an office you do not cover."))
    if not role_may(t, actor):
        roles = ", ".join(label(r) for r in Role if r in t.roles)
        raise Forbidden(_("Only %(roles)s may %(event)s.", roles=roles, event=str(t.label)))
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInput(_("The ticket's version is required."),
                           {"version": _("Must be the ticket's current version number.")})
    if version != ticket.version:
        raise Conflict(
            _("The ticket was changed by someone else (version %(theirs)d, yours %(yours)d). "
              "Reload it and try again.", theirs=ticket.version, yours=version),
            current_version=ticket.version,
        )
    if ticket.state in t.sources and window_open(t, ticket, now) and not t.applies(ticket):
        allowed = [a.event for a in allowed_events(ticket, actor, now)]
        raise Conflict(
            _("%(reason)s Allowed now: %(allowed)s.", reason=_not_for_this_ticket(t, ticket),
              allowed=", ".join(allowed) or _("nothing")),
            state=ticket.state.value,
            allowed_events=allowed,
        )
    if ticket.state not in t.sources or not window_open(t, ticket, now):
        allowed = [a.event for a in allowed_events(ticket, actor, now)]
        raise Conflict(
            _("Cannot %(event)s a ticket that is %(state)s. Allowed now: %(allowed)s.",
              event=str(t.label), state=label(ticket.state),
              allowed=", ".join(allowed) or _("nothing")),
            state=ticket.state.value,
            allowed_events=allowed,
        )
    values = inputs.clean(t, raw, office=ticket.office, now=now, ticket=ticket)
    from_state = ticket.state
    to_state = t.target_for(values, from_state)
    try:
        with db.session.no_autoflush:
            # An effect that reads (a lazy relationship) must not flush its half-made change: the
            # row would be written twice and the version move by two for one event.
            EFFECTS[t.event](ticket, values, now, actor)
        ticket.state = to_state
        ticket.updated_at = now  # and the version moves: a note is a change another writer must see
        # ... even when nothing of the ticket's own row changes (an approval at the instant of the resolve,
        # an event fired at the same `now` as the one before): the row is written, the version moves.
        flag_modified(ticket, "updated_at")
        if not t.keeps_state:
            # The clocks read the office calendar, which may flush the ticket early: the
            # version check can fire here as well as at the final flush.
            clocks.on_transition(ticket, t.event, from_state, to_state, now)
        if t.event in ("contact_customer", "follow_up"):
            # reached after resolution (a follow-up too, satisfied or not): the customer knows
            reply_clock.on_contact(ticket, values, now, from_state)
        payload = inputs.to_payload(values)
        ev = _append_event(ticket, t, actor, from_state, to_state, payload, now)
        db.session.flush()
    except (StaleDataError, IntegrityError):
        # Another request changed the ticket between our read and our write.
        raise Conflict(
            _("The ticket was changed by someone else. Reload it and try again.")
        ) from None
    customer_messages.on_event(ticket, ev, now)  # with consent: the customer is told, in this transaction
    return ev


def _not_for_this_ticket(t: Transition, ticket: Ticket) -> str:
    """Why a row's ticket condition (Transition.ticket_when) refuses this ticket, in words."""
    for attribute, values in t.ticket_when:
        if getattr(ticket, attribute) in values:
            continue
        if attribute == "is_appeal":
            return _("Only for appeals forwarded by the regulator.")
        if attribute == "verdict":
            return _("The regulator's verdict is already recorded: %(verdict)s.", verdict=label(ticket.verdict))
        if attribute == "appeal_of_id":
            return _("This appeal is already linked to %(ref)s.", ref=ticket.appeal_of.ref)
        if attribute == "compensation_status":
            return compensation.not_allowed(t, ticket)
        if attribute == "kind":
            if ticket.kind == Kind.COMMENDATION:
                return _("A commendation is verified or rejected, not handled as a case.")
            return _("Only for commendations.")
    return _("Cannot %(event)s this ticket.", event=str(t.label))


def _append_event(
    ticket: Ticket, t: Transition, actor: User, from_state: State | None, to_state: State,
    payload: dict[str, Any], now: datetime,
) -> TicketEvent:
    ev = TicketEvent(
        seq=len(ticket.events) + 1, event=t.event, from_state=from_state, to_state=to_state,
        actor=actor, actor_id=actor.id, payload=payload, at=now,
    )
    ticket.events.append(ev)
    return ev


# What each event writes on the ticket besides the state (the table says where it leads).

def _triage(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    ticket.severity = v["severity"]
    ticket.category = v["category"]
    ticket.assignee = v["assignee"]


def _reject(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    ticket.reject_reason = v["reason"]
    ticket.duplicate_of = v.get("duplicate_of")


def _note_only(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    pass


COMPENSATION_FIELDS = ("claimed_amount", "offered_amount", "compensation_basis")


def _resolve(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    if any(name in v for name in COMPENSATION_FIELDS):  # a compensation is stated whole, or not at all
        missing = {name: _("This field is required.") for name in COMPENSATION_FIELDS if name not in v}
        if missing:
            raise InvalidInput(_("Some fields are missing or invalid."), missing)
    stated = ticket.compensation  # read before anything changes
    ticket.resolution = v["resolution"]
    ticket.outcome = v["outcome"]
    if ticket.is_appeal:
        ticket.regulator_reply = v["regulator_reply"]
        ticket.regulator_replied_on = v["regulator_replied_on"]
    if "offered_amount" in v:
        compensation.state(ticket, claimed=v["claimed_amount"], offered=v["offered_amount"],
                           basis=v["compensation_basis"], now=now)
    elif stated is not None and ticket.compensation_open:
        ticket.compensation = None  # judged again without one: an offer not yet approved is withdrawn
    ticket.finding = v["finding"]
    substantiated = v["finding"] == Finding.SUBSTANTIATED
    ticket.root_cause = v.get("root_cause") if substantiated else None
    ticket.attributed_clerk = v.get("attributed_clerk") if substantiated else None
    ticket.resolved_at = now
    ticket.closed_at = None


def _verify_commendation(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    # The praised clerk is the attributed one: their card lists it beside the highlights factor.
    ticket.attributed_clerk = v["clerk"]
    ticket.resolved_at = now
    ticket.closed_at = now


def _clear_judgement(ticket: Ticket) -> None:
    # A reopened ticket stops counting against anyone until it is judged again.
    ticket.finding = None
    ticket.root_cause = None
    ticket.attributed_clerk = None
    ticket.resolved_at = None
    ticket.closed_at = None


def _follow_up(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    ticket.contact = v["contact"]
    ticket.expectation = v.get("expectation")
    ticket.perception = v.get("perception")
    ticket.satisfied = v.get("satisfied")
    if v.get("satisfied") is False:
        _clear_judgement(ticket)
    else:
        ticket.closed_at = now


def _reopen(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    _clear_judgement(ticket)


def _reassign(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    if ticket.assignee_id == v["assignee"].id:
        raise InvalidInput(_("Some fields are missing or invalid."),
                           {"assignee": _("The ticket is already assigned to %(name)s.", name=v["assignee"].name)})
    ticket.assignee = v["assignee"]  # the reminders follow: they are addressed when sent


def _record_verdict(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    ticket.verdict = v["verdict"]
    ticket.verdict_at = now


def _link_appeal(ticket: Ticket, v: dict[str, Any], now: datetime, actor: User) -> None:
    appeals.link(ticket, v["original"], field="original", items=[{"number": i.number} for i in ticket.items])


EFFECTS: dict[str, Callable[[Ticket, dict[str, Any], datetime, User], None]] = {
    "triage": _triage,
    "reject": _reject,
    "verify_commendation": _verify_commendation,
    "request_info": _note_only,
    "info_received": _note_only,
    "resolve": _resolve,
    "follow_up": _follow_up,
    "reopen": _reopen,
    "withdraw_commendation": _reopen,  # the praised clerk is no longer credited
    "add_note": _note_only,
    "contact_customer": _note_only,
    "reassign": _reassign,
    "record_verdict": _record_verdict,
    "link_appeal": _link_appeal,
    "approve_compensation": compensation.approve,
    "approve_compensation_over_cap": compensation.approve,
    "pay_compensation": compensation.pay,
    "refuse_compensation": compensation.refuse,
}
