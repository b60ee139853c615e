"""Business time on an office's calendar: weekly opening hours, holidays, a time zone.

Days are decided in this order: a date in ``holidays`` is closed; a date in ``workdays``
(a make-up working day, 调休, or an office's extra open day) is open with the hours of
``WORKDAY_HOURS_FROM`` (Monday), whatever its weekday; any other day has its weekday's hours.

Pure functions of their arguments (no database, no clock), so that the SLA rules can be
tested with a table of cases and with hypothesis. Business time is real elapsed time
inside opening hours: on a day when the clocks change, an 08:00-17:00 day is 8 or 10
hours long, as the staff live it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead a deadline may be searched for; a calendar that is closed for longer
# than this is a configuration error, reported instead of looping for ever.
SEARCH_DAYS = 3 * 366

Interval = tuple[time, time]

# A make-up working day (调休) or an office's extra open day keeps the office's Monday hours:
# the official schedule says which days are worked, not which weekday they stand in for.
WORKDAY_HOURS_FROM = 0


class CalendarError(ValueError):
    """The calendar has no opening hours within reach."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (0 = Monday), closed and extra working dates, and the zone."""

    timezone: str = "Asia/Shanghai"
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    always_open: bool = False
    # Statutory working days: every working day is open for the whole of it (midnight to midnight,
    # local time), Monday to Friday, minus ``holidays``, plus ``workdays``; ``hours`` is not read.
    whole_days: bool = False

    @classmethod
    def twenty_four_seven(cls, timezone: str = "Asia/Shanghai") -> BusinessCalendar:
        return cls(timezone=timezone, always_open=True)

    @classmethod
    def working_days(cls, timezone: str, days_off: frozenset[date], workdays: frozenset[date]) -> BusinessCalendar:
        """China's working days: Monday to Friday, minus the national days off, plus the make-up
        working days (调休); each working day counts whole (24 hours; 23 or 25 on a day when the
        clocks change)."""
        return cls(timezone=timezone, holidays=days_off, workdays=workdays, whole_days=True)

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5

    def end_of_day(self, day: date) -> datetime:
        """The end of ``day`` (the next local midnight) as a UTC instant."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(UTC)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def open_intervals(self, start_day: date, days: int = SEARCH_DAYS) -> Iterator[tuple[datetime, datetime]]:
        """The opening intervals, as UTC instants, from ``start_day`` onwards, in order."""
        zone = self.zone
        for offset in range(days):
            day = start_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            if self.whole_days:
                if self.is_working_day(day):
                    yield datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC), self.end_of_day(day)
                continue
            weekday = WORKDAY_HOURS_FROM if day in self.workdays else day.weekday()
            for opens, closes in self.hours.get(weekday, ()):
                a = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                b = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
                if b > a:  # an interval swallowed by a DST gap has no length
                    yield a, b

    def _local_day(self, instant: datetime) -> date:
        # Start a day early: an interval of the previous local day may still be open.
        return instant.astimezone(self.zone).date() - timedelta(days=1)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of business time has passed since ``start``."""
        _aware(start)
        if amount <= timedelta(0):
            return start
        if self.always_open:
            return start + amount
        remaining = amount
        for a, b in self.open_intervals(self._local_day(start)):
            if b <= start:
                continue
            a = max(a, start)
            span = b - a
            if span >= remaining:
                return a + remaining
            remaining -= span
        raise CalendarError("the calendar has no opening hours within three years")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
        _aware(a)
        _aware(b)
        if b <= a:
            return timedelta(0)
        if self.always_open:
            return b - a
        total = timedelta(0)
        days = (b - a).days + 3
        for x, y in self.open_intervals(self._local_day(a), days):
            if x >= b:
                break
            lo, hi = max(x, a), min(y, b)
            if hi > lo:
                total += hi - lo
        return total

    def signed_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b``, negative when ``b`` is before ``a``."""
        return self.between(a, b) if b >= a else -self.between(b, a)


def _aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("business time needs aware datetimes")


# The word after a date that makes the line an extra open day instead of a closed one
# (written back as OPEN_WORD; 营业 is read too, as the Chinese page says).
OPEN_WORD = "open"
OPEN_WORDS = ("open", "营业")


def parse_exceptions(text: str) -> tuple[list[tuple[date, str, bool]], list[tuple[int, str]]]:
    """Read an office's exceptions: one date per line (YYYY-MM-DD), then optionally ``open`` (or 营业), then a name.

    ``2026-12-24 renovation`` closes the office that day; ``2026-12-20 open Sunday opening``
    opens it (with its Monday hours). Blank lines and lines starting with # are skipped.
    Returns (days, errors) where each day is (date, name, is_open) and each error is
    (line number, the line as typed, cut short), so that nothing typed is silently dropped.
    """
    found: dict[date, tuple[str, bool]] = {}
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, _, name = line.replace("\t", " ").partition(" ")
        try:
            day = date.fromisoformat(head.strip())
        except ValueError:
            errors.append((number, line[:40]))
            continue
        name = name.strip()
        word, _, rest = name.partition(" ")
        is_open = word.lower() in OPEN_WORDS
        if is_open:
            name = rest.strip()
        found[day] = (name[:100], is_open)
    return [(d, n, o) for d, (n, o) in sorted(found.items())], errors


def parse_holidays(text: str) -> tuple[list[tuple[date, str]], list[tuple[int, str]]]:
    """The closed days of :func:`parse_exceptions` (open days left out), and its errors."""
    days, errors = parse_exceptions(text)
    return [(d, n) for d, n, is_open in days if not is_open], errors


def parse_hours(opens: str, closes: str) -> Interval:
    """Parse HH:MM opening and closing times; raises ValueError when closes is not later."""
    a, b = time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())
    if b <= a:
        raise ValueError("closing time must be after opening time")
    return a, b


def weekly(pairs: Iterable[tuple[int, time, time]]) -> dict[int, tuple[Interval, ...]]:
    out: dict[int, list[Interval]] = {}
    for weekday, opens, closes in pairs:
        out.setdefault(weekday, []).append((opens, closes))
    return {k: tuple(sorted(v)) for k, v in out.items()}
