"""Items handled per office and month: GET /api/v1/volumes and PUT /api/v1/volumes/OFFICE/YYYY-MM.

Supervisors the offices they cover, administrators every office; clerks are refused (403).
"""

from __future__ import annotations

from flask import jsonify, request

from .. import clock
from ..extensions import db
from ..volumes import operations as ops
from . import api_user, bp, json_body


@bp.get("/volumes")
def list_volumes():
    rows = ops.list_figures(api_user(), request.args.get("month"), request.args.get("office") or None, clock.now())
    return jsonify(rows)


@bp.put("/volumes/<office>/<month>")
def put_volume(office: str, month: str):
    user = api_user()
    ops.office_for(user, office)  # 403 / 404 before the body is read
    row = ops.put_figure(user, office, month, json_body(), clock.now())
    db.session.commit()
    return jsonify(row)
