"""SLA policies and reply policies through the API (administrators only)."""

from __future__ import annotations

from flask import jsonify

from .. import clock
from ..extensions import db
from ..sla import operations as ops
from ..sla.policies import all_policies, get_policy
from ..sla.policies import get_reply_policy as reply_policy
from . import bp, json_body, require_admin


@bp.get("/sla-policies")
def list_sla_policies():
    require_admin()
    return jsonify({"policies": [p.to_dict() for p in all_policies()]})


@bp.get("/sla-policies/<kind>/<severity>")
def get_sla_policy(kind: str, severity: str):
    require_admin()
    k, s = ops.parse_key(kind, severity)
    return jsonify(get_policy(k, s).to_dict())


@bp.put("/sla-policies/<kind>/<severity>")
def put_sla_policy(kind: str, severity: str):
    require_admin()
    k, s = ops.parse_key(kind, severity)
    policy = ops.set_policy(k, s, json_body(), clock.now())
    db.session.commit()
    return jsonify(policy.to_dict())


@bp.get("/reply-policies/<kind>/<channel>")
def get_reply_policy(kind: str, channel: str):
    require_admin()
    k, c = ops.parse_reply_key(kind, channel)
    return jsonify(reply_policy(k, c).to_dict())


@bp.put("/reply-policies/<kind>/<channel>")
def put_reply_policy(kind: str, channel: str):
    require_admin()
    k, c = ops.parse_reply_key(kind, channel)
    policy = ops.set_reply_policy(k, c, json_body(), clock.now())
    db.session.commit()
    return jsonify(policy.to_dict())
