"""Offices and users through the API (administrators only; offices are readable by all)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from ..admin import operations as ops
from ..authz import can_access_office, in_scope, is_admin
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import Office, User
from . import api_user, bp, json_body, require_admin


def office_to_dict(o: Office) -> dict:
    return {"code": o.code, "name": o.name, "timezone": o.timezone, "active": o.active,
            "phone": o.phone, "address": o.address, "region": o.region.code if o.region else None}


def user_to_dict(u: User) -> dict:
    return {
        "email": u.email, "name": u.name, "role": u.role.value, "active": u.active,
        "offices": [o.code for o in u.offices], "regions": [r.code for r in u.regions], "locale": u.locale,
    }


@bp.get("/offices")
def list_offices():
    user = api_user()
    stmt = select(Office).order_by(Office.code)
    if not is_admin(user):
        stmt = stmt.where(in_scope(Office.id, user))
    return jsonify({"offices": [office_to_dict(o) for o in db.session.scalars(stmt)]})


@bp.post("/offices")
def create_office():
    require_admin()
    body = json_body()
    unknown = set(body) - {"code", "name", "timezone", "phone", "address", "region"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    office = ops.create_office(body.get("code"), body.get("name"),
                               body.get("timezone", "Asia/Shanghai"),
                               phone=body.get("phone"), address=body.get("address"), region=body.get("region"))
    db.session.commit()
    return jsonify(office_to_dict(office)), 201


@bp.get("/offices/<code>")
def get_office(code: str):
    user = api_user()
    office = ops.office_by_code(code)
    if not can_access_office(user, office.id):
        raise Forbidden(_("You do not cover this office."))
    return jsonify(office_to_dict(office))


@bp.patch("/offices/<code>")
def patch_office(code: str):
    require_admin()
    office = ops.update_office(ops.office_by_code(code), json_body())
    db.session.commit()
    return jsonify(office_to_dict(office))


@bp.get("/users")
def list_users():
    require_admin()
    users = db.session.scalars(select(User).order_by(User.email))
    return jsonify({"users": [user_to_dict(u) for u in users]})


@bp.post("/users")
def create_user():
    require_admin()
    body = json_body()
    unknown = set(body) - {"email", "name", "role", "offices", "regions", "password", "locale"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    locale = body.get("locale")
    if locale not in (None, "zh_CN", "en"):
        raise InvalidInput(_("Some fields are missing or invalid."), {"locale": _("zh_CN or en.")})
    user = ops.create_user(body.get("email"), body.get("name"), body.get("role"),
                           body.get("offices", []), body.get("password"), locale,
                           regions=body.get("regions", []))
    db.session.commit()
    return jsonify(user_to_dict(user)), 201


@bp.get("/users/<email>")
def get_user(email: str):
    me = api_user()
    # Decide before the lookup, so that a non-admin cannot learn which emails exist.
    if not is_admin(me) and str(email).strip().lower() != me.email:
        raise Forbidden(_("Only administrators may read other users."))
    user = ops.user_by_email(email)
    return jsonify(user_to_dict(user))


@bp.patch("/users/<email>")
def patch_user(email: str):
    require_admin()
    user = ops.update_user(ops.user_by_email(email), json_body(), actor=api_user())
    db.session.commit()
    return jsonify(user_to_dict(user))


@bp.post("/users/<email>/password")
def reset_user_password(email: str):
    """Set the given password, or generate one and return it once."""
    require_admin()
    body = json_body()
    unknown = set(body) - {"password"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    user = ops.user_by_email(email)
    password = ops.reset_password(user, body.get("password"))
    db.session.commit()
    return jsonify({"email": user.email, "password": password})


@bp.post("/users/<email>/tokens/revoke")
def revoke_user_tokens(email: str):
    """Revoke every API token of the user (an administrator's own included, when it is theirs)."""
    require_admin()
    user = ops.user_by_email(email)
    count = ops.revoke_user_tokens(user)
    db.session.commit()
    return jsonify({"email": user.email, "revoked": count})
