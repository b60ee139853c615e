"""Reading tickets: the scoped, filtered, paginated queue and single-ticket lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased, selectinload

from ..authz import can_view_ticket, remember_in_scope, scoped_tickets, user_timezone
from ..domain import (
    CASE_KINDS,
    OPEN_STATES,
    Category,
    Channel,
    CompensationStatus,
    Finding,
    Kind,
    RootCause,
    State,
    Verdict,
)
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Compensation, Deadline, Office, Region, Ticket, TicketEvent, TicketItem, User
from ..regions.tree import offices_below
from ..textcheck import as_int
from . import compensation

MAX_PAGE_SIZE = 100
DUE_FILTERS = ("overdue", "soon", "met", "missed")  # soon: past the 75 % warning, not yet overdue;
# met, missed: a stage clock (of ``stage``, or any) ended in time or late (the report's links)
STAGE_CLOCKS = ("triage", "resolve", "follow_up")
SORTS = ("new", "due", "reply")  # due: the stage clock's due time; reply: the reply clock's
REPLY_FILTERS = ("soon", "overdue", "met", "missed")  # the statutory reply clock: due within REPLY_SOON, or
# overdue; met, missed: ended in time or late
REPLY_SOON = timedelta(days=7)


@dataclass
class QueueFilters:
    state: State | None = None
    kind: Kind | None = None
    category: Category | None = None
    channel: Channel | None = None
    office: Office | None = None
    region: Region | None = None  # every office below it
    item: str | None = None  # an item number, normalised: exact match
    mine: bool = False  # assigned to the user asking
    cases: bool = False  # complaints and errors only (no commendations)
    due: str | None = None  # the stage clock (triage, resolve, follow-up)
    reply: str | None = None  # the reply clock
    appeal: bool = False  # regulator appeals only
    verdict: Verdict | None = None
    compensation: CompensationStatus | None = None
    # The report's links: logged between two dates (inclusive, the application's time zone), a root cause
    # of a substantiated ticket, the stage clock of due=met/missed, customer's scores recorded, a
    # compensation stated and not refused.
    created_from: date | None = None
    created_to: date | None = None
    root_cause: RootCause | None = None
    stage: str | None = None
    voice: bool = False
    compensated: bool = False
    appeal_late: bool = False  # open appeals past the regulator's deadline without a reply (the dashboard's tile)
    sort: str = "new"
    page: int = 1
    per_page: int = 25

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.state:
            args["state"] = self.state.value
        if self.kind:
            args["kind"] = self.kind.value
        if self.category:
            args["category"] = self.category.value
        if self.channel:
            args["channel"] = self.channel.value
        if self.office:
            args["office"] = self.office.code
        if self.region:
            args["region"] = self.region.code
        if self.item:
            args["item"] = self.item
        if self.mine:
            args["mine"] = "1"
        if self.cases:
            args["cases"] = "1"
        if self.due:
            args["due"] = self.due
        if self.reply:
            args["reply"] = self.reply
        if self.appeal:
            args["appeal"] = "1"
        if self.verdict:
            args["verdict"] = self.verdict.value
        if self.compensation:
            args["compensation"] = self.compensation.value
        for name in ("created_from", "created_to"):
            if getattr(self, name):
                args[name] = getattr(self, name).isoformat()
        if self.root_cause:
            args["root_cause"] = self.root_cause.value
        if self.stage:
            args["stage"] = self.stage
        for name in ("voice", "compensated", "appeal_late"):
            if getattr(self, name):
                args[name] = "1"
        if self.sort != "new":
            args["sort"] = self.sort
        return args


def logged_in_month(month: str) -> dict[str, str]:
    """The queue's arguments for the tickets logged in ``month`` (YYYY-MM): what a "this month" figure
    links to."""
    from ..reports.periods import Period

    return Period(int(month[:4]), int(month[5:7])).logged_args


def parse_filters(args: Any, default_per_page: int = 25) -> QueueFilters:
    """Read queue filters from query arguments; raise InvalidInput naming each bad one."""
    errors: dict[str, str] = {}
    f = QueueFilters(per_page=default_per_page)
    # One rule for every filter that names a value of an enumeration: unknown values are named.
    for name, enum, unknown in (("state", State, _("Unknown state.")), ("kind", Kind, _("Unknown kind.")),
                                ("category", Category, _("Unknown category.")),
                                ("channel", Channel, _("Unknown channel.")),
                                ("verdict", Verdict, _("Unknown verdict.")),
                                ("compensation", CompensationStatus, _("Unknown compensation status.")),
                                ("root_cause", RootCause, _("Unknown root cause."))):
        value = args.get(name) or None
        if value and value in [m.value for m in enum]:
            setattr(f, name, enum(value))
        elif value:
            errors[name] = unknown
    item = args.get("item") or None
    if item:
        from .items import MAX_LENGTH, normalise

        number = normalise(str(item)[:2 * MAX_LENGTH])
        if number and len(number) <= MAX_LENGTH and number.isascii() and number.isalnum():
            f.item = number
        else:
            errors["item"] = _("An item number has 8 to 30 letters and digits.")
    for name in ("mine", "cases", "appeal", "voice", "compensated", "appeal_late"):
        flag = args.get(name) or None
        if flag:
            if flag in ("1", "true"):
                setattr(f, name, True)
            elif flag not in ("0", "false"):
                errors[name] = _("Must be 1 or 0.")
    code = args.get("office") or None
    if code:
        office = db.session.scalar(select(Office).where(Office.code == code[:32]))
        if office is None:
            errors["office"] = _("Unknown office.")
        f.office = office
    code = args.get("region") or None
    if code:
        region = db.session.scalar(select(Region).where(Region.code == str(code)[:32].upper()))
        if region is None:
            errors["region"] = _("Unknown region.")
        f.region = region
    due = args.get("due") or ("overdue" if args.get("overdue") in ("1", "true") else None)
    if due:
        if due in DUE_FILTERS:
            f.due = due
        else:
            errors["due"] = _("Must be one of: %(choices)s.", choices=", ".join(DUE_FILTERS))
    reply = args.get("reply") or None
    if reply:
        if reply in REPLY_FILTERS:
            f.reply = reply
        else:
            errors["reply"] = _("Must be one of: %(choices)s.", choices=", ".join(REPLY_FILTERS))
    stage = args.get("stage") or None
    if stage:
        if stage in STAGE_CLOCKS:
            f.stage = stage
        else:
            errors["stage"] = _("Must be one of: %(choices)s.", choices=", ".join(STAGE_CLOCKS))
    for name in ("created_from", "created_to"):
        raw = str(args.get(name) or "")
        try:
            day = date.fromisoformat(raw) if len(raw) == 10 and raw[4] == raw[7] == "-" else None
        except ValueError:
            day = None
        if day is not None and 2000 <= day.year < 9999:
            setattr(f, name, day)
        elif raw:
            errors[name] = _("Must be a date such as 2026-11-30.")
    sort = args.get("sort") or "new"
    if sort in SORTS:
        f.sort = sort
    else:
        errors["sort"] = _("Must be one of: %(choices)s.", choices=", ".join(SORTS))
    for name, lo, hi in (("page", 1, 1_000_000), ("per_page", 1, MAX_PAGE_SIZE)):
        raw = args.get(name)
        if raw in (None, ""):
            continue
        number = as_int(str(raw))
        if number is None or not lo <= number <= hi:
            errors[name] = _("Must be a number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        else:
            setattr(f, name, number)
    if errors:
        raise InvalidInput(_("Some filters are invalid."), errors)
    return f


def queue_statement(user: User, f: QueueFilters, now: datetime) -> Select:
    """The scoped, filtered, ordered query behind the queue, its export and its count.

    Newest first, by the running stage clock's due time, or by the reply clock's (soonest first,
    tickets without such a clock last).
    """
    stmt = scoped_tickets(select(Ticket), user)
    # The stage clock: a ticket has at most one open, so the join adds no rows; the reply clock is
    # joined apart (at most one per ticket too), for its own filter and order.
    open_clock = and_(Deadline.ticket_id == Ticket.id, Deadline.ended_at.is_(None), Deadline.clock != "reply")
    reply = aliased(Deadline, name="reply_clock")
    if f.reply or f.sort == "reply":
        stmt = stmt.outerjoin(reply, and_(reply.ticket_id == Ticket.id, reply.ended_at.is_(None),
                                          reply.clock == "reply"))
    if f.reply == "overdue":
        stmt = stmt.where(reply.due_at <= now)
    elif f.reply == "soon":
        stmt = stmt.where(reply.due_at > now, reply.due_at <= now + REPLY_SOON)
    elif f.reply in ("met", "missed"):
        stmt = stmt.where(Ticket.id.in_(select(Deadline.ticket_id).where(Deadline.clock == "reply",
                                                                        Deadline.outcome == f.reply)))
    if f.due or f.sort == "due":
        stmt = stmt.outerjoin(Deadline, open_clock)
    if f.due in ("overdue", "soon"):
        # Only open tickets run a stage clock: saying so lets the planner start from the (office, state)
        # index instead of probing the clocks of every ticket of a province (2.5 s -> 0.8 s at 1M tickets).
        stmt = stmt.where(Ticket.state.in_(OPEN_STATES))
    if f.due == "overdue":
        stmt = stmt.where(Deadline.due_at <= now)
    elif f.due == "soon":
        stmt = stmt.where(Deadline.warn_at <= now, Deadline.due_at > now)
    elif f.due in ("met", "missed"):
        ended = select(Deadline.ticket_id).where(
            Deadline.outcome == f.due, Deadline.clock.in_((f.stage,) if f.stage else STAGE_CLOCKS))
        stmt = stmt.where(Ticket.id.in_(ended))
    if f.state:
        stmt = stmt.where(Ticket.state == f.state)
    if f.kind:
        stmt = stmt.where(Ticket.kind == f.kind)
    if f.category:
        stmt = stmt.where(Ticket.category == f.category)
    if f.channel:
        stmt = stmt.where(Ticket.channel == f.channel)
    if f.item:
        stmt = stmt.where(Ticket.id.in_(select(TicketItem.ticket_id).where(TicketItem.number == f.item)))
    if f.mine:
        stmt = stmt.where(Ticket.assignee_id == user.id)
    if f.appeal:
        stmt = stmt.where(Ticket.channel == Channel.REGULATOR)
    if f.cases:
        stmt = stmt.where(Ticket.kind.in_(CASE_KINDS))
    if f.verdict:
        stmt = stmt.where(Ticket.verdict == f.verdict)
    if f.compensation:
        having = compensation.having_status(f.compensation)
        stmt = stmt.where(Ticket.id.in_(select(Compensation.ticket_id).where(having)))
    if f.office:
        stmt = stmt.where(Ticket.office_id == f.office.id)
    if f.created_from or f.created_to:
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        if f.created_from:
            stmt = stmt.where(Ticket.created_at >= datetime.combine(f.created_from, time.min, zone))
        if f.created_to:
            stmt = stmt.where(Ticket.created_at < datetime.combine(f.created_to + timedelta(days=1), time.min, zone))
    if f.root_cause:
        stmt = stmt.where(Ticket.root_cause == f.root_cause, Ticket.finding == Finding.SUBSTANTIATED)
    if f.voice:
        stmt = stmt.where(Ticket.expectation.is_not(None), Ticket.perception.is_not(None))
    if f.compensated:
        stmt = stmt.where(Ticket.id.in_(select(Compensation.ticket_id).where(
            Compensation.status != CompensationStatus.REFUSED)))
    if f.region:
        stmt = stmt.where(Ticket.office_id.in_(offices_below(f.region.id)))
    if f.appeal_late:
        stmt = stmt.where(*appeal_late(now, user_timezone(user)))
    if f.sort == "reply":
        order: tuple = (reply.due_at.is_(None), reply.due_at, Ticket.id.desc())
    elif f.sort == "due":
        order = (Deadline.due_at.is_(None), Deadline.due_at, Ticket.id.desc())
    else:
        order = (Ticket.id.desc(),)
    return stmt.order_by(*order)


def appeal_late(now: datetime, zone: str) -> tuple:
    """An open appeal whose regulator's deadline (a local date) has passed without a reply."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return (Ticket.channel == Channel.REGULATOR, Ticket.state.in_(OPEN_STATES), Ticket.regulator_due < today,
            Ticket.regulator_replied_on.is_(None))


# Counting every match of a million-ticket queue costs more than the page itself: the count
# stops past this many (or ten pages past the page asked for), and says "more than".
COUNT_CAP = 10_000


def queue(user: User, f: QueueFilters, now: datetime) -> tuple[list[Ticket], int, bool]:
    """One page of the queue, the total, and whether there are more than that total."""
    stmt = queue_statement(user, f, now)
    cap = max(COUNT_CAP, (f.page + 10) * f.per_page)
    counted = db.session.scalar(select(func.count()).select_from(
        stmt.order_by(None).with_only_columns(Ticket.id).limit(cap + 1).subquery())) or 0
    # The page's ids first (often from an index alone, however deep the page), then its rows.
    ids = list(db.session.scalars(
        stmt.with_only_columns(Ticket.id).offset((f.page - 1) * f.per_page).limit(f.per_page)))
    by_id = {t.id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids))
        .options(selectinload(Ticket.assignee), selectinload(Ticket.deadlines), selectinload(Ticket.items),
                 selectinload(Ticket.compensation), selectinload(Ticket.appeal_of)))}
    remember_in_scope(user, {t.office_id for t in by_id.values()})  # the rows came through the scope
    return [by_id[i] for i in ids if i in by_id], min(counted, cap), counted > cap


def get_ticket(ref: str, user: User) -> Ticket:
    """The ticket by reference, or 404; 403 when it is outside the user's offices."""
    if not isinstance(ref, str) or len(ref) > 20:
        raise NotFound(_("No ticket with this reference."))
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.ref == ref.upper())
        .options(selectinload(Ticket.events).joinedload(TicketEvent.actor), selectinload(Ticket.items),
                 selectinload(Ticket.attachments))
    )
    if ticket is None:
        raise NotFound(_("No ticket with this reference."))
    if not can_view_ticket(user, ticket):
        raise Forbidden(_("This ticket belongs to an office you do not cover."))
    return ticket
