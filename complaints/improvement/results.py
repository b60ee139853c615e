"""Whether an improvement action worked, computed from the scorecards every time.

Before: the month before the action's start month. The start month is the month the action was
taken in, part before and part after it (and usually not yet assessed when the action is recorded);
the month before is the complete month whose scorecard led to the action, so it is the fair baseline.
After: the review month. Both values are the scorecard's own (scorecards.compute), never recomputed here.

For the factors that are root causes (attitude, skill, responsibility, management) the result also
counts the substantiated complaints and service errors with that root cause that count against the
clerk, in the month before and in the review month; for the negative factors themselves (complaints,
errors) every substantiated complaint, or every service error, of the clerk. They fell when there
are fewer at review. Highlights have no tickets behind them.

Status: open until the review month, due during it (the result so far), reviewed once it is over.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from ..domain import Factor, Kind, RootCause
from ..extensions import db
from ..models import ImprovementAction, Office, User
from ..models.scorecard import CLERK_FACTORS
from ..scorecards import compute, months

OPEN, DUE, REVIEWED = "open", "due", "reviewed"
RECENT_MONTHS = 3  # office and region pages: actions reviewed in the last three months still show
LIST_LIMIT = 200
CAUSES = frozenset(r.value for r in RootCause) - {RootCause.HARDWARE.value}
NEGATIVE_KINDS = (Kind.COMPLAINT.value, Kind.ERROR.value)


@dataclass
class Result:
    action: ImprovementAction
    clerk: User
    office: Office
    status: str
    before_month: str
    before: int | None = None  # the factor's value; None when that month was not assessed
    after: int | None = None  # at the review month; None while open, or not assessed
    tickets_before: int | None = None  # None: the factor has no tickets behind it (highlights)
    tickets_after: int | None = None

    @property
    def has_tickets(self) -> bool:
        return self.tickets_before is not None

    @property
    def improved(self) -> bool | None:
        """The factor rose (for the negative factors: came nearer to zero); None until it can be told."""
        if self.status == OPEN or self.before is None or self.after is None:
            return None
        return self.after > self.before

    @property
    def fell(self) -> bool | None:
        """Fewer tickets with the root cause at review than before; None while open or without tickets."""
        if self.status == OPEN or self.tickets_before is None or self.tickets_after is None:
            return None
        return self.tickets_after < self.tickets_before


def status_of(action: ImprovementAction, office: Office, now: datetime) -> str:
    current = months.current(now, office.timezone)
    if current < action.review_month:
        return OPEN
    return DUE if current == action.review_month else REVIEWED


def result_of(action: ImprovementAction, now: datetime) -> Result:
    return results_for([action], now)[0]


def results_for(actions: list[ImprovementAction], now: datetime) -> list[Result]:
    """Results of many actions, in their order: a few queries per distinct month and time zone."""
    if not actions:
        return []
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({a.clerk_id for a in actions})))}
    offices = {o.id: o for o in db.session.scalars(
        select(Office).where(Office.id.in_({a.office_id for a in actions})))}
    results = [Result(a, users[a.clerk_id], offices[a.office_id], status_of(a, offices[a.office_id], now),
                      months.shift(a.start_month, -1)) for a in actions]
    wanted: dict[tuple[str, str], set[int]] = defaultdict(set)  # (zone, month) -> clerk ids
    for r in results:
        wanted[(r.office.timezone, r.before_month)].add(r.clerk.id)
        if r.status != OPEN:
            wanted[(r.office.timezone, r.action.review_month)].add(r.clerk.id)
    cards = _cards(wanted, users, {r.clerk.id: r.office.id for r in results}, offices)
    tickets = _tickets(wanted)
    for r in results:
        factor = Factor(r.action.factor).value
        r.before = _value(cards.get((r.clerk.id, r.before_month)), factor)
        r.tickets_before = _count(tickets, r.clerk.id, r.before_month, factor)
        if r.status != OPEN:
            r.after = _value(cards.get((r.clerk.id, r.action.review_month)), factor)
            r.tickets_after = _count(tickets, r.clerk.id, r.action.review_month, factor)
    return results


def _cards(wanted: dict[tuple[str, str], set[int]], users: dict[int, User], office_of: dict[int, int],
           offices: dict[int, Office]) -> dict[tuple[int, str], compute.Card]:
    out: dict[tuple[int, str], compute.Card] = {}
    for (_zone, month), ids in wanted.items():
        clerks = [users[i] for i in sorted(ids)]
        zone_offices = {office_of[i]: offices[office_of[i]] for i in ids}
        # cards_for reads the time zone from the offices given: those of this group share it.
        for card in compute.cards_for(clerks, zone_offices, month, office_of={i: office_of[i] for i in ids}):
            out[(card.clerk.id, month)] = card
    return out


def _tickets(wanted: dict[tuple[str, str], set[int]]) -> dict[tuple[int, str, str, str], int]:
    by_zone: dict[str, tuple[set[int], set[str]]] = defaultdict(lambda: (set(), set()))
    for (zone, month), ids in wanted.items():
        by_zone[zone][0].update(ids)
        by_zone[zone][1].add(month)
    out: dict[tuple[int, str, str, str], int] = {}
    for zone, (ids, month_set) in by_zone.items():
        out.update(compute.negatives_by_cause(sorted(ids), sorted(month_set), zone))
    return out


def _value(card: compute.Card | None, factor: str) -> int | None:
    if card is None or (factor in CLERK_FACTORS and not card.assessed):
        return None
    return card.factors[factor]


def _count(tickets: dict[tuple[int, str, str, str], int], clerk_id: int, month: str, factor: str) -> int | None:
    if factor == Factor.COMPLAINTS.value:
        kinds, causes = (Kind.COMPLAINT.value,), None
    elif factor == Factor.ERRORS.value:
        kinds, causes = (Kind.ERROR.value,), None
    elif factor in CAUSES:
        kinds, causes = NEGATIVE_KINDS, {factor}
    else:
        return None
    return sum(n for (cid, m, kind, cause), n in tickets.items()
               if cid == clerk_id and m == month and kind in kinds and (causes is None or cause in causes))


def actions_for_offices(office_ids: Select, now: datetime, recent: int = RECENT_MONTHS) -> list[Result]:
    """The actions of the offices whose ids ``office_ids`` selects (e.g. regions.tree.Unit.office_ids()),
    still open, due, or reviewed in the last ``recent`` months, with their results: soonest review first."""
    since = months.shift(months.current(now, "UTC"), -recent - 1)  # a month early: zones differ by a day
    rows = list(db.session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.office_id.in_(office_ids), ImprovementAction.review_month >= since)
        .order_by(ImprovementAction.review_month, ImprovementAction.id).limit(LIST_LIMIT)))
    results = [r for r in results_for(rows, now)
               if r.status != REVIEWED or r.action.review_month >= months.shift(
                   months.current(now, r.office.timezone), -recent)]
    return sorted(results, key=_listing_order)


def _listing_order(r: Result) -> tuple:
    """Due first, then open ones by their review month, then the latest reviewed."""
    rank = {DUE: 0, OPEN: 1, REVIEWED: 2}[r.status]
    index = int(r.action.review_month[:4]) * 12 + int(r.action.review_month[5:7])
    month = -index if r.status == REVIEWED else index
    return rank, month, r.office.code, r.clerk.name, r.action.id
