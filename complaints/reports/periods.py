"""Report periods: a month (``YYYY-MM``) or a quarter (``YYYY-Qn``), in the application's time zone.

A period knows its bounds (aware datetimes, for the ``created_at`` range of every query), its
months (for the items-handled figures), the period before it and the same period a year earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..errors import InvalidInput

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})-[Qq]([1-4])$")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None  # a month, or
    quarter: int | None = None  # a quarter

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    @property
    def code(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}" if self.is_quarter else f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.code

    @property
    def first_month(self) -> date:
        month = (self.quarter - 1) * 3 + 1 if self.quarter else self.month
        return date(self.year, month, 1)

    @property
    def months(self) -> list[date]:
        """The first day of each month of the period."""
        first = self.first_month
        return [_add_months(first, i) for i in range(3 if self.is_quarter else 1)]

    @property
    def first_day(self) -> date:
        return self.first_month

    @property
    def last_day(self) -> date:
        return _add_months(self.first_month, len(self.months)) - timedelta(days=1)

    @property
    def logged_args(self) -> dict[str, str]:
        """The queue's filter of the tickets logged in the period (its first and last day)."""
        return {"created_from": self.first_day.isoformat(), "created_to": self.last_day.isoformat()}

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The first instant of the period and the first instant after it, local midnight in ``zone``."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.first_day, datetime.min.time(), tz)
        end = datetime.combine(self.last_day + timedelta(days=1), datetime.min.time(), tz)
        return start, end

    def previous(self) -> Period:
        """The month before, or the quarter before."""
        if self.is_quarter:
            q = self.year * 4 + self.quarter - 2
            return Period(q // 4, quarter=q % 4 + 1)
        m = _add_months(self.first_month, -1)
        return Period(m.year, month=m.month)

    def next(self) -> Period:
        if self.is_quarter:
            q = self.year * 4 + self.quarter
            return Period(q // 4, quarter=q % 4 + 1)
        m = _add_months(self.first_month, 1)
        return Period(m.year, month=m.month)

    def last_year(self) -> Period:
        return Period(self.year - 1, month=self.month, quarter=self.quarter)


def _add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def current_month(now: datetime, zone: str) -> Period:
    today = now.astimezone(ZoneInfo(zone)).date()
    return Period(today.year, month=today.month)


def default(now: datetime, zone: str) -> Period:
    """The last whole month: what a monthly report is usually asked for."""
    return current_month(now, zone).previous()


def parse(value: object, now: datetime, zone: str, field: str = "period") -> Period:
    """``YYYY-MM`` or ``YYYY-Qn`` (2000 onwards, not starting in the future); empty: the last whole month.

    Anything else is an InvalidInput naming ``field`` (a 422 in the API, a message on the page)."""
    if value in (None, ""):
        return default(now, zone)
    text = value.strip() if isinstance(value, str) else ""
    period = None
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        period = Period(int(m.group(1)), month=int(m.group(2)))
    elif m := _QUARTER.match(text):
        period = Period(int(m.group(1)), quarter=int(m.group(2)))
    if period is None or period.year < FIRST_YEAR:
        raise InvalidInput(_("Invalid period."), {field: _("Must be a month such as 2026-11 or a quarter such as "
                                                         "2026-Q4.")})
    if period.first_month > current_month(now, zone).first_month:
        raise InvalidInput(_("Invalid period."), {field: _("Cannot be in the future.")})
    return period
