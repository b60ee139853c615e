"""The workflow table is the single source: the API description and allowed events follow it."""

from __future__ import annotations

import re

from complaints.domain import Role, State
from complaints.workflow import BY_EVENT, EVENTS, TRANSITIONS, allowed_events, events_from

DESIGN_ROLES = {  # DESIGN.md's table, who may fire what
    "log": {"clerk", "supervisor", "admin"}, "triage": {"supervisor", "admin"}, "reject": {"supervisor", "admin"},
    "request_info": {"supervisor", "admin"}, "info_received": {"clerk", "supervisor", "admin"},
    "resolve": {"supervisor", "admin"}, "follow_up": {"clerk", "supervisor", "admin"},
    "verify_commendation": {"supervisor", "admin"},  # issue 14: commendations (表扬)
    "reopen": {"supervisor", "admin"},
    "withdraw_commendation": {"supervisor", "admin"},  # a verification made by mistake
    # events that keep the state
    "add_note": {"clerk", "supervisor", "admin"}, "contact_customer": {"clerk", "supervisor", "admin"},
    "reassign": {"supervisor", "admin"},
    # regulator appeals and compensation (issue 13); above the cap only an admin approves
    "record_verdict": {"supervisor", "admin"}, "link_appeal": {"supervisor", "admin"},
    "approve_compensation": {"supervisor", "admin"}, "approve_compensation_over_cap": {"admin"},
    "pay_compensation": {"supervisor", "admin"}, "refuse_compensation": {"supervisor", "admin"},
}
NOT_REJECTED = set(State) - {State.REJECTED}
KEEP_STATE = {"add_note": set(State), "contact_customer": set(State),
              "reassign": {State.TRIAGED, State.AWAITING_CUSTOMER},
              "record_verdict": {State.RESOLVED, State.CLOSED}, "link_appeal": NOT_REJECTED,
              "approve_compensation": NOT_REJECTED, "approve_compensation_over_cap": NOT_REJECTED,
              "pay_compensation": NOT_REJECTED, "refuse_compensation": NOT_REJECTED}


def test_table_matches_the_design():
    assert {t.event: {r.value for r in t.roles} for t in TRANSITIONS} == DESIGN_ROLES
    reachable = {t.target for t in TRANSITIONS if t.target} | {t.branch.target for t in TRANSITIONS if t.branch}
    assert reachable == set(State)
    assert BY_EVENT["reopen"].windows == BY_EVENT["withdraw_commendation"].windows == {State.CLOSED: 30}
    # A rejected ticket is final: only notes and contacts, which keep its state.
    assert {t.event for t in events_from(State.REJECTED)} == {"add_note", "contact_customer"}
    assert {t.event: set(t.sources) for t in TRANSITIONS if t.keeps_state} == KEEP_STATE


def test_openapi_describes_every_event_field_and_api_route(app, world, api):
    spec = api(world.clerk_a).get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for event in EVENTS:
        props = schemas[f"Event_{event}"]["properties"]
        assert set(props) == {"event", "version", *BY_EVENT[event].field_names()}, event
        for f in BY_EVENT[event].fields:
            if f.choices:
                assert props[f.name]["enum"] == [m.value for m in f.choices], (event, f.name)
    assert set(schemas["LogTicket"]["properties"]) == set(BY_EVENT["log"].field_names())
    documented = {re.sub(r"\{[^}]+\}", "X", p) for p in spec["paths"]}
    routes = {re.sub(r"<[^>]+>", "X", r.rule.removeprefix("/api/v1")) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1") and not r.rule.endswith("openapi.json")}
    assert routes == documented


def test_allowed_events_follow_role_state_and_scope(world, make_ticket):
    from datetime import UTC, datetime

    t = make_ticket()
    now = datetime.now(UTC)
    assert [e.event for e in allowed_events(t, world.sup_a, now)] == ["triage", "reject", "add_note",
                                                                      "contact_customer"]
    assert [e.event for e in allowed_events(t, world.clerk_a, now)] == ["add_note", "contact_customer"]
    assert allowed_events(t, world.sup_b, now) == []  # another office
    assert [e.event for e in allowed_events(t, world.admin, now)] == ["triage", "reject", "add_note",
                                                                      "contact_customer"]
    assert all(world.admin.role in e.roles or e.roles == frozenset(Role) for e in allowed_events(t, world.admin, now))


def test_the_description_lists_the_400_every_path_can_give(app, world, api):
    """A NUL byte in the query string is a 400 on every API path: the OpenAPI must say so."""
    client = api(world.sup_a)
    spec = client.get("/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert "400" in op["responses"], (method, path)
    for path in ("/tickets", "/workflow", "/offices", "/scorecards", "/sla-policies"):
        resp = client.get(path + "?x=%00")
        assert resp.status_code == 400 and resp.get_json()["error"], path
