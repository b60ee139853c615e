"""Computing scorecards from the records: a fixed handful of aggregate queries per page.

The negative factors come from the tickets every time: a ticket counts against its
attributed clerk, in the month of its occurred_at (in the office's zone), while it is
resolved or closed with a substantiated finding. Nothing is stored that could drift.

Verified commendations (kind commendation, closed) are the evidence for the praised clerk's
highlights, listed beside that factor; they never count against anyone. When the scoring setting
``commendation_points`` is above 0, each adds that many points to highlights, up to the factor's 10.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.orm import joinedload

from ..domain import Finding, Kind, Role, RootCause, State
from ..extensions import db
from ..models import Assessment, HardwareScore, Office, Ticket, User, user_offices
from ..models.scorecard import CLERK_FACTORS
from . import months
from .settings import FACTOR_MAX, Weights, get_weights

FACTORS = ("attitude", "skill", "responsibility", "hardware", "management", "highlights", "complaints", "errors")
COUNTING_STATES = (State.RESOLVED, State.CLOSED)


@dataclass
class Card:
    clerk: User
    office: Office
    month: str
    factors: dict[str, int]
    comments: dict[str, str] = field(default_factory=dict)
    complaint_points: int = 0  # the severity-weighted count behind the factor
    error_points: int = 0
    commendations: int = 0  # verified commendations of the month: the evidence beside highlights
    commendation_points: int = 0  # what they added to highlights (0 while the setting is off)
    voice_gap: float | None = None  # mean perception minus expectation
    voice_count: int = 0
    assessed: bool = False
    total: int = 0
    rank: int = 0
    previous_total: int | None = None

    @property
    def change(self) -> int | None:
        return None if self.previous_total is None else self.total - self.previous_total


def office_clerks(office: Office) -> list[User]:
    return list(db.session.scalars(
        select(User).join(user_offices, user_offices.c.user_id == User.id)
        .where(user_offices.c.office_id == office.id, User.role == Role.CLERK)
        .order_by(User.active.desc(), User.name, User.id)
    ))


def _substantiated(start: datetime, end: datetime):  # noqa: ANN202 - a SQL condition
    """Judged substantiated and still standing (a reopened ticket has no finding), in the span."""
    return and_(_judged(), Ticket.occurred_at >= start, Ticket.occurred_at < end)


def _judged():  # noqa: ANN202 - a SQL condition
    return and_(
        Ticket.kind != Kind.COMMENDATION,  # praise is never a negative (nor judged: belt and braces)
        Ticket.finding == Finding.SUBSTANTIATED,
        Ticket.state.in_(COUNTING_STATES),
    )


def _verified():  # noqa: ANN202 - a SQL condition
    """A verified commendation (closed; a rejected one is no evidence)."""
    return and_(Ticket.kind == Kind.COMMENDATION, Ticket.state == State.CLOSED)


def _counting(start: datetime, end: datetime):  # noqa: ANN202 - a SQL condition
    return and_(Ticket.attributed_clerk_id.is_not(None), _substantiated(start, end))


def _weight_case(w: Weights):  # noqa: ANN202
    weights = w.for_severity()
    return case(*((Ticket.severity == sev, literal(weight)) for sev, weight in weights.items()),
                else_=literal(weights["medium"]))


def negative_points(clerk_ids: list[int], month_list: list[str], zone: str) -> dict[tuple[int, str, str], int]:
    """(clerk id, month, kind) -> severity-weighted count, for several months in one query; for the kind
    commendation, how many were verified (read in the same query: a page's cost stays fixed)."""
    if not clerk_ids or not month_list:
        return {}
    w = get_weights()
    spans = [(m, *months.bounds(m, zone)) for m in month_list]
    bucket = case(*((and_(Ticket.occurred_at >= a, Ticket.occurred_at < b), literal(m)) for m, a, b in spans))
    start, end = spans[0][1], spans[-1][2]
    rows = db.session.execute(
        select(Ticket.attributed_clerk_id, bucket.label("month"), Ticket.kind, func.sum(_weight_case(w)),
               func.count())
        # The span and the clerk once, the two kinds' conditions inside: the same index as before.
        .where(Ticket.attributed_clerk_id.is_not(None), Ticket.occurred_at >= start, Ticket.occurred_at < end,
               or_(_judged(), _verified()), Ticket.attributed_clerk_id.in_(clerk_ids))
        # By position: the month bucket's bound parameters would not match a repeated expression.
        .group_by(text("1"), text("2"), text("3"))
    ).all()
    return {(cid, m, Kind(k).value): int(n if k == Kind.COMMENDATION else points or 0)
            for cid, m, k, points, n in rows}



def _commended(start: datetime, end: datetime):  # noqa: ANN202 - a SQL condition
    """Verified commendations of a praised clerk, in the span."""
    return and_(_verified(), Ticket.attributed_clerk_id.is_not(None), Ticket.occurred_at >= start,
                Ticket.occurred_at < end)


def commendations(clerk_ids: list[int], office: Office, month: str) -> list[Ticket]:
    """The verified commendations of these clerks in the month, oldest first (what highlights links to)."""
    if not clerk_ids:
        return []
    start, end = months.bounds(month, office.timezone)
    return list(db.session.scalars(
        select(Ticket).options(joinedload(Ticket.attributed_clerk))  # the office page names each clerk
        .where(_commended(start, end), Ticket.attributed_clerk_id.in_(clerk_ids))
        .order_by(Ticket.occurred_at, Ticket.id)))


def voice(clerk_ids: list[int], month: str, zone: str) -> dict[int, tuple[float, int]]:
    """clerk id -> (mean perception - expectation, follow-ups) for the tickets they were behind.

    A ticket is the clerk's when attributed to them, or, with no one at fault, when they were
    the clerk involved. Two indexed halves joined with UNION ALL (an OR would scan the table).
    """
    if not clerk_ids:
        return {}
    start, end = months.bounds(month, zone)
    gap = (Ticket.perception - Ticket.expectation).label("gap")
    in_month = and_(Ticket.expectation.is_not(None), Ticket.perception.is_not(None),
                    Ticket.occurred_at >= start, Ticket.occurred_at < end)
    both = union_all(
        select(Ticket.attributed_clerk_id.label("clerk"), gap)
        .where(Ticket.attributed_clerk_id.in_(clerk_ids), in_month),
        select(Ticket.involved_clerk_id.label("clerk"), gap)
        .where(Ticket.attributed_clerk_id.is_(None), Ticket.involved_clerk_id.in_(clerk_ids), in_month),
    ).subquery()
    rows = db.session.execute(
        select(both.c.clerk, func.avg(both.c.gap), func.count()).group_by(both.c.clerk)
    ).all()
    return {cid: (round(float(avg), 2), int(n)) for cid, avg, n in rows if cid is not None}


def office_cards(office: Office, month: str) -> list[Card]:
    """Every clerk's card for the month, ranked within the office, with the change on last month."""
    clerks = office_clerks(office)
    return cards_for(clerks, {office.id: office}, month, office_of={c.id: office.id for c in clerks})


def cards_for(clerks: list[User], offices: dict[int, Office], month: str, office_of: dict[int, int]) -> list[Card]:
    """Cards for many clerks (one office or many) with a fixed number of queries."""
    if not clerks:
        return []
    ids = [c.id for c in clerks]
    prev = months.shift(month, -1)
    zone = next(iter(offices.values())).timezone
    negatives = negative_points(ids, [prev, month], zone)
    assessed = {
        (a.clerk_id, a.month): a for a in db.session.scalars(
            select(Assessment).where(Assessment.clerk_id.in_(ids), Assessment.month.in_([prev, month])))
    }
    hardware = {
        (h.office_id, h.month): h for h in db.session.scalars(
            select(HardwareScore).where(HardwareScore.office_id.in_(list(offices)),
                                        HardwareScore.month.in_([prev, month])))
    }
    voices = voice(ids, month, zone)
    w = get_weights()
    cards = []
    for clerk in clerks:
        office = offices[office_of[clerk.id]]
        card = _card(clerk, office, month, assessed, hardware, negatives, w)
        before = _card(clerk, office, prev, assessed, hardware, negatives, w)
        card.previous_total = before.total if (before.assessed or any(before.factors.values())) else None
        card.voice_gap, card.voice_count = voices.get(clerk.id, (None, 0))
        cards.append(card)
    _rank(cards)
    return cards


def _card(clerk: User, office: Office, month: str, assessed: dict, hardware: dict, negatives: dict,
          w: Weights) -> Card:
    a = assessed.get((clerk.id, month))
    hw = hardware.get((office.id, month))
    factors = {f: int(getattr(a, f) or 0) if a else 0 for f in CLERK_FACTORS}
    factors["hardware"] = hw.score if hw else 0
    complaint_points = negatives.get((clerk.id, month, "complaint"), 0)
    error_points = negatives.get((clerk.id, month, "error"), 0)
    factors["complaints"] = -complaint_points * w.complaint_penalty
    factors["errors"] = -error_points * w.error_penalty
    praised = negatives.get((clerk.id, month, Kind.COMMENDATION.value), 0)  # verified, not points
    assessed_highlights = factors["highlights"]
    if w.commendation_points:  # the mirror of the penalties: each verified one adds, within the factor's range
        factors["highlights"] = min(FACTOR_MAX, assessed_highlights + praised * w.commendation_points)
    ordered = {f: factors[f] for f in FACTORS}
    card = Card(clerk=clerk, office=office, month=month, factors=ordered, complaint_points=complaint_points,
                error_points=error_points, assessed=a is not None, commendations=praised,
                commendation_points=factors["highlights"] - assessed_highlights,
                comments=json.loads(a.comments) if a and a.comments else {})
    card.total = sum(ordered.values())
    return card


def _rank(cards: list[Card]) -> None:
    """Competition ranking per office: 1, 2, 2, 4."""
    by_office: dict[int, list[Card]] = defaultdict(list)
    for card in cards:
        by_office[card.office.id].append(card)
    for group in by_office.values():
        group.sort(key=lambda c: (-c.total, c.clerk.name))
        for i, card in enumerate(group):
            card.rank = group[i - 1].rank if i and group[i - 1].total == card.total else i + 1
    cards.sort(key=lambda c: (c.office.code, c.rank, c.clerk.name))


def tickets_behind(clerk: User, office: Office, month: str, kind: Kind | None = None) -> list[Ticket]:
    """The tickets behind a clerk's negative points for the month (what the factor links to)."""
    start, end = months.bounds(month, office.timezone)
    stmt = select(Ticket).where(_counting(start, end), Ticket.attributed_clerk_id == clerk.id)
    if kind is not None:
        stmt = stmt.where(Ticket.kind == kind)
    return list(db.session.scalars(stmt.order_by(Ticket.occurred_at)))


@dataclass
class CauseRow:
    """One root cause's share of an office's month: substantiated tickets, attributed or not."""

    root_cause: RootCause | None  # None: judged before root causes were recorded
    tickets: int = 0
    points: int = 0  # severity-weighted count, as complaint_points and error_points
    behind: list[tuple[str, str | None]] = field(default_factory=list)  # (ref, attributed clerk's name)


def by_root_cause(office: Office, month: str, with_tickets: bool = False) -> list[CauseRow]:
    """The office's negatives for the month by root cause: every root cause (zeros included), in
    the enumeration's order, then the unrecorded ones if any.

    Unlike the cards this counts tickets attributed to nobody too: hardware is never a clerk's
    fault, yet it is the office's problem. One grouped query; with_tickets adds one more for the
    references behind the rows (never one per row).
    """
    start, end = months.bounds(month, office.timezone)
    where = and_(Ticket.office_id == office.id, _substantiated(start, end))
    rows: dict[RootCause | None, CauseRow] = {cause: CauseRow(cause) for cause in RootCause}

    def row(cause: str | None) -> CauseRow:
        key = RootCause(cause) if cause else None
        return rows.setdefault(key, CauseRow(key))

    for cause, n, points in db.session.execute(
        select(Ticket.root_cause, func.count(), func.sum(_weight_case(get_weights())))
        .where(where).group_by(Ticket.root_cause)
    ):
        counted = row(cause)
        counted.tickets, counted.points = int(n), int(points or 0)
    if with_tickets:
        for ref, cause, name in db.session.execute(
            select(Ticket.ref, Ticket.root_cause, User.name)
            .outerjoin(User, User.id == Ticket.attributed_clerk_id)
            .where(where).order_by(Ticket.occurred_at, Ticket.id)
        ):
            row(cause).behind.append((ref, name))
    return list(rows.values())


def follow_ups(clerk: User, office: Office, month: str) -> list[Ticket]:
    start, end = months.bounds(month, office.timezone)
    return list(db.session.scalars(
        select(Ticket).where(
            Ticket.expectation.is_not(None), Ticket.occurred_at >= start, Ticket.occurred_at < end,
            or_(Ticket.attributed_clerk_id == clerk.id,
                and_(Ticket.attributed_clerk_id.is_(None), Ticket.involved_clerk_id == clerk.id)),
        ).order_by(Ticket.occurred_at)
    ))


def history(clerk: User, office: Office, month: str, n: int = 12) -> list[Card]:
    """The clerk's cards for the last n months (oldest first), in a fixed number of queries."""
    span = months.last(month, n)
    negatives = negative_points([clerk.id], span, office.timezone)
    assessed = {(a.clerk_id, a.month): a for a in db.session.scalars(
        select(Assessment).where(Assessment.clerk_id == clerk.id, Assessment.month.in_(span)))}
    hardware = {(h.office_id, h.month): h for h in db.session.scalars(
        select(HardwareScore).where(HardwareScore.office_id == office.id, HardwareScore.month.in_(span)))}
    w = get_weights()
    return [_card(clerk, office, m, assessed, hardware, negatives, w) for m in span]


def negatives_by_cause(clerk_ids: list[int], month_list: list[str], zone: str) -> dict[tuple[int, str, str, str], int]:
    """(clerk id, month, kind, root cause or "") -> how many tickets count against the clerk (not weighted):
    the tickets behind negative_points, by root cause, for several months in one query."""
    if not clerk_ids or not month_list:
        return {}
    spans = [(m, *months.bounds(m, zone)) for m in sorted(set(month_list))]
    bucket = case(*((and_(Ticket.occurred_at >= a, Ticket.occurred_at < b), literal(m)) for m, a, b in spans))
    rows = db.session.execute(
        select(Ticket.attributed_clerk_id, bucket.label("month"), Ticket.kind, Ticket.root_cause, func.count())
        .where(_counting(spans[0][1], spans[-1][2]), Ticket.attributed_clerk_id.in_(clerk_ids))
        .group_by(text("1"), text("2"), text("3"), text("4"))
    ).all()
    return {(cid, m, Kind(k).value, RootCause(cause).value if cause else ""): int(n)
            for cid, m, k, cause, n in rows if m is not None}
