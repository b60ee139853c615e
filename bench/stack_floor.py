"""The application's own request stack around the floor's one INSERT, for the intake bench.

`create_app()` in the production configuration, so every request pays what any API call of
the application pays before its domain work: the bearer-token check (token, user and offices
in one query), the JSON request log, the security headers, sessions, Babel, the limiter. The
endpoint then stores the same row as bench/floor_app.py with the same single INSERT. Between
the floor and the application it shows how much of the gap is the stack and how much is
logging a ticket (validation, reference, history, SLA clock, search terms).

    COMPLAINTS_ENV=production DATABASE_URL=... SECRET_KEY=... gunicorn -w 4 --chdir bench stack_floor:app
"""

from __future__ import annotations

from flask import g, jsonify, request
from floor_app import INSERT, floor_row

from complaints import create_app
from complaints.api import _authenticate
from complaints.extensions import csrf, db


def stack_floor():  # noqa: ANN201
    _authenticate()  # the API's bearer-token check, as for POST /api/v1/tickets
    user = g.api_user
    row = floor_row(request.get_json(), user.offices[0].id, user.id)
    ticket_id = db.session.execute(INSERT, row).scalar_one()
    db.session.commit()
    return jsonify({"id": ticket_id, "ref": row["ref"]}), 201


app = create_app()
app.add_url_rule("/bench/stack-floor", view_func=csrf.exempt(stack_floor), methods=["POST"])
