"""The region tree kept in its closure table, and the questions every other area asks of it.

Every change here checks, changes and flushes; the caller commits. Reads return SQL (a select of
office ids) so that callers put them inside their own queries: nothing loads office lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, delete, exists, func, insert, literal, select, true

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import Office, Region, RegionLink

TREE_LOCK = 0x7265_6769  # "regi": the advisory lock that serialises changes of the tree


def lock_tree() -> None:
    """Changes of the tree take turns (PostgreSQL; SQLite has one writer anyway): a region added under
    a subtree while another transaction moves it would otherwise copy the ancestors from before the move."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(TREE_LOCK)))


MAX_LEVELS = 10  # province, city, district, street... with room to spare; the closure grows with depth squared


def level(region_id: int) -> int:
    """How many regions are above ``region_id`` (0 at the top of the tree)."""
    return db.session.scalar(select(func.max(RegionLink.depth)).where(RegionLink.descendant_id == region_id)) or 0


def height(region_id: int) -> int:
    """How many levels of regions hang below ``region_id`` (0: none)."""
    return db.session.scalar(select(func.max(RegionLink.depth)).where(RegionLink.ancestor_id == region_id)) or 0


def _too_deep() -> Conflict:
    return Conflict(_("The tree would be deeper than %(n)d levels of regions.", n=MAX_LEVELS))


def add_region(code: str, name: str, parent: Region | None) -> Region:
    """A new region under ``parent`` (None: a top-level region), with its closure rows."""
    lock_tree()
    if parent is not None and level(parent.id) + 2 > MAX_LEVELS:
        raise _too_deep()
    region = Region(code=code, name=name, parent_id=parent.id if parent else None)
    db.session.add(region)
    db.session.flush()
    db.session.add(RegionLink(ancestor_id=region.id, descendant_id=region.id, depth=0))
    if parent is not None:
        db.session.execute(insert(RegionLink).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(RegionLink.ancestor_id, literal(region.id), RegionLink.depth + 1)
            .where(RegionLink.descendant_id == parent.id)))
    db.session.flush()
    return region


def subtree_ids(region_id: int) -> Select:
    """The ids of ``region_id`` and every region below it."""
    return select(RegionLink.descendant_id).where(RegionLink.ancestor_id == region_id)


def is_below(region_id: int, ancestor_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(RegionLink).where(
        RegionLink.ancestor_id == ancestor_id, RegionLink.descendant_id == region_id)) > 0


def move_region(region: Region, parent: Region | None) -> None:
    """Hang ``region`` (and its subtree) under ``parent``; refused if that would make a loop."""
    lock_tree()
    if parent is not None and is_below(parent.id, region.id):
        raise Conflict(_("A region cannot be moved below itself."))
    if region.parent_id == (parent.id if parent else None):
        return
    if parent is not None and level(parent.id) + 2 + height(region.id) > MAX_LEVELS:
        raise _too_deep()
    below = subtree_ids(region.id)
    # Cut every link from above the region into its subtree, then link the new ancestors to it.
    db.session.execute(delete(RegionLink).where(
        RegionLink.descendant_id.in_(below), RegionLink.ancestor_id.not_in(below)))
    if parent is not None:
        up = select(RegionLink).where(RegionLink.descendant_id == parent.id).subquery()
        down = select(RegionLink).where(RegionLink.ancestor_id == region.id).subquery()
        db.session.execute(insert(RegionLink).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(up.c.ancestor_id, down.c.descendant_id, up.c.depth + down.c.depth + 1)
            .select_from(up).join(down, true())))  # every ancestor above x every region below
    region.parent_id = parent.id if parent else None
    db.session.flush()


def delete_region(region: Region) -> None:
    """Remove an empty region (no regions and no offices below it)."""
    if db.session.scalar(select(func.count()).select_from(Region).where(Region.parent_id == region.id)):
        raise Conflict(_("This region has regions below it: move or delete them first."))
    if db.session.scalar(select(func.count()).select_from(Office).where(Office.region_id == region.id)):
        raise Conflict(_("Offices sit in this region: move them first."))
    stranded = db.session.scalars(_only_here(region.id)).all()
    if stranded:
        raise Conflict(_("These supervisors cover nothing but this region: give them other offices or regions "
                         "first: %(names)s", names=", ".join(stranded[:10])))
    db.session.delete(region)
    db.session.flush()


def _only_here(region_id: int) -> Select:
    """The emails of the users assigned to ``region_id`` and to no other region or office."""
    from ..models import User, user_offices, user_regions

    elsewhere = user_regions.alias("elsewhere")
    return (select(User.email).join(user_regions, user_regions.c.user_id == User.id)
            .where(user_regions.c.region_id == region_id,
                   ~exists().where(elsewhere.c.user_id == User.id, elsewhere.c.region_id != region_id),
                   ~exists().where(user_offices.c.user_id == User.id))
            .order_by(User.email))


def offices_below(region_id: int) -> Select:
    """The ids of every office in ``region_id`` or any region below it (a select, for IN)."""
    return (select(Office.id).join(RegionLink, RegionLink.descendant_id == Office.region_id)
            .where(RegionLink.ancestor_id == region_id))


def depths() -> Select:
    """(region id, its depth from the top) for every region."""
    return select(RegionLink.descendant_id, func.max(RegionLink.depth)).group_by(RegionLink.descendant_id)


def ancestors(region_id: int) -> list[Region]:
    """The path from the top of the tree down to ``region_id`` (itself last)."""
    return list(db.session.scalars(
        select(Region).join(RegionLink, RegionLink.ancestor_id == Region.id)
        .where(RegionLink.descendant_id == region_id).order_by(RegionLink.depth.desc())))


@dataclass(frozen=True)
class Unit:
    """What a report or a dashboard is about: one office, or one region and every office below it."""

    kind: str  # "office" or "region"
    id: int
    code: str
    name: str

    def office_ids(self) -> Select:
        if self.kind == "office":
            return select(literal(self.id))
        return offices_below(self.id)


def region_unit(region: Region) -> Unit:
    return Unit("region", region.id, region.code, region.name)


def find_unit(code: str) -> Unit:
    """The region or office named by ``code`` (regions first): 404 when there is none."""
    code = str(code or "").strip().upper()[:32]
    if not code:
        raise InvalidInput(_("Give a region or office code."), {"region": _("Required.")})
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is not None:
        return region_unit(region)
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is not None:
        return Unit("office", office.id, office.code, office.name)
    raise NotFound(_("No region or office with this code."))
