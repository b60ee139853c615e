"""End to end in a real browser (Debian's chromium via Playwright) against a live server.

The whole journey runs once in Chinese and once in English, on a phone-sized screen, and
saves a screenshot of each step under tests/screenshots/<language>/ (printed at the end of
the run). Skipped, saying why, when chromium or Playwright is missing; `.ci/run` installs
chromium (`apt-get install -y chromium`).
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
from complaints.models import Ticket
from tests.conftest import PASSWORD

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


class Journey:
    def __init__(self, browser, base: str, lang: str) -> None:  # noqa: ANN001
        self.browser, self.base, self.lang, self.step = browser, base, lang, 0
        self.csp_violations: list[str] = []  # the policy allows no inline script or style
        self.folder = SHOTS / lang
        self.folder.mkdir(parents=True, exist_ok=True)

    def page(self, user=None):  # noqa: ANN001, ANN201
        page = self.browser.new_page(viewport={"width": 390, "height": 844},
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
        assert page.evaluate("document.documentElement.scrollWidth") <= 391, f"{name}: scrolls sideways"


def fire(page, event: str, fill) -> None:  # noqa: ANN001
    page.click(f"details:has(#{event}-version) summary")
    fill(page)
    page.click("details[open] button[type=submit]")
    page.wait_for_load_state()


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


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_whole_journey_in_a_browser(live_server, browser, world, lang, request, tmp_path):
    for user in world.users().values():
        user.locale = lang
    db.session.commit()
    j = Journey(browser, live_server, lang)
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
    j.shot(clerk, "logged")
    clerk.click(f"a[href='/tickets/{ref}/slip']")
    assert ref in clerk.inner_text(".ref") and "EA123456785CN" in clerk.inner_text("body")
    j.shot(clerk, "slip")

    # A supervisor triages, resolves (the clerk at fault) and follows it up.
    sup = j.page(world.sup_a)
    j.shot(sup, "dashboard-supervisor")
    sup.goto(f"{live_server}/tickets/{ref}")
    fire(sup, "triage", lambda p: (p.select_option("#triage-severity", "high"),
                                   p.select_option("#triage-category", "damage"),
                                   p.select_option("#triage-assignee", world.sup_a.email)))
    fire(sup, "resolve", lambda p: (p.fill("#resolve-resolution", "已向客户致歉并对营业员进行了培训。"),
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
