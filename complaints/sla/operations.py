"""Changing SLA policies and office calendars: validation once, for the web pages and the API.

Like the ticket operations, these check, change and flush; the caller commits. Changes
apply to clocks started or resumed afterwards; clocks already running keep their plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete

from ..domain import CASE_KINDS, Channel, Kind, Severity
from ..errors import InvalidInput
from ..extensions import db
from ..models import Holiday, Office, OfficeHours, ReplyPolicy, SlaPolicy
from ..textcheck import as_int
from .calendar import OPEN_WORD, parse_exceptions
from .policies import (
    MAX_REPLY_DAYS,
    MAX_REPLY_ESCALATION_DAYS,
    Policy,
    ReplyTarget,
    forget_calendars,
    forget_policies,
    get_policy,
    get_reply_policy,
)

MINUTE_FIELDS = ("triage_minutes", "resolve_minutes", "follow_up_minutes", "escalate_after_minutes")
MAX_MINUTES = 60 * 24 * 365  # a year


def parse_key(kind: str, severity: str) -> tuple[Kind, Severity]:
    errors = {}
    if kind not in [k.value for k in CASE_KINDS]:  # a commendation has no stage clocks
        errors["kind"] = _("Unknown kind.")
    if severity not in [s.value for s in Severity]:
        errors["severity"] = _("Unknown severity.")
    if errors:
        raise InvalidInput(_("Unknown policy."), errors)
    return Kind(kind), Severity(severity)


def set_policy(kind: Kind, severity: Severity, raw: Mapping[str, Any], now: datetime) -> Policy:
    """Replace the targets of one policy; every field is required, unknown ones refused."""
    errors: dict[str, str] = {}
    for key in raw:
        if key not in (*MINUTE_FIELDS, "calendar"):
            errors[str(key)[:64]] = _("Unknown field.")
    values: dict[str, Any] = {}
    for name in MINUTE_FIELDS:
        value = raw.get(name)
        if isinstance(value, str) and as_int(value) is not None:
            value = as_int(value)
        lowest = 0 if name == "escalate_after_minutes" else 1
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("Must be a whole number of minutes.")
        elif not lowest <= value <= MAX_MINUTES:
            errors[name] = _("Must be between %(lo)d and %(hi)d minutes.", lo=lowest, hi=MAX_MINUTES)
        else:
            values[name] = value
    calendar = raw.get("calendar")
    if calendar not in ("business", "24x7"):
        errors["calendar"] = _("Must be one of: %(choices)s.", choices="business, 24x7")
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    forget_policies()
    row = db.session.get(SlaPolicy, (kind, severity))
    if row is None:
        row = SlaPolicy(kind=kind, severity=severity)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.calendar = calendar
    row.updated_at = now
    db.session.flush()
    return get_policy(kind, severity)


def parse_reply_key(kind: str, channel: str) -> tuple[Kind, Channel]:
    errors = {}
    if kind not in [k.value for k in CASE_KINDS]:  # nor a reply clock
        errors["kind"] = _("Unknown kind.")
    if channel not in [c.value for c in Channel]:
        errors["channel"] = _("Unknown channel.")
    if errors:
        raise InvalidInput(_("Unknown policy."), errors)
    return Kind(kind), Channel(channel)


REPLY_FIELDS = {"days": (0, MAX_REPLY_DAYS), "escalate_after_days": (0, MAX_REPLY_ESCALATION_DAYS)}


def set_reply_policy(kind: Kind, channel: Channel, raw: Mapping[str, Any], now: datetime) -> ReplyTarget:
    """Replace the reply target of one (kind, channel) in working days (0: no reply clock); both
    fields are required, unknown ones refused. Applies to tickets logged afterwards."""
    errors: dict[str, str] = {}
    for key in raw:
        if key not in REPLY_FIELDS:
            errors[str(key)[:64]] = _("Unknown field.")
    values: dict[str, int] = {}
    for name, (lo, hi) in REPLY_FIELDS.items():
        value = raw.get(name)
        if isinstance(value, str) and as_int(value) is not None:
            value = as_int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("Must be a whole number of working days.")
        elif not lo <= value <= hi:
            errors[name] = _("Must be between %(lo)d and %(hi)d working days.", lo=lo, hi=hi)
        else:
            values[name] = value
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    forget_policies()
    row = db.session.get(ReplyPolicy, (kind, channel))
    if row is None:
        row = ReplyPolicy(kind=kind, channel=channel)
        db.session.add(row)
    row.days = values["days"]
    row.escalate_after_days = values["escalate_after_days"]
    row.updated_at = now
    db.session.flush()
    return get_reply_policy(kind, channel)


def set_week(office: Office, week: Mapping[int, tuple[str, str] | None]) -> None:
    """Set the office's weekly hours: weekday -> (opens, closes) as HH:MM, or None when closed."""
    errors: dict[str, str] = {}
    parsed: dict[int, tuple[time, time]] = {}
    for day in range(7):
        pair = week.get(day)
        if not pair or not (pair[0] or "").strip() and not (pair[1] or "").strip():
            continue
        opens, closes = pair
        try:
            a = time.fromisoformat((opens or "").strip())
            b = time.fromisoformat((closes or "").strip())
        except ValueError:
            errors[f"day{day}"] = _("Times must look like 08:30.")
            continue
        if b <= a:
            errors[f"day{day}"] = _("The closing time must be after the opening time.")
            continue
        parsed[day] = (a.replace(second=0, microsecond=0), b.replace(second=0, microsecond=0))
    if not parsed and not errors:
        errors["week"] = _("The office must be open on at least one day.")
    if errors:
        raise InvalidInput(_("Some opening hours are invalid."), errors)
    forget_calendars()
    db.session.execute(delete(OfficeHours).where(OfficeHours.office_id == office.id))
    for day, (a, b) in parsed.items():
        db.session.add(OfficeHours(office_id=office.id, weekday=day, opens=a, closes=b))
    db.session.flush()


def set_holidays(office: Office, text: str, *, replace: bool = True) -> int:
    """Replace (or add to) the office's exceptions from a text list; bad lines refuse the whole list.

    A line is a closed day, or an extra open day when ``open`` follows the date (see
    :func:`~complaints.sla.calendar.parse_exceptions`).
    """
    if len(text) > 20_000:
        raise InvalidInput(_("The list is too long."), {"holidays": _("At most 20000 characters.")})
    days, bad = parse_exceptions(text)
    if bad:
        raise InvalidInput(_("Some lines are not dates."), {"holidays": bad_lines_message(bad)})
    if replace:
        db.session.execute(delete(Holiday).where(Holiday.office_id == office.id))
        db.session.flush()
    forget_calendars()
    existing = {h.day: h for h in db.session.query(Holiday).filter(Holiday.office_id == office.id)}
    for day, name, is_open in days:
        if day in existing:
            existing[day].name = name
            existing[day].is_open = is_open
        else:
            db.session.add(Holiday(office_id=office.id, day=day, name=name, is_open=is_open))
    db.session.flush()
    return len(days)


def bad_lines_message(bad: list[tuple[int, str]], shown: int = 10) -> str:
    """One sentence per line that is not a date, quoting what was typed; the rest counted."""
    parts = [_("Line %(line)d is not a date (YYYY-MM-DD): “%(text)s”.", line=number, text=text)
             for number, text in bad[:shown]]
    if len(bad) > shown:
        parts.append(_("... and %(n)d more.", n=len(bad) - shown))
    return " ".join(parts)


def holidays_text(rows: list[Holiday]) -> str:
    return "\n".join(f"{h.day.isoformat()} {OPEN_WORD + ' ' if h.is_open else ''}{h.name}".rstrip()
                     for h in rows)
