"""A region's dashboard: its regions and offices one level down, each rolled up from the offices below.

Every figure is one GROUP BY in the database over the region's offices (through the closure
table): a province of a thousand offices costs the same few queries as a district of ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, select

from ..authz import is_admin
from ..domain import Channel, Kind, State, Verdict
from ..extensions import db
from ..models import Deadline, Office, Region, RegionLink, Ticket, User, user_regions
from . import tree

OPEN_STATES = (State.NEW, State.TRIAGED, State.AWAITING_CUSTOMER, State.RESOLVED)


@dataclass
class Row:
    """One line of the dashboard: a region below (rolled up) or an office sitting in the region itself."""

    kind: str  # "region" or "office"
    code: str
    name: str
    offices: int = 1
    open: int = 0
    overdue: int = 0
    logged: int = 0  # this month
    complaints: int = 0  # this month
    valid_appeals: int = 0  # appeals logged this month found valid


@dataclass
class Rollup:
    region: Region
    path: list[Region]
    rows: list[Row]

    @property
    def total(self) -> Row:
        t = Row("region", self.region.code, self.region.name, offices=0)
        for r in self.rows:
            for name in ("offices", "open", "overdue", "logged", "complaints", "valid_appeals"):
                setattr(t, name, getattr(t, name) + getattr(r, name))
        return t


def may_see_region(user: User, region_id: int) -> bool:
    """Admins, and supervisors assigned to this region or one above it (they cover all of it)."""
    if is_admin(user):
        return True
    return bool(db.session.scalar(select(exists().where(
        user_regions.c.user_id == user.id, RegionLink.ancestor_id == user_regions.c.region_id,
        RegionLink.descendant_id == region_id))))


def regions_of(user: User) -> list[Region]:
    """The regions a user may open: the top of the tree for an admin, else those assigned."""
    if is_admin(user):
        return list(db.session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.code)))
    return list(user.regions)


def _month_start(now: datetime, zone: str) -> datetime:
    return now.astimezone(ZoneInfo(zone)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _figures(members: Select, now: datetime, month_start: datetime) -> dict[int, dict[str, int]]:
    """Per group key: the figures of the tickets of the offices in ``members`` (office id, key)."""
    m = members.subquery()
    out: dict[int, dict[str, int]] = {}

    def put(name: str, stmt: Select) -> None:
        for key, n in db.session.execute(stmt).all():
            out.setdefault(key, {})[name] = n

    by_key = select(m.c.key, func.count()).select_from(Ticket).join(m, m.c.office_id == Ticket.office_id)
    put("open", by_key.where(Ticket.state.in_(OPEN_STATES)).group_by(m.c.key))
    put("logged", by_key.where(Ticket.created_at >= month_start).group_by(m.c.key))
    put("complaints", by_key.where(Ticket.created_at >= month_start, Ticket.kind == Kind.COMPLAINT)
        .group_by(m.c.key))
    put("valid_appeals", by_key.where(Ticket.created_at >= month_start, Ticket.channel == Channel.REGULATOR,
                                      Ticket.verdict == Verdict.VALID).group_by(m.c.key))
    # A ticket runs at most one stage clock, and only while open: count(*) over open tickets' clocks.
    put("overdue", select(m.c.key, func.count()).select_from(Ticket)
        .join(m, m.c.office_id == Ticket.office_id)
        .join(Deadline, and_(Deadline.ticket_id == Ticket.id, Deadline.ended_at.is_(None), Deadline.clock != "reply"))
        .where(Deadline.due_at <= now, Ticket.state.in_(OPEN_STATES)).group_by(m.c.key))
    put("offices", select(m.c.key, func.count()).group_by(m.c.key))
    return out


def rollup(region: Region, now: datetime, zone: str) -> Rollup:
    month_start = _month_start(now, zone)
    children = list(db.session.scalars(select(Region).where(Region.parent_id == region.id).order_by(Region.code)))
    offices = list(db.session.scalars(select(Office).where(Office.region_id == region.id).order_by(Office.code)))
    rows: list[Row] = []
    if children:
        members = (select(Office.id.label("office_id"), RegionLink.ancestor_id.label("key"))
                   .join(RegionLink, RegionLink.descendant_id == Office.region_id)
                   .where(RegionLink.ancestor_id.in_([c.id for c in children])))
        figures = _figures(members, now, month_start)
        for c in children:
            f = figures.get(c.id, {})
            rows.append(Row("region", c.code, c.name, **{"offices": 0, **f}))
    if offices:
        members = select(Office.id.label("office_id"), Office.id.label("key")).where(Office.region_id == region.id)
        figures = _figures(members, now, month_start)
        for o in offices:
            rows.append(Row("office", o.code, o.name, **{"offices": 1, **{k: v for k, v in figures.get(o.id, {}).items()
                                                                          if k != "offices"}}))
    return Rollup(region, tree.ancestors(region.id), rows)
