"""Regions: the tree and its closure table, the CSV import, scope through a region (pages, API,
search, reminders), the region dashboard and the admin pages."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from complaints.admin.operations import create_office, create_user
from complaints.authz import can_access_office, office_scope
from complaints.errors import Conflict, InvalidInput
from complaints.extensions import db
from complaints.models import Office, Region, RegionLink
from complaints.regions import operations as ops
from complaints.regions import tree
from complaints.regions.dashboard import rollup
from complaints.sla.scan import office_supervisors
from tests.conftest import PASSWORD, complaint_body


def links() -> set[tuple[str, str, int]]:
    codes = dict(db.session.execute(select(Region.id, Region.code)).all())
    return {(codes[a], codes[d], n) for a, d, n in db.session.execute(
        select(RegionLink.ancestor_id, RegionLink.descendant_id, RegionLink.depth)).all()}


def closure_from_parents() -> set[tuple[str, str, int]]:
    """The closure written out from parent_id alone: what the table must hold."""
    regions = {r.id: r for r in db.session.scalars(select(Region))}
    out = set()
    for r in regions.values():
        up, depth = r, 0
        while up is not None:
            out.add((up.code, r.code, depth))
            up, depth = regions.get(up.parent_id), depth + 1
    return out


@pytest.fixture
def shanghai(world):
    """上海市 → 徐汇区 (SH-0101), 静安区 (SH-0102); 北京市 → 东城区 (BJ-0001); a supervisor of 上海市."""
    sh = tree.add_region("SH", "上海市", None)
    xh = tree.add_region("SH-XH", "徐汇区", sh)
    ja = tree.add_region("SH-JA", "静安区", sh)
    bj = tree.add_region("BJ", "北京市", None)
    dc = tree.add_region("BJ-DC", "东城区", bj)
    world.office_a.region_id = xh.id
    world.office_b.region_id = ja.id
    bj_office = create_office("BJ-0001", "北京东城营业部", region="BJ-DC")
    city = create_user("city@example.com", "赵经理", "supervisor", [], PASSWORD, regions=["SH"])
    district = create_user("xh@example.com", "钱主管", "supervisor", [], PASSWORD, regions=["SH-XH"])
    bj_clerk = create_user("clerk.bj@example.com", "周敏", "clerk", ["BJ-0001"], PASSWORD)
    db.session.commit()
    return dict(sh=sh, xh=xh, ja=ja, bj=bj, dc=dc, bj_office=bj_office, city=city, district=district,
                bj_clerk=bj_clerk)


def test_the_closure_table_follows_every_change_of_the_tree(shanghai):
    assert links() == closure_from_parents()
    assert ("SH", "SH-XH", 1) in links() and ("BJ", "BJ-DC", 1) in links()
    # Move 徐汇区 under 北京市 (with a district below it), then back to the top.
    sub = tree.add_region("SH-XH-1", "徐家汇街道", shanghai["xh"])
    tree.move_region(shanghai["xh"], shanghai["bj"])
    assert links() == closure_from_parents()
    assert ("BJ", "SH-XH-1", 2) in links() and ("SH", "SH-XH-1", 2) not in links()
    tree.move_region(shanghai["xh"], None)
    assert links() == closure_from_parents() and sub.parent_id == shanghai["xh"].id
    with pytest.raises(Conflict):
        tree.move_region(shanghai["xh"], sub)  # below itself
    with pytest.raises(Conflict):
        tree.delete_region(shanghai["xh"])  # has a region and an office below it


def test_offices_below_a_region_at_any_depth(shanghai, world):
    below = set(db.session.scalars(tree.offices_below(shanghai["sh"].id)))
    assert below == {world.office_a.id, world.office_b.id}
    assert set(db.session.scalars(tree.offices_below(shanghai["xh"].id))) == {world.office_a.id}
    assert set(db.session.scalars(office_scope(shanghai["city"]))) == {world.office_a.id, world.office_b.id}
    assert set(db.session.scalars(office_scope(world.sup_a))) == {world.office_a.id}
    supervisors = {u.email for u in office_supervisors(world.office_a.id)}
    assert supervisors == {"sup.a@example.com", "city@example.com", "xh@example.com"}
    assert {u.email for u in office_supervisors(shanghai["bj_office"].id)} == set()


def test_a_region_supervisor_covers_offices_added_later(shanghai):
    later = create_office("SH-0199", "上海新开营业部", region="SH-JA")
    db.session.commit()
    assert can_access_office(shanghai["city"], later.id)
    assert not can_access_office(shanghai["district"], later.id)


def test_moving_an_office_changes_scope_at_once_for_pages_api_and_search(shanghai, world, make_ticket, login, api):
    ticket = make_ticket(actor=world.clerk_a, description="营业员态度生硬，包裹破损。")
    ref = ticket.ref
    district = shanghai["district"]  # 徐汇区's supervisor: SH-0101 is below it
    client = login(district)
    assert client.get(f"/tickets/{ref}").status_code == 200
    assert ref in client.get("/tickets").text
    assert ref in client.post("/search", data={"q": "破损"}).text
    assert api(district).get(f"/tickets/{ref}").status_code == 200
    assert ref in {t["ref"] for t in api(district).get("/tickets").get_json()["tickets"]}

    # The admin moves SH-0101 to 静安区 through the office page.
    admin = login(world.admin)
    moved = admin.post("/admin/offices/SH-0101", data={"name": "上海徐汇营业部", "timezone": "Asia/Shanghai",
                                                        "region": "SH-JA", "active": "y"})
    assert moved.status_code == 302
    assert db.session.get(Office, world.office_a.id).region_id == shanghai["ja"].id

    client = login(district)
    assert client.get(f"/tickets/{ref}").status_code == 403
    assert ref not in client.get("/tickets").text
    assert ref not in client.post("/search", data={"q": "破损"}).text
    assert api(district).get(f"/tickets/{ref}").status_code == 403
    assert ref not in {t["ref"] for t in api(district).get("/tickets").get_json()["tickets"]}
    # The city's supervisor still covers it: 静安区 is in 上海市 too.
    assert login(shanghai["city"]).get(f"/tickets/{ref}").status_code == 200


def test_region_dashboard_rolls_up_and_links_down(shanghai, world, make_ticket, login):
    make_ticket(actor=world.clerk_a)
    make_ticket(actor=world.clerk_a, kind="error", category="counter")
    make_ticket(actor=world.clerk_b, office="SH-0102")
    make_ticket(actor=shanghai["bj_clerk"], office="BJ-0001")  # another city: never counted
    r = rollup(shanghai["sh"], datetime.now(UTC), "Asia/Shanghai")
    rows = {row.code: row for row in r.rows}
    assert set(rows) == {"SH-JA", "SH-XH"}
    assert (rows["SH-XH"].offices, rows["SH-XH"].open, rows["SH-XH"].logged, rows["SH-XH"].complaints) == (1, 2, 2, 1)
    assert (rows["SH-JA"].offices, rows["SH-JA"].open, rows["SH-JA"].logged, rows["SH-JA"].complaints) == (1, 1, 1, 1)
    assert (r.total.offices, r.total.open, r.total.logged) == (2, 3, 3)
    # A district lists its offices.
    assert [row.code for row in rollup(shanghai["xh"], datetime.now(UTC), "Asia/Shanghai").rows] == ["SH-0101"]

    page = login(shanghai["city"]).get("/regions/SH")
    assert page.status_code == 200
    assert "/regions/SH-XH" in page.text and "region=SH-XH" in page.text
    queue = login(shanghai["city"]).get("/tickets?region=SH-XH")
    assert queue.status_code == 200
    assert login(shanghai["city"]).get("/tickets?region=NOPE").status_code == 422
    # The district's supervisor may not open the city; another city's nobody; clerks never.
    assert login(shanghai["district"]).get("/regions/SH").status_code == 403
    district = login(shanghai["district"]).get("/regions/SH-XH")
    assert district.status_code == 200 and "/tickets?office=SH-0101" in district.text  # an office's line
    # A district of one office has no office select on the queue: the office filter shows as a chip
    # and the Filter button keeps it.
    one = login(shanghai["district"]).get("/tickets?office=SH-0101").text
    assert '<select name="office">' not in one
    chip = r'<span class="chip">[^<]*SH-0101.*?<input type="hidden" name="office" value="SH-0101">'
    assert re.search(chip, one, re.S)
    # "This month" figures link to this month's tickets only: one logged forty days ago stays out.
    from complaints.tickets.operations import log_ticket

    before = datetime.now(UTC) - timedelta(days=40)
    log_ticket(world.clerk_a, complaint_body(occurred_at=(before - timedelta(days=1)).isoformat()), now=before)
    db.session.commit()
    city = login(shanghai["city"])
    page = city.get("/regions/SH").text
    row = re.search(r'<tr>\s*<th scope="row"><a href="/regions/SH-XH">.*?</tr>', page, re.S).group(0)
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/tickets\?[^"]+)"', row)]
    open_, overdue, logged, complaints = links[:4]
    assert "created_from=" not in open_ and "created_from=" in logged and "created_from=" in complaints

    def listed(href: str) -> int:
        return len(re.findall(r'href="/tickets/[A-Z]-\d{4}-', city.get(href + "&per_page=100").text))

    assert listed(open_) == 3  # the old one is still open
    assert (listed(logged), listed(complaints)) == (2, 1)  # this month's: a complaint and an error
    # Covering every office of a district one by one opens it too, as its report does; not the city.
    assert login(world.sup_a).get("/regions/SH-XH").status_code == 200
    assert login(world.sup_a).get("/regions/SH").status_code == 403
    assert login(world.clerk_a).get("/regions/SH-XH").status_code == 403
    assert login(world.admin).get("/regions/NOPE").status_code == 404
    listed = login(shanghai["city"]).get("/regions").text
    assert 'href="/regions/SH"' in listed and 'href="/regions/BJ"' not in listed


CSV = ("code,name,parent_code\n"
       "GD-GZ-TH,天河区,GD-GZ\n"   # a child before its parent: the order of lines does not matter
       "GD,广东省,\n"
       "GD-GZ,广州市,GD\n"
       "SH-0102,ignored name,GD-GZ-TH\n")  # an office's code places the office


def test_csv_import_builds_the_tree_and_places_offices(shanghai, world):
    result = ops.import_csv(CSV.encode())
    db.session.commit()
    assert (result.created, result.changed, result.offices_placed) == (3, 0, 1)
    th = db.session.scalar(select(Region).where(Region.code == "GD-GZ-TH"))
    assert db.session.get(Office, world.office_b.id).region_id == th.id
    assert db.session.get(Office, world.office_b.id).name == "上海静安营业部"
    assert links() == closure_from_parents()
    # The export is the import's own format, and importing it again changes nothing.
    exported = "code,name,parent_code\n" + "\n".join(",".join(r) for r in ops.export_rows()) + "\n"
    again = ops.import_csv(exported.encode())
    assert (again.created, again.changed, again.offices_placed) == (0, 0, 0)


@pytest.mark.parametrize("body, line, words", [
    ("X1,甲,NOPE\n", 2, "NOPE"),                        # unknown parent
    ("SH,上海市,SH-XH\n", 2, "below itself"),             # a loop through the existing tree
    ("X1,甲,SH-0101\n", 2, "office"),                    # an office cannot be a parent
    ("X1,甲,\nX1,乙,\n", 3, "already on line 3"),        # the same code twice
    ("X1,,\n", 2, ""),                                   # no name
    ("SH-0101,营业部,\n", 2, "needs the region"),         # an office line without a parent
    ("X1,甲\n", 2, "Expected 3 values"),
])
def test_a_bad_csv_line_is_named_and_nothing_is_saved(shanghai, body, line, words):
    before = (db.session.scalar(select(func.count()).select_from(Region)), links())
    with pytest.raises(ops.ImportRefused) as refused, force_locale("en"):
        ops.import_csv(("code,name,parent_code\nNEW-1,新区,SH\n" + body).encode())
    db.session.rollback()
    assert [b.line for b in refused.value.bad] == [line + 1], refused.value.bad
    assert words.lower() in refused.value.bad[0].reason.lower()
    assert (db.session.scalar(select(func.count()).select_from(Region)), links()) == before


def test_admin_pages_create_edit_import_and_delete(shanghai, world, login):
    admin = login(world.admin)
    page = admin.get("/admin/regions")
    assert page.status_code == 200 and "上海市" in page.text and "徐汇区" in page.text
    made = admin.post("/admin/regions", data={"new-code": "sh-pd", "new-name": "浦东新区", "new-parent": "SH"})
    assert made.status_code == 302
    pd = db.session.scalar(select(Region).where(Region.code == "SH-PD"))
    assert pd.parent_id == shanghai["sh"].id
    bad = admin.post("/admin/regions", data={"new-code": "SH-PD", "new-name": "again", "new-parent": ""})
    assert bad.status_code == 422 and "此代码的区域已存在" in bad.text
    moved = admin.post("/admin/regions/SH-PD", data={"name": "浦东", "parent": "BJ"})
    assert moved.status_code == 302 and ("BJ", "SH-PD", 1) in links()
    loop = admin.post("/admin/regions/SH", data={"name": "上海市", "parent": "SH-XH"})
    assert loop.status_code == 422 and "不能移到自己的下级" in loop.text
    wrong = io.BytesIO(b"code,name,parent_code\nQ1,q,NOPE\n")
    refused = admin.post("/admin/regions/import", data={"import-file": (wrong, "r.csv")})
    assert refused.status_code == 422 and "NOPE" in refused.text
    imported = admin.post("/admin/regions/import", data={"import-file": (io.BytesIO(CSV.encode()), "r.csv")})
    assert imported.status_code == 302
    assert "GD-GZ-TH" in admin.get("/admin/regions/export.csv").text
    assert admin.post("/admin/regions/SH-PD/delete").status_code == 302
    assert db.session.scalar(select(Region).where(Region.code == "SH-PD")) is None
    kept = admin.post("/admin/regions/SH/delete")
    assert kept.status_code == 302 and db.session.scalar(select(Region).where(Region.code == "SH")) is not None
    for who in (world.sup_a, world.clerk_a, shanghai["city"]):
        assert login(who).get("/admin/regions").status_code == 403


def test_users_are_assigned_to_regions_supervisors_only(shanghai, world, api):
    with pytest.raises(InvalidInput) as err:
        create_user("c2@example.com", "某某", "clerk", ["SH-0101"], PASSWORD, regions=["SH"])
    assert "regions" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        create_user("s2@example.com", "某某", "supervisor", [], PASSWORD, regions=["NOPE"])
    assert "NOPE" in err.value.fields["regions"]
    db.session.rollback()
    made = api(world.admin).post("/users", json={"email": "prov@example.com", "name": "省经理", "role": "supervisor",
                                                 "password": "a long passphrase 9", "regions": ["BJ"]})
    assert made.status_code == 201 and made.get_json()["regions"] == ["BJ"]
    patched = api(world.admin).patch("/users/prov@example.com", json={"regions": ["SH", "BJ"]})
    assert patched.get_json()["regions"] == ["BJ", "SH"]


def test_regions_api(shanghai, world, api):
    listed = api(shanghai["city"]).get("/regions").get_json()["regions"]
    assert {r["code"]: r["offices"] for r in listed} == {"SH": 2, "SH-JA": 1, "SH-XH": 1}
    assert api(world.clerk_a).get("/regions").status_code == 403
    assert {r["code"] for r in api(world.admin).get("/regions").get_json()["regions"]} == {
        "SH", "SH-XH", "SH-JA", "BJ", "BJ-DC"}
    made = api(world.admin).post("/regions", json={"code": "SH-PD", "name": "浦东新区", "parent": "SH"})
    assert made.status_code == 201
    assert api(shanghai["city"]).post("/regions", json={"code": "X", "name": "x"}).status_code == 403
    assert api(world.admin).post("/regions", json={"code": "SH-PD", "name": "again"}).status_code == 422
    assert api(world.admin).post("/regions", json={"code": "SH-0101", "name": "clash"}).status_code == 422
    dash = api(shanghai["city"]).get("/regions/SH").get_json()
    assert dash["total"]["offices"] == 2 and {b["code"] for b in dash["below"]} == {"SH-XH", "SH-JA", "SH-PD"}
    assert api(shanghai["district"]).get("/regions/SH").status_code == 403
    assert api(world.admin).get("/regions/NOPE").status_code == 404
    moved = api(world.admin).patch("/regions/SH-PD", json={"parent": "BJ"})
    assert moved.status_code == 200 and moved.get_json()["path"] == ["BJ", "SH-PD"]
    assert api(world.admin).patch("/regions/SH", json={"parent": "SH-XH"}).status_code == 422
    office = api(world.admin).patch("/offices/SH-0102", json={"region": "SH-XH"})
    assert office.status_code == 200 and office.get_json()["region"] == "SH-XH"
    assert api(world.admin).patch("/offices/SH-0102", json={"region": "NOPE"}).status_code == 422


def test_a_region_supervisor_gets_the_breach_reminders_of_offices_below(shanghai, world, make_ticket):
    from complaints.sla.scan import recipients

    ticket = make_ticket(actor=world.clerk_a)
    emails = {u.email for u in recipients(ticket, "breach")}
    assert {"sup.a@example.com", "city@example.com", "xh@example.com"} <= emails
    assert "sup.b@example.com" not in emails


def test_the_dashboard_starts_region_people_from_their_regions(shanghai, world, login, api):
    city = login(shanghai["city"]).get("/").text
    assert "/regions/SH" in city
    admin = login(world.admin).get("/").text
    assert "/regions/SH" in admin and "/regions/BJ" in admin
    # Assigned office by office: the district whose only office is theirs, not the city.
    sup_a = login(world.sup_a).get("/").text
    assert 'href="/regions/SH-XH"' in sup_a and 'href="/regions/SH"' not in sup_a
    listed = login(world.sup_a).get("/regions").text
    assert 'href="/regions/SH-XH"' in listed and 'href="/regions/SH"' not in listed
    assert login(world.sup_a).get("/regions/SH-XH").status_code == 200
    assert {r["code"] for r in api(world.sup_a).get("/regions").get_json()["regions"]} == {"SH-XH"}


def test_two_crossed_moves_at_once_never_make_a_loop(app, world, api, backend):
    """On PostgreSQL two admins move A under B and B under A at the same moment: one wins, the other is
    told it would make a loop (the tree's changes take turns), and the closure stays a tree."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race is for PostgreSQL")
    import threading
    from concurrent.futures import ThreadPoolExecutor

    headers = api(world.admin).headers
    for n in range(5):
        a, b = f"RA-{n}", f"RB-{n}"
        tree.add_region(a, "甲", None)
        tree.add_region(b, "乙", None)
        db.session.commit()
        barrier = threading.Barrier(2, timeout=20)

        def move(child: str, parent: str, barrier: threading.Barrier = barrier):
            client = app.test_client()
            barrier.wait()
            return client.patch(f"/api/v1/regions/{child}", json={"parent": parent}, headers=headers).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = sorted(f.result(timeout=40) for f in [pool.submit(move, a, b), pool.submit(move, b, a)])
        db.session.expire_all()
        assert codes == [200, 422]
        assert links() == closure_from_parents()


def test_the_region_page_lists_improvement_actions_of_the_offices_below(shanghai, world, login):
    from complaints.improvement.operations import record_action

    now = datetime.now(UTC)
    review = f"{now.year + (now.month == 12)}-{(now.month % 12) + 1:02d}"  # next month
    record_action(shanghai["city"], world.clerk_a, "attitude", "coaching", "窗口礼仪辅导", review, now)
    record_action(world.sup_b, world.clerk_b, "skill", "training", "资费培训", review, now)
    db.session.commit()
    xh = login(shanghai["district"]).get("/regions/SH-XH").text
    assert "窗口礼仪辅导" in xh and "资费培训" not in xh
    city = login(shanghai["city"]).get("/regions/SH").text
    assert "窗口礼仪辅导" in city and "资费培训" in city


def test_a_valid_csv_imports_whatever_the_order_of_its_lines(world):
    """XX → RR → PP becomes RR → PP → XX: moving XX first would be checked against a half-changed tree."""
    xx = tree.add_region("XX", "XX", None)
    rr = tree.add_region("RR", "RR", xx)
    tree.add_region("PP", "PP", rr)
    db.session.commit()
    result = ops.import_csv(b"code,name,parent_code\nXX,XX,PP\nRR,RR,\n")
    assert result.changed == 2
    assert ("RR", "XX", 2) in links() and links() == closure_from_parents()


def test_the_tree_has_a_depth_limit(world):
    chain = ["code,name,parent_code"] + [f"L{i:02d},第{i}级,{f'L{i - 1:02d}' if i else ''}"
                                         for i in range(tree.MAX_LEVELS + 1)]
    with pytest.raises(ops.ImportRefused) as refused, force_locale("en"):
        ops.import_csv("\n".join(chain).encode())
    assert [b.line for b in refused.value.bad] == [tree.MAX_LEVELS + 2]
    assert "deeper than 10" in refused.value.bad[0].reason
    db.session.rollback()
    ops.import_csv("\n".join(chain[:-1]).encode())  # exactly MAX_LEVELS levels: fine
    bottom = db.session.scalar(select(Region).where(Region.code == f"L{tree.MAX_LEVELS - 1:02d}"))
    with pytest.raises(Conflict):
        tree.add_region("TOO-DEEP", "x", bottom)
    other = tree.add_region("TOP2", "y", None)
    tree.add_region("TOP2-1", "z", other)
    with pytest.raises(Conflict):
        tree.move_region(other, bottom)


def test_a_region_whose_supervisors_cover_nothing_else_is_not_deleted(world, api):
    empty = tree.add_region("EMPTY", "空区", None)
    tree.add_region("OTHER", "另一区", None)
    create_user("rs@example.com", "区主管", "supervisor", [], PASSWORD, regions=["EMPTY"])
    create_user("both@example.com", "双区主管", "supervisor", [], PASSWORD, regions=["EMPTY", "OTHER"])
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        tree.delete_region(empty)
    assert "rs@example.com" in refused.value.message and "both@example.com" not in refused.value.message
    db.session.rollback()
    assert api(world.admin).patch("/users/rs@example.com", json={"regions": ["OTHER"]}).status_code == 200
    tree.delete_region(db.session.scalar(select(Region).where(Region.code == "EMPTY")))
    db.session.commit()


def test_the_dashboard_cache_never_serves_one_scope_to_another(world):
    """Two supervisors whose office ids have the same count, sum and sum of squares ({1,5,6} and {2,3,7})
    once shared the weekly chart's cache; the key now names the set exactly."""
    from complaints.authz import scope_fingerprint
    from complaints.dashboard import queries as dash
    from complaints.tickets.operations import log_ticket
    from tests.conftest import complaint_body

    offices = {world.office_a.id: world.office_a, world.office_b.id: world.office_b}
    for i in range(3, 8):
        office = create_office(f"SH-09{i:02d}", f"测试营业部{i}")
        offices[office.id] = office
    assert sorted(offices) == list(range(1, 8))
    x = create_user("x@example.com", "甲", "supervisor", [offices[i].code for i in (1, 5, 6)], PASSWORD)
    y = create_user("y@example.com", "乙", "supervisor", [offices[i].code for i in (2, 3, 7)], PASSWORD)
    db.session.commit()
    assert scope_fingerprint(x) != scope_fingerprint(y)
    now = datetime.now(UTC)
    for n in range(4):
        log_ticket(world.sup_a, complaint_body("SH-0101", occurred_at=(now - timedelta(days=16)).isoformat()),
                   now=now - timedelta(days=15, minutes=n))
    db.session.commit()
    assert sum(c for _w, c, _e in dash.overview(x, now, "Asia/Shanghai").weeks) == 4
    assert sum(c for _w, c, _e in dash.overview(y, now, "Asia/Shanghai").weeks) == 0


def test_a_region_supervisors_export_shows_whole_phones_of_the_offices_below(shanghai, world, make_ticket, login):
    make_ticket(actor=world.clerk_a)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    make_ticket(actor=shanghai["bj_clerk"], office="BJ-0001")
    rows = login(shanghai["city"]).get("/tickets/export.csv").text.splitlines()[1:]
    assert len(rows) == 2 and all("13812345678" in r for r in rows)  # SH-0101 and SH-0102, not Beijing
    rows = login(shanghai["bj_clerk"]).get("/tickets/export.csv").text.splitlines()[1:]
    assert len(rows) == 1 and "13812345678" in rows[0]  # a clerk who logged it, while it is open


def test_a_region_supervisors_api_list_asks_the_scope_once_not_per_office(shanghai, world, make_ticket, api):
    """The listed tickets came through the scope: showing each one's whole phone asks nothing more."""
    from tests.conftest import statements

    make_ticket(actor=world.clerk_a)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    make_ticket(actor=shanghai["bj_clerk"], office="BJ-0001")
    city = api(shanghai["city"])
    with statements() as seen:
        listed = city.get("/tickets").get_json()
    assert sorted(t["office"] for t in listed["tickets"]) == ["SH-0101", "SH-0102"]
    assert all(t["customer_phone"] == "13812345678" for t in listed["tickets"])
    # One scope query for the list itself (and its count); none per office for the phones.
    per_office = [s for s in seen if s.startswith("SELECT EXISTS") and "REGION_LINKS" in s]
    assert per_office == [], per_office
