"""SLA policies and office calendars as stored, with the defaults the application ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import and_, literal, select, text, union_all

from ..domain import CASE_KINDS, Channel, Kind, Severity
from ..extensions import db
from ..models import Holiday, NationalDay, Office, OfficeHours, ReplyPolicy, SlaPolicy
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


def prefetch(kind: Kind, severity: Severity | None, channel: Channel) -> None:
    """Read the SLA policy and the reply policy a newly logged ticket needs in one statement, for the
    next :func:`get_policy` and :func:`get_reply_policy` of that key to answer (once each)."""
    severity = severity or DEFAULT_SEVERITY
    sla, reply = db.session.execute(
        select(SlaPolicy, ReplyPolicy).select_from(select(literal(1).label("one")).subquery())
        .outerjoin(SlaPolicy, and_(SlaPolicy.kind == kind, SlaPolicy.severity == severity))
        .outerjoin(ReplyPolicy, and_(ReplyPolicy.kind == kind, ReplyPolicy.channel == channel))
    ).one()
    known = db.session.info.setdefault("policies", {})
    known[("sla", kind, severity)] = sla
    known[("reply", kind, channel)] = reply


def forget_policies() -> None:
    db.session.info.pop("policies", None)


def _known(key: tuple, model: type, pk: tuple):  # noqa: ANN202 - the row or None
    """The prefetched row, used once (the logging it was read for), else a read."""
    known = db.session.info.get("policies", {})
    if key in known:
        return known.pop(key)
    return db.session.get(model, pk)


def get_policy(kind: Kind, severity: Severity | None) -> Policy:
    severity = severity or DEFAULT_SEVERITY
    row = _known(("sla", kind, severity), SlaPolicy, (kind, severity))
    if row is None:
        return default_policy(kind, severity)
    return Policy(kind, severity, row.triage_minutes, row.resolve_minutes, row.follow_up_minutes,
                  row.escalate_after_minutes, row.calendar, customised=True)


def all_policies() -> list[Policy]:
    return [get_policy(k, s) for k in CASE_KINDS for s in Severity]  # commendations have no stage clocks


# The statutory reply target in working days, per kind, for every channel: (days, escalate after
# days). 0 days: no reply clock. A commendation has none, and no policy to change that (not listed).
DEFAULT_REPLY: dict[Kind, tuple[int, int]] = {Kind.COMPLAINT: (7, 1), Kind.ERROR: (0, 1), Kind.COMMENDATION: (0, 1)}
MAX_REPLY_DAYS = 60
MAX_REPLY_ESCALATION_DAYS = 30


@dataclass(frozen=True)
class ReplyTarget:
    """The reply policy of one (kind, channel): ``days`` working days (0: no reply clock)."""

    kind: Kind
    channel: Channel
    days: int
    escalate_after_days: int
    customised: bool = False

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "channel": self.channel.value, "days": self.days,
                "escalate_after_days": self.escalate_after_days, "customised": self.customised}


def get_reply_policy(kind: Kind, channel: Channel) -> ReplyTarget:
    row = _known(("reply", kind, channel), ReplyPolicy, (kind, channel))
    if row is None:
        days, escalate = DEFAULT_REPLY[kind]
        return ReplyTarget(kind, channel, days, escalate)
    return ReplyTarget(kind, channel, row.days, row.escalate_after_days, customised=True)


def all_reply_policies() -> list[ReplyTarget]:
    rows = {(r.kind, r.channel): r for r in db.session.scalars(select(ReplyPolicy))}
    out = []
    for k in CASE_KINDS:
        for c in Channel:
            row = rows.get((k, c))
            days, escalate = (row.days, row.escalate_after_days) if row else DEFAULT_REPLY[k]
            out.append(ReplyTarget(k, c, days, escalate, customised=row is not None))
    return out


def working_days_for(office: Office) -> BusinessCalendar:
    """The statutory calendar in the office's time zone: China's working days from the national
    calendar (see :meth:`BusinessCalendar.working_days`). The office's own exceptions and opening
    hours do not shorten a statutory deadline, so they are not read.

    Read once per session, and not at all when the office's business calendar was read in this
    session (the national days come in the same statement)."""
    cache = db.session.info.setdefault("national", {})
    if "days" not in cache:
        off: set = set()
        work: set = set()
        for day, kind in db.session.execute(select(NationalDay.day, NationalDay.kind)):
            (work if kind == "work" else off).add(day)
        cache["days"] = (frozenset(off), frozenset(work))
    off_days, work_days = cache["days"]
    return BusinessCalendar.working_days(office.timezone, off_days, work_days)


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
    national_off: set = set()
    national_work: set = set()
    # National rows first, the office's after them: an exception beats the national calendar.
    for day, own_row, is_open in db.session.execute(union_all(national, own).order_by(text("own"))):
        if not own_row:
            (national_work if is_open else national_off).add(day)
        (open_ if is_open else closed).add(day)
        (closed if is_open else open_).discard(day)
    # The statutory reply clock's calendar (working_days_for) needs these alone: no second read.
    db.session.info.setdefault("national", {})["days"] = (frozenset(national_off), frozenset(national_work))
    return closed, open_


def forget_calendars() -> None:
    db.session.info.pop("calendars", None)
    db.session.info.pop("national", None)
