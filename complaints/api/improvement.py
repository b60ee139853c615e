"""Improvement actions: GET /api/v1/improvement-actions?office=CODE[&clerk=EMAIL] and POST to record one.

Supervisors and administrators covering the office see its actions; a clerk sees their own only.
Recording: supervisors of the clerk's office and administrators (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..authz import can_access_office
from ..domain import Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..improvement import operations as ops
from ..improvement.results import OPEN, Result, results_for
from ..models import ImprovementAction, Office, User
from . import api_user, bp, json_body

LIST_LIMIT = 200
FIELDS = ("clerk", "factor", "action", "description", "review_month")


def _clerk_by_email(value: Any) -> User | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 254:
        return None
    user = db.session.scalar(select(User).where(User.email == value.strip().lower()))
    return user if user is not None and user.role == Role.CLERK and user.offices else None


@bp.get("/improvement-actions")
def list_improvement_actions():
    user = api_user()
    code = request.args.get("office")
    if not code:
        raise InvalidInput(_("The office is required."), {"office": _("This field is required.")})
    office = db.session.scalar(select(Office).where(Office.code == code.strip().upper()[:32]))
    if office is None:
        raise NotFound(_("No office with this code."))
    if not can_access_office(user, office.id):
        raise Forbidden(_("You do not cover this office."))
    stmt = select(ImprovementAction).where(ImprovementAction.office_id == office.id)
    email = request.args.get("clerk")
    clerk = _clerk_by_email(email) if email else None
    if email:
        if clerk is None or clerk.offices[0].id != office.id:
            raise NotFound(_("No such clerk in this office."))
        stmt = stmt.where(ImprovementAction.clerk_id == clerk.id)
    if user.role == Role.CLERK:  # clerks see their own actions only
        if clerk is not None and clerk.id != user.id:
            raise Forbidden(_("You may only see your own improvement actions."))
        stmt = stmt.where(ImprovementAction.clerk_id == user.id)
    rows = list(db.session.scalars(stmt.order_by(ImprovementAction.review_month.desc(), ImprovementAction.id.desc())
                                   .limit(LIST_LIMIT)))
    return jsonify({"office": office.code, "actions": _to_json(results_for(rows, clock.now()))})


@bp.post("/improvement-actions")
def create_improvement_action():
    user = api_user()
    body = json_body()
    unknown = {str(k)[:64]: _("Unknown field.") for k in body if k not in FIELDS}
    if unknown:
        raise InvalidInput(_("Some fields are missing or invalid; nothing was saved."), unknown)
    clerk = _clerk_by_email(body.get("clerk"))
    if clerk is None:
        raise InvalidInput(_("Some fields are missing or invalid; nothing was saved."), {"clerk": _("Unknown clerk.")})
    if not ops.may_record(user, clerk.offices[0]):  # before the other fields are judged
        raise Forbidden(_("Only a supervisor of this office may record improvement actions."))
    row = ops.record_action(user, clerk, body.get("factor"), body.get("action"), body.get("description"),
                            body.get("review_month"), clock.now())
    db.session.commit()
    return jsonify(_to_json(results_for([row], clock.now()))[0]), 201


def _to_json(results: list[Result]) -> list[dict[str, Any]]:
    ids = {r.action.created_by_id for r in results}
    authors = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all()) if ids else {}
    return [{
        "id": r.action.id, "clerk": r.clerk.email, "clerk_name": r.clerk.name, "office": r.office.code,
        "factor": r.action.factor.value, "action": r.action.action.value, "description": r.action.description,
        "start_month": r.action.start_month, "review_month": r.action.review_month,
        "created_by": authors.get(r.action.created_by_id),
        "created_at": r.action.created_at.isoformat() if r.action.created_at else None,
        "status": r.status,
        "before": {"month": r.before_month, "value": r.before, "tickets": r.tickets_before},
        "after": None if r.status == OPEN else {"month": r.action.review_month, "value": r.after,
                                                "tickets": r.tickets_after},
        "improved": r.improved, "fell": r.fell,
    } for r in results]

