"""End to end in a real browser (Debian's chromium via Playwright) against a live server.

The whole journey runs in Chinese and in English, each on a phone-sized screen (390 px) and
on a desktop (1366 px), and saves a screenshot of each step under
tests/screenshots/<language>/<width>px/ (printed at the end of the run). Every page it shows
is also checked: nothing scrolls sideways, no duration over 48 hours is written in hours,
and on the desktop no table cell is narrower than two Chinese characters (the squeeze that
wrapped 投诉 one character a line). Skipped, saying why, when chromium or Playwright is
missing; `.ci/run` installs chromium (`apt-get install -y chromium`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from complaints.extensions import db
from complaints.models import Ticket, User
from tests.conftest import PASSWORD, complaint_body, free_port

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "screenshots"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")

TEXT = {  # what each language shows, to prove the page is in it
    "zh_CN": {"history": "处理记录", "status": "查询投诉进度", "closed": "已关闭"},
    "en": {"history": "History", "status": "Check the status of your complaint", "closed": "Closed"},
}


@pytest.fixture
def live_server(app, world) -> Iterator[str]:
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    db.session.commit()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


PHONE, DESKTOP = 390, 1366

# Every table cell on a desktop, as wide as its content box is: a column squeezed below two
# Chinese characters wraps 投诉 as 投/诉. Cells not shown (a closed <details>) are left out.
CELL_WIDTHS = """() => [...document.querySelectorAll('td, th')].filter(c => c.getClientRects().length
    && getComputedStyle(c).display === 'table-cell').map(c => {
  const s = getComputedStyle(c);
  return {text: c.innerText.trim().slice(0, 40), font: parseFloat(s.fontSize),
          width: c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)};
})"""

LONG_IN_HOURS = re.compile(r"(\d{2,})\s*(?:小时|h\b|hours?\b)")


def durations_in_hours_over_48(text: str) -> list[str]:
    """Durations over two days written in hours ("超时 603 小时 38 分钟", "416 h 08 min"):
    a person reads those as days and hours."""
    return [m.group(0) for m in LONG_IN_HOURS.finditer(text) if int(m.group(1)) > 48]


def squeezed_cells(page) -> list[str]:  # noqa: ANN001
    """The table cells on the page narrower than two characters of their own font."""
    return [f"{c['text']!r}: {c['width']:.0f}px < 2 x {c['font']:.0f}px"
            for c in page.evaluate(CELL_WIDTHS) if c["width"] < 2 * c["font"] - 0.5]


def test_the_checks_catch_what_they_are_for():
    assert durations_in_hours_over_48("超时 603 小时 38 分钟 · Overdue by 416 h 08 min · 72 hours") == [
        "603 小时", "416 h", "72 hours"]
    assert durations_in_hours_over_48("剩余 47 小时 · 2 天 3 小时 · 48 h 00 min · 09:30 · 24x7") == []


def has_chinese_font() -> bool:
    """Without a Chinese font chromium draws boxes narrower than the characters: the
    screenshots show nothing and the widths measured mean nothing."""
    import shutil
    import subprocess

    return bool(shutil.which("fc-list")) and bool(subprocess.run(
        ["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout.strip())


class Journey:
    def __init__(self, browser, base: str, lang: str, width: int = PHONE) -> None:  # noqa: ANN001
        assert lang != "zh_CN" or has_chinese_font(), \
            "no Chinese font for chromium: apt-get install -y fonts-wqy-microhei (.ci/run installs it)"
        self.browser, self.base, self.lang, self.width, self.step = browser, base, lang, width, 0
        self.csp_violations: list[str] = []  # the policy allows no inline script or style
        self.folder = SHOTS / lang / f"{width}px"
        self.folder.mkdir(parents=True, exist_ok=True)

    def page(self, user=None):  # noqa: ANN001, ANN201
        page = self.browser.new_page(viewport={"width": self.width, "height": 844 if self.width == PHONE else 768},
                                     locale="zh-CN" if self.lang == "zh_CN" else "en-US")
        page.on("console", lambda msg: self.csp_violations.append(msg.text)
                if "Content Security Policy" in msg.text else None)
        if user is not None:
            page.goto(f"{self.base}/login")
            page.fill("#email", user.email)
            page.fill("#password", PASSWORD)
            page.keyboard.press("Enter")  # by keyboard
            page.wait_for_url(re.compile(r".*/$"))
        return page

    def shot(self, page, name: str) -> None:  # noqa: ANN001
        self.step += 1
        page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)
        where = f"{self.lang} {self.width}px {name}"
        assert page.evaluate("document.documentElement.scrollWidth") <= self.width + 1, f"{where}: scrolls sideways"
        assert durations_in_hours_over_48(page.inner_text("body")) == [], f"{where}: say days, not hundreds of hours"
        if self.width == DESKTOP:
            assert squeezed_cells(page) == [], f"{where}: table cells squeezed"


def fire(page, event: str, fill) -> None:  # noqa: ANN001
    page.click(f"details:has(#{event}-version) summary")
    fill(page)
    with page.expect_navigation():  # the answer's page, not the one being left
        page.click("details[open] button[type=submit]")


def _photo(tmp_path: Path) -> Path:
    """A phone photo of the damaged parcel: a JPEG with the camera's GPS position in its EXIF."""
    from PIL import Image

    img = Image.new("RGB", (1200, 900), (150, 110, 70))
    for x in range(300, 900):  # a tear across the box
        img.putpixel((x, 450 + (x % 40) - 20), (20, 20, 20))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 0.0)}  # GPS
    path = tmp_path / "破损包裹.jpg"
    img.save(path, "JPEG", exif=exif.tobytes())
    return path


def _overdue_reminders_that_could_not_be_sent(app, world) -> None:  # noqa: ANN001
    """Tickets logged ten days ago (overdue by far more than 48 hours) and their reminders,
    waiting in the outbox after a try at a mail server that refused the connection."""
    from datetime import UTC, datetime, timedelta

    from complaints.mail.delivery import deliver
    from complaints.sla.scan import decide
    from complaints.tickets.operations import log_ticket

    now = datetime.now(UTC)
    for i in range(4):
        log_ticket(world.clerk_a, complaint_body(occurred_at="2026-01-05T09:00:00+08:00",
                                                 customer_name="李女士", customer_phone="13900001111"),
                   now=now - timedelta(days=10, minutes=i))
    db.session.commit()
    decide(now)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False, SMTP_USER="",
                      SMTP_TIMEOUT=2)
    deliver(app.config, now)
    db.session.commit()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_whole_journey_in_a_browser(app, live_server, browser, world, lang, width, request, tmp_path):
    from complaints.admin.operations import create_user

    long_email = "zhang.xiaoming.customer-service-supervisor@xuhui-district.shanghai.example.com"
    create_user(long_email, "张晓明", "supervisor", ["SH-0101"], PASSWORD)
    for user in world.users().values():
        user.locale = lang
    db.session.commit()
    _overdue_reminders_that_could_not_be_sent(app, world)
    j = Journey(browser, live_server, lang, width)
    words = TEXT[lang]

    # A clerk logs a damaged-parcel complaint at the counter, with the item number and a photo
    # the customer brought, and prints the slip.
    clerk = j.page(world.clerk_a)
    j.shot(clerk, "dashboard-clerk")
    clerk.goto(f"{live_server}/tickets/new?kind=complaint")
    clerk.select_option("#channel", "counter")
    clerk.select_option("#category", "damage")
    clerk.fill("#items-0-number", "ea 1234 5678 5cn")  # as read off the label: normalised
    clerk.select_option("#items-0-product", "parcel")
    clerk.set_input_files("#files", str(_photo(tmp_path)))
    clerk.fill("#description", "包裹外包装破损，内件摔坏，客户带来照片。")
    clerk.fill("#occurred_at", "2026-11-20T09:30")
    clerk.fill("#customer_name", "王先生")
    clerk.fill("#customer_phone", "13812345678")
    clerk.select_option("#clerk", world.clerk_a.email)
    clerk.click("main button[type=submit]")
    clerk.wait_for_url(re.compile(r".*/tickets/C-\d{4}-\d{6}$"))
    ref = clerk.url.rsplit("/", 1)[1]
    assert words["history"] in clerk.inner_text("main")
    assert "EA123456785CN" in clerk.inner_text("main")
    thumb = clerk.locator(".attachment img.thumb")
    thumb.wait_for()
    assert clerk.evaluate("img => img.complete && img.naturalWidth > 0", thumb.element_handle())
    assert thumb.bounding_box()["width"] <= 390
    facts = clerk.inner_text(".facts")
    assert not re.search(r"\d:\d\d:\d\d", facts), f"times of occurrence and logging to the minute: {facts}"
    j.shot(clerk, "logged")
    clerk.click(f"a[href='/tickets/{ref}/slip']")
    assert ref in clerk.inner_text(".ref") and "EA123456785CN" in clerk.inner_text("body")
    j.shot(clerk, "slip")

    # The clerk finds it in the queue, next to the ones long overdue, and by the customer's name.
    clerk.goto(f"{live_server}/tickets")
    assert ref in clerk.inner_text("main")
    j.shot(clerk, "queue")
    clerk.goto(f"{live_server}/")
    # Wait for the answer's page itself: the page being left holds the reference too.
    if width == PHONE:  # the search box is in the header; on a phone the search page has its own
        clerk.goto(f"{live_server}/search")
        clerk.fill("#q-page", "王先生")
        with clerk.expect_navigation():
            clerk.click("main button[type=submit]")
    else:
        clerk.fill("header input[name=q]", "王先生")
        with clerk.expect_navigation():
            clerk.keyboard.press("Enter")
    assert ref in clerk.inner_text("main")
    j.shot(clerk, "search")

    # A supervisor triages, resolves (the clerk at fault) and follows it up.
    sup = j.page(world.sup_a)
    j.shot(sup, "dashboard-supervisor")
    sup.goto(f"{live_server}/tickets/{ref}/events/triage")  # an action on a page of its own
    assert not re.search(r"版本|Version", sup.inner_text("main")), "the internal version counter is shown"
    j.shot(sup, "event")
    sup.goto(f"{live_server}/tickets/{ref}")
    fire(sup, "triage", lambda p: (p.select_option("#triage-severity", "high"),
                                   p.select_option("#triage-category", "damage"),
                                   p.select_option("#triage-assignee", world.sup_a.email)))
    fire(sup, "resolve", lambda p: (p.fill("#resolve-resolution", "已向客户致歉并对营业员进行了培训。"),
                                    p.fill("#resolve-outcome", "经核实，包裹在营业厅受损，我们已致歉并赔偿。"),
                                    p.fill("#resolve-claimed_amount", "150"),
                                    p.fill("#resolve-offered_amount", "120.50"),
                                    p.select_option("#resolve-compensation_basis", "uninsured"),
                                    p.select_option("#resolve-finding", "substantiated"),
                                    p.select_option("#resolve-root_cause", "responsibility"),
                                    p.select_option("#resolve-attributed_clerk", world.clerk_a.email)))
    fire(sup, "follow_up", lambda p: (p.select_option("#follow_up-contact", "reached"),
                                      p.select_option("#follow_up-expectation", "4"),
                                      p.select_option("#follow_up-perception", "3"),
                                      p.check("#follow_up-satisfied-0")))
    assert words["closed"] in sup.inner_text("h1")
    j.shot(sup, "closed")
    db.session.expire_all()
    assert db.session.scalar(db.select(Ticket.state).where(Ticket.ref == ref)).value == "closed"

    # The clerk sees the complaint on their scorecard for November.
    clerk.goto(f"{live_server}/scorecards/clerk/{world.clerk_a.id}?month=2026-11")
    assert "-15" in clerk.inner_text("main") and ref in clerk.inner_text("main")
    j.shot(clerk, "scorecard")

    # The customer checks the status: state and next step, nothing personal.
    customer = j.page()
    customer.goto(f"{live_server}/status")
    assert words["status"] in customer.inner_text("h1")
    customer.fill("#ref", ref)
    customer.fill("#digits", "5678")
    customer.click("main button[type=submit]")
    text = customer.inner_text("main")
    assert ref in text and words["closed"] in text and "13812345678" not in text and "王先生" not in text
    j.shot(customer, "status")

    # The admin looks after people and the reminders that could not be sent.
    admin = j.page(world.admin)
    admin.goto(f"{live_server}/admin/users")
    assert long_email in admin.inner_text("main")
    j.shot(admin, "users")
    user_id = db.session.scalar(db.select(User.id).where(User.email == long_email))
    admin.goto(f"{live_server}/admin/users/{user_id}")
    assert long_email in admin.inner_text("h1")
    j.shot(admin, "user")
    admin.goto(f"{live_server}/admin/outbox")
    assert admin.locator("main table button[type=submit]").count() > 0
    j.shot(admin, "outbox")
    admin.goto(f"{live_server}/admin/sla")
    j.shot(admin, "sla-policies")
    assert j.csp_violations == [], j.csp_violations


def test_form_errors_are_announced_beside_the_fields_and_nothing_is_lost(live_server, browser, world):
    j = Journey(browser, live_server, "en")
    page = j.page(world.clerk_a)
    page.goto(f"{live_server}/tickets/new?kind=complaint")
    page.fill("#description", "只填了描述")
    page.click("main button[type=submit]")
    assert page.get_attribute("#customer_phone", "aria-invalid") == "true"
    assert page.is_visible("#customer_phone-error") and page.get_attribute("#customer_phone-error", "role") == "alert"
    assert page.input_value("#description") == "只填了描述"


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_city_manager_reads_the_report_and_downloads_it(app, live_server, browser, world, make_ticket, width,
                                                          tmp_path):
    """A city's quality manager (assigned to 上海市) opens the month's report in Chinese, downloads the
    XLSX, and the workbook holds the figure the page shows."""
    from datetime import UTC, datetime

    import openpyxl

    from complaints.admin.operations import create_office, create_user
    from complaints.regions.tree import add_region

    city = add_region("SH", "上海市", None)
    world.office_a.region_id = add_region("SH-XH", "徐汇区", city).id
    world.office_b.region_id = add_region("SH-JA", "静安区", city).id
    create_office("BJ-0001", "北京东城营业部")  # outside the city: never counted
    manager = create_user("city.manager@example.com", "赵经理", "supervisor", [], PASSWORD, regions=["SH"])
    manager.locale = "zh_CN"
    db.session.commit()
    for _n in range(3):
        make_ticket(actor=world.clerk_a)
    make_ticket(actor=world.clerk_a, kind="error", category="counter")
    make_ticket(actor=world.clerk_b, office="SH-0102")
    make_ticket(actor=world.admin, office="BJ-0001")
    period = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    j = Journey(browser, live_server, "zh_CN", width)
    page = j.page(manager)
    page.click("nav >> text=报表")
    page.fill("input[name=region]", "SH")
    page.fill("input[name=period]", period)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "上海市" in page.inner_text("h1") and "全部工单" in page.inner_text("main")
    j.shot(page, "report-city")
    # The figure on the page: all tickets logged in the month at the city's offices.
    total = page.locator("tr", has_text="全部工单").first.locator("td").first.inner_text()
    assert total.strip().startswith("5"), total
    with page.expect_download() as download:
        page.click("text=下载 XLSX")
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    sheet = book["按类型统计的登记工单"]
    assert sheet["A1"].value == "指标" and sheet.freeze_panes == "A2"
    rows = {r[0].value: r[1].value for r in sheet.iter_rows(min_row=2) if r[0].value}
    assert rows["全部工单"] == 5 and rows["投诉"] == 4 and rows["差错"] == 1
    assert j.csp_violations == []
