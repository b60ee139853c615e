"""Compensation (赔偿): stated at a substantiated resolve of a delay, loss or damage, then approved
(above COMPENSATION_CAP by an administrator only), paid with a date and a reference, or refused;
exact decimal yuan from the input to the totals per office and month.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from complaints.domain import Channel, CompensationBasis, CompensationStatus, Kind
from complaints.extensions import db
from complaints.models import Compensation, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


def fire(client, ref: str, event: str, version, **fields):  # noqa: ANN001, ANN201
    return client.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})


RESOLVE = {"resolution": "包裹在转运中心丢失，已查实", "outcome": "经查实包裹丢失，我们将按规定赔偿。",
           "finding": "substantiated", "root_cause": "responsibility"}
COMP = {"claimed_amount": "300.00", "offered_amount": "120.50", "compensation_basis": "uninsured"}


def triaged(world, api, make_ticket, category: str = "loss", office: str = "SH-0101") -> tuple[str, int]:  # noqa: ANN001
    actor = world.clerk_a if office == "SH-0101" else world.clerk_b
    ticket = make_ticket(actor=actor, office=office, category=category)
    sup = api(world.sup_a if office == "SH-0101" else world.sup_b)
    assignee = "sup.a@example.com" if office == "SH-0101" else "sup.b@example.com"
    r = fire(sup, ticket.ref, "triage", 1, severity="medium", category=category, assignee=assignee)
    assert r.status_code == 200, r.get_json()
    return ticket.ref, r.get_json()["version"]


def resolved(world, api, make_ticket, office: str = "SH-0101", **comp) -> tuple[str, dict]:  # noqa: ANN001
    ref, v = triaged(world, api, make_ticket, office=office)
    sup = api(world.sup_a if office == "SH-0101" else world.sup_b)
    r = fire(sup, ref, "resolve", v, **RESOLVE, **{**COMP, **comp})
    assert r.status_code == 200, r.get_json()
    return ref, r.get_json()


# -- stated at resolve --------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["delay", "loss", "damage"])
def test_required_at_a_substantiated_resolve_of_what_may_be_compensated(world, api, en, make_ticket, category):
    ref, v = triaged(world, api, make_ticket, category)
    sup = api(world.sup_a)
    r = fire(sup, ref, "resolve", v, **RESOLVE)
    assert r.status_code == 422
    assert r.get_json()["fields"] == {name: "This field is required." for name in COMP}
    assert sup.get(f"/tickets/{ref}").get_json()["compensation"] is None
    r = fire(sup, ref, "resolve", v, **RESOLVE, **COMP)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["compensation"] == {
        "claimed": "300.00", "offered": "120.50", "basis": "uninsured", "status": "offered", "approved_by": None,
        "approved_at": None, "paid_on": None, "payment_ref": None, "refused_reason": None,
        "created_at": r.get_json()["resolved_at"]}
    assert r.get_json()["history"][-1]["payload"]["offered_amount"] == "120.50"  # exact, as text


def test_not_required_when_unfounded_and_refused_for_other_categories(world, api, en, make_ticket):
    sup = api(world.sup_a)
    ref, v = triaged(world, api, make_ticket, "damage")
    unfounded = {**RESOLVE, "finding": "unfounded"}
    unfounded.pop("root_cause")
    r = fire(sup, ref, "resolve", v, **unfounded)
    assert r.status_code == 200 and r.get_json()["compensation"] is None

    ref, v = triaged(world, api, make_ticket, "counter")
    r = fire(sup, ref, "resolve", v, **RESOLVE, **COMP)
    assert r.status_code == 422
    assert r.get_json()["fields"] == {name: "Does not apply to this ticket." for name in COMP}
    r = fire(sup, ref, "resolve", v, **RESOLVE)
    assert r.status_code == 200 and r.get_json()["compensation"] is None
    assert "approve_compensation" not in r.get_json()["allowed_events"]
    r = fire(sup, ref, "approve_compensation", r.get_json()["version"])
    assert r.status_code == 409 and "no compensation" in r.get_json()["error"]


BAD_AMOUNTS = [
    "-1", "-0.01", -5,  # negative
    "1.005", "12.345", 1.005,  # three decimals
    0.1 + 0.2,  # a float's binary noise: 0.30000000000000004
    "abc", "12元", "1e3", "0x10", "", "  ", "1.2.3", "NaN", "Infinity",
    "10,000,001", "10000000.01", 10000001, "99999999999",  # above ten million yuan
    True, [], {"amount": 1},
]


@pytest.mark.parametrize("bad", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_refused_per_field(world, api, en, make_ticket, bad):
    ref, v = triaged(world, api, make_ticket)
    sup = api(world.sup_a)
    for field in ("claimed_amount", "offered_amount"):
        r = fire(sup, ref, "resolve", v, **RESOLVE, **{**COMP, field: bad})
        assert r.status_code == 422, (field, bad, r.get_json())
        fields = r.get_json()["fields"]
        assert set(fields) == {field}, fields
        if bad not in ("", "  "):
            assert "required" not in fields[field]
    body = sup.get(f"/tickets/{ref}").get_json()
    assert (body["version"], body["state"], body["compensation"]) == (v, "triaged", None)


@pytest.mark.parametrize(("given", "stored"), [
    ("120.50", "120.50"), ("120.5", "120.50"), (120.5, "120.50"), (88, "88.00"), ("0", "0.00"),
    ("¥1,234.5", "1234.50"), ("１２０．５０", "120.50"), ("10000000", "10000000.00"), ("10,000,000.00", "10000000.00"),
])
def test_good_amounts_are_kept_exactly(world, api, make_ticket, given, stored):
    _ref, body = resolved(world, api, make_ticket, offered_amount=given, claimed_amount=given)
    assert body["compensation"]["offered"] == body["compensation"]["claimed"] == stored
    db.session.expire_all()
    comp = db.session.query(Ticket).filter_by(ref=body["ref"]).one().compensation
    assert comp.offered == Decimal(stored)


# -- its course ----------------------------------------------------------------------------------


def test_above_the_cap_only_an_administrator_approves(world, api, en, make_ticket):
    ref, body = resolved(world, api, make_ticket, offered_amount="2000.01", claimed_amount="2500")
    assert body["compensation"]["status"] == "over_cap"
    sup = api(world.sup_a)
    v = body["version"]
    r = fire(sup, ref, "approve_compensation", v)
    assert r.status_code == 409
    assert "above the cap of 2000.00 yuan: only an administrator may approve it" in r.get_json()["error"]
    r = fire(sup, ref, "approve_compensation_over_cap", v)
    assert r.status_code == 403 and "Administrator" in r.get_json()["error"]
    assert sup.get(f"/tickets/{ref}").get_json()["compensation"]["status"] == "over_cap"
    assert "approve_compensation_over_cap" in api(world.admin).get(f"/tickets/{ref}").get_json()["allowed_events"]
    r = fire(api(world.admin), ref, "approve_compensation", v)  # the ordinary approval is not for it either
    assert r.status_code == 409
    r = fire(api(world.admin), ref, "approve_compensation_over_cap", v)
    assert r.status_code == 200, r.get_json()
    comp = r.get_json()["compensation"]
    assert (comp["status"], comp["approved_by"]) == ("approved", world.admin.email) and comp["approved_at"]

    # At the cap itself a supervisor approves; and the administrator cannot use the over-cap row there.
    ref, body = resolved(world, api, make_ticket, offered_amount="2000")
    assert body["compensation"]["status"] == "offered"
    r = fire(api(world.admin), ref, "approve_compensation_over_cap", body["version"])
    assert r.status_code == 409 and "within the cap" in r.get_json()["error"]
    r = fire(sup, ref, "approve_compensation", body["version"])
    assert r.status_code == 200 and r.get_json()["compensation"]["approved_by"] == world.sup_a.email


def test_the_cap_is_configured(app, world, api, make_ticket):
    app.config["COMPENSATION_CAP"] = "500"
    _ref, body = resolved(world, api, make_ticket, offered_amount="500.01")
    assert body["compensation"]["status"] == "over_cap"
    _ref, body = resolved(world, api, make_ticket, offered_amount="500")
    assert body["compensation"]["status"] == "offered"


def test_payment_needs_a_date_and_a_reference(world, api, en, make_ticket):
    ref, body = resolved(world, api, make_ticket)
    sup = api(world.sup_a)
    v = body["version"]
    r = fire(sup, ref, "pay_compensation", v, paid_on="2026-11-20", payment_ref="ZF-1")
    assert r.status_code == 409  # not approved yet
    v = fire(sup, ref, "approve_compensation", v).get_json()["version"]
    r = fire(sup, ref, "pay_compensation", v)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"paid_on", "payment_ref"}
    tomorrow = (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()
    r = fire(sup, ref, "pay_compensation", v, paid_on=tomorrow, payment_ref="ZF-1")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"paid_on"}
    r = fire(sup, ref, "pay_compensation", v, paid_on="20.11.2026", payment_ref="x" * 65)
    assert set(r.get_json()["fields"]) == {"paid_on", "payment_ref"}
    assert fire(api(world.clerk_a), ref, "pay_compensation", v, paid_on="2026-11-20",
                payment_ref="ZF-1").status_code == 403
    assert fire(api(world.sup_b), ref, "pay_compensation", v, paid_on="2026-11-20",
                payment_ref="ZF-1").status_code == 403
    r = fire(sup, ref, "pay_compensation", v, paid_on="2026-11-20", payment_ref="ZF-20261120-07")
    assert r.status_code == 200, r.get_json()
    comp = r.get_json()["compensation"]
    assert (comp["status"], comp["paid_on"], comp["payment_ref"]) == ("paid", "2026-11-20", "ZF-20261120-07")
    # Paid is final.
    r = fire(sup, ref, "refuse_compensation", r.get_json()["version"], reason="x")
    assert r.status_code == 409 and "Paid" in r.get_json()["error"]


def test_refusal_needs_a_reason(world, api, en, make_ticket):
    ref, body = resolved(world, api, make_ticket, offered_amount="5000")
    sup = api(world.sup_a)
    r = fire(sup, ref, "refuse_compensation", body["version"])
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"reason"}
    r = fire(sup, ref, "refuse_compensation", body["version"], reason="客户撤回索赔")
    assert r.status_code == 200
    comp = r.get_json()["compensation"]
    assert (comp["status"], comp["refused_reason"]) == ("refused", "客户撤回索赔")
    assert not {"approve_compensation", "approve_compensation_over_cap", "pay_compensation",
                "refuse_compensation"} & set(api(world.admin).get(f"/tickets/{ref}").get_json()["allowed_events"])


def test_another_office_sees_and_touches_nothing(world, api, make_ticket):
    ref, body = resolved(world, api, make_ticket)
    for user in (world.sup_b, world.clerk_b):
        assert api(user).get(f"/tickets/{ref}").status_code == 403
        assert fire(api(user), ref, "approve_compensation", body["version"]).status_code == 403
    assert ref not in str(api(world.sup_b).get("/tickets?compensation=offered").get_json())


def test_the_ticket_page_the_lists_and_the_filter(world, api, login, en, make_ticket):
    offered, _ = resolved(world, api, make_ticket, offered_amount="1234.5", claimed_amount="2000")
    over, _ = resolved(world, api, make_ticket, offered_amount="2500")
    web = login(world.sup_a)
    page = web.get(f"/tickets/{offered}").get_data(as_text=True)
    assert "¥1,234.50" in page and "¥2,000.00" in page and "Uninsured item rule" in page and "Offered" in page
    page = web.get(f"/tickets/{over}").get_data(as_text=True)
    assert "Above the cap: waiting for an administrator" in page

    sup = api(world.sup_a)
    assert [t["ref"] for t in sup.get("/tickets?compensation=over_cap").get_json()["tickets"]] == [over]
    r = sup.get("/tickets?compensation=lots")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"compensation"}
    assert over in web.get("/tickets?compensation=over_cap").get_data(as_text=True)

    rows = list(csv.reader(io.StringIO(web.get("/tickets/export.csv").data.decode("utf-8-sig"))))
    header, by_ref = rows[0], {r[0]: r for r in rows[1:]}
    cols = [header.index(n) for n in ("Compensation claimed (yuan)", "Compensation offered (yuan)",
                                      "Compensation status", "Compensation paid on")]
    assert [by_ref[offered][c] for c in cols] == ["2000.00", "1234.50", "Offered", ""]
    assert [by_ref[over][c] for c in cols][1:3] == ["2500.00", "Above the cap: waiting for an administrator"]


# -- totals per office and month --------------------------------------------------------------


def test_the_dashboard_and_the_api_give_this_months_totals(world, api, login, en, make_ticket):
    a, body = resolved(world, api, make_ticket, offered_amount="100.10")
    resolved(world, api, make_ticket, offered_amount="0.20")
    resolved(world, api, make_ticket, office="SH-0102", offered_amount="7")
    refused, rb = resolved(world, api, make_ticket, offered_amount="50")
    fire(api(world.sup_a), refused, "refuse_compensation", rb["version"], reason="客户撤回")
    sup = api(world.sup_a)
    v = fire(sup, a, "approve_compensation", body["version"]).get_json()["version"]
    today = datetime.now(SHANGHAI).date()
    assert fire(sup, a, "pay_compensation", v, paid_on=today.isoformat(), payment_ref="ZF-9").status_code == 200
    month = today.strftime("%Y-%m")

    assert sup.get(f"/compensation?month={month}").get_json() == {"month": month, "offices": [
        {"office": "SH-0101", "offered": "100.30", "paid": "100.10", "count_offered": 2, "count_paid": 1}]}
    assert api(world.admin).get("/compensation").get_json()["offices"][1] == {
        "office": "SH-0102", "offered": "7.00", "paid": "0.00", "count_offered": 1, "count_paid": 0}
    assert api(world.clerk_a).get("/compensation?office=SH-0101").status_code == 200
    assert api(world.clerk_b).get("/compensation?office=SH-0101").status_code == 403
    assert api(world.sup_b).get("/compensation?office=SH-0101").status_code == 403
    assert sup.get("/compensation?office=XX-9").status_code == 404
    r = sup.get("/compensation?month=2999-01")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"month"}

    page = login(world.sup_a).get("/").get_data(as_text=True)
    assert "¥100.30" in page and "¥100.10" in page and "Compensation offered this month" in page
    page = login(world.admin).get("/").get_data(as_text=True)
    assert "¥107.30" in page and "Compensation this month per office" in page
    assert "Regulator appeals and compensation" not in login(world.clerk_a).get("/").get_data(as_text=True)


# Offers stated around the turn of September, October and November, Shanghai time (UTC+8): a month is
# its office's, so 2026-09-30T16:00Z is already October there.
STATED = st.datetimes(min_value=datetime(2026, 9, 30, 12), max_value=datetime(2026, 10, 31, 20),
                      timezones=st.just(UTC))
PAID_ON = st.dates(min_value=date(2026, 9, 28), max_value=date(2026, 11, 3))
ROWS = st.lists(st.tuples(st.sampled_from([0, 1]), st.integers(0, 1_000_000_000), STATED,
                          st.sampled_from(list(CompensationStatus)), PAID_ON), max_size=12)


def test_totals_per_office_and_month_are_the_exact_sums_of_the_rows(app, world, api, backend):
    """Property, on each backend: the API's and the dashboard function's totals for a month are the sums,
    as Decimals, of the rows in it: offered by the office's month of the offer (refused ones left out),
    paid by the month of paid_on."""
    from complaints.dashboard.casework import compensation_by_office, offices_in_scope

    admin, sup = api(world.admin), api(world.sup_a)
    offices = [world.office_a, world.office_b]
    serial = iter(range(1, 10**6))

    @given(rows=ROWS)
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    def check(rows) -> None:  # noqa: ANN001
        try:
            for office, fen, stated, status, paid_on in rows:
                n = next(serial)
                ticket = Ticket(ref=f"C-2026-{n:06d}", kind=Kind.COMPLAINT, channel=Channel.COUNTER,
                                office_id=offices[office].id, description="包裹丢失", occurred_at=stated,
                                category="loss", logged_by_id=world.clerk_a.id, created_at=stated,
                                updated_at=stated)
                paid = status == CompensationStatus.PAID
                ticket.compensation = Compensation(
                    claimed=Decimal(fen) / 100, offered=Decimal(fen) / 100, basis=CompensationBasis.INSURED,
                    status=status, created_at=stated, updated_at=stated,
                    paid_on=paid_on if paid else None, payment_ref="ZF" if paid else None)
                db.session.add(ticket)
            db.session.commit()

            def expected(office: int) -> dict:
                offered = [Decimal(fen) / 100 for o, fen, stated, status, _p in rows if o == office
                           and stated.astimezone(SHANGHAI).strftime("%Y-%m") == "2026-10"
                           and status != CompensationStatus.REFUSED]
                paid = [Decimal(fen) / 100 for o, fen, _s, status, paid_on in rows if o == office
                        and status == CompensationStatus.PAID and (paid_on.year, paid_on.month) == (2026, 10)]
                return {"office": offices[office].code, "offered": f"{sum(offered, Decimal(0)):.2f}",
                        "paid": f"{sum(paid, Decimal(0)):.2f}", "count_offered": len(offered),
                        "count_paid": len(paid)}

            want = [expected(0), expected(1)]
            got = [r.as_json() for r in compensation_by_office(offices_in_scope(world.admin), "2026-10")]
            assert got == want
            assert admin.get("/compensation?month=2026-10").get_json()["offices"] == want
            assert sup.get("/compensation?month=2026-10").get_json()["offices"] == want[:1]
            assert admin.get("/compensation?month=2026-10&office=SH-0102").get_json()["offices"] == want[1:]
        finally:
            db.session.rollback()
            db.session.execute(delete(Compensation))
            db.session.execute(delete(Ticket))
            db.session.commit()

    check()


def test_the_openapi_describes_money_dates_emails_and_the_ticket_conditions(world, api):
    import re

    spec = api(world.clerk_a).get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    resolve = schemas["Event_resolve"]
    offered = resolve["properties"]["offered_amount"]
    assert offered["type"] == "string" and re.fullmatch(offered["pattern"], "120.50")
    assert not re.fullmatch(offered["pattern"], "1.005") and not re.fullmatch(offered["pattern"], "-1")
    assert resolve["properties"]["regulator_replied_on"]["format"] == "date"
    assert "`regulator_reply` only for tickets where is_appeal = true" in resolve["description"]
    assert "`offered_amount` only for tickets where compensation_open = true" in resolve["description"]
    assert "Only for tickets where is_appeal = true; verdict = none." in schemas["Event_record_verdict"]["description"]
    assert "compensation_status = over_cap" in schemas["Event_approve_compensation_over_cap"]["description"]
    log = schemas["LogTicket"]["properties"]
    assert log["customer_email"]["format"] == "email" and log["regulator_due"]["format"] == "date"
    ticket = schemas["Ticket"]["properties"]
    assert {"customer_consent", "customer_email", "outcome", "regulator_case", "regulator_due", "regulator_reply",
            "regulator_replied_on", "verdict", "verdict_at", "appeal_of", "appeals", "compensation"} <= set(ticket)
    money = schemas["Compensation"]["properties"]["offered"]
    assert money["pattern"] == offered["pattern"]
    params = {p["name"] for p in spec["paths"]["/tickets"]["get"]["parameters"]}
    assert {"appeal", "verdict", "compensation"} <= params
    assert set(spec["paths"]) >= {"/compensation", "/appeals"}
    # Every amount the API gives back matches the pattern it publishes.
    assert all(re.fullmatch(money["pattern"], v) for v in ("0.00", "10000000.00", "2000.01"))


def test_an_event_at_the_same_instant_as_the_last_still_moves_the_version(world, make_ticket):
    """An approval that changes only the compensation's row, fired at the very instant of the resolve
    (as a script or the demo does), is still a new version of the ticket: one per history event."""
    from complaints.tickets.operations import fire_event

    now = datetime.now(UTC)
    ticket = make_ticket(category="loss")
    fire_event(ticket, world.sup_a, "triage", {"severity": "low", "category": "loss",
                                                "assignee": world.sup_a.email}, version=1, now=now)
    fire_event(ticket, world.sup_a, "resolve", {**RESOLVE, **COMP}, version=2, now=now)
    db.session.commit()
    fire_event(ticket, world.sup_a, "approve_compensation", {}, version=3, now=now)
    db.session.commit()
    fire_event(ticket, world.sup_a, "add_note", {"note": "已电话告知客户"}, version=4, now=now)
    db.session.commit()
    db.session.expire_all()
    assert ticket.version == len(ticket.events) == 5
    assert ticket.compensation.status == CompensationStatus.APPROVED
