"""The report's figures, computed by the database: five GROUP BY statements for a report's three periods
(each a UNION ALL of one range query per period), never a ticket loaded into Python.

Every figure is about the tickets logged in the period (``created_at`` in the period's bounds, in
the application's time zone) at the unit's offices: what became of them (reply, stage clocks,
compensation, follow-up) is read as it stands at ``now``. Each query is restricted by
``office_id IN (the unit's offices)`` and the ``created_at`` range, so that the
``(office_id, created_at, ...)`` indexes of ``tickets`` serve it; deadlines and compensations are
reached from those tickets through their ``ticket_id`` indexes.

A region's figures are therefore the sums of its offices' (the counts, the fen, the sums behind
the means); tests/test_reports_property.py checks that. Repeat complainants are people, not tickets:
a customer who complained at two offices of a region is one of the region's (see repeats.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)

from ..authz import covers_unit
from ..domain import CASE_KINDS, Channel, CompensationStatus, Finding, Kind, Verdict
from ..errors import Forbidden
from ..extensions import db
from ..models import Compensation, Deadline, Office, OfficeVolume, Ticket, User
from ..models.ticket import fen_to_yuan
from ..regions.tree import Unit
from ..tickets.compensation import having_status
from . import repeats
from .periods import Period
from .repeats import RepeatComplainant

STAGES = ("triage", "resolve", "follow_up")


def require_reader(user: User, unit: Unit) -> None:
    if not covers_unit(user, unit):
        raise Forbidden(_("You may not see the report of this region or office."))


@dataclass
class Figures:
    """One period's figures for one unit. Money in whole fen, means as (sum, count): exact and additive."""

    period: Period
    by_kind: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_root_cause: dict[str, int] = field(default_factory=dict)
    appeals: int = 0
    valid_appeals: int = 0
    not_valid_appeals: int = 0
    items: int = 0  # items handled in the period's months, from the figures entered
    office_months: int = 0  # offices x months: how many figures there should be
    volume_figures: int = 0  # how many there are
    reply: dict[str, int] = field(default_factory=dict)  # met, missed, overdue (open, past due), pending
    stages: dict[str, dict[str, int]] = field(default_factory=dict)  # clock -> {met, missed}
    compensation: dict[str, tuple[int, int]] = field(default_factory=dict)  # status -> (count, fen)
    voice_count: int = 0
    expectation_sum: int = 0
    perception_sum: int = 0
    repeat_complainants: int = 0
    repeaters: list[RepeatComplainant] = field(default_factory=list)  # the most frequent ones (first period only)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def pending_appeals(self) -> int:
        return self.appeals - self.valid_appeals - self.not_valid_appeals

    @property
    def volumes_missing(self) -> int:
        return self.office_months - self.volume_figures

    @property
    def valid_per_million(self) -> float | None:
        """Valid appeals per million items handled (None without any items)."""
        return round(self.valid_appeals * 1_000_000 / self.items, 2) if self.items else None

    @property
    def reply_late(self) -> int:
        return self.reply.get("missed", 0) + self.reply.get("overdue", 0)

    @property
    def reply_in_time_pct(self) -> float | None:
        """Complaints replied to in time, of those replied to or already late (pending ones left out)."""
        return _pct(self.reply.get("met", 0), self.reply.get("met", 0) + self.reply_late)

    def stage(self, outcome: str, clock: str | None = None) -> int:
        return sum(v.get(outcome, 0) for c, v in self.stages.items() if clock in (None, c))

    def stage_met_pct(self, clock: str | None = None) -> float | None:
        met = self.stage("met", clock)
        return _pct(met, met + self.stage("missed", clock))

    def compensation_count(self, status: str) -> int:
        return self.compensation.get(status, (0, 0))[0]

    def compensation_yuan(self, status: str) -> Decimal:
        return fen_to_yuan(self.compensation.get(status, (0, 0))[1])

    @property
    def offered_count(self) -> int:
        return sum(n for s, (n, _f) in self.compensation.items() if s != CompensationStatus.REFUSED)

    @property
    def offered_yuan(self) -> Decimal:
        return fen_to_yuan(sum(f for s, (_n, f) in self.compensation.items() if s != CompensationStatus.REFUSED))

    def _mean(self, total: int) -> float | None:
        return round(total / self.voice_count, 2) if self.voice_count else None

    @property
    def mean_expectation(self) -> float | None:
        return self._mean(self.expectation_sum)

    @property
    def mean_perception(self) -> float | None:
        return self._mean(self.perception_sum)

    @property
    def gap(self) -> float | None:
        """Mean perception minus expectation (0 or more: the customers got what they expected)."""
        return self._mean(self.perception_sum - self.expectation_sum)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _fen(amount_column, condition):  # noqa: ANN001, ANN202
    # The sum of whole fen as a plain number (not through the Money type's per-row conversion).
    return type_coerce(func.coalesce(func.sum(case((condition, amount_column))), 0), BigInteger)


def compute(unit: Unit, period: Period, zone: str, now: datetime) -> Figures:
    """The figures of ``unit`` for ``period`` (months in ``zone``), as they stand at ``now``."""
    return compute_all(unit, [period], zone, now)[0]


def compute_all(unit: Unit, wanted: list[Period], zone: str, now: datetime) -> list[Figures]:
    """The figures of several periods in five statements, each a UNION ALL of one indexed range query per
    period (one round trip for the three columns of a report, each part planned on its own range)."""
    ids = unit.office_ids()
    out = [Figures(p) for p in wanted]
    ranges = [p.bounds(zone) for p in wanted]

    def logged(i: int) -> tuple:
        start, end = ranges[i]
        return Ticket.office_id.in_(ids), Ticket.created_at >= start, Ticket.created_at < end

    _counts(out, [logged(i) for i in range(len(wanted))])
    _clocks(out, [logged(i) for i in range(len(wanted))], now)
    _volumes(out, ids)
    counts, out[0].repeaters = repeats.count_and_list(ids, ranges)
    for f, n in zip(out, counts, strict=True):
        f.repeat_complainants = n
    return out


def _union(parts: list[Select]):  # noqa: ANN202
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _counts(out: list[Figures], ranges: list[tuple]) -> None:
    """Counts by kind, category, channel and root cause, appeals and verdicts, follow-up scores and
    compensation (one per ticket at most: the join adds no rows): one scan of each period's tickets."""
    root_cause = case((Ticket.finding == Finding.SUBSTANTIATED, Ticket.root_cause))
    scored = and_(Ticket.expectation.is_not(None), Ticket.perception.is_not(None))
    statuses = list(CompensationStatus)
    money = []
    for status in statuses:
        having = and_(Compensation.id.is_not(None), having_status(status))
        money += [func.count().filter(having), _fen(Compensation.offered, having)]
    parts = [
        select(literal(i), Ticket.kind, Ticket.category, Ticket.channel, root_cause, func.count(),
               func.count().filter(Ticket.verdict == Verdict.VALID),
               func.count().filter(Ticket.verdict == Verdict.NOT_VALID),
               func.count().filter(scored),
               func.coalesce(func.sum(case((scored, Ticket.expectation))), 0),
               func.coalesce(func.sum(case((scored, Ticket.perception))), 0), *money)
        .outerjoin(Compensation, Compensation.ticket_id == Ticket.id)
        .where(*logged).group_by(Ticket.kind, Ticket.category, Ticket.channel, root_cause)
        for i, logged in enumerate(ranges)
    ]
    for i, kind, category, channel, cause, n, valid, not_valid, scored_n, expectation, perception, *paid in (
            db.session.execute(_union(parts))):
        f = out[i]
        # What went wrong is a case's: praise is left out of the categories (it is stored as "other").
        for counts, key in ((f.by_kind, kind), (f.by_category, category if kind in CASE_KINDS else None),
                            (f.by_channel, channel), (f.by_root_cause, cause)):
            if key is not None:
                counts[str(key)] = counts.get(str(key), 0) + n
        if str(channel) == Channel.REGULATOR:
            f.appeals += n
        f.valid_appeals += valid or 0
        f.not_valid_appeals += not_valid or 0
        f.voice_count += scored_n or 0
        f.expectation_sum += int(expectation or 0)
        f.perception_sum += int(perception or 0)
        for j, status in enumerate(statuses):
            if paid[2 * j]:
                had_n, had_fen = f.compensation.get(status.value, (0, 0))
                f.compensation[status.value] = (had_n + int(paid[2 * j]), had_fen + int(paid[2 * j + 1] or 0))


def _clocks(out: list[Figures], ranges: list[tuple], now: datetime) -> None:
    """The reply clocks of the complaints (ended, or running: late or not yet due) and the ended stage
    clocks of every ticket, by outcome."""
    open_late = and_(Deadline.ended_at.is_(None), Deadline.due_at <= now)
    wanted = or_(and_(Deadline.clock == "reply", Ticket.kind == Kind.COMPLAINT),
                 and_(Deadline.clock.in_(STAGES), Deadline.outcome.in_(("met", "missed"))))
    # Tickets, not clocks: a reopened ticket's second resolve clock is the same ticket in the linked list.
    tickets = func.count(func.distinct(Deadline.ticket_id))
    parts = [select(literal(i), Deadline.clock, Deadline.outcome, tickets, tickets.filter(open_late))
             .join(Ticket, Ticket.id == Deadline.ticket_id).where(*logged, wanted)
             .group_by(Deadline.clock, Deadline.outcome) for i, logged in enumerate(ranges)]
    for i, clock, outcome, n, late in db.session.execute(_union(parts)):
        f = out[i]
        if clock != "reply":
            f.stages.setdefault(clock, {})[outcome] = n
        elif outcome in ("met", "missed"):
            f.reply[outcome] = n
        elif outcome is None:  # still running: already late, or not yet due
            for key, value in (("overdue", late or 0), ("pending", n - (late or 0))):
                if value:
                    f.reply[key] = value


def _volumes(out: list[Figures], ids: Select) -> None:
    offices = select(func.count()).select_from(Office).where(Office.id.in_(ids)).scalar_subquery()
    parts = [select(literal(i), func.coalesce(func.sum(OfficeVolume.items), 0), func.count(), offices)
             .where(OfficeVolume.office_id.in_(ids), OfficeVolume.month >= f.period.months[0],
                    OfficeVolume.month <= f.period.months[-1]) for i, f in enumerate(out)]
    for i, items, present, n_offices in db.session.execute(_union(parts)):
        f = out[i]
        f.items, f.volume_figures = int(items or 0), int(present or 0)
        f.office_months = n_offices * len(f.period.months)


@dataclass
class Report:
    """A unit's figures for a period, the period before and the same period last year."""

    unit: Unit
    period: Period
    zone: str
    current: Figures
    previous: Figures
    last_year: Figures
    generated_at: datetime

    @property
    def repeaters(self) -> list[RepeatComplainant]:
        return self.current.repeaters

    @property
    def columns(self) -> tuple[Figures, Figures, Figures]:
        return self.current, self.previous, self.last_year


def report(unit: Unit, period: Period, zone: str, now: datetime) -> Report:
    current, previous, last_year = compute_all(unit, [period, period.previous(), period.last_year()], zone, now)
    return Report(unit, period, zone, current, previous, last_year, now)
