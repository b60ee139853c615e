"""A region's month of scorecards, rolled up by the database: per office the clerks, their average
total, the negatives by root cause and the customers' gap; the region's best and weakest clerks.

A handful of GROUP BY queries over every office of the region at once, whatever its size: no
ticket is loaded into Python and compute.office_cards is never called office by office. The
clerk totals are compute._card's rules written as SQL (tests/test_region_scorecards.py checks
that they agree): the five assessed factors (highlights raised by verified commendations when
that setting is on, up to 10) and the office's hardware score, missing ones 0, minus each
substantiated complaint or error attributed to the clerk in the month (in the office's time
zone, as the office's page counts it), severity weight times penalty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from ..authz import covers_unit
from ..domain import CASE_KINDS, Finding, Kind, Role, RootCause, State
from ..errors import Forbidden
from ..extensions import db
from ..models import Assessment, HardwareScore, Office, Ticket, User, user_offices
from ..models.scorecard import CLERK_FACTORS
from ..regions.tree import Unit
from . import months
from .compute import COUNTING_STATES, _weight_case
from .settings import FACTOR_MAX, Weights, get_weights

TOP = 10  # best and weakest clerks listed
UNRECORDED = "unrecorded"  # tickets judged before root causes were recorded


@dataclass
class OfficeRow:
    id: int
    code: str
    name: str
    clerks: int = 0
    average_total: float | None = None  # None: no clerks
    negatives: dict[str, int] = field(default_factory=dict)  # root cause -> substantiated tickets
    points: dict[str, int] = field(default_factory=dict)  # root cause -> their severity-weighted count
    customer_gap: float | None = None  # mean perception minus expectation, as on the clerks' cards
    follow_ups: int = 0


@dataclass
class ClerkRow:
    id: int
    name: str
    email: str
    office_code: str
    office_name: str
    total: int


@dataclass
class RegionCard:
    unit: Unit
    month: str
    offices: list[OfficeRow]
    best: list[ClerkRow]
    weakest: list[ClerkRow]

    @property
    def causes(self) -> list[str]:
        """The root-cause columns: every cause, then "unrecorded" when some office has such tickets."""
        base = [c.value for c in RootCause]
        return base + [UNRECORDED] if any(o.negatives.get(UNRECORDED) for o in self.offices) else base


def require_viewer(user: User, unit: Unit) -> None:
    if not covers_unit(user, unit):
        raise Forbidden(_("You do not cover every office of this region."))


def _office_ids(unit: Unit) -> Select:
    """The active offices of the unit (those the office page shows), as SQL for IN."""
    # Never correlated: it sits inside queries over offices themselves.
    return select(Office.id).where(Office.id.in_(unit.office_ids()), Office.active.is_(True)).correlate(None)


def _in_month(zones: dict[str, tuple[datetime, datetime]], at: ColumnElement) -> ColumnElement[bool]:
    """``at`` falls in the month in the time zone of the office joined as Office. The overall span
    comes first so that the (occurred_at, ...) indexes serve; per-zone bounds only when zones differ."""
    lo, hi = min(a for a, _b in zones.values()), max(b for _a, b in zones.values())
    span = and_(at >= lo, at < hi)
    if len(zones) == 1:
        return span
    return and_(span, or_(*(and_(Office.timezone == z, at >= a, at < b) for z, (a, b) in zones.items())))


def _clerk_totals(ids: Select, month: str, zones: dict[str, tuple[datetime, datetime]], w: Weights) -> CTE:
    """(office_id, clerk_id, total) for every clerk of every office in ``ids``: compute._card's total."""
    pairs = (select(user_offices.c.office_id, user_offices.c.user_id.label("clerk_id"), Office.timezone.label("zone"))
             .join(User, User.id == user_offices.c.user_id).join(Office, Office.id == user_offices.c.office_id)
             .where(User.role == Role.CLERK, user_offices.c.office_id.in_(ids))).subquery("pairs")

    def per_pair(name: str, value: ColumnElement, *where: ColumnElement) -> Subquery:
        """``value`` summed over the clerk's tickets of the month (in the time zone of the office whose
        card it is), per (office, clerk): one branch per zone, usually one, each on a plain month range."""
        branches = [
            select(pairs.c.office_id, pairs.c.clerk_id, func.sum(value).label(name))
            .join(Ticket, Ticket.attributed_clerk_id == pairs.c.clerk_id)
            .where(*where, pairs.c.zone == zone, Ticket.occurred_at >= start, Ticket.occurred_at < end,
                   Ticket.attributed_clerk_id.is_not(None))
            .group_by(pairs.c.office_id, pairs.c.clerk_id)
            for zone, (start, end) in zones.items()
        ]
        return (branches[0] if len(branches) == 1 else union_all(*branches)).subquery(name)

    def on(sub: Subquery) -> ColumnElement[bool]:
        return and_(sub.c.office_id == pairs.c.office_id, sub.c.clerk_id == pairs.c.clerk_id)

    # Points = severity weight x the kind's penalty; the card's factor is minus their sum.
    penalty = case((Ticket.kind == Kind.COMPLAINT, literal(w.complaint_penalty)), else_=literal(w.error_penalty))
    negatives = per_pair("points", _weight_case(w) * penalty, Ticket.finding == Finding.SUBSTANTIATED,
                         Ticket.state.in_(COUNTING_STATES), Ticket.kind.in_(CASE_KINDS))
    highlights: ColumnElement = func.coalesce(Assessment.highlights, 0)
    praise = None
    if w.commendation_points:  # verified commendations add to highlights, up to the factor's maximum
        praise = per_pair("praised", literal(1), Ticket.kind == Kind.COMMENDATION, Ticket.state == State.CLOSED)
        raised = highlights + func.coalesce(praise.c.praised, 0) * w.commendation_points
        highlights = case((raised > FACTOR_MAX, literal(FACTOR_MAX)), else_=raised)
    others = sum((func.coalesce(getattr(Assessment, f), 0) for f in CLERK_FACTORS if f != "highlights"), literal(0))
    total = others + highlights + func.coalesce(HardwareScore.score, 0) - func.coalesce(negatives.c.points, 0)
    stmt = (
        select(pairs.c.office_id, pairs.c.clerk_id, total.label("total"))
        # An assessment is the clerk's for the month, whichever office entered it (as compute reads it).
        .outerjoin(Assessment, and_(Assessment.clerk_id == pairs.c.clerk_id, Assessment.month == month))
        .outerjoin(HardwareScore, and_(HardwareScore.office_id == pairs.c.office_id, HardwareScore.month == month))
        .outerjoin(negatives, on(negatives))
    )
    if praise is not None:
        stmt = stmt.outerjoin(praise, on(praise))
    return stmt.cte("clerk_totals")


def _mean(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # PostgreSQL's avg is a Decimal


def region_card(unit: Unit, month: str, top: int = TOP) -> RegionCard:
    """The unit's month: one row per active office (by code) and the ``top`` best and weakest clerks."""
    ids = _office_ids(unit)
    zone_names = db.session.scalars(select(Office.timezone).where(Office.id.in_(ids)).distinct()).all()
    if not zone_names:
        return RegionCard(unit, month, [], [], [])
    zones = {z: months.bounds(month, z) for z in zone_names}
    w = get_weights()
    totals = _clerk_totals(ids, month, zones, w)

    offices = [OfficeRow(id=oid, code=code, name=name, negatives={c.value: 0 for c in RootCause},
                         points={c.value: 0 for c in RootCause})
               for oid, code, name in db.session.execute(
                   select(Office.id, Office.code, Office.name).where(Office.id.in_(ids)).order_by(Office.code))]
    by_id = {o.id: o for o in offices}
    # One pass over the offices' tickets of the month (the (office_id, occurred_at) index): per root
    # cause the substantiated ones, attributed or not (as compute.by_root_cause counts them), and the
    # sums behind the customers' gap of the followed-up ones.
    counts = and_(Ticket.finding == Finding.SUBSTANTIATED, Ticket.kind.in_(CASE_KINDS),
                  Ticket.state.in_(COUNTING_STATES))
    followed = and_(Ticket.expectation.is_not(None), Ticket.perception.is_not(None))
    gaps: dict[int, list[int]] = {}
    for oid, cause, n, points, gap, heard in db.session.execute(
        select(Ticket.office_id, Ticket.root_cause,
               func.sum(case((counts, 1), else_=0)), func.sum(case((counts, _weight_case(w)), else_=0)),
               func.sum(case((followed, Ticket.perception - Ticket.expectation), else_=0)),
               func.sum(case((followed, 1), else_=0)))
        .join(Office, Office.id == Ticket.office_id)
        .where(Ticket.office_id.in_(ids), _in_month(zones, Ticket.occurred_at))
        .group_by(Ticket.office_id, Ticket.root_cause)
    ):
        if n:
            key = RootCause(cause).value if cause else UNRECORDED
            by_id[oid].negatives[key], by_id[oid].points[key] = int(n), int(points or 0)
        if heard:
            total_gap = gaps.setdefault(oid, [0, 0])
            total_gap[0], total_gap[1] = total_gap[0] + int(gap), total_gap[1] + int(heard)
    for oid, (gap_sum, heard) in gaps.items():
        by_id[oid].customer_gap, by_id[oid].follow_ups = round(gap_sum / heard, 2), heard

    best, weakest = _rollup(totals, top, by_id)
    return RegionCard(unit, month, offices, best, weakest)


def _rollup(totals: CTE, top: int, by_id: dict[int, OfficeRow]) -> tuple[list[ClerkRow], list[ClerkRow]]:
    """Each office's clerks and average total (set on its row), and the ``top`` best and weakest clerks
    of the region: one statement, so that the clerk totals are computed once (a CTE used twice)."""
    up = func.row_number().over(order_by=(totals.c.total.desc(), User.name, User.id, totals.c.office_id))
    down = func.row_number().over(order_by=(totals.c.total.asc(), User.name, User.id, totals.c.office_id))
    ranked = (select(totals.c.office_id, totals.c.clerk_id, totals.c.total, User.name, User.email,
                     up.label("up"), down.label("down"))
              .join(User, User.id == totals.c.clerk_id)).subquery("ranked")
    # Office rows have no rank (up is NULL); clerk rows carry no count or average.
    per_office = select(totals.c.office_id, func.count(totals.c.clerk_id), func.avg(totals.c.total),
                        null(), null(), null(), null(), null(), null()).group_by(totals.c.office_id)
    ends = (select(ranked.c.office_id, null(), null(), ranked.c.clerk_id, ranked.c.total, ranked.c.name,
                   ranked.c.email, ranked.c.up, ranked.c.down)
            .where(or_(ranked.c.up <= top, ranked.c.down <= top)))
    best: list[tuple[int, ClerkRow]] = []
    weakest: list[tuple[int, ClerkRow]] = []
    rows = db.session.execute(union_all(per_office, ends))
    for oid, n, avg, clerk_id, total, name, email, rank_up, rank_down in rows:
        office = by_id[oid]
        if rank_up is None:
            office.clerks, office.average_total = int(n), _mean(avg)
            continue
        row = ClerkRow(id=clerk_id, name=name, email=email, office_code=office.code, office_name=office.name,
                       total=int(total))
        if rank_up <= top:
            best.append((rank_up, row))
        if rank_down <= top:
            weakest.append((rank_down, row))
    return [r for _n, r in sorted(best, key=lambda x: x[0])], [r for _n, r in sorted(weakest, key=lambda x: x[0])]
