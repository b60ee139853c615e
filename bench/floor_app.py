"""The floor for the intake bench: a minimal Flask app that stores the same ticket row with one INSERT.

No authentication, no validation, no workflow, no SLA clock, no search terms, no history:
only what any Flask + SQLAlchemy + psycopg 3 endpoint on this machine must pay. Served by
the same gunicorn, with the same workers, against the same database as the application.

    FLOOR_DATABASE_URL=postgresql+psycopg://... gunicorn -w 4 --chdir bench floor_app:app
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
# Only the floor's own server connects; bench/stack_floor.py imports the row and the INSERT.
_URL = os.environ.get("FLOOR_DATABASE_URL")
engine = create_engine(_URL, pool_pre_ping=True) if _URL else None
INSERT = text(
    "INSERT INTO tickets (ref, kind, channel, state, version, office_id, description, occurred_at, "
    "customer_name, customer_phone, involved_clerk_id, logged_by_id, created_at, updated_at) VALUES "
    "(:ref, 'complaint', :channel, 'new', 1, :office_id, :description, :occurred_at, :customer_name, "
    ":customer_phone, NULL, :logged_by_id, :now, :now) RETURNING id"
)


def floor_row(body: dict, office_id: int, user_id: int) -> dict:
    """The INSERT's parameters from a request body (no checks: the floor trusts its input)."""
    now = datetime.now(UTC)
    return {
        "ref": "F-" + uuid.uuid4().hex[:16], "channel": body["channel"], "office_id": office_id,
        "description": body["description"], "occurred_at": datetime.fromisoformat(body["occurred_at"]),
        "customer_name": body.get("customer_name"), "customer_phone": body.get("customer_phone"),
        "logged_by_id": user_id, "now": now,
    }


@app.post("/floor")
def floor():
    row = floor_row(request.get_json(), int(os.environ["FLOOR_OFFICE"]), int(os.environ["FLOOR_USER"]))
    with engine.begin() as conn:
        ticket_id = conn.execute(INSERT, row).scalar_one()
    return jsonify({"id": ticket_id, "ref": row["ref"]}), 201
