"""`flask --app complaints backup` and `restore`: every row comes back, on either backend, and the
restored application carries on (new tickets get new references and ids)."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import create_engine, select, text

from complaints import create_app
from complaints.extensions import db
from tests.conftest import PASSWORD, _migrate, _pg_url, _reset_pg_schema, complaint_body


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, as the application reads them, in primary-key order."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
        db.session.remove()
        db.engine.dispose()
    return out


@pytest.fixture
def filled(app, world, api, make_ticket):
    """A database with tickets in several states, history, SLA clocks, outbox mail and search terms."""
    clerk = api(world.clerk_a)
    for i in range(3):
        assert clerk.post("/tickets", json=complaint_body(description=f"第{i}次：营业员态度生硬")).status_code == 201
    from datetime import UTC, datetime

    from complaints.tickets.operations import fire_event

    now = datetime.now(UTC)
    t = make_ticket(kind="error")
    fire_event(t, world.sup_a, "triage", {"severity": "low", "category": "delay", "assignee": world.sup_a.email},
               version=t.version, now=now)
    fire_event(t, world.sup_a, "resolve", {"resolution": "已处理", "finding": "substantiated", "root_cause": "skill",
                                           "attributed_clerk": world.clerk_a.email}, version=t.version, now=now)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    db.session.commit()
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        _migrate(url)
        yield url
        return
    if not _pg_url():
        pytest.skip("TEST_DATABASE_URL not set")
    base = _pg_url()
    name = base.rsplit("/", 1)[1] + "_restore"  # beside this run's database, as its own

    def admin(sql: str) -> None:
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    _reset_pg_schema(url)
    _migrate(url)
    yield url
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # no scratch database left behind


def test_backup_then_restore_gives_back_every_row(filled, database_url, target_url, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    result = filled.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and out.exists()
    before = _snapshot(database_url)
    assert len(before["tickets"]) == 5 and before["search_terms"] and before["ticket_events"] and before["deadlines"]

    target = create_app("testing", {"SQLALCHEMY_DATABASE_URI": target_url})
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    assert _snapshot(target_url) == before

    # The restored database carries on: sign in, log a ticket, get the next reference and id.
    with target.app_context():
        client = target.test_client()
        assert client.post("/login", data={"email": "clerk.a@example.com", "password": PASSWORD}).status_code == 302
        from complaints.auth.tokens import issue_token
        from complaints.models import Ticket, User

        clerk = db.session.scalar(select(User).where(User.email == "clerk.a@example.com"))
        from datetime import UTC, datetime

        token = issue_token(clerk, datetime.now(UTC))
        db.session.commit()
        resp = client.post("/api/v1/tickets", json=complaint_body(), headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 201, resp.get_json()
        new = db.session.scalar(select(Ticket).where(Ticket.ref == resp.get_json()["ref"]))
        assert new.id == max(t[0] for t in before["tickets"]) + 1
        assert resp.get_json()["ref"] not in {row[1] for row in before["tickets"]}
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_non_empty_database_a_truncated_file_and_junk(filled, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    runner = filled.test_cli_runner()
    assert runner.invoke(args=["backup", str(out)]).exit_code == 0
    result = runner.invoke(args=["restore", str(out)])  # into the database it came from
    assert result.exit_code != 0 and "not empty" in result.output

    lines = gzip.open(out, "rt", encoding="utf-8").read().splitlines()
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[:-3]) + "\n")
    junk = tmp_path / "junk.jsonl.gz"
    junk.write_bytes(b"not a backup at all")
    empty_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    _migrate(empty_url)
    target = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_url})
    with target.app_context():
        r = target.test_cli_runner()
        result = r.invoke(args=["restore", str(cut)])
        assert result.exit_code != 0 and "incomplete" in result.output
        result = r.invoke(args=["restore", str(junk)])
        assert result.exit_code != 0 and "not a readable backup" in result.output
        db.engine.dispose()
    assert all(not rows for rows in _snapshot(empty_url).values())  # nothing half restored
