"""The text of reminder and digest emails, in the recipient's language.

Rendered when the email is decided and stored in the outbox, so that delivery needs no
application logic and what was sent can be read back exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import Deadline, Ticket, User
from . import clocks


def local(now: datetime, zone: str) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def when(value: datetime | None, zone: str) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def duration(seconds: int) -> str:
    """A business-time span as '2 h 05 min' (the sign is the caller's business)."""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    return _("%(m)d min", m=minutes)


def clock_label(clock: str) -> str:
    return {"triage": _("Triage"), "resolve": _("Resolution"), "follow_up": _("Follow-up")}[clock]


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
        if level == "warning":
            subject = _("[%(ref)s] %(what)s due at %(due)s", ref=ticket.ref, what=what, due=when(d.due_at, zone))
            status = _("%(left)s of business time left.", left=duration(left))
        elif level == "breach":
            subject = _("[%(ref)s] %(what)s overdue since %(due)s", ref=ticket.ref, what=what,
                        due=when(d.due_at, zone))
            status = _("Overdue by %(late)s of business time.", late=duration(min(left, 0)))
        else:
            subject = _("[%(ref)s] Escalated: %(what)s overdue since %(due)s", ref=ticket.ref, what=what,
                        due=when(d.due_at, zone))
            status = _("Overdue by %(late)s of business time; escalated to the administrators.",
                       late=duration(min(left, 0)))
        lines = [
            _("Ticket %(ref)s (%(office)s)", ref=ticket.ref, office=ticket.office.code),
            _("%(what)s is due at %(due)s (%(zone)s).", what=what, due=when(d.due_at, zone), zone=zone),
            status,
            "",
            _("Open the ticket: %(url)s", url=ticket_url(ticket, config)),
        ]
    return subject, "\n".join(lines) + "\n"


def digest(user: User, items: list[tuple[Ticket, Deadline]], now: datetime,
           config: Mapping[str, Any]) -> tuple[str, str]:
    with force_locale(_locale(user, config)):
        subject = _("%(n)d overdue tickets in your offices", n=len(items))
        lines = [subject, ""]
        for ticket, d in items[:200]:
            zone = ticket.office.timezone
            lines.append(_("%(ref)s  %(office)s  %(what)s overdue since %(due)s  %(url)s",
                           ref=ticket.ref, office=ticket.office.code, what=clock_label(d.clock),
                           due=when(d.due_at, zone), url=ticket_url(ticket, config)))
        if len(items) > 200:
            lines.append(_("... and %(n)d more.", n=len(items) - 200))
    return subject, "\n".join(lines) + "\n"
