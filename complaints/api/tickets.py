from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..database import commit_keep_loaded
from ..extensions import db
from ..tickets import operations, queries
from ..tickets.appeals import appeal_refs
from ..tickets.serialize import ticket_to_dict
from ..workflow import TRANSITIONS
from . import api_user, bp, json_body


@bp.get("/tickets")
def list_tickets():
    user = api_user()
    f = queries.parse_filters(request.args)
    now = clock.now()
    rows, total, more = queries.queue(user, f, now)
    escalated = appeal_refs(t.id for t in rows)  # one query for the page
    return jsonify({
        "tickets": [ticket_to_dict(t, user, now, history=False, appeals=escalated.get(t.id, [])) for t in rows],
        "page": f.page,
        "per_page": f.per_page,
        "total": total,
        "total_is_lower_bound": more,  # past queries.COUNT_CAP matches the count stops
    })


@bp.post("/tickets")
def create_ticket():
    """Log a ticket (201). With an ``Idempotency-Key`` header, the same key from the same user within
    24 hours answers 200 with the ticket the first request logged instead of logging another."""
    user = api_user()
    now = clock.now()
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        key = operations.check_idempotency_key(key)
        first = operations.ticket_for_key(user, key, now)
        if first is not None:
            return _logged(first, user, 200)
    try:
        ticket = operations.log_ticket(user, json_body(), now=now, idempotency_key=key)
        commit_keep_loaded()
    except IntegrityError:
        db.session.rollback()  # the same key at the same moment: the other request's ticket is the one
        first = operations.ticket_for_key(user, key, now) if key is not None else None
        if first is None:
            raise
        return _logged(first, user, 200)
    return _logged(ticket, user, 201)


def _logged(ticket, user, status: int):  # noqa: ANN001, ANN202
    # 201: logged by this request, so nothing has escalated it yet (no query to find that out).
    body = ticket_to_dict(ticket, user, clock.now(), appeals=[] if status == 201 else None)
    return jsonify(body), status, {"Location": url_for("api.get_ticket", ref=ticket.ref)}


@bp.get("/tickets/<ref>")
def get_ticket(ref: str):
    user = api_user()
    return jsonify(ticket_to_dict(queries.get_ticket(ref, user), user, clock.now()))


@bp.post("/tickets/<ref>/events")
def fire(ref: str):
    user = api_user()
    ticket = queries.get_ticket(ref, user)
    body = json_body()
    event = body.pop("event", None)
    version = body.pop("version", None)
    operations.fire_event(ticket, user, event, body, version=version, now=clock.now())
    commit_keep_loaded()
    return jsonify(ticket_to_dict(ticket, user, clock.now()))


@bp.get("/workflow")
def workflow():
    return jsonify({
        "transitions": [
            {
                "event": t.event,
                "from": [s.value if s else None for s in t.sources],
                "to": t.target.value if t.target else None,  # None: the event keeps the state
                "keeps_state": t.keeps_state,
                "roles": sorted(r.value for r in t.roles),
                "fields": [
                    {"name": f.name, "type": f.type, "required": f.required,
                     "required_when": list(f.required_when) if f.required_when else None,
                     "not_when": list(f.not_when) if f.not_when else None,
                     "default": f.default}
                    for f in t.fields
                ],
                "branch": (
                    {"field": t.branch.field, "value": t.branch.value,
                     "to": t.branch.target.value} if t.branch else None
                ),
                "windows_days": {s.value: d for s, d in t.windows.items()},
            }
            for t in TRANSITIONS
        ]
    })
