"""The Alembic migrations build the whole schema from nothing, and never drift from the models.

Each test gets an empty database of its own (a fresh SQLite file; on PostgreSQL a scratch
database created beside TEST_DATABASE_URL's and dropped after), so it never sees the
shared test database's state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from complaints import create_app
from complaints.extensions import db
from complaints.paths import resource_dir


def _scratch_pg_database(base_url: str) -> tuple[str, Callable[[], None]]:
    url = make_url(base_url)
    name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture
def empty_app(backend: str, database_url: str, tmp_path) -> Iterator[Flask]:
    """An app bound to an empty database of the current backend, inside an app context."""
    if backend == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        assert not path.exists()
        url, drop = f"sqlite:///{path}", (lambda: None)
    else:
        url, drop = _scratch_pg_database(database_url)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _model_tables() -> set[str]:
    return set(db.metadata.tables)


def _drift() -> list:
    """Autogenerate's diff between the live schema and the models, with env.py's settings."""
    conf = dict(current_app.extensions["migrate"].configure_args)
    conf.setdefault("compare_type", True)  # as migrations/env.py
    conf.setdefault("render_as_batch", True)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={**conf, "target_metadata": db.metadata})
        return compare_metadata(ctx, db.metadata)


def _head() -> str:
    from alembic.config import Config

    cfg = Config(str(resource_dir("migrations") / "alembic.ini"))
    cfg.set_main_option("script_location", str(resource_dir("migrations")))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_env_py_compares_types_like_this_test():
    # _drift() mirrors env.py's settings; if env.py changes them, this test must follow.
    env = (resource_dir("migrations") / "env.py").read_text()
    assert 'conf_args.setdefault("compare_type", True)' in env
    assert 'conf_args.setdefault("render_as_batch", True)' in env


def test_upgrade_from_empty_builds_every_table_without_drift(empty_app):
    assert _tables() == set()
    upgrade()
    assert _current_revision() == _head()
    assert _model_tables() <= _tables()
    assert _tables() - _model_tables() == {"alembic_version"}
    diff = _drift()
    assert diff == [], f"models and migrations drift apart: {diff}"
    # And alembic's own check, run through env.py exactly as `flask db check` would.
    check()


def test_downgrade_to_base_and_upgrade_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert _tables() - {"alembic_version"} == set()
    assert _current_revision() is None
    upgrade()
    assert _current_revision() == _head()
    assert _drift() == []


def test_queue_indexes_exist(empty_app):
    upgrade()
    insp = inspect(db.engine)
    tickets = {ix["name"]: ix["column_names"] for ix in insp.get_indexes("tickets")}
    # The queue filters by office and state and pages by id: these serve it.
    assert tickets["ix_tickets_office_state_id"] == ["office_id", "state", "id"]
    assert tickets["ix_tickets_state_id"] == ["state", "id"]
    assert tickets["ix_tickets_kind_id"] == ["kind", "id"]
    # Every index the models declare exists with the same columns.
    for table in db.metadata.sorted_tables:
        live = {ix["name"]: ix["column_names"] for ix in insp.get_indexes(table.name)}
        for ix in table.indexes:
            assert live.get(ix.name) == [c.name for c in ix.columns], (table.name, ix.name)


def _insert_ticket(conn, **over) -> None:
    now = datetime.now(UTC)
    row = {
        "ref": f"C-2026-{uuid.uuid4().int % 10**6:06d}", "kind": "complaint", "channel": "counter",
        "state": "new", "version": 1, "office_id": 1, "description": "x", "occurred_at": now,
        "logged_by_id": 1, "created_at": now, "updated_at": now,
        "expectation": None, "perception": None,
    }
    row.update(over)
    cols = ", ".join(row)
    params = ", ".join(f":{k}" for k in row)
    conn.execute(text(f"INSERT INTO tickets ({cols}) VALUES ({params})"), row)


def _fk_rows(conn) -> None:
    now = datetime.now(UTC)
    conn.execute(text("INSERT INTO offices (id, code, name, timezone, active, created_at) "
                      "VALUES (1, 'SH-0101', 'x', 'Asia/Shanghai', true, :now)"), {"now": now})
    conn.execute(text("INSERT INTO users (id, email, name, role, password_hash, active, created_at) "
                      "VALUES (1, 'a@example.com', 'a', 'clerk', 'x', true, :now)"), {"now": now})


@pytest.mark.parametrize(("column", "bad"), [
    ("state", "lost"), ("kind", "praise"), ("channel", "pigeon"), ("severity", "urgent"),
    ("version", 0), ("expectation", 6), ("perception", 0),
])
def test_check_constraints_reject_raw_sql(empty_app, column, bad):
    upgrade()
    with db.engine.begin() as conn:
        _fk_rows(conn)
        _insert_ticket(conn)  # the same row with good values is accepted
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_ticket(conn, **{column: bad})
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 1


def test_history_state_is_checked_too(empty_app):
    upgrade()
    with db.engine.begin() as conn:
        _fk_rows(conn)
        _insert_ticket(conn, id=1)
    now = datetime.now(UTC)
    sql = text("INSERT INTO ticket_events (ticket_id, seq, event, from_state, to_state, actor_id, payload, at) "
               "VALUES (1, :seq, 'log', NULL, :to, 1, '{}', :now)")
    with db.engine.begin() as conn:
        conn.execute(sql, {"seq": 1, "to": "new", "now": now})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sql, {"seq": 2, "to": "limbo", "now": now})
    # And one event per (ticket, seq): history cannot fork.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sql, {"seq": 1, "to": "new", "now": now})


def _two_offices_one_ticket_each(conn, now: datetime) -> None:  # noqa: ANN001
    """Offices 1 and 2 (and user 1), and tickets 1 and 2, one in each office."""
    _fk_rows(conn)
    conn.execute(text("INSERT INTO offices (id, code, name, timezone, active, created_at) "
                      "VALUES (2, 'SH-0102', 'y', 'Asia/Shanghai', true, :now)"), {"now": now})
    _insert_ticket(conn, id=1, office_id=1)
    _insert_ticket(conn, id=2, office_id=2)


def test_search_terms_get_their_tickets_office_when_upgraded(empty_app):
    """0006 copies each ticket's office onto the search terms written before it."""
    upgrade(revision="0005")
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        _two_offices_one_ticket_each(conn, now)
        conn.execute(text("INSERT INTO search_terms (ticket_id, term) VALUES (1, '包裹'), (2, '包裹'), (2, '丢失')"))
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT ticket_id, term, office_id FROM search_terms ORDER BY ticket_id, term")).all()
    assert sorted(rows) == sorted([(1, "包裹", 1), (2, "丢失", 2), (2, "包裹", 2)])
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # and it may not be left out any more
        conn.execute(text("INSERT INTO search_terms (ticket_id, term) VALUES (1, '丢失')"))


def test_case_file_carries_old_categories_over_to_category_and_root_cause(empty_app):
    """0007: an old factor category becomes the root cause of a substantiated ticket (hardware only
    where no clerk was attributed); the new category is counter for old attitude, else other."""
    upgrade(revision="0006")
    rows = {  # id: (state, old category, finding, attributed clerk) -> (category, root cause)
        1: (("new", None, None, None), ("other", None)),
        2: (("triaged", "attitude", None, None), ("counter", None)),
        3: (("rejected", "skill", None, None), ("other", None)),
        4: (("awaiting_customer", "management", None, None), ("other", None)),
        5: (("resolved", "attitude", "substantiated", 1), ("counter", "attitude")),
        6: (("resolved", "skill", "unfounded", None), ("other", None)),
        7: (("closed", "responsibility", "substantiated", 1), ("other", "responsibility")),
        8: (("closed", "hardware", "substantiated", None), ("other", "hardware")),
        9: (("resolved", "hardware", "substantiated", 1), ("other", None)),  # a clerk kept: not hardware
        10: (("closed", "highlights", "substantiated", None), ("other", None)),  # not a root cause
        11: (("resolved", "management", "substantiated", None), ("other", "management")),
        12: (("closed", "errors", "substantiated", 1), ("other", None)),
        13: (("closed", "attitude", "unfounded", None), ("counter", None)),
        14: (("triaged", "hardware", None, None), ("other", None)),
    }
    with db.engine.begin() as conn:
        _fk_rows(conn)
        for id_, ((state, category, finding, clerk), _want) in rows.items():
            _insert_ticket(conn, id=id_, ref=f"C-2026-{id_:06d}", state=state, category=category,
                           finding=finding, attributed_clerk_id=clerk)
        # What hangs off the tickets must survive the tickets table being rebuilt (SQLite).
        conn.execute(text("INSERT INTO ticket_events (ticket_id, seq, event, from_state, to_state, actor_id, "
                          "payload, at) VALUES (5, 1, 'log', NULL, 'new', 1, '{}', :now)"), {"now": datetime.now(UTC)})
        conn.execute(text("INSERT INTO search_terms (ticket_id, office_id, term) VALUES (5, 1, '包裹')"))
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT ticket_id, event FROM ticket_events")).all() == [(5, "log")]
        assert conn.execute(text("SELECT ticket_id, term FROM search_terms")).all() == [(5, "包裹")]
    with db.engine.connect() as conn:
        got = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            text("SELECT id, category, root_cause, attributed_clerk_id FROM tickets"))}
    assert got == {id_: (*want, clerk) for id_, ((_s, _c, _f, clerk), want) in rows.items()}
    # The new rules hold for raw SQL too.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_ticket(conn, category="attitude")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_ticket(conn, state="resolved", category="other", finding="substantiated", root_cause="hardware",
                       attributed_clerk_id=1)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_ticket(conn, state="resolved", category="other", finding="substantiated", root_cause="luck")
    with db.engine.begin() as conn:  # the good rows beside them are accepted
        _insert_ticket(conn, id=100, state="resolved", category="loss", finding="substantiated",
                       root_cause="hardware")
        _insert_ticket(conn, id=101, state="resolved", category="counter", finding="substantiated",
                       root_cause="attitude", attributed_clerk_id=1)
        _insert_ticket(conn, id=102)  # no category given: other
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == len(rows) + 3
        assert conn.execute(text("SELECT category FROM tickets WHERE id = 102")).scalar_one() == "other"


def test_the_case_file_downgrades_with_tickets_in_it(empty_app):
    """0007 down with tickets that have no root cause (most): the old factor category comes back from
    the root cause, the rest get none, and the tickets' history survives the table copy."""
    upgrade(revision="0007")
    with db.engine.begin() as conn:
        _fk_rows(conn)
        _insert_ticket(conn, id=1, category="counter")  # no root cause
        _insert_ticket(conn, id=2, category="damage", state="resolved", finding="substantiated",
                       root_cause="skill", attributed_clerk_id=1)
        conn.execute(text("INSERT INTO ticket_events (ticket_id, seq, event, from_state, to_state, actor_id, "
                          "payload, at) VALUES (1, 1, 'log', NULL, 'new', 1, '{}', :now)"), {"now": datetime.now(UTC)})
    downgrade(revision="0006")
    assert _current_revision() == "0006"
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, category FROM tickets")).all())
        events = conn.execute(text("SELECT count(*) FROM ticket_events")).scalar_one()
    assert rows == {1: None, 2: "skill"} and events == 1
    upgrade()
    assert _current_revision() == _head()


def test_deadlines_get_their_tickets_office_when_upgraded(empty_app):
    """0014 copies each ticket's office onto the clocks started before it, and makes it required."""
    upgrade(revision="0013")
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        _two_offices_one_ticket_each(conn, now)
        for id_, ticket, clock in ((1, 1, "triage"), (2, 2, "triage"), (3, 2, "reply")):
            conn.execute(text("INSERT INTO deadlines (id, ticket_id, clock, cycle, severity, target_seconds, "
                              "escalate_seconds, always_open, started_at, consumed_seconds, next_level) "
                              "VALUES (:id, :ticket, :clock, 1, 'medium', 60, 60, false, :now, 0, 0)"),
                         {"id": id_, "ticket": ticket, "clock": clock, "now": now})
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, office_id FROM deadlines ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 1), (2, 2), (3, 2)]
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # and it may not be left out any more
        conn.execute(text("INSERT INTO deadlines (ticket_id, clock, cycle, severity, target_seconds, "
                          "escalate_seconds, always_open, started_at, consumed_seconds, next_level) "
                          "VALUES (1, 'resolve', 1, 'medium', 60, 60, false, :now, 0, 0)"), {"now": now})
    downgrade(revision="0013")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deadlines")).scalar_one() == 3


def test_the_open_tickets_index_names_the_open_states_and_queries_reach_it(empty_app):
    """0015's partial index is written with the same literals as the model's (a change of the open
    states must change both), and a region's open-ticket count reaches it: its states are sent as
    literals, which is what lets the planner match the index's predicate."""
    from alembic.config import Config
    from sqlalchemy import func, select

    from complaints.models import Ticket
    from complaints.models.ticket import OPEN_STATES_SQL, open_ticket

    cfg = Config(str(resource_dir("migrations") / "alembic.ini"))
    cfg.set_main_option("script_location", str(resource_dir("migrations")))
    module = ScriptDirectory.from_config(cfg).get_revision("0015").module
    assert module.OPEN == OPEN_STATES_SQL
    upgrade()
    stmt = select(Ticket.state, func.count()).where(Ticket.office_id.in_([1, 2]), open_ticket()).group_by(Ticket.state)
    sql = str(stmt.compile(db.engine, compile_kwargs={"render_postcompile": True}))
    assert "IN ('new', 'triaged', 'awaiting_customer', 'resolved')" in sql
    assert "office_id IN (?, ?)" in sql or "office_id IN (%(" in sql  # the rest stays bound
    if db.engine.dialect.name == "sqlite":
        # INDEXED BY fails ("no query solution") unless the WHERE clause provably implies the index's.
        forced = sql.replace("FROM tickets", "FROM tickets INDEXED BY ix_tickets_open_office")
        with db.engine.connect() as conn:
            conn.execute(text(forced.replace("?", "1")))
            with pytest.raises(OperationalError, match="no query solution"):  # the same states as parameters
                conn.execute(text(forced.replace("IN ('new', 'triaged', 'awaiting_customer', 'resolved')",
                                                 "IN (:a, :b, :c, :d)").replace("?", "1")),
                             {"a": "new", "b": "triaged", "c": "awaiting_customer", "d": "resolved"})
