"""SLA policies and office calendars as stored, with the defaults the application ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import literal, select, text, union_all

from ..domain import Kind, Severity
from ..extensions import db
from ..models import Holiday, NationalDay, Office, OfficeHours, SlaPolicy
from .calendar import BusinessCalendar, weekly

# The severity whose policy applies before triage has set one.
DEFAULT_SEVERITY = Severity.MEDIUM

# Minutes of business time: (triage, resolve, follow up, escalate after), calendar.
DEFAULT_POLICIES: dict[tuple[Kind, Severity], tuple[int, int, int, int, str]] = {
    (Kind.COMPLAINT, Severity.LOW): (480, 2880, 2400, 960, "business"),
    (Kind.COMPLAINT, Severity.MEDIUM): (240, 1440, 1440, 480, "business"),
    (Kind.COMPLAINT, Severity.HIGH): (120, 960, 960, 240, "business"),
    (Kind.COMPLAINT, Severity.CRITICAL): (60, 480, 480, 120, "24x7"),
    (Kind.ERROR, Severity.LOW): (480, 2880, 2400, 960, "business"),
    (Kind.ERROR, Severity.MEDIUM): (480, 1920, 1440, 480, "business"),
    (Kind.ERROR, Severity.HIGH): (240, 960, 960, 240, "business"),
    (Kind.ERROR, Severity.CRITICAL): (60, 480, 480, 120, "24x7"),
}

# Monday to Friday 08:30-17:30, Saturday 09:00-16:00, Sunday closed.
DEFAULT_WEEK: dict[int, tuple[time, time]] = {
    **{d: (time(8, 30), time(17, 30)) for d in range(5)},
    5: (time(9, 0), time(16, 0)),
}


@dataclass(frozen=True)
class Policy:
    kind: Kind
    severity: Severity
    triage_minutes: int
    resolve_minutes: int
    follow_up_minutes: int
    escalate_after_minutes: int
    calendar: str
    customised: bool = False

    def minutes_for(self, clock: str) -> int:
        return {"triage": self.triage_minutes, "resolve": self.resolve_minutes,
                "follow_up": self.follow_up_minutes}[clock]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value, "severity": self.severity.value,
            "triage_minutes": self.triage_minutes, "resolve_minutes": self.resolve_minutes,
            "follow_up_minutes": self.follow_up_minutes,
            "escalate_after_minutes": self.escalate_after_minutes,
            "calendar": self.calendar, "customised": self.customised,
        }


def default_policy(kind: Kind, severity: Severity) -> Policy:
    t, r, f, e, cal = DEFAULT_POLICIES[(kind, severity)]
    return Policy(kind, severity, t, r, f, e, cal)


def get_policy(kind: Kind, severity: Severity | None) -> Policy:
    severity = severity or DEFAULT_SEVERITY
    row = db.session.get(SlaPolicy, (kind, severity))
    if row is None:
        return default_policy(kind, severity)
    return Policy(kind, severity, row.triage_minutes, row.resolve_minutes, row.follow_up_minutes,
                  row.escalate_after_minutes, row.calendar, customised=True)


def all_policies() -> list[Policy]:
    return [get_policy(k, s) for k in Kind for s in Severity]


def office_week(office: Office) -> dict[int, tuple[time, time]]:
    rows = db.session.scalars(select(OfficeHours).where(OfficeHours.office_id == office.id)).all()
    if not rows:
        return dict(DEFAULT_WEEK)
    return {r.weekday: (r.opens, r.closes) for r in rows}


def office_holidays(office: Office) -> list[Holiday]:
    return list(db.session.scalars(
        select(Holiday).where(Holiday.office_id == office.id).order_by(Holiday.day)
    ))


def calendar_for(office: Office, policy_calendar: str = "business") -> BusinessCalendar:
    """The office's business calendar, or a 24x7 one in its zone for 24x7 policies."""
    if policy_calendar == "24x7":
        return BusinessCalendar.twenty_four_seven(office.timezone)
    # Read once per session (one request, one job pass): a ticket's clocks and its page
    # ask for the same calendar several times. Changing hours or holidays forgets it.
    cache = db.session.info.setdefault("calendars", {})
    if office.id not in cache:
        week = office_week(office)
        closed, open_ = _days_of(office)
        cache[office.id] = BusinessCalendar(
            timezone=office.timezone,
            hours=weekly((d, a, b) for d, (a, b) in week.items()),
            holidays=frozenset(closed),
            workdays=frozenset(open_),
        )
    return cache[office.id]


def _days_of(office: Office) -> tuple[set, set]:
    """(closed days, open days) of the office: the national days off and make-up working days, with
    the office's own exceptions on top. One query for both, so that logging a ticket reads its
    office's calendar in as many statements as before the national calendar."""
    national = select(NationalDay.day, literal(0).label("own"),
                      (NationalDay.kind == "work").label("open"))
    own = select(Holiday.day, literal(1).label("own"), Holiday.is_open.label("open")).where(
        Holiday.office_id == office.id)
    closed: set = set()
    open_: set = set()
    # National rows first, the office's after them: an exception beats the national calendar.
    for day, _own, is_open in db.session.execute(union_all(national, own).order_by(text("own"))):
        (open_ if is_open else closed).add(day)
        (closed if is_open else open_).discard(day)
    return closed, open_


def forget_calendars() -> None:
    db.session.info.pop("calendars", None)
