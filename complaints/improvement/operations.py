"""Recording improvement actions: check, add, flush; the caller commits.

A supervisor covering the clerk's office (or an administrator) records an action for one of the
clerk's factors, to be reviewed in a later month. Hardware is refused: it is scored per office and
is not under the clerk's control (the seed: every factor but hardware can be improved by the staff).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..authz import can_access_office
from ..domain import ActionKind, Factor, Role
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import ImprovementAction, Office, User
from ..scorecards import months
from ..textcheck import has_control_chars

DESCRIPTION_MAX = 500
MAX_AHEAD = 12  # months between the start and the review, at most
ACTION_FACTORS = tuple(f for f in Factor if f != Factor.HARDWARE)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def may_record(user: User, office: Office | int) -> bool:
    """Supervisors covering the office and administrators; clerks never."""
    office_id = office if isinstance(office, int) else office.id
    return user.role in (Role.SUPERVISOR, Role.ADMIN) and can_access_office(user, office_id)


def clerk_and_office(clerk_id: int | None) -> tuple[User, Office]:
    """The clerk (an active or past clerk with an office) and the office their card is under, or 404."""
    clerk = db.session.get(User, clerk_id) if clerk_id is not None else None
    if clerk is None or clerk.role != Role.CLERK or not clerk.offices:
        raise NotFound(_("No such clerk."))
    return clerk, clerk.offices[0]


def _choice(enum: type, value: Any, allowed: tuple) -> Any:
    try:
        member = enum(value) if isinstance(value, str) else None
    except ValueError:
        member = None
    if member not in allowed:
        raise ValueError
    return member


def check_review_month(value: Any, start: str) -> str:
    """A month after ``start`` and at most MAX_AHEAD months after it; ValueError with a message."""
    match = _MONTH.match(value.strip()) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(_("Must be a month such as 2026-11."))
    month = match.group(0)
    if month <= start:
        raise ValueError(_("Must be after this month (%(month)s).", month=start))
    if month > months.shift(start, MAX_AHEAD):
        raise ValueError(_("At most %(n)d months ahead.", n=MAX_AHEAD))
    return month


def record_action(actor: User, clerk: User, factor: Any, action: Any, description: Any, review_month: Any,
                  now: datetime) -> ImprovementAction:
    """Record an action for the clerk's factor, started this month (the office's), reviewed at review_month.

    403 unless the actor may record for the clerk's office; 422 naming each bad field, nothing added.
    """
    if clerk.role != Role.CLERK or not clerk.offices:
        raise NotFound(_("No such clerk."))
    office = clerk.offices[0]
    if not may_record(actor, office):
        raise Forbidden(_("Only a supervisor of this office may record improvement actions."))
    start = months.current(now, office.timezone)
    errors: dict[str, str] = {}
    try:
        factor = _choice(Factor, factor, ACTION_FACTORS)
    except ValueError:
        errors["factor"] = (_("Hardware is scored per office: it is not under the clerk's control.")
                            if factor == Factor.HARDWARE.value else _("Choose one of the factors."))
    try:
        action = _choice(ActionKind, action, tuple(ActionKind))
    except ValueError:
        errors["action"] = _("Choose one of the kinds of action.")
    text = description.strip() if isinstance(description, str) else ""
    if not text:
        errors["description"] = _("Say what was done.")
    elif len(text) > DESCRIPTION_MAX or has_control_chars(text, multiline=True):
        errors["description"] = _("At most %(n)d characters of text.", n=DESCRIPTION_MAX)
    try:
        review = check_review_month(review_month, start)
    except ValueError as exc:
        errors["review_month"] = str(exc)
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid; nothing was saved."), errors)
    row = ImprovementAction(clerk_id=clerk.id, office_id=office.id, factor=factor, action=action,
                            description=text, start_month=start, review_month=review,
                            created_by_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def withdraw_action(actor: User, action_id: int, now: datetime) -> ImprovementAction:
    """Delete an action recorded by mistake: a supervisor of its office or an administrator, and only
    before its review month is over (a result once reached is not erased). Flushes; the caller commits."""
    row = db.session.get(ImprovementAction, action_id)
    if row is None:
        raise NotFound(_("No such improvement action."))
    if not may_record(actor, row.office_id):
        raise Forbidden(_("Only a supervisor of this office may withdraw improvement actions."))
    office = db.session.get(Office, row.office_id)
    if months.current(now, office.timezone) > row.review_month:
        raise Conflict(_("This action has been reviewed: its result stays on the card."))
    db.session.delete(row)
    db.session.flush()
    return row


def clerk_actions(clerk: User, limit: int = 50) -> list[ImprovementAction]:
    """The clerk's actions, the latest review first."""
    return list(db.session.scalars(
        select(ImprovementAction).where(ImprovementAction.clerk_id == clerk.id)
        .order_by(ImprovementAction.review_month.desc(), ImprovementAction.id.desc()).limit(limit)))
