"""Dashboard figures: a fixed number of aggregate queries, scoped to the user's offices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, union_all

from ..authz import in_scope, is_admin, mask_phone, scope_fingerprint, scoped_tickets, sees_full_phone, tel_uri
from ..domain import CASE_KINDS, Category, Kind, Role, State
from ..extensions import db
from ..models import Deadline, Office, Ticket, User
from ..models.ticket import open_ticket

WEEKS = 12


@dataclass
class Overview:
    by_state: dict[State, int] = field(default_factory=dict)
    overdue: int = 0
    due_today: int = 0
    met: int = 0
    missed: int = 0
    weeks: list[tuple[str, int, int]] = field(default_factory=list)  # (week start, complaints, errors)
    categories: list[tuple[Category, int]] = field(default_factory=list)  # most frequent, last 90 days
    open_by_office: dict[int, int] = field(default_factory=dict)  # filled when asked (by_office)

    @property
    def compliance(self) -> float | None:
        done = self.met + self.missed
        return round(100 * self.met / done, 1) if done else None


def month_start(now: datetime, zone: str) -> datetime:
    """Midnight of the first of this month, local time."""
    return now.astimezone(ZoneInfo(zone)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _in_scope(user: User) -> list:
    """Conditions that keep deadlines to the user's offices: none for an admin (all of them). Clocks
    carry their ticket's office, so a region's clocks are ranges of the per-office indexes."""
    return [] if is_admin(user) else [in_scope(Deadline.office_id, user)]


def _ended_since(user: User, since: datetime, which: ColumnElement[bool]) -> dict[str, int]:
    """Clocks met and missed since ``since`` in the user's offices, by outcome."""
    return dict(db.session.execute(
        select(Deadline.outcome, func.count())
        .where(Deadline.ended_at >= since, Deadline.outcome.in_(("met", "missed")), which, *_in_scope(user))
        .group_by(Deadline.outcome)).all())


def overview(user: User, now: datetime, zone: str, *, by_office: bool = False) -> Overview:
    """The supervisor's figures; ``by_office``: open tickets per office too (for offices side by side)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
    start = month_start(now, zone)
    o = Overview()
    # Open tickets by state (and by office when asked), from the partial index of open tickets.
    keys = (Ticket.state, Ticket.office_id) if by_office else (Ticket.state,)
    for state, *office, n in db.session.execute(
        scoped_tickets(select(*keys, func.count()), user).where(open_ticket()).group_by(*keys)
    ):
        o.by_state[State(state)] = o.by_state.get(State(state), 0) + n
        if office:
            o.open_by_office[office[0]] = o.open_by_office.get(office[0], 0) + n
    open_clock = and_(Deadline.ended_at.is_(None), Deadline.clock != "reply", *_in_scope(user))
    overdue, due_today = db.session.execute(
        select(func.count().filter(Deadline.due_at <= now), func.count().filter(Deadline.due_at > now))
        .where(open_clock, Deadline.due_at < day_end)).one()  # one pass over the clocks due by tonight
    o.overdue, o.due_today = overdue or 0, due_today or 0
    outcomes = _ended_since(user, start, Deadline.clock != "reply")
    o.met, o.missed = outcomes.get("met", 0), outcomes.get("missed", 0)
    # Complaints and errors per week (weeks start on Monday, local time), the last 12.
    this_monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [this_monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    o.weeks = _weeks(user, starts, now)
    o.categories = [(Category(c), n) for c, n in db.session.execute(
        scoped_tickets(select(Ticket.category, func.count()), user)
        .where(Ticket.category.is_not(None), Ticket.created_at >= now - timedelta(days=90))
        .group_by(Ticket.category).order_by(func.count().desc()).limit(5)
    ).all()]
    return o


@dataclass
class Replies:
    """The statutory reply clocks in the user's offices: open ones due within ``REPLY_SOON`` (as the
    queue's filter), and of those ended this month, met and missed."""

    due_soon: int = 0
    met: int = 0
    missed: int = 0

    @property
    def in_time(self) -> float | None:
        done = self.met + self.missed
        return round(100 * self.met / done, 1) if done else None


def replies(user: User, now: datetime, zone: str) -> Replies:
    """Two aggregate queries over the reply clocks (the deadlines indexes: open by due, ended by month)."""
    from ..tickets.queries import REPLY_SOON

    r = Replies()
    r.due_soon = db.session.scalar(select(func.count()).select_from(Deadline).where(
        Deadline.ended_at.is_(None), Deadline.clock == "reply", Deadline.due_at > now,
        Deadline.due_at <= now + REPLY_SOON, *_in_scope(user))) or 0
    outcomes = _ended_since(user, month_start(now, zone), Deadline.clock == "reply")
    r.met, r.missed = outcomes.get("met", 0), outcomes.get("missed", 0)
    return r


@dataclass
class OfficeRow:
    office: Office
    open: int
    overdue: int
    this_month: int


def offices_side_by_side(user: User, now: datetime, zone: str, overview: Overview) -> list[OfficeRow]:
    """Per office in scope: open tickets (from the overview), overdue clocks, tickets logged this month."""
    start = month_start(now, zone)
    offices = db.session.scalars(select(Office).where(Office.active.is_(True)).order_by(Office.code)).all()
    open_ = overview.open_by_office
    logged = dict(db.session.execute(scoped_tickets(select(Ticket.office_id, func.count()), user)
                                     .where(Ticket.created_at >= start).group_by(Ticket.office_id)).all())
    overdue = dict(db.session.execute(
        select(Deadline.office_id, func.count())  # the stage clocks, as the overview's figure
        .where(Deadline.ended_at.is_(None), Deadline.clock != "reply", Deadline.due_at <= now, *_in_scope(user))
        .group_by(Deadline.office_id)).all())
    return [OfficeRow(o, open_.get(o.id, 0), overdue.get(o.id, 0), logged.get(o.id, 0)) for o in offices]


SETTLED = timedelta(minutes=10)  # longer than any logging transaction: a week is remembered this long after it ended


def _weeks(user: User, starts: list[datetime], now: datetime) -> list[tuple[str, int, int]]:
    """Tickets logged per week and kind: settled weeks from a per-process memory, the others
    (the current week, and any week not yet remembered) counted in one statement.

    A week that ended more than SETTLED ago does not change: tickets are logged at the time
    they are logged (a transaction that started before the week's end has committed or failed
    by then), never deleted, and keep their kind and office. Should a ticket ever be written
    into a remembered week (a back-dated import), its id is above the highest one seen when
    the weeks were remembered, and the memory is dropped. A restored database starts new
    workers, and with them an empty memory.
    """
    memory = current_app.extensions.setdefault(
        "dashboard_weeks", {"max_id": 0, "upto": None, "scopes": {}, "generation": 0})
    generation = memory["generation"]
    upto = memory["upto"]  # the end of the latest week remembered
    written_back = exists().where(Ticket.id > memory["max_id"], Ticket.created_at < upto) if upto else literal(False)
    max_id, stale = db.session.execute(select(func.coalesce(func.max(Ticket.id), 0), written_back)).one()
    if stale:
        memory.update(scopes={}, upto=None, generation=generation + 1)
        generation += 1
    memory["max_id"] = max(memory["max_id"], max_id)
    scope = "all" if is_admin(user) else scope_fingerprint(user)
    known = memory["scopes"].setdefault(scope, {})
    for old in [w for w in list(known) if w < starts[0]]:
        known.pop(old, None)  # weeks that have left the chart
    counts = {s: known[s] for s in starts if s in known}
    wanted = [s for s in starts if s not in counts]
    ends = {s: s + timedelta(weeks=1) for s in wanted}
    if wanted:
        # A UNION ALL of one range count per week, each read off the (office,) created_at, kind
        # index: cheaper than bucketing every row with a CASE (about 3x on SQLite at 1M tickets).
        parts = [
            scoped_tickets(select(literal(i).label("week"), Ticket.kind, func.count().label("n")), user)
            .where(Ticket.created_at >= s, Ticket.created_at < ends[s]).group_by(Ticket.kind)
            for i, s in enumerate(wanted)
        ]
        fresh = {s: [0, 0] for s in wanted}
        for i, kind, n in db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
            if Kind(kind) in CASE_KINDS:  # the chart is of cases: commendations are not drawn
                fresh[wanted[i]][CASE_KINDS.index(Kind(kind))] = n
        for s, (c, e) in fresh.items():
            counts[s] = (c, e)
            if ends[s] + SETTLED <= now and memory["generation"] == generation:  # settled, memory not dropped since
                known[s] = (c, e)
                memory["upto"] = max(memory["upto"] or ends[s], ends[s])
    return [(s.strftime("%m-%d"), *counts[s]) for s in starts]


@dataclass
class FollowUp:
    """A resolved ticket waiting for its follow-up call, with the number to call when the call is
    the user's to make (authz.sees_full_phone), else masked and no link. Reads as the ticket."""

    ticket: Ticket
    phone: str | None
    tel: str | None

    def __getattr__(self, name: str):
        return getattr(self.ticket, name)


def clerk_today(user: User, now: datetime, zone: str) -> tuple[list[Ticket], list[FollowUp]]:
    """What the user logged today, and the resolved tickets waiting for a follow-up call: for a
    clerk those they logged or are assigned (the calls that are theirs), for a supervisor or an
    admin every one in their offices."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    day_start = datetime.combine(local.date(), datetime.min.time(), tz)
    logged = db.session.scalars(
        select(Ticket).where(Ticket.logged_by_id == user.id, Ticket.created_at >= day_start)
        .order_by(Ticket.created_at.desc()).limit(50)).all()  # the (logged_by, created_at) index's order
    waiting_q = scoped_tickets(select(Ticket), user).where(Ticket.state == State.RESOLVED)
    if user.role == Role.CLERK:
        waiting_q = waiting_q.where(or_(Ticket.logged_by_id == user.id, Ticket.assignee_id == user.id))
    waiting = db.session.scalars(waiting_q.order_by(Ticket.resolved_at).limit(50)).all()
    follow_ups = []
    for t in waiting:
        whole = sees_full_phone(user, t)
        follow_ups.append(FollowUp(t, t.customer_phone if whole else mask_phone(t.customer_phone),
                                   tel_uri(t.customer_phone) if whole else None))
    return list(logged), follow_ups
