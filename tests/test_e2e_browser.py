"""End to end in a real browser (Debian's chromium via Playwright) against a live server.

Skipped, with the reason, when chromium or Playwright is missing (`apt-get install -y chromium`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from complaints.extensions import db
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")


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


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")  # by keyboard, no mouse
    page.wait_for_url(re.compile(r".*/$|.*/tickets.*"))


def test_clerk_logs_a_complaint_on_a_phone_and_prints_the_slip(live_server, browser, world):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    sign_in(page, live_server, world.clerk_a.email)
    page.goto(f"{live_server}/tickets/new?kind=complaint")
    page.select_option("#channel", "counter")
    page.fill("#description", "营业员态度生硬，客户等候过久。")
    page.fill("#occurred_at", "2026-11-20T09:30")
    page.fill("#customer_name", "王先生")
    page.fill("#customer_phone", "13812345678")
    page.click("button[type=submit]:not(.link)")
    page.wait_for_url(re.compile(r".*/tickets/C-\d{4}-\d{6}$"))
    ref = page.url.rsplit("/", 1)[1]
    assert ref in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    page.click(f"a[href='/tickets/{ref}/slip']")
    assert ref in page.inner_text(".ref")
    assert "/status" in page.inner_text("main")


def test_form_errors_are_announced_beside_the_fields_and_nothing_is_lost(live_server, browser, world):
    page = browser.new_page()
    sign_in(page, live_server, world.clerk_a.email)
    page.goto(f"{live_server}/tickets/new?kind=complaint")
    page.fill("#description", "只填了描述")
    page.click("button[type=submit]:not(.link)")
    assert page.get_attribute("#customer_phone", "aria-invalid") == "true"
    assert page.is_visible("#customer_phone-error") and page.get_attribute("#customer_phone-error", "role") == "alert"
    assert page.input_value("#description") == "只填了描述"


def test_supervisor_triages_and_the_customer_checks_the_status(live_server, browser, world, make_ticket):
    ticket = make_ticket()
    page = browser.new_page()
    sign_in(page, live_server, world.sup_a.email)
    page.goto(f"{live_server}/tickets/{ticket.ref}")
    page.click("details summary >> nth=0")  # the first allowed event: triage
    page.select_option("#triage-severity", "high")
    page.select_option("#triage-category", "attitude")
    page.select_option("#triage-assignee", world.sup_a.email)
    page.click("details[open] button[type=submit]")
    page.wait_for_load_state()
    assert ticket.ref in page.inner_text("h1")
    db.session.expire_all()
    assert db.session.get(type(ticket), ticket.id).state.value == "triaged"
    customer = browser.new_page()
    customer.goto(f"{live_server}/status")
    customer.fill("#ref", ticket.ref)
    customer.fill("#digits", "5678")
    customer.click("main button[type=submit]")
    text = customer.inner_text("main")
    assert ticket.ref in text and "13812345678" not in text
