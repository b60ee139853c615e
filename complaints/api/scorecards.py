"""GET /api/v1/scorecards?month=YYYY-MM&office=CODE: an office's month, as the scorecard page shows it."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..authz import can_access_office
from ..domain import Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Office
from ..scorecards import compute, months
from . import api_user, bp


@bp.get("/scorecards")
def scorecards():
    user = api_user()
    code = request.args.get("office")
    if not code:
        raise InvalidInput(_("The office is required."), {"office": _("This field is required.")})
    office = db.session.scalar(select(Office).where(Office.code == code[:32]))
    if office is None:
        raise NotFound(_("No office with this code."))
    if not can_access_office(user, office.id):
        raise Forbidden(_("You do not cover this office."))
    month = months.parse(request.args.get("month"), clock.now(), office.timezone)
    cards = compute.office_cards(office, month)
    clerk = user.role == Role.CLERK
    if clerk:  # clerks see their own card only
        cards = [c for c in cards if c.clerk.id == user.id]
    body = {
        "office": office.code,
        "month": month,
        "clerks": [{
            "clerk": c.clerk.email, "name": c.clerk.name, "factors": c.factors, "total": c.total, "rank": c.rank,
            "change": c.change, "assessed": c.assessed,
            "customer_gap": c.voice_gap, "follow_ups": c.voice_count,
            "complaint_points": c.complaint_points, "error_points": c.error_points,
        } for c in cards],
    }
    if not clerk:  # the office's summary, as its scorecard page shows it (clerks are not shown that page)
        body["negatives_by_root_cause"] = {
            (r.root_cause.value if r.root_cause else "unrecorded"): {"tickets": r.tickets, "points": r.points}
            for r in compute.by_root_cause(office, month)
            if r.root_cause or r.tickets  # "unrecorded" only when tickets judged before root causes exist
        }
    return jsonify(body)
