"""Changing the region tree: one region at a time (page, API) or a whole CSV (checked whole first).

Like the other areas' operations these check, change and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..admin.operations import OFFICE_CODE
from ..csvimport import BadLine, ImportRefused, read_rows
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import Office, Region
from ..textcheck import required_line
from . import tree

CSV_HEADER = ("code", "name", "parent_code")
CSV_MAX_BYTES = 1 << 20
CSV_MAX_LINES = 20_000


def _code(value: Any, errors: dict[str, str], field: str = "code") -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not OFFICE_CODE.match(code):
        errors[field] = _("2 to 32 letters, digits or dashes, e.g. SH-XH.")
        return ""
    return code


def region_by_code(code: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == str(code or "")[:32].strip().upper()))
    if region is None:
        raise NotFound(_("No region with this code."))
    return region


def _parent(value: Any, errors: dict[str, str]) -> Region | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = _code(value, errors, "parent")
    if not code:
        return None
    parent = db.session.scalar(select(Region).where(Region.code == code))
    if parent is None:
        errors["parent"] = _("No region with the code “%(code)s”.", code=code)
    return parent


def create_region(code: Any, name: Any, parent_code: Any = None) -> Region:
    errors: dict[str, str] = {}
    code = _code(code, errors)
    name = required_line(name, errors)
    parent = _parent(parent_code, errors)
    if code and db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        errors["code"] = _("A region with this code exists.")
    elif code and db.session.scalar(select(Office.id).where(Office.code == code)) is not None:
        errors["code"] = _("An office has this code: region and office codes must differ.")
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    return tree.add_region(code, name, parent)


def update_region(region: Region, name: Any, parent_code: Any) -> Region:
    """Rename ``region`` and hang it under another parent (blank: the top of the tree)."""
    errors: dict[str, str] = {}
    name = required_line(name, errors)
    parent = _parent(parent_code, errors)
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    if parent is not None and parent.id == region.id:
        raise InvalidInput(_("Some fields are missing or invalid."),
                           {"parent": _("A region cannot be its own parent.")})
    try:
        tree.move_region(region, parent)
    except Conflict as exc:
        raise InvalidInput(_("Some fields are missing or invalid."), {"parent": exc.message}) from None
    region.name = name
    db.session.flush()
    return region


def place_office(office: Office, region_code: Any) -> None:
    """Put ``office`` in the region named by ``region_code`` (blank: in none)."""
    errors: dict[str, str] = {}
    parent = _parent(region_code, errors)
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), {"region": errors["parent"]})
    office.region_id = parent.id if parent else None
    db.session.flush()


# -- CSV -------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    offices_placed: int = 0


def import_csv(data: bytes) -> ImportResult:
    """Lines of ``code,name,parent_code``, in any order: a new code makes a region, a region's code
    renames or moves it, an office's code places that office under ``parent_code`` (its name is kept).
    Every line is checked first (codes, names, unknown parents, loops); any bad line refuses all."""
    rows = read_rows(data, CSV_HEADER, max_bytes=CSV_MAX_BYTES, max_lines=CSV_MAX_LINES)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    offices = {o.code: o for o in db.session.scalars(select(Office))}
    bad: list[BadLine] = []
    lines: dict[str, tuple[int, str, str]] = {}  # code -> (line, name, parent code)
    for number, row in rows:
        if len(row) != 3:
            bad.append(BadLine(number, _("Expected 3 values (code, name, parent_code), found %(n)d.", n=len(row))))
            continue
        errors: dict[str, str] = {}
        code = _code(row[0], errors)
        name = required_line(row[1], errors)
        parent = row[2].strip().upper()
        if parent and not OFFICE_CODE.match(parent):
            errors["parent"] = _("The parent code is not a code.")
        if code and code in lines:
            errors["code"] = _("%(code)s is already on line %(line)d.", code=code, line=lines[code][0])
        if code and parent == code:
            errors["parent"] = _("A region cannot be its own parent.")
        if code in offices and not parent:
            errors["parent"] = _("An office needs the region it sits in.")
        if errors:
            bad.append(BadLine(number, " ".join(errors.values())))
            continue
        lines[code] = (number, name, parent)
    # Parents: a region already there or one made by the file; an office is never a parent.
    for number, _nm, parent in lines.values():
        if not parent:
            continue
        if parent in offices:
            bad.append(BadLine(number, _("%(code)s is an office: an office cannot have regions below it.",
                                        code=parent)))
        elif parent not in regions and parent not in lines:
            bad.append(BadLine(number, _("No region with the code “%(code)s” here or in the file.", code=parent)))
    if not bad:
        bad.extend(_loops(lines, regions, set(offices)))
    if not bad:
        bad.extend(_too_deep(lines, regions, set(offices)))
    if bad:
        raise ImportRefused(_("Some lines are wrong: nothing was saved."), sorted(bad, key=lambda b: b.line))
    if not lines:
        raise ImportRefused(_("The file has no regions."), [BadLine(2, _("Add a line per region."))])
    return _apply(lines, regions, offices)


def _final_parents(lines: dict[str, tuple[int, str, str]], regions: dict[str, Region]) -> dict[str, str | None]:
    """Each region's parent code once the file is applied: the file's word, else the tree's."""
    codes = {r.id: c for c, r in regions.items()}
    final: dict[str, str | None] = {c: codes.get(r.parent_id) if r.parent_id else None for c, r in regions.items()}
    final.update({c: (p or None) for c, (_n, _nm, p) in lines.items()})
    return final


def _loops(lines: dict[str, tuple[int, str, str]], regions: dict[str, Region], offices: set[str]) -> list[BadLine]:
    """Lines whose region would end up below itself once the whole file is applied."""
    final = _final_parents(lines, regions)
    bad = []
    for code, (number, _n, _p) in lines.items():
        if code in offices:
            continue
        seen: set[str] = set()
        up = final.get(code)
        while up is not None and up not in seen:  # a loop higher up is named on its own lines
            if up == code:
                bad.append(BadLine(number, _("%(code)s would end up below itself.", code=code)))
                break
            seen.add(up)
            up = final.get(up)
    return bad


def _final_level(code: str, final: dict[str, str | None]) -> int:
    """How many regions will be above ``code`` once the file is applied (the file has no loops)."""
    n, up = 0, final.get(code)
    while up is not None and n <= tree.MAX_LEVELS:
        n, up = n + 1, final.get(up)
    return n


def _too_deep(lines: dict[str, tuple[int, str, str]], regions: dict[str, Region], offices: set[str]) -> list[BadLine]:
    """Lines whose region would sit deeper than the tree allows (regions the file does not name move
    with their parents, so every region of the final tree is checked)."""
    final = _final_parents(lines, regions)
    codes = set(regions) | {c for c in lines if c not in offices}
    deep = {c for c in codes if _final_level(c, final) + 1 > tree.MAX_LEVELS}
    if not deep:
        return []
    # Name the file's lines that put a region too deep, or else the first line above one that is.
    named = [BadLine(n, _("%(code)s would sit deeper than %(max)d levels of regions.", code=c, max=tree.MAX_LEVELS))
             for c, (n, _nm, _p) in lines.items() if c in deep]
    return named or [BadLine(min(n for n, _nm, _p in lines.values()),
                             _("The tree would be deeper than %(n)d levels of regions.", n=tree.MAX_LEVELS))]


def _apply(lines: dict[str, tuple[int, str, str]], regions: dict[str, Region],
           offices: dict[str, Office]) -> ImportResult:
    result = ImportResult()
    # Shallowest first in the final tree: when a region is made or moved, every region above its new
    # place is already where the file puts it, so no move is checked against a half-changed tree.
    wanted = [c for c in lines if c not in offices]
    final = _final_parents(lines, regions)
    for code in sorted(wanted, key=lambda c: (_final_level(c, final), lines[c][0])):
        _number, name, parent_code = lines[code]
        parent = regions[parent_code] if parent_code else None
        region = regions.get(code)
        if region is None:
            regions[code] = tree.add_region(code, name, parent)
            result.created += 1
        else:
            if region.name != name or region.parent_id != (parent.id if parent else None):
                result.changed += 1
            tree.move_region(region, parent)
            region.name = name
    for code, (_number, _nm, parent_code) in lines.items():
        office = offices.get(code)
        if office is not None and office.region_id != regions[parent_code].id:
            office.region_id = regions[parent_code].id
            result.offices_placed += 1
    db.session.flush()
    return result


def export_rows() -> list[tuple[str, str, str]]:
    """The whole tree in the import's format, parents before children, then every placed office."""
    regions = list(db.session.scalars(select(Region)))
    by_id = {r.id: r for r in regions}
    depth = dict(db.session.execute(tree.depths()).all())
    rows = [(r.code, r.name, by_id[r.parent_id].code if r.parent_id else "")
            for r in sorted(regions, key=lambda r: (depth.get(r.id, 0), r.code))]
    placed = db.session.execute(select(Office.code, Office.name, Region.code)
                                .join(Region, Region.id == Office.region_id).order_by(Office.code)).all()
    rows.extend((code, name, region) for code, name, region in placed)
    return rows
