"""Months as 'YYYY-MM', their bounds in an office's time zone, and validation."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def current(now: datetime, zone: str) -> str:
    return now.astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def parse(value: object, now: datetime, zone: str, field: str = "month") -> str:
    """A valid month that is not in the future (in the office's zone), or a 422 naming the field."""
    if value in (None, ""):
        return current(now, zone)
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidInput(_("Invalid month."), {field: _("Must be a month such as 2026-11.")})
    if value > current(now, zone):
        raise InvalidInput(_("Invalid month."), {field: _("Cannot be in the future.")})
    return value


def shift(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def bounds(month: str, zone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the zone, as aware datetimes."""
    tz = ZoneInfo(zone)
    start = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=tz)
    nxt = shift(month, 1)
    end = datetime(int(nxt[:4]), int(nxt[5:7]), 1, tzinfo=tz)
    return start, end


def last(month: str, n: int) -> list[str]:
    """The n months ending with ``month``, oldest first."""
    return [shift(month, -i) for i in range(n - 1, -1, -1)]
