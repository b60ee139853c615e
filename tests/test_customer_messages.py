"""Messages to the customer: queued with the event, once; SMS through a real HTTP gateway on loopback,
email through the real SMTP test server; retries, refusals, races; nothing personal or secret leaks."""

from __future__ import annotations

import base64
import json
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, SimpleNamespace

import pytest
from sqlalchemy import func, select

from complaints.customers import operations as customer_ops
from complaints.customers import sms, texts
from complaints.extensions import db
from complaints.mail.delivery import backoff, deliver, deliver_all, error_kind
from complaints.models import OutboxMessage, Ticket
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import complaint_body, free_port

PHONE = "13812345678"
EMAIL = "wang.customer@example.net"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
OUTCOME = '已向您致歉并退还邮费 "12元"。{ref}\n谢谢。'  # quotes, braces and a newline: JSON-escaped in the body


# -- the gateway: a real HTTP server on loopback that records what it gets --------------------------------

@dataclass
class Gateway:
    url: str
    requests: list = field(default_factory=list)
    # answers for the next requests: 200, 503, 400, (code, reason phrase), "hang"
    script: list = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with gw.lock:
                gw.requests.append(SimpleNamespace(path=self.path, headers=dict(self.headers), raw=raw,
                                                   json=json.loads(raw)))
                answer = gw.script.pop(0) if gw.script else 200
            if answer == "hang":
                gw.arrived.set()
                gw.release.wait(10)  # the client gives up first (its timeout), or the test releases it
                answer = 200
            if answer == "stall":  # 200, then the rest of the body it announced comes too late
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"ok"')
                self.wfile.flush()
                gw.release.wait(10)
                self.close_connection = True
                return
            answer, reason = answer if isinstance(answer, tuple) else (answer, None)
            body = b'{"ok": true}' if answer == 200 else b'{"error": "no"}'
            try:
                self.send_response(answer, reason)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client timed out and left

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    return Handler


@pytest.fixture
def gateway(app) -> Iterator[Gateway]:
    port = free_port()
    gw = Gateway(url=f"http://127.0.0.1:{port}/sms/send")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(gw))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMS_GATEWAY_URL=gw.url, SMS_GATEWAY_TIMEOUT=5, BASE_URL="https://complaints.example",
                      SMTP_HOST="", MAIL_MAX_REJECTIONS=3)
    try:
        yield gw
    finally:
        gw.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _log(world, **over) -> Ticket:
    over.setdefault("customer_consent", True)
    ticket = log_ticket(world.clerk_a, complaint_body(**over), now=T0)
    db.session.commit()
    return ticket


def _rows(ticket: Ticket | None = None, channel: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if ticket is not None:
        stmt = stmt.where(OutboxMessage.ticket_id == ticket.id)
    if channel is not None:
        stmt = stmt.where(OutboxMessage.channel == channel)
    return list(db.session.scalars(stmt))


def _fire(ticket: Ticket, actor, event: str, at: datetime, **raw) -> None:
    fire_event(ticket, actor, event, raw, version=ticket.version, now=at)
    db.session.commit()


def _triage(ticket: Ticket, world, at: datetime = T0) -> None:
    _fire(ticket, world.sup_a, "triage", at, severity="low", category="counter", assignee=world.sup_a.email)


def _resolve(ticket: Ticket, world, at: datetime = T0) -> None:
    _fire(ticket, world.sup_a, "resolve", at, outcome=OUTCOME, resolution="已核实", finding="unfounded")


@pytest.fixture
def told(monkeypatch) -> list:
    """complaints.sla.reply.customer_told, recorded: who was told the outcome, when."""
    calls: list = []
    fake = ModuleType("complaints.sla.reply")
    fake.customer_told = lambda ticket, at: calls.append((ticket.ref, at))
    monkeypatch.setitem(sys.modules, "complaints.sla.reply", fake)
    return calls


# -- queueing ------------------------------------------------------------------------------------------

def test_logging_with_consent_queues_one_sms_with_reference_and_status_link(app, world, gateway, monkeypatch):
    langs: list[str] = []
    real = texts.render
    monkeypatch.setattr(texts, "render", lambda event, values, lang: langs.append(lang) or real(event, values, lang))
    ticket = _log(world)
    [row] = _rows(ticket)
    assert (row.channel, row.to_addr, row.event_seq, row.recipient_id, row.status) == ("sms", PHONE, 1, None, "pending")
    assert langs == ["zh"] and app.config["CUSTOMER_LOCALE"] == "zh"  # Chinese by default
    assert ticket.ref in row.body
    assert f"https://complaints.example/status?ref={ticket.ref}" in row.body


def test_the_customer_locale_is_configurable(app, world, gateway):
    app.config["CUSTOMER_LOCALE"] = "en"
    ticket = _log(world)
    [row] = _rows(ticket)
    assert "We have registered your case, reference " + ticket.ref in row.body


def test_without_consent_nothing_is_queued_at_any_event(app, world, gateway, told):
    ticket = _log(world, customer_consent=False, customer_email=EMAIL)
    _triage(ticket, world)
    _fire(ticket, world.sup_a, "request_info", T0, note="需要发票照片")
    _fire(ticket, world.sup_a, "info_received", T0, note="已收到")
    _resolve(ticket, world)
    assert _rows() == []
    assert sms.deliver(app.config, T0).sent == 0 and gateway.requests == []


def test_queued_on_request_info_each_time_and_on_resolve_with_outcome_and_appeal_line(app, world, gateway):
    ticket = _log(world)
    _triage(ticket, world)
    _fire(ticket, world.sup_a, "request_info", T0, note="需要发票照片")
    _fire(ticket, world.sup_a, "info_received", T0, note="已收到")
    _fire(ticket, world.sup_a, "request_info", T0, note="还需要包裹照片")
    _fire(ticket, world.sup_a, "info_received", T0, note="已收到")
    _resolve(ticket, world)
    rows = _rows(ticket)
    events = {e.seq: e.event for e in ticket.events}
    assert [events[r.event_seq] for r in rows] == ["log", "request_info", "request_info", "resolve"]
    assert len({r.event_seq for r in rows}) == 4  # two requests: two messages, each of its own event
    resolved = rows[-1]
    assert OUTCOME in resolved.body and "12305" in resolved.body and ticket.ref in resolved.body


def test_the_same_event_is_never_queued_twice(app, world, gateway):
    ticket = _log(world, customer_email=EMAIL)
    app.config["SMTP_HOST"] = "127.0.0.1"
    assert customer_ops.on_event(ticket, ticket.events[0], T0) == 1  # the email, now that mail is on
    assert customer_ops.on_event(ticket, ticket.events[0], T0) == 0
    assert customer_ops.on_event(ticket, ticket.events[0], T0 + timedelta(hours=1)) == 0
    db.session.commit()
    assert sorted(r.channel for r in _rows(ticket)) == ["email", "sms"]


def test_a_landline_gets_no_sms(app, world, gateway, login):
    ticket = _log(world, customer_phone="021-64321234")
    assert _rows(ticket) == []
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert "Customer messages are off." in page and "the phone number is not a mobile" in page


def test_no_gateway_queues_no_sms_and_the_ticket_says_so(app, world, login):
    app.config.update(SMS_GATEWAY_URL="", SMTP_HOST="")
    ticket = _log(world)
    assert _rows() == []
    assert sms.deliver(app.config, T0).sent == 0
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert "Customer messages are off." in page
    assert "no SMS gateway is configured (SMS_GATEWAY_URL)" in page


def test_no_gateway_but_an_email_address_sends_the_email_and_names_the_sms_off(app, world, smtp_server, login):
    app.config["SMS_GATEWAY_URL"] = ""
    ticket = _log(world, customer_email=EMAIL)
    [row] = _rows(ticket)
    assert row.channel == "email"
    assert deliver(app.config, T0).sent == 1
    [mail] = smtp_server.messages
    assert mail.rcpt == [EMAIL] and ticket.ref in mail.subject and ticket.ref in mail.body
    assert f"https://complaints.example/status?ref={ticket.ref}" in mail.body
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    section = page.split('id="customer-messages-title"')[1].split("</section>")[0]
    assert "Customer messages are off." not in section
    assert "no SMS gateway is configured" in section
    assert "w***@example.net" in section and EMAIL not in section and "sent" in section


# -- SMS delivery --------------------------------------------------------------------------------------

def test_sms_is_posted_once_as_json_and_marked_sent(app, world, gateway):
    ticket = _log(world)
    report = sms.deliver(app.config, T0)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [req] = gateway.requests
    assert req.path == "/sms/send" and req.headers["Content-Type"].startswith("application/json")
    assert req.json == {"to": PHONE, "text": _rows(ticket)[0].body, "ref": ticket.ref}
    assert "Authorization" not in req.headers
    assert sms.deliver(app.config, T0 + timedelta(hours=1)).sent == 0  # delivered twice: sent once
    [row] = _rows(ticket)
    assert (row.status, row.sent_at, row.attempts) == ("sent", T0, 1)
    assert len(gateway.requests) == 1


def test_a_503_is_tried_again_after_the_back_off_and_sent_once(app, world, gateway):
    ticket = _log(world)
    gateway.script = [503]
    report = sms.deliver(app.config, T0)
    assert (report.sent, report.retried) == (0, 1)
    [row] = _rows(ticket)
    assert (row.status, row.attempts, row.rejections) == ("pending", 1, 0)
    assert row.next_attempt_at == T0 + backoff(1)
    assert error_kind(row.last_error) == "unreachable" and "503" in row.last_error
    assert sms.deliver(app.config, T0 + backoff(1) - timedelta(seconds=1)).sent == 0  # not due yet
    assert len(gateway.requests) == 1
    assert sms.deliver(app.config, T0 + backoff(1)).sent == 1
    assert sms.deliver(app.config, T0 + timedelta(hours=2)).sent == 0
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(gateway.requests) == 2


def test_a_gateway_that_times_out_is_tried_again(app, world, gateway):
    ticket = _log(world)
    app.config["SMS_GATEWAY_TIMEOUT"] = 0.3
    gateway.script = ["hang"]
    report = sms.deliver(app.config, T0)
    assert (report.sent, report.retried) == (0, 1)
    [row] = _rows(ticket)
    assert row.status == "pending" and error_kind(row.last_error) == "timeout"
    gateway.release.set()
    assert sms.deliver(app.config, T0 + backoff(1)).sent == 1
    db.session.refresh(row)
    assert row.status == "sent"


def test_a_gateway_that_cannot_be_reached_is_tried_again(app, world, gateway):
    ticket = _log(world)
    app.config["SMS_GATEWAY_URL"] = f"http://127.0.0.1:{free_port()}/nobody-listens"
    assert sms.deliver(app.config, T0).retried == 1
    [row] = _rows(ticket)
    assert row.status == "pending" and error_kind(row.last_error) == "unreachable"


def test_a_400_refusal_fails_the_message_after_max_rejections(app, world, gateway):
    ticket = _log(world)
    gateway.script = [400, 400, 400]
    at = T0
    for n in range(1, 4):
        report = sms.deliver(app.config, at)
        assert report.sent == 0
        [row] = _rows(ticket)
        db.session.refresh(row)
        assert row.rejections == n
        at = row.next_attempt_at if row.status == "pending" else at
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "rejected: HTTP 400 Bad Request" and error_kind(row.last_error) == "refused"
    assert sms.deliver(app.config, at + timedelta(days=1)).sent == 0
    assert len(gateway.requests) == 3


@pytest.mark.parametrize("code", [429, 408])
def test_a_gateway_busy_answer_is_tried_again_never_counted_as_a_refusal(app, world, gateway, code):
    """429 Too Many Requests (and 408) say the gateway is busy, not that the message is wrong: three of them
    in a burst failed the message for good before."""
    ticket = _log(world)
    gateway.script = [code] * 5
    at = T0
    for n in range(1, 6):
        assert sms.deliver(app.config, at).retried == 1
        [row] = _rows(ticket)
        db.session.refresh(row)
        assert (row.status, row.rejections, row.attempts) == ("pending", 0, n)
        assert error_kind(row.last_error) != "refused" and str(code) in row.last_error
        at = row.next_attempt_at
    assert sms.deliver(app.config, at).sent == 1
    db.session.refresh(row)
    assert row.status == "sent" and len(gateway.requests) == 6


@pytest.mark.parametrize("address", ["postmaster,wang@example.com", "root;wang@example.com", "<root>wang@example.com",
                                     '"root"wang@example.com', "root:wang@example.com"])
def test_an_address_that_is_an_address_list_is_refused_at_logging(app, world, api, smtp_server, address):
    """The customer's message went to a second, unqualified recipient (the relay's postmaster) before."""
    resp = api(world.clerk_a).post("/tickets", json=complaint_body(customer_consent=True, customer_email=address))
    assert resp.status_code == 422 and "customer_email" in resp.get_json()["fields"]
    assert _rows() == [] and deliver(app.config, T0).sent == 0 and smtp_server.messages == []


def test_a_2xx_whose_body_stalls_is_sent_not_tried_again(app, world, gateway):
    """The gateway accepted the message (200): a timeout reading the rest of its answer is no reason to send the
    SMS again (before, it was retried, and the customer got the same SMS at every try)."""
    ticket = _log(world)
    app.config["SMS_GATEWAY_TIMEOUT"] = 0.3
    gateway.script = ["stall"]
    report = sms.deliver(app.config, T0)
    assert (report.sent, report.retried) == (1, 0)
    [row] = _rows(ticket)
    assert (row.status, row.last_error) == ("sent", None)
    assert sms.deliver(app.config, T0 + timedelta(hours=2)).sent == 0 and len(gateway.requests) == 1


def test_an_sms_outage_does_not_hold_up_email(app, world, gateway, smtp_server):
    gateway.script = [503] * 10
    app.config["SMTP_HOST"] = smtp_server.host
    ticket = _log(world, customer_email=EMAIL)
    _log(world, customer_email="li.customer@example.net")
    assert deliver_all(app.config, T0) == 2  # both emails
    assert sorted(m.rcpt[0] for m in smtp_server.messages) == sorted([EMAIL, "li.customer@example.net"])
    sms_rows = _rows(channel="sms")
    assert [r.status for r in sms_rows] == ["pending", "pending"]
    assert len(gateway.requests) == 1  # the gateway failed: the batch stopped, the other SMS waits untried
    assert [r.attempts for r in sms_rows] == [1, 0] and sms_rows[1].lease_until is None
    assert _rows(ticket, "email")[0].status == "sent"


def test_two_deliveries_at_once_send_each_sms_once(app, world, gateway):
    for _n in range(6):
        _log(world)
    db.session.remove()
    barrier = threading.Barrier(2)
    reports: list = []
    errors: list = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait(5)
                reports.append(sms.deliver(app.config, T0))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sum(r.sent for r in reports) == 6
    assert sorted(r.json["ref"] for r in gateway.requests) == sorted({r.json["ref"] for r in gateway.requests})
    assert len(gateway.requests) == 6
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "sent")) == 6


def test_a_delivery_that_finds_the_rows_leased_by_a_running_one_sends_nothing(app, world, gateway):
    _log(world)
    db.session.remove()
    gateway.script = ["hang"]
    first: list = []

    def run() -> None:
        with app.app_context():
            try:
                first.append(sms.deliver(app.config, T0))
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    assert gateway.arrived.wait(5)  # the first sender has claimed the row and is sending it
    assert sms.deliver(app.config, T0).sent == 0
    gateway.release.set()
    thread.join(10)
    assert first[0].sent == 1 and len(gateway.requests) == 1


def test_the_outcome_message_sent_tells_the_reply_clock(app, world, gateway, told):
    ticket = _log(world)
    _triage(ticket, world)
    assert sms.deliver(app.config, T0).sent == 1
    assert told == []  # the logging message is not the outcome
    _resolve(ticket, world, T0 + timedelta(hours=1))
    sent_at = T0 + timedelta(hours=2)
    assert sms.deliver(app.config, sent_at).sent == 1
    assert told == [(ticket.ref, sent_at)]
    req = gateway.requests[-1]
    assert OUTCOME in req.json["text"] and "12305" in req.json["text"]


def test_the_outcome_sent_ends_the_reply_clock_in_the_same_transaction(app, world, gateway):
    from complaints.sla import clocks

    ticket = _log(world)
    assert clocks.open_reply(ticket) is not None  # a complaint's statutory reply clock runs from logging
    _triage(ticket, world)
    _resolve(ticket, world, T0 + timedelta(hours=1))
    assert clocks.open_reply(ticket) is not None  # resolved is not told
    sent_at = T0 + timedelta(hours=3)
    ref = ticket.ref
    assert sms.deliver(app.config, sent_at).sent == 2
    db.session.remove()
    ticket = db.session.scalar(select(Ticket).where(Ticket.ref == ref))
    assert clocks.open_reply(ticket) is None
    [reply] = [d for d in ticket.deadlines if d.clock == clocks.REPLY]
    assert (reply.ended_at, reply.outcome) == (sent_at, "met")


# -- the body template, credentials, personal data -------------------------------------------------------

TEMPLATE = '{"mobile": "{phone}", "content": "{text}", "meta": {"case": "{ref}", "sign": "邮政"}}'


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_body_template_and_credentials_reach_the_gateway_and_nothing_leaks(app, world, gateway, caplog, told,
                                                                          login, auth):
    secret = "pw-Zq81-never-shown" if auth == "basic" else "tok-Hx42-never-shown"
    if auth == "basic":
        app.config.update(SMS_GATEWAY_USER="post-sms", SMS_GATEWAY_PASSWORD=secret)
    else:
        app.config.update(SMS_GATEWAY_TOKEN=secret)
    app.config["SMS_GATEWAY_BODY"] = TEMPLATE
    caplog.set_level(logging.DEBUG)
    ticket = _log(world)
    _triage(ticket, world)
    _resolve(ticket, world)
    gateway.script = [503, 400]
    at = T0
    for _n in range(4):  # 503 (retry), 400 (refusal, retry), then both sent
        sms.deliver(app.config, at)
        at += timedelta(hours=2)
    assert [r.status for r in _rows(ticket)] == ["sent", "sent"]
    for req in gateway.requests:
        if auth == "basic":
            assert req.headers["Authorization"] == "Basic " + base64.b64encode(f"post-sms:{secret}".encode()).decode()
        else:
            assert req.headers["Authorization"] == f"Bearer {secret}"
    outcome_req = gateway.requests[-1].json
    assert outcome_req["mobile"] == PHONE and outcome_req["meta"] == {"case": ticket.ref, "sign": "邮政"}
    assert OUTCOME in outcome_req["content"]  # quotes, braces, newline: escaped, and "{ref}" in it left alone
    page = login(world.admin).get("/admin/outbox?status=sent").get_data(as_text=True)
    assert "138****5678" in page
    stored = " ".join(f"{r.last_error} {r.body} {r.subject}" for r in _rows())
    for leak in (PHONE, secret, base64.b64encode(f"post-sms:{secret}".encode()).decode()):
        assert leak not in caplog.text
        assert leak not in page
        assert leak not in stored
    assert "outbox" in caplog.text  # the retries were logged, without them


def test_a_refusal_echoing_the_phone_and_password_is_stored_scrubbed(app, world, gateway, caplog):
    app.config.update(SMS_GATEWAY_USER="post-sms", SMS_GATEWAY_PASSWORD="hunter2-xyz")
    caplog.set_level(logging.DEBUG)
    ticket = _log(world)
    gateway.script = [(400, f"bad number {PHONE} for post-sms:hunter2-xyz"), (503, f"busy {PHONE}")]
    sms.deliver(app.config, T0)
    [row] = _rows(ticket)
    assert row.last_error == "rejected: HTTP 400 bad number *** for post-sms:***"
    sms.deliver(app.config, row.next_attempt_at)
    db.session.refresh(row)
    assert row.last_error == "cannot reach the SMS gateway: it answered HTTP 503 busy ***"
    assert PHONE not in caplog.text and "hunter2-xyz" not in caplog.text


def test_render_body_escapes_values_in_one_pass():
    body = sms.render_body(TEMPLATE, phone=PHONE, text='a "b" {ref}\n\\', ref="C-1")
    assert json.loads(body) == {"mobile": PHONE, "content": 'a "b" {ref}\n\\', "meta": {"case": "C-1", "sign": "邮政"}}


# -- pages ---------------------------------------------------------------------------------------------

def test_the_outbox_page_shows_the_channel_and_masks_customers(app, world, gateway, login):
    app.config["SMTP_HOST"] = "127.0.0.1"
    _log(world, customer_email=EMAIL)
    world.admin.locale = "en"
    db.session.commit()
    page = login(world.admin).get("/admin/outbox").get_data(as_text=True)
    assert "SMS" in page and "Email" in page
    assert "138****5678" in page and "w***@example.net" in page
    assert PHONE not in page and EMAIL not in page


def test_the_ticket_page_lists_the_messages_masked(app, world, gateway, login):
    ticket = _log(world)
    gateway.script = [400] * 3
    at = T0
    for _n in range(3):
        sms.deliver(app.config, at)
        at += timedelta(hours=2)
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    section = page.split('id="customer-messages-title"')[1].split("</section>")[0]
    assert "138****5678" in section and PHONE not in section
    assert "failed" in section and "SMS: on" in section


def test_admins_read_every_template_in_chinese_and_english(app, world, login):
    resp = login(world.admin).get("/admin/customer-messages")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert page.count('lang="zh-CN"') >= 3 and page.count('<section class="message-template" lang="en"') == 3
    assert "C-2026-000123" in page and "12305" in page
    assert f"{app.config['BASE_URL'].rstrip('/')}/status?ref=C-2026-000123" in page
    assert "We have registered your case, reference C-2026-000123" in page  # the English rendering
    assert login(world.sup_a).get("/admin/customer-messages").status_code == 403


def test_an_outcome_withdrawn_by_a_reopen_before_it_went_out_is_never_sent(app, world, gateway):
    ticket = _log(world)
    _triage(ticket, world)
    _resolve(ticket, world)
    _fire(ticket, world.sup_a, "reopen", T0, reason="客户补充了新情况")
    sms.deliver(app.config, T0)
    resolve_seq = max(e.seq for e in ticket.events if e.event == "resolve")
    rows = {r.event_seq: r for r in _rows(ticket)}
    assert rows[resolve_seq].status == "failed" and rows[resolve_seq].last_error.startswith("withdrawn")
    assert all(rows[resolve_seq].body != req.json["text"] for req in gateway.requests)
    # resolved again: the new outcome goes out
    _resolve(ticket, world)
    sms.deliver(app.config, T0 + timedelta(minutes=1))
    latest = max(e.seq for e in ticket.events if e.event == "resolve")
    assert {r.event_seq: r for r in _rows(ticket)}[latest].status == "sent"


def test_a_batch_never_outlasts_its_lease_even_if_every_send_times_out(app):
    from complaints.mail.delivery import batch_for

    assert batch_for({"MAIL_LEASE_SECONDS": 300}, 10) == 27  # 27 sends of 11 s fit in 300 s
    assert batch_for({"MAIL_LEASE_SECONDS": 300}, 1) == 50  # never more than a batch
    assert batch_for({"MAIL_LEASE_SECONDS": 5}, 60) == 1  # always at least one
