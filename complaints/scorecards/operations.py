"""Recording assessments: check, change, write one history row per changed value, flush."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..authz import can_access_office, is_admin
from ..domain import Role
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import Assessment, HardwareScore, Office, ScoreChange, User
from ..models.scorecard import CLERK_FACTORS
from ..textcheck import as_int, has_control_chars
from .compute import office_clerks

COMMENT_MAX = 500


def may_assess(user: User, office: Office) -> bool:
    """Supervisors of the office (and admins) assess; clerks never."""
    return user.role in (Role.SUPERVISOR, Role.ADMIN) and (is_admin(user) or can_access_office(user, office.id))


def _score(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and as_int(value) is not None:
        value = as_int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError
    return value


def _comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > COMMENT_MAX or has_control_chars(value, multiline=True):
        raise ValueError
    return value.strip() or None


def save(office: Office, month: str, actor: User, rows: Mapping[int, Mapping[str, Any]],
         hardware: Mapping[str, Any] | None, now: datetime) -> int:
    """Save scores for several clerks of the office (clerk id -> {factor: score, factor_comment: text}).

    Every value is checked before anything is written; returns how many values changed.
    """
    if not may_assess(actor, office):
        raise Forbidden(_("Only a supervisor of this office may enter its assessments."))
    clerks = {c.id: c for c in office_clerks(office)}
    errors: dict[str, str] = {}
    clean: dict[int, dict[str, tuple[int | None, str | None, bool]]] = {}
    for clerk_id, raw in rows.items():
        if clerk_id not in clerks:
            errors[f"clerk-{clerk_id}"] = _("Not a clerk of office %(code)s.", code=office.code)
            continue
        # Only the factors given change (the grid sends them all; the API may send a few).
        values: dict[str, tuple[int | None, str | None, bool]] = {}
        for f in CLERK_FACTORS:
            if f not in raw and f"{f}_comment" not in raw:
                continue
            try:
                score = _score(raw.get(f))
            except ValueError:
                errors[f"{clerk_id}-{f}"] = _("A score is a whole number from 0 to 10.")
                continue
            try:
                comment = _comment(raw.get(f"{f}_comment"))
            except ValueError:
                errors[f"{clerk_id}-{f}_comment"] = _("At most %(n)d characters of text.", n=COMMENT_MAX)
                continue
            values[f] = (score, comment, f"{f}_comment" in raw)
        unknown = [k for k in raw if k not in CLERK_FACTORS and k.removesuffix("_comment") not in CLERK_FACTORS]
        for key in unknown:
            errors[f"{clerk_id}-{str(key)[:32]}"] = _("Unknown field.")
        clean[clerk_id] = values
    hw: tuple[int | None, str | None] | None = None
    if hardware is not None:
        try:
            hw = (_score(hardware.get("score")), _comment(hardware.get("comment")))
        except ValueError:
            errors["hardware"] = _("A score is a whole number from 0 to 10.")
    if errors:
        raise InvalidInput(_("Some scores are invalid; nothing was saved."), errors)

    changed = 0
    existing = {a.clerk_id: a for a in db.session.scalars(
        select(Assessment).where(Assessment.clerk_id.in_(list(clean)), Assessment.month == month))}
    for clerk_id, values in clean.items():
        a = existing.get(clerk_id)
        comments = json.loads(a.comments) if a and a.comments else {}
        if a is None:
            if all(score is None and not comment for score, comment, _given in values.values()):
                continue  # nothing typed for this clerk
            a = Assessment(clerk_id=clerk_id, office_id=office.id, month=month, updated_by_id=actor.id)
            db.session.add(a)
        for f, (score, comment, comment_given) in values.items():
            old_score, old_comment = getattr(a, f), comments.get(f)
            if not comment_given:
                comment = old_comment
            if (old_score, old_comment) == (score, comment):
                continue
            setattr(a, f, score)
            if comment:
                comments[f] = comment
            else:
                comments.pop(f, None)
            db.session.add(ScoreChange(office_id=office.id, clerk_id=clerk_id, month=month, factor=f,
                                       old_value=old_score, new_value=score, old_comment=old_comment,
                                       new_comment=comment, changed_by_id=actor.id, changed_at=now))
            changed += 1
        a.comments = json.dumps(comments, ensure_ascii=False) if comments else None
        a.updated_by_id = actor.id
        a.updated_at = now
    if hw is not None:
        changed += _save_hardware(office, month, actor, hw, now)
    db.session.flush()
    return changed


def _save_hardware(office: Office, month: str, actor: User, hw: tuple[int | None, str | None],
                   now: datetime) -> int:
    score, comment = hw
    row = db.session.get(HardwareScore, (office.id, month))
    old = (row.score, row.comment) if row else (None, None)
    if old == (score, comment):
        return 0
    if score is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(HardwareScore(office_id=office.id, month=month, score=score, comment=comment,
                                     updated_by_id=actor.id, updated_at=now))
    else:
        row.score, row.comment, row.updated_by_id, row.updated_at = score, comment, actor.id, now
    db.session.add(ScoreChange(office_id=office.id, clerk_id=None, month=month, factor="hardware",
                               old_value=old[0], new_value=score, old_comment=old[1], new_comment=comment,
                               changed_by_id=actor.id, changed_at=now))
    return 1
