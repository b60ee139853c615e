"""SQLite with two processes writing at once: no write lost, no "database is locked" for the user.

WAL lets readers go on beside a writer, the busy timeout makes a second writer wait for the
first instead of failing, and every request is one short transaction. Two real processes
each log tickets and triage them through the JSON API (the Flask test client, so every
request goes through the whole stack) on one SQLite file, started together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from complaints import create_app
from complaints.admin.operations import create_office, create_user
from complaints.auth.tokens import issue_token
from complaints.extensions import db
from complaints.models import Ticket, TicketEvent
from tests.conftest import _migrate

PER_PROCESS = 60

WRITER = r"""
import json, sys
from complaints import create_app
from tests.conftest import complaint_body

token, sup_token, n, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = create_app()
client = app.test_client()
statuses, errors = [], []
for i in range(n):
    r = client.post("/api/v1/tickets", json=complaint_body(description=f"营业员态度生硬 {tag}-{i}"),
                    headers={"Authorization": f"Bearer {token}"})
    statuses.append(r.status_code)
    if r.status_code != 201:
        errors.append(r.get_data(as_text=True)[:300])
        continue
    body = r.get_json()
    r = client.post(f"/api/v1/tickets/{body['ref']}/events",
                    json={"event": "triage", "version": body["version"], "severity": "low", "category": "counter",
                          "assignee": "sup@example.com"},
                    headers={"Authorization": f"Bearer {sup_token}"})
    statuses.append(r.status_code)
    if r.status_code != 200:
        errors.append(r.get_data(as_text=True)[:300])
print(json.dumps({"statuses": statuses, "errors": errors}))
"""


def test_two_processes_writing_one_sqlite_file_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    _migrate(url)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        create_office("SH-0101", "上海徐汇营业部")
        clerk = create_user("clerk@example.com", "王芳", "clerk", ["SH-0101"], "correct-horse-1")
        sup = create_user("sup@example.com", "孙建国", "supervisor", ["SH-0101"], "correct-horse-1")
        token, sup_token = issue_token(clerk, datetime.now(UTC)), issue_token(sup, datetime.now(UTC))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "DATABASE_URL": url, "COMPLAINTS_ENV": "development", "INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": root}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, token, sup_token, str(PER_PROCESS), tag],  # noqa: S603
                              env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b")]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert "database is locked" not in err
        outputs.append(json.loads(out.strip().splitlines()[-1]))

    for result in outputs:
        assert result["errors"] == [] and len(result["statuses"]) == 2 * PER_PROCESS
    with app.app_context():
        descriptions = db.session.scalars(select(Ticket.description)).all()
        assert len(descriptions) == len(set(descriptions)) == 2 * PER_PROCESS
        assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.state == "triaged")) \
            == 2 * PER_PROCESS
        refs = db.session.scalars(select(Ticket.ref)).all()
        assert len(set(refs)) == 2 * PER_PROCESS  # the reference counter was never handed out twice
        assert db.session.scalar(select(func.count()).select_from(TicketEvent)) == 4 * PER_PROCESS
        journal = db.session.execute(db.text("PRAGMA journal_mode")).scalar()
        assert journal == "wal"
        db.session.remove()
        db.engine.dispose()
