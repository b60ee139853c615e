"""Repeat complainants: the same phone with a complaint logged in the period and another in the period or
the 90 days before it, at the unit's offices.

Counted by the database for several periods at once: periods whose windows overlap (a month and the month
before) are read in one scan of their joined window, grouped by phone with a count per period; the window
totals and the first period's most frequent complainants (with their references, gathered by the database)
come back in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select

from ..authz import mask_phone
from ..domain import Kind
from ..extensions import db
from ..models import Ticket

WINDOW = timedelta(days=90)  # the same phone again within this long is a repeat complainant
LISTED = 50  # repeat complainants listed by (masked) phone; all of them are counted


@dataclass
class RepeatComplainant:
    phone: str  # masked, always: a report goes round
    complaints: int
    first: datetime
    last: datetime
    refs: list[str]  # their complaints' references, in the order they were logged


def _clusters(windows: list[tuple[datetime, datetime]]) -> list[list[int]]:
    """The periods grouped so that each group's windows (90 days before the period, and the period) overlap."""
    order = sorted(range(len(windows)), key=lambda i: windows[i][0])
    groups: list[list[int]] = []
    reach = None
    for i in order:
        start, end = windows[i]
        if groups and reach is not None and start - WINDOW < reach:
            groups[-1].append(i)
            reach = max(reach, end)
        else:
            groups.append([i])
            reach = end
    return groups


def count_and_list(ids: Select, windows: list[tuple[datetime, datetime]],
                   limit: int = LISTED) -> tuple[list[int], list[RepeatComplainant]]:
    """The number of repeat complainants of each period (``windows``: its bounds), and the first period's
    most frequent ones (at most ``limit``)."""
    counts = [0] * len(windows)
    listed: list[RepeatComplainant] = []
    for group in _clusters(windows):
        lo = min(windows[i][0] for i in group) - WINDOW
        hi = max(windows[i][1] for i in group)
        columns = [Ticket.customer_phone.label("phone")]
        for i in group:
            start, end = windows[i]
            in_window = and_(Ticket.created_at >= start - WINDOW, Ticket.created_at < end)
            in_period = and_(Ticket.created_at >= start, Ticket.created_at < end)
            columns += [func.count().filter(in_window).label(f"n{i}"), func.count().filter(in_period).label(f"k{i}")]
        first = 0 in group
        if first:
            start, end = windows[0]
            in_window = and_(Ticket.created_at >= start - WINDOW, Ticket.created_at < end)
            columns += [func.min(case((in_window, Ticket.created_at))).label("first"),
                        func.max(case((in_window, Ticket.created_at))).label("last"),
                        func.aggregate_strings(case((in_window, Ticket.ref)), " ").label("refs")]
        phones = (select(*columns)
                  .where(Ticket.office_id.in_(ids), Ticket.created_at >= lo, Ticket.created_at < hi,
                         Ticket.kind == Kind.COMPLAINT, Ticket.customer_phone.is_not(None))
                  .group_by(Ticket.customer_phone).subquery())
        repeat = {i: and_(phones.c[f"n{i}"] >= 2, phones.c[f"k{i}"] >= 1) for i in group}
        totals = [func.sum(case((repeat[i], 1), else_=0)).over().label(f"total{i}") for i in group]
        stmt = select(*totals).where(or_(*repeat.values()))
        if first:
            stmt = stmt.add_columns(phones.c.phone, phones.c.n0, phones.c.k0, phones.c.first, phones.c.last,
                                    phones.c.refs).order_by(case((repeat[0], 0), else_=1), phones.c.n0.desc(),
                                                            phones.c.phone)
        rows = db.session.execute(stmt.limit(limit if first else 1)).all()
        for row in rows[:1]:
            for j, i in enumerate(group):
                counts[i] = int(row[j] or 0)
        if first:
            listed = [RepeatComplainant(mask_phone(r.phone) or "", r.n0, _aware(r.first), _aware(r.last),
                                        sorted(r.refs.split(), key=_order))
                      for r in rows if r.n0 >= 2 and r.k0 >= 1]
    return counts, listed


def _aware(value: datetime | str) -> datetime:
    # MIN/MAX come back typed on PostgreSQL; SQLite may give its stored text (naive UTC).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _order(ref: str) -> tuple[str, str]:
    """References are numbered per kind and year in the order they are logged: C-2026-000123."""
    prefix, _dash, rest = ref.partition("-")
    return rest, prefix
