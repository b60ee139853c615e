"""Volumes: items handled per office and month, on the grid, from CSV, through the API, and summed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.models import OfficeVolume
from complaints.volumes import operations as ops

YEAR = 2025  # a whole year in the past: every month may be entered


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


def _figures() -> dict[tuple[str, str], int]:
    db.session.expire_all()
    from complaints.models import Office

    rows = db.session.execute(select(Office.code, OfficeVolume.month, OfficeVolume.items)
                              .join(Office, Office.id == OfficeVolume.office_id))
    return {(code, ops.month_text(month)): items for code, month, items in rows}


def _cell(office, month: int) -> str:  # noqa: ANN001
    return f"v-{office.id}-{month:02d}"


def _upload(client, text: str | bytes, year: int = YEAR):  # noqa: ANN001
    data = text.encode("utf-8") if isinstance(text, str) else text
    # The multipart body built here, in memory: the test client spools a large one to a file it leaves open.
    boundary = "volumes-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"import-file\"; filename=\"volumes.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/volumes/import?year={year}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


# -- the grid ---------------------------------------------------------------------------------

def test_grid_shows_the_offices_in_scope_and_saves(world, login, en):
    client = login(world.sup_a)
    page = client.get(f"/volumes?year={YEAR}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "SH-0101" in text and "SH-0102" not in text
    assert 'class="scroll-x"' in text and text.count('name="v-') == 12
    resp = client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "1,234,567",
                                                      _cell(world.office_a, 2): " 2000 ",
                                                      _cell(world.office_a, 3): ""})
    assert resp.status_code == 302
    assert _figures() == {("SH-0101", "2025-01"): 1234567, ("SH-0101", "2025-02"): 2000}
    row = db.session.get(OfficeVolume, (world.office_a.id, date(2025, 1, 1)))
    assert row.updated_by_id == world.sup_a.id
    assert "1234567" in client.get(f"/volumes?year={YEAR}").get_data(as_text=True)
    # A blank cell removes the figure; a cell left out of the post is left alone.
    client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): ""})
    assert _figures() == {("SH-0101", "2025-02"): 2000}


def test_admin_sees_every_office(world, login, en):
    text = login(world.admin).get(f"/volumes?year={YEAR}").get_data(as_text=True)
    assert "SH-0101" in text and "SH-0102" in text and text.count('name="v-') == 24


@pytest.mark.parametrize("bad", ["-5", "1.5", "12,34", "abc", "1000000000001", "1e6", "１２"])
def test_a_bad_cell_saves_nothing_and_is_named(world, login, en, bad):
    client = login(world.sup_a)
    client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "100"})
    resp = client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "999",
                                                      _cell(world.office_a, 2): bad})
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert f'id="{_cell(world.office_a, 2)}-error"' in text and "nothing was saved" in text
    assert f'value="{bad}"' in text  # what was typed is shown again
    assert _figures() == {("SH-0101", "2025-01"): 100}


def test_a_future_month_is_refused(world, login, en):
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's TIMEZONE in the tests
    if today.month == 12:
        pytest.skip("no month of this year is in the future in December")
    client = login(world.admin)
    resp = client.post(f"/volumes?year={today.year}", data={_cell(world.office_a, 12): "5"})
    assert resp.status_code == 422 and "Cannot be in the future" in resp.get_data(as_text=True)
    assert 'disabled' in client.get(f"/volumes?year={today.year}").get_data(as_text=True)
    assert _figures() == {}


def test_scope_of_the_grid(world, login, en):
    # A supervisor of another office cannot post figures of this one: the cells are not theirs.
    client = login(world.sup_b)
    resp = client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "100"})
    assert resp.status_code == 302 and _figures() == {}
    for clerk in (world.clerk_a, world.clerk_b):
        client = login(clerk)
        assert client.get(f"/volumes?year={YEAR}").status_code == 403
        assert client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "1"}).status_code == 403
        assert _upload(client, "office,month,items\nSH-0101,2025-01,1\n").status_code == 403
        assert client.get(f"/volumes/export.csv?year={YEAR}").status_code == 403
    assert _figures() == {}


def test_the_nav_links_the_page_for_supervisors_and_admins_only(world, login, en):
    assert "/volumes" in login(world.sup_a).get("/tickets").get_data(as_text=True)
    assert "/volumes" in login(world.admin).get("/tickets").get_data(as_text=True)
    assert 'href="/volumes' not in login(world.clerk_a).get("/tickets").get_data(as_text=True)


# -- CSV --------------------------------------------------------------------------------------

def test_csv_import_with_bom_and_crlf(world, login, en):
    client = login(world.admin)
    body = "\ufeffOffice,Month,Items\r\nSH-0101,2025-01,\"1,500\"\r\nsh-0102,2025-03,0\r\n\r\n"
    resp = _upload(client, body)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert _figures() == {("SH-0101", "2025-01"): 1500, ("SH-0102", "2025-03"): 0}
    # Without a BOM too, and a blank items removes the figure.
    assert _upload(client, "office,month,items\nSH-0101,2025-01,\nSH-0101,2025-02,7\n").status_code == 302
    assert _figures() == {("SH-0101", "2025-02"): 7, ("SH-0102", "2025-03"): 0}


def test_a_bad_csv_line_is_named_and_nothing_is_saved(world, login, en):
    client = login(world.sup_a)
    body = ("office,month,items\n"
            "SH-0101,2025-01,100\n"
            "SH-0101,2025-13,100\n"       # line 3: no such month
            "SH-0102,2025-02,100\n"       # line 4: not this supervisor's office
            "SH-0101,2025-04,-1\n"        # line 5: negative
            "SH-9999,2025-05,1\n"         # line 6: no such office
            "SH-0101,2025-01,200\n"       # line 7: the same office and month again
            "SH-0101,2025-06\n")          # line 8: a value short
    resp = _upload(client, body)
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    for line in (3, 4, 5, 6, 7, 8):
        assert f"Line {line}:" in text, line
    assert "Line 2:" not in text
    assert "You do not cover the office SH-0102" in text and "already on line 2" in text
    assert _figures() == {}


@pytest.mark.parametrize(("body", "needle"), [
    (b"SH-0101,2025-01,100\n", "Line 1:"),                          # no header row
    ("office,month,items\nSH-0101,2025-01,1\n".encode("gbk") + "上海".encode("gbk"), "Line 3:"),  # not UTF-8
    (b"office,month,items\n", "no figures"),
])
def test_csv_files_that_are_refused_whole(world, login, en, body, needle):
    resp = _upload(login(world.admin), body)
    assert resp.status_code == 422 and needle in resp.get_data(as_text=True)
    assert _figures() == {}


def test_csv_limits(world, login, en):
    client = login(world.admin)
    too_many = "office,month,items\n" + "SH-0101,2025-01,1\n" * (ops.CSV_MAX_LINES + 1)
    resp = _upload(client, too_many)
    assert resp.status_code == 422 and "too many lines" in resp.get_data(as_text=True)
    too_big = b"office,month,items\n" + b"#" * ops.CSV_MAX_BYTES
    resp = _upload(client, too_big)
    assert resp.status_code == 422 and "too large" in resp.get_data(as_text=True)
    assert _figures() == {}


def test_csv_download_round_trips(world, login, en):
    client = login(world.sup_a)
    client.post(f"/volumes?year={YEAR}", data={_cell(world.office_a, 1): "42"})
    resp = client.get(f"/volumes/export.csv?year={YEAR}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "office,month,items" and len(lines) == 13
    assert "SH-0101,2025-01,42" in lines and "SH-0101,2025-02," in lines
    assert "SH-0102" not in text
    edited = text.replace("SH-0101,2025-02,", "SH-0101,2025-02,43")
    assert _upload(client, edited.encode("utf-8")).status_code == 302
    assert _figures() == {("SH-0101", "2025-01"): 42, ("SH-0101", "2025-02"): 43}


# -- the API ----------------------------------------------------------------------------------

def test_api_round_trip(world, api):
    sup = api(world.sup_a)
    resp = sup.put("/volumes/SH-0101/2025-10", json={"items": 1_000_000})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"office": "SH-0101", "month": "2025-10", "items": 1_000_000}
    assert sup.get("/volumes?month=2025-10").get_json() == [
        {"office": "SH-0101", "month": "2025-10", "items": 1_000_000}]
    assert api(world.admin).get("/volumes?month=2025-10").get_json() == [
        {"office": "SH-0101", "month": "2025-10", "items": 1_000_000},
        {"office": "SH-0102", "month": "2025-10", "items": None}]
    assert api(world.admin).get("/volumes?month=2025-10&office=SH-0102").get_json() == [
        {"office": "SH-0102", "month": "2025-10", "items": None}]
    assert sup.put("/volumes/sh-0101/2025-10", json={"items": None}).status_code == 200
    assert _figures() == {}


@pytest.mark.parametrize(("body", "field"), [
    ({"items": -1}, "items"), ({"items": 1.5}, "items"), ({"items": "100"}, "items"), ({"items": True}, "items"),
    ({"items": 10**12 + 1}, "items"), ({}, "items"), ({"items": 1, "extra": 2}, "extra"),
])
def test_api_refuses_bad_input_per_field(world, api, body, field):
    resp = api(world.sup_a).put("/volumes/SH-0101/2025-10", json=body)
    assert resp.status_code == 422 and field in resp.get_json()["fields"], resp.get_json()
    assert _figures() == {}


def test_api_refuses_bad_months(world, api):
    sup = api(world.sup_a)
    for month in ("2025-13", "2025-1", "1999-12", "2999-01"):
        resp = sup.put(f"/volumes/SH-0101/{month}", json={"items": 1})
        assert resp.status_code == 422 and "month" in resp.get_json()["fields"], month
    assert sup.get("/volumes").status_code == 422
    assert sup.get("/volumes?month=soon").status_code == 422
    assert _figures() == {}


def test_api_scope(world, api):
    assert api(world.sup_b).put("/volumes/SH-0101/2025-10", json={"items": 1}).status_code == 403
    assert api(world.sup_b).get("/volumes?month=2025-10&office=SH-0101").status_code == 403
    assert api(world.sup_a).put("/volumes/XX-0000/2025-10", json={"items": 1}).status_code == 404
    assert api(world.sup_a).get("/volumes?month=2025-10&office=XX-0000").status_code == 404
    for clerk in (world.clerk_a, world.clerk_b):
        assert api(clerk).put("/volumes/SH-0101/2025-10", json={"items": 1}).status_code == 403
        assert api(clerk).get("/volumes?month=2025-10").status_code == 403
    assert _figures() == {}


def test_api_is_described(world, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/volumes" in spec["paths"] and "put" in spec["paths"]["/volumes/{office}/{month}"]


# -- the sum ----------------------------------------------------------------------------------

def test_items_handled_sums_offices_and_months_in_sql(world):
    now = datetime.now(UTC)
    a, b = world.office_a.id, world.office_b.id
    ops.set_figures(world.admin, {(a, date(2025, 1, 1)): 10**12, (a, date(2025, 2, 1)): 5,
                                  (a, date(2025, 4, 1)): 7, (b, date(2025, 2, 1)): 1000,
                                  (b, date(2024, 12, 1)): 3}, now)
    db.session.commit()
    assert ops.items_handled([a], date(2025, 1, 1), date(2025, 3, 1)) == 10**12 + 5
    assert ops.items_handled([a, b], date(2025, 2, 1), date(2025, 2, 1)) == 1005
    assert ops.items_handled([a, b], date(2024, 12, 15), date(2025, 12, 31)) == 10**12 + 1015  # any day of a month
    assert ops.items_handled([b], date(2026, 1, 1), date(2026, 6, 1)) == 0
    assert ops.items_handled([], date(2025, 1, 1), date(2025, 12, 1)) == 0
    assert isinstance(ops.items_handled([a], date(2025, 1, 1), date(2025, 1, 1)), int)
    assert db.session.scalar(select(func.count()).select_from(OfficeVolume)) == 5
