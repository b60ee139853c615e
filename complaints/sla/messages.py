"""The text of reminder and digest emails, in the recipient's language.

Rendered when the email is decided and stored in the outbox, so that delivery needs no
application logic and what was sent can be read back exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from ..models import Deadline, Ticket, User
from . import clocks


def local(now: datetime, zone: str) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def when(value: datetime | None, zone: str) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


# A working day of a business-hours rule: 8 hours of business time, the unit the shipped
# policies are written in (480, 1440, 2880 minutes are 1, 3 and 6 working days). A day of
# a round-the-clock rule is 24 hours.
WORKING_DAY_MINUTES = 8 * 60
DAY_MINUTES = 24 * 60


def day_minutes(calendar: str) -> int:
    # "working_days": the statutory reply clock, whose working days count whole (24 hours).
    return DAY_MINUTES if calendar in ("24x7", "working_days") else WORKING_DAY_MINUTES


def duration(seconds: int | Mapping[str, Any], calendar: str = "business") -> str:
    """A span as '3 working days 2 h' (business hours), '2 days 5 h' (24x7) or '2 h 05 min'.

    The sign is the caller's business. A clock as ``status.deadline_to_dict`` gives it may
    stand for its seconds left and its calendar, so that a template can write
    ``clock|business_duration``.
    """
    if isinstance(seconds, Mapping):
        calendar = str(seconds.get("calendar") or calendar)
        seconds = int(seconds.get("business_seconds_left") or 0)
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, day_minutes(calendar))
    if days:
        hours = rest // 60
        if calendar == "24x7":
            if hours:
                return ngettext("%(num)d day %(h)d h", "%(num)d days %(h)d h", days, h=hours)
            return ngettext("%(num)d day", "%(num)d days", days)
        if hours:
            return ngettext("%(num)d working day %(h)d h", "%(num)d working days %(h)d h", days, h=hours)
        return ngettext("%(num)d working day", "%(num)d working days", days)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    if hours:
        return _("%(h)d h", h=hours)
    return _("%(m)d min", m=minutes)


def clock_label(clock: str) -> str:
    # Stage names of their own: "Resolution" is also the resolution text (处理结果), not the stage (处理).
    return {"triage": _("Triage"), "resolve": _("Resolution stage"), "follow_up": _("Follow-up"),
            "reply": _("Reply to the customer")}[clock]


def standing(seconds_left: int, calendar: str, *, escalated: bool = False, paused: bool = False) -> str:
    """Time left or overdue, in the words of the clock's calendar: business time, or the clock's."""
    span = duration(seconds_left, calendar)
    if calendar == "working_days":
        if seconds_left >= 0:
            return _("%(left)s left.", left=span)
        if escalated:
            return _("Overdue by %(late)s; escalated to the administrators.", late=span)
        return _("Overdue by %(late)s.", late=span)
    if calendar == "24x7":
        if seconds_left >= 0:
            if paused:
                return _("%(left)s left when it resumes.", left=span)
            return _("%(left)s left.", left=span)
        if escalated:
            return _("Overdue by %(late)s; escalated to the administrators.", late=span)
        return _("Overdue by %(late)s.", late=span)
    if seconds_left >= 0:
        if paused:
            return _("%(left)s of business time left when it resumes.", left=span)
        return _("%(left)s of business time left.", left=span)
    if escalated:
        return _("Overdue by %(late)s of business time; escalated to the administrators.", late=span)
    return _("Overdue by %(late)s of business time.", late=span)


def target(minutes: int, calendar: str) -> str:
    """A policy's target as an admin reads it: '6 working days', '8 h', '30 min'; 0 is 'at once'."""
    if not minutes:
        return _("at once")
    return duration(minutes * 60, calendar)


def ticket_url(ticket: Ticket, config: Mapping[str, Any]) -> str:
    return f"{str(config.get('BASE_URL') or '').rstrip('/')}/tickets/{ticket.ref}"


def _locale(user: User, config: Mapping[str, Any]) -> str:
    return user.locale or config.get("DEFAULT_LOCALE") or "zh_CN"


def reminder(ticket: Ticket, d: Deadline, level: str, user: User, now: datetime,
             config: Mapping[str, Any]) -> tuple[str, str]:
    zone = ticket.office.timezone
    left = clocks.seconds_left(ticket, d, now)
    with force_locale(_locale(user, config)):
        what = clock_label(d.clock)
        cal = "working_days" if d.clock == "reply" else "24x7" if d.always_open else "business"
        if level == "warning":
            subject = _("[%(ref)s] %(what)s due at %(due)s", ref=ticket.ref, what=what, due=when(d.due_at, zone))
        elif level == "breach":
            subject = _("[%(ref)s] %(what)s overdue since %(due)s", ref=ticket.ref, what=what,
                        due=when(d.due_at, zone))
        else:
            subject = _("[%(ref)s] Escalated: %(what)s overdue since %(due)s", ref=ticket.ref, what=what,
                        due=when(d.due_at, zone))
        status = standing(left if level == "warning" else min(left, 0), cal,
                          escalated=level not in ("warning", "breach"))
        lines = [
            _("Ticket %(ref)s (%(office)s)", ref=ticket.ref, office=ticket.office.code),
            _("%(what)s is due at %(due)s (%(zone)s).", what=what, due=when(d.due_at, zone), zone=zone),
            status,
            *([_("The statutory deadline to give the customer the outcome, counted in working days.")]
              if d.clock == "reply" else []),
            "",
            _("Open the ticket: %(url)s", url=ticket_url(ticket, config)),
        ]
    return subject, "\n".join(lines) + "\n"


DIGEST_LINES = 200  # the oldest overdue clocks listed; the count says how many there are in all


def digest(user: User, items: list[tuple[Ticket, Deadline]], now: datetime,
           config: Mapping[str, Any], total: int | None = None) -> tuple[str, str]:
    total = len(items) if total is None else total
    with force_locale(_locale(user, config)):
        subject = _("%(n)d overdue tickets in your offices", n=total)
        lines = [subject, ""]
        for ticket, d in items[:DIGEST_LINES]:
            zone = ticket.office.timezone
            lines.append(_("%(ref)s  %(office)s  %(what)s overdue since %(due)s  %(url)s",
                           ref=ticket.ref, office=ticket.office.code, what=clock_label(d.clock),
                           due=when(d.due_at, zone), url=ticket_url(ticket, config)))
        if total > DIGEST_LINES:
            lines.append(_("... and %(n)d more.", n=total - DIGEST_LINES))
    return subject, "\n".join(lines) + "\n"
