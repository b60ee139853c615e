"""The region tree through the API: read by supervisors (what they cover) and admins, changed by admins."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .. import clock
from ..authz import is_admin, regions_covered
from ..domain import Role
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import Office, Region, RegionLink
from ..regions import dashboard
from ..regions import operations as ops
from . import api_user, bp, json_body, require_admin


def _region_dict(r: Region, parent: str | None, offices: dict[int, int]) -> dict:
    return {"code": r.code, "name": r.name, "parent": parent, "offices": offices.get(r.id, 0)}


@bp.get("/regions")
def list_regions():
    """Every region for an admin; for a supervisor those they cover whole (authz.regions_covered)."""
    user = api_user()
    if user.role == Role.CLERK:
        raise Forbidden(_("Only supervisors and administrators read the region tree."))
    parent = aliased(Region)
    stmt = select(Region, parent.code).outerjoin(parent, parent.id == Region.parent_id).order_by(Region.code)
    if not is_admin(user):
        stmt = stmt.where(Region.id.in_(regions_covered(user)))
    rows = db.session.execute(stmt).all()
    ids = [r.id for r, _p in rows]
    below = dict(db.session.execute(
        select(RegionLink.ancestor_id, func.count(Office.id))
        .join(Office, Office.region_id == RegionLink.descendant_id)
        .where(RegionLink.ancestor_id.in_(ids)).group_by(RegionLink.ancestor_id)).all()) if ids else {}
    return jsonify({"regions": [_region_dict(r, parent_code, below) for r, parent_code in rows]})


@bp.post("/regions")
def create_region():
    require_admin()
    body = json_body()
    unknown = set(body) - {"code", "name", "parent"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    region = ops.create_region(body.get("code"), body.get("name"), body.get("parent"))
    db.session.commit()
    return jsonify({"code": region.code, "name": region.name, "parent": body.get("parent") or None,
                    "offices": 0}), 201


@bp.patch("/regions/<code>")
def patch_region(code: str):
    """Rename a region or move it (with everything below it) under another parent."""
    require_admin()
    region = ops.region_by_code(code)
    body = json_body()
    unknown = set(body) - {"name", "parent"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    parent = db.session.get(Region, region.parent_id) if region.parent_id else None
    ops.update_region(region, body.get("name", region.name), body.get("parent", parent.code if parent else None))
    db.session.commit()
    return get_region(region.code)


@bp.get("/regions/<code>")
def get_region(code: str):
    """The region's dashboard: totals and one line per region or office one level down."""
    user = api_user()
    if user.role == Role.CLERK:
        raise Forbidden(_("Only supervisors and administrators read the region tree."))
    region = ops.region_by_code(code)
    if not dashboard.may_see_region(user, region):
        raise Forbidden(_("You do not cover this region."))
    r = dashboard.rollup(region, clock.now(), dashboard.region_zone())

    def row(x: dashboard.Row) -> dict:
        return {"kind": x.kind, "code": x.code, "name": x.name, "offices": x.offices, "open": x.open,
                "overdue": x.overdue, "logged_this_month": x.logged, "complaints_this_month": x.complaints,
                "valid_appeals_this_month": x.valid_appeals}

    return jsonify({"code": region.code, "name": region.name, "path": [p.code for p in r.path],
                    "total": row(r.total), "below": [row(x) for x in r.rows]})
