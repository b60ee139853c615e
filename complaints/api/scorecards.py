"""GET /api/v1/scorecards?month=YYYY-MM&office=CODE: an office's month, as the scorecard page shows it;
with region=CODE instead, a region's month as its scorecard page shows it."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..authz import can_access_office
from ..domain import Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Office, User
from ..regions import tree
from ..scorecards import compute, months, regions
from . import api_user, bp


@bp.get("/scorecards")
def scorecards():
    user = api_user()
    if "region" in request.args:
        return _region_month(user)
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
    praised: dict[int, list[str]] = {}  # the evidence for highlights, by clerk
    for t in compute.commendations([c.clerk.id for c in cards], office, month):
        praised.setdefault(t.attributed_clerk_id, []).append(t.ref)
    body = {
        "office": office.code,
        "month": month,
        "clerks": [{
            "clerk": c.clerk.email, "name": c.clerk.name, "factors": c.factors, "total": c.total, "rank": c.rank,
            "change": c.change, "assessed": c.assessed,
            "customer_gap": c.voice_gap, "follow_ups": c.voice_count,
            "complaint_points": c.complaint_points, "error_points": c.error_points,
            "commendations": praised.get(c.clerk.id, []),
        } for c in cards],
    }
    if not clerk:  # the office's summary, as its scorecard page shows it (clerks are not shown that page)
        body["negatives_by_root_cause"] = {
            (r.root_cause.value if r.root_cause else "unrecorded"): {"tickets": r.tickets, "points": r.points}
            for r in compute.by_root_cause(office, month)
            if r.root_cause or r.tickets  # "unrecorded" only when tickets judged before root causes exist
        }
    return jsonify(body)


def _region_month(user: User) -> Response:
    """The region's offices and its best and weakest clerks (admins; supervisors covering all of it)."""
    if "office" in request.args:
        raise InvalidInput(_("Give an office or a region, not both."), {"region": _("Leave out the office.")})
    unit = tree.find_unit(request.args.get("region", ""))
    regions.require_viewer(user, unit)
    month = months.parse(request.args.get("month"), clock.now(), current_app.config["TIMEZONE"])
    card = regions.region_card(unit, month)

    def clerk(c: regions.ClerkRow) -> dict:
        return {"clerk": c.email, "name": c.name, "office": c.office_code, "total": c.total}

    return jsonify({
        "region": unit.code, "name": unit.name, "kind": unit.kind, "month": month,
        "offices": [{
            "office": o.code, "name": o.name, "clerks": o.clerks, "average_total": o.average_total,
            "negatives_by_root_cause": {c: {"tickets": o.negatives.get(c, 0), "points": o.points.get(c, 0)}
                                        for c in card.causes},
            "customer_gap": o.customer_gap, "follow_ups": o.follow_ups,
        } for o in card.offices],
        "best": [clerk(c) for c in card.best],
        "weakest": [clerk(c) for c in card.weakest],
    })
