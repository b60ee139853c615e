"""A region's dashboard: its regions and offices one level down, each rolled up from the offices below.

Every figure is one GROUP BY in the database over the region's offices (through the closure
table): a province of a thousand offices costs the same few queries as a district of ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select

from ..authz import covers_unit, is_admin, regions_covered
from ..dashboard.queries import month_start
from ..domain import Channel, Kind, Verdict
from ..extensions import db
from ..models import Deadline, Office, Region, RegionLink, Ticket, User
from ..models.ticket import open_ticket
from ..tickets.queries import logged_in_month
from . import tree


@dataclass
class Row:
    """One line of the dashboard: a region below (rolled up) or an office sitting in the region itself."""

    kind: str  # "region" or "office"
    code: str
    name: str
    offices: int = 0  # counted below the line: 1 for an office
    open: int = 0
    overdue: int = 0
    logged: int = 0  # this month
    complaints: int = 0  # this month
    valid_appeals: int = 0  # appeals logged this month found valid

    @property
    def queue_args(self) -> dict[str, str]:
        """The queue filter that lists this line's tickets."""
        return {self.kind: self.code}


@dataclass
class Rollup:
    region: Region
    path: list[Region]
    rows: list[Row]
    month_args: dict[str, str]  # the queue's filter of this month's tickets, for the "this month" figures

    @property
    def total(self) -> Row:
        t = Row("region", self.region.code, self.region.name)
        for r in self.rows:
            for name in ("offices", "open", "overdue", "logged", "complaints", "valid_appeals"):
                setattr(t, name, getattr(t, name) + getattr(r, name))
        return t


def may_see_region(user: User, region: Region) -> bool:
    """The rule of the region's report and scorecard (``authz.covers_unit``): admins, and supervisors
    who cover every office below it, by assignment to it or above it or office by office."""
    return covers_unit(user, tree.region_unit(region))


def regions_of(user: User) -> list[Region]:
    """The regions a user starts from: the top of the tree for an admin, else the highest regions they
    cover whole (assigned, or every office of it covered one by one)."""
    if is_admin(user):
        return list(db.session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.code)))
    covered = regions_covered(user).subquery()
    ids = select(covered.c[0])
    return list(db.session.scalars(select(Region).where(
        Region.id.in_(ids), or_(Region.parent_id.is_(None), Region.parent_id.not_in(ids))).order_by(Region.code)))


def _figures(members: Select, now: datetime, month_start: datetime) -> dict[int, dict[str, int]]:
    """Per group key: the figures of the tickets of the offices in ``members`` (office id, key)."""
    m = members.subquery()
    out: dict[int, dict[str, int]] = {}

    def put(name: str, stmt: Select) -> None:
        for key, n in db.session.execute(stmt).all():
            out.setdefault(key, {})[name] = n

    by_key = select(m.c.key, func.count()).select_from(Ticket).join(m, m.c.office_id == Ticket.office_id)
    put("open", by_key.where(open_ticket()).group_by(m.c.key))  # the partial index of open tickets
    # The month's tickets once, counted three ways.
    for key, logged, complaints, valid in db.session.execute(
            select(m.c.key, func.count(), func.count().filter(Ticket.kind == Kind.COMPLAINT),
                   func.count().filter(Ticket.channel == Channel.REGULATOR, Ticket.verdict == Verdict.VALID))
            .select_from(Ticket).join(m, m.c.office_id == Ticket.office_id)
            .where(Ticket.created_at >= month_start).group_by(m.c.key)):
        out.setdefault(key, {}).update(logged=logged, complaints=complaints, valid_appeals=valid)
    # A ticket runs at most one stage clock, and only while open: the running stage clocks past due.
    put("overdue", select(m.c.key, func.count()).select_from(Deadline).join(m, m.c.office_id == Deadline.office_id)
        .where(Deadline.ended_at.is_(None), Deadline.clock != "reply", Deadline.due_at <= now).group_by(m.c.key))
    put("offices", select(m.c.key, func.count()).group_by(m.c.key))
    return out


def region_zone() -> str:
    """The time zone a region's "this month" is counted in: the application's, as its report and the
    queue's date filters count (a region spans offices, perhaps of several zones)."""
    from flask import current_app

    return current_app.config["TIMEZONE"]


def rollup(region: Region, now: datetime, zone: str) -> Rollup:
    start = month_start(now, zone)
    children = list(db.session.scalars(select(Region).where(Region.parent_id == region.id).order_by(Region.code)))
    offices = list(db.session.scalars(select(Office).where(Office.region_id == region.id).order_by(Office.code)))
    rows: list[Row] = []
    if children:
        members = (select(Office.id.label("office_id"), RegionLink.ancestor_id.label("key"))
                   .join(RegionLink, RegionLink.descendant_id == Office.region_id)
                   .where(RegionLink.ancestor_id.in_([c.id for c in children])))
        figures = _figures(members, now, start)
        rows += [Row("region", c.code, c.name, **figures.get(c.id, {})) for c in children]
    if offices:
        members = select(Office.id.label("office_id"), Office.id.label("key")).where(Office.region_id == region.id)
        figures = _figures(members, now, start)
        rows += [Row("office", o.code, o.name, **figures.get(o.id, {})) for o in offices]
    return Rollup(region, tree.ancestors(region.id), rows, logged_in_month(start.strftime("%Y-%m")))
