from tests.conftest import complaint_body


def test_log_and_triage_through_api(api, world):
    clerk = api(world.clerk_a)
    resp = clerk.post("/tickets", json=complaint_body())
    assert resp.status_code == 201, resp.json
    ref = resp.json["ref"]
    assert ref.startswith("C-") and resp.json["state"] == "new"
    assert resp.json["customer_phone"] == "13812345678"  # the clerk who logged it may have to call
    sup = api(world.sup_a)
    resp = sup.post(f"/tickets/{ref}/events", json={
        "event": "triage", "version": 1, "severity": "high", "category": "counter",
        "assignee": world.sup_a.email})
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "triaged" and resp.json["version"] == 2
    assert [h["event"] for h in resp.json["history"]] == ["log", "triage"]
