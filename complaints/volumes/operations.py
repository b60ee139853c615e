"""Items handled per office and month: reading, checking and changing the figures.

One place for the web grid, the CSV import and the API. Like the other areas' operations,
these check, change and flush; the caller commits. Nothing is saved unless every figure
given is good: a bad cell or a bad line refuses the whole lot.

Scope: administrators every office, supervisors the offices they cover, clerks none.
A month is stored as its first day; it is written ``YYYY-MM`` everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..authz import can_access_office, in_scope, is_admin
from ..csvimport import BadLine, ImportRefused, read_rows
from ..domain import Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Office, OfficeVolume, User

MAX_ITEMS = 10**12
CSV_MAX_BYTES = 1 << 20  # 1 MiB
CSV_MAX_LINES = 50_000
CSV_HEADER = ("office", "month", "items")

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
# Whole numbers, optionally grouped in thousands with commas: 1234567 or 1,234,567.
_ITEMS = re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)$")

Key = tuple[int, date]  # (office id, first day of the month)


# -- who and what ---------------------------------------------------------------------------

def may_enter(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


def require_enterer(user: User) -> None:
    if not may_enter(user):
        raise Forbidden(_("Only supervisors and administrators may see and enter volumes."))


def offices_in_scope(user: User) -> list[Office]:
    """The offices whose volumes the user may see and enter, by code (none for a clerk)."""
    if not may_enter(user):
        return []
    stmt = select(Office).order_by(Office.code)
    if not is_admin(user):
        stmt = stmt.where(in_scope(Office.id, user))
    return list(db.session.scalars(stmt))


def office_for(user: User, code: str) -> Office:
    """The office named by ``code``: 404 when there is none, 403 when the user does not cover it."""
    require_enterer(user)
    office = db.session.scalar(select(Office).where(Office.code == str(code)[:32].strip().upper()))
    if office is None:
        raise NotFound(_("No office with this code."))
    if not can_access_office(user, office.id):
        raise Forbidden(_("You do not cover this office."))
    return office


def current_month(now: datetime) -> date:
    """The first day of this month in the application's time zone."""
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return today.replace(day=1)


# -- reading values --------------------------------------------------------------------------

def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(value: object, now: datetime) -> date:
    """``YYYY-MM`` as the month's first day; ValueError with a message for the user when it is not
    a month from 2000 up to this one."""
    match = _MONTH.match(value.strip()) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValueError(_("Must be a month such as 2026-11."))
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if month > current_month(now):
        raise ValueError(_("Cannot be in the future."))
    return month


def parse_items(value: object) -> int | None:
    """A figure as typed (grid, CSV) or sent (API): a whole number from 0 to 10^12, or None for blank.

    Text may group thousands with commas (1,234,567); JSON must be an integer (or null).
    Raises ValueError with a message for the user.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("Must be a whole number of items."))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not _ITEMS.match(text):
            raise ValueError(_("Must be a whole number of items, such as 1234567 or 1,234,567."))
        value = int(text.replace(",", ""))
    if not isinstance(value, int):
        raise ValueError(_("Must be a whole number of items."))
    if not 0 <= value <= MAX_ITEMS:
        raise ValueError(_("Must be between 0 and %(hi)s.", hi=f"{MAX_ITEMS:,}"))
    return value


# -- reading figures --------------------------------------------------------------------------

def year_months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def figures(office_ids: Iterable[int], first_month: date, last_month: date) -> dict[Key, int]:
    """The stored figures of these offices from ``first_month`` to ``last_month`` (both included)."""
    ids = list(office_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(OfficeVolume.office_id, OfficeVolume.month, OfficeVolume.items)
        .where(OfficeVolume.office_id.in_(ids), OfficeVolume.month.between(first_month, last_month))
    )
    return {(office_id, month): items for office_id, month, items in rows}


def items_handled(office_ids: Iterable[int], first_month: date, last_month: date) -> int:
    """Items handled by these offices from ``first_month`` to ``last_month`` (both included, any day of
    each month), summed by the database; 0 when there is no figure. The denominator of a rate per
    million items: the report says separately which figures are missing."""
    ids = list(office_ids)
    if not ids:
        return 0
    first, last = first_month.replace(day=1), last_month.replace(day=1)
    total = db.session.scalar(
        select(func.coalesce(func.sum(OfficeVolume.items), 0))
        .where(OfficeVolume.office_id.in_(ids), OfficeVolume.month >= first, OfficeVolume.month <= last)
    )
    return int(total or 0)


# -- changing figures -------------------------------------------------------------------------

def set_figures(user: User, wanted: Mapping[Key, int | None], now: datetime) -> int:
    """Store every figure of ``wanted`` (None removes one); returns how many changed.

    The caller has checked each value; the scope is checked here again, for every office.
    """
    require_enterer(user)
    for office_id, _month in wanted:
        if not can_access_office(user, office_id):
            raise Forbidden(_("You do not cover this office."))
    if not wanted:
        return 0
    office_ids = {office_id for office_id, _m in wanted}
    months = [m for _o, m in wanted]
    existing = {(v.office_id, v.month): v for v in db.session.scalars(
        select(OfficeVolume).where(OfficeVolume.office_id.in_(office_ids),
                                   OfficeVolume.month.between(min(months), max(months))))}
    changed = 0
    for key, items in wanted.items():
        row = existing.get(key)
        if items is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            db.session.add(OfficeVolume(office_id=key[0], month=key[1], items=items, updated_at=now,
                                        updated_by_id=user.id))
        elif row.items != items:
            row.items, row.updated_at, row.updated_by_id = items, now, user.id
        else:
            continue
        changed += 1
    db.session.flush()
    return changed


def cell_name(office_id: int, month: date) -> str:
    """The grid's input name of one office and month."""
    return f"v-{office_id}-{month.month:02d}"


def save_grid(user: User, offices: list[Office], year: int, typed: Mapping[str, str], now: datetime) -> int:
    """The grid as posted: every office in scope x the 12 months of ``year``; a cell left out of the
    post is left as it is, a blank one removes the figure. Every bad cell is named (by its input name)
    and then nothing is saved."""
    require_enterer(user)
    this_month = current_month(now)
    wanted: dict[Key, int | None] = {}
    errors: dict[str, str] = {}
    for office in offices:
        for month in year_months(year):
            name = cell_name(office.id, month)
            if name not in typed:
                continue
            try:
                items = parse_items(typed[name])
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            if items is not None and month > this_month:
                errors[name] = _("Cannot be in the future.")
                continue
            wanted[(office.id, month)] = items
    if errors:
        raise InvalidInput(_("Some figures are not whole numbers of items: nothing was saved."), errors)
    return set_figures(user, wanted, now)


def put_figure(user: User, code: str, month_value: str, body: Mapping[str, Any], now: datetime) -> dict:
    """The API's PUT of one office and month: {"items": N}, or null to remove the figure."""
    office = office_for(user, code)
    errors: dict[str, str] = {}
    month = None
    try:
        month = parse_month(month_value, now)
    except ValueError as exc:
        errors["month"] = str(exc)
    for key in body:
        if key != "items":
            errors[str(key)[:64]] = _("Unknown field.")
    items = None
    if "items" not in body:
        errors["items"] = _("This field is required.")
    else:
        try:
            items = parse_items(body["items"])
        except ValueError as exc:
            errors["items"] = str(exc)
        else:
            if isinstance(body["items"], str):  # JSON numbers only: text is for people
                errors["items"] = _("Must be a whole number of items.")
    if errors or month is None:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    set_figures(user, {(office.id, month): items}, now)
    return {"office": office.code, "month": month_text(month), "items": items}


def list_figures(user: User, month_value: object, code: str | None, now: datetime) -> list[dict]:
    """The API's list: one entry per office in scope (or the one named), ``items`` null where no figure."""
    require_enterer(user)
    offices = [office_for(user, code)] if code else offices_in_scope(user)
    if month_value in (None, ""):
        raise InvalidInput(_("The month is required."), {"month": _("This field is required.")})
    try:
        month = parse_month(month_value, now)
    except ValueError as exc:
        raise InvalidInput(_("Invalid month."), {"month": str(exc)}) from exc
    found = figures([o.id for o in offices], month, month)
    return [{"office": o.code, "month": month_text(month), "items": found.get((o.id, month))} for o in offices]


# -- CSV -------------------------------------------------------------------------------------

def read_csv(user: User, data: bytes, now: datetime) -> dict[Key, int | None]:
    """Check a CSV of ``office,month,items`` (a header row first; UTF-8, with or without a BOM) and
    return its figures; any bad line refuses the whole file, each bad line named with its number.

    A blank ``items`` removes the figure (as a blank cell of the grid); an office the user does not
    cover is a bad line; the same office and month twice is a bad line.
    """
    require_enterer(user)
    rows = read_rows(data, CSV_HEADER, max_bytes=CSV_MAX_BYTES, max_lines=CSV_MAX_LINES)
    codes = {o.code: o for o in db.session.scalars(select(Office))}
    wanted: dict[Key, int | None] = {}
    seen: dict[Key, int] = {}
    bad: list[BadLine] = []
    for number, row in rows:
        if len(row) != 3:
            bad.append(BadLine(number, _("Expected 3 values (office, month, items), found %(n)d.", n=len(row))))
            continue
        code, month_value, items_value = (cell.strip() for cell in row)
        reasons = []
        office = codes.get(code.upper())
        if office is None:
            reasons.append(_("No office with the code “%(code)s”.", code=code[:32]))
        elif not can_access_office(user, office.id):
            reasons.append(_("You do not cover the office %(code)s.", code=office.code))
        month = None
        try:
            month = parse_month(month_value, now)
        except ValueError as exc:
            reasons.append(_("Month: %(reason)s", reason=str(exc)))
        items = None
        try:
            items = parse_items(items_value)
        except ValueError as exc:
            reasons.append(_("Items: %(reason)s", reason=str(exc)))
        if reasons:
            bad.append(BadLine(number, " ".join(reasons)))
            continue
        key = (office.id, month)  # type: ignore[union-attr]
        if key in seen:
            bad.append(BadLine(number, _("%(code)s %(month)s is already on line %(line)d.",
                                         code=office.code, month=month_text(month),  # type: ignore[union-attr,arg-type]
                                         line=seen[key])))
            continue
        seen[key] = number
        wanted[key] = items
    if bad:
        raise ImportRefused(_("Some lines are wrong: nothing was saved."), bad)
    if not wanted:
        raise ImportRefused(_("The file has no figures."), [BadLine(2, _("Add a line per office and month."))])
    return wanted


def import_csv(user: User, data: bytes, now: datetime) -> int:
    """Check the whole file, then store its figures; returns how many changed."""
    return set_figures(user, read_csv(user, data, now), now)


def export_rows(offices: list[Office], year: int) -> Iterable[tuple[str, str, object]]:
    """``office,month,items`` lines for every office and month of the year (blank where no figure):
    the import's own format, so that a downloaded file can be filled in and imported again."""
    found = figures([o.id for o in offices], date(year, 1, 1), date(year, 12, 1))
    for office in offices:
        for month in year_months(year):
            items = found.get((office.id, month))
            yield office.code, month_text(month), "" if items is None else items
