"""China's national calendar: days off and make-up working days (调休), shared by every office.

The official schedule comes from the ``chinese-calendar`` package, which carries the State
Council's yearly notice as data (no network at run time); an office's own exceptions
(:class:`~complaints.models.Holiday` rows) are applied on top of it.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..errors import InvalidInput
from ..extensions import db
from ..models import NationalDay


def official_days(year: int) -> list[tuple[date, str, str]]:
    """(day, kind, name) of the year's days off ('off') and make-up working days ('work').

    Raises :class:`InvalidInput` for a year the installed package has no schedule for.
    """
    import chinese_calendar
    from chinese_calendar.constants import holidays, workdays

    try:
        chinese_calendar.is_workday(date(year, 1, 1))  # NotImplementedError for unknown years
    except (NotImplementedError, ValueError, OverflowError):
        raise InvalidInput(
            _("The official calendar of %(year)d is not known (chinese-calendar %(version)s). "
              "Upgrade the chinese-calendar package once the State Council publishes it.",
              year=year, version=getattr(chinese_calendar, "__version__", "?")),
            {"year": _("Unknown year.")},
        ) from None
    rows = [(d, "off", str(h)) for d, h in holidays.items() if d.year == year]
    rows += [(d, "work", str(h)) for d, h in workdays.items() if d.year == year]
    return sorted(rows)


def import_year(year: int) -> tuple[int, int]:
    """Replace the national calendar of ``year`` with the official one: (days off, make-up days)."""
    from .policies import forget_calendars

    rows = official_days(year)
    db.session.execute(delete(NationalDay).where(NationalDay.day >= date(year, 1, 1),
                                                 NationalDay.day <= date(year, 12, 31)))
    for day, kind, name in rows:
        db.session.add(NationalDay(day=day, kind=kind, name=name[:100]))
    db.session.flush()
    forget_calendars()
    return sum(k == "off" for _d, k, _n in rows), sum(k == "work" for _d, k, _n in rows)


def national_days(year: int | None = None) -> list[NationalDay]:
    query = select(NationalDay).order_by(NationalDay.day)
    if year is not None:
        query = query.where(NationalDay.day >= date(year, 1, 1), NationalDay.day <= date(year, 12, 31))
    return list(db.session.scalars(query))
