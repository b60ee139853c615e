"""Send the outbox's SMS rows through an HTTP gateway, with the email outbox's machinery.

Rows are claimed per channel with a lease (complaints.mail.delivery.claim), each POSTed once and
marked in its own short transaction: 2xx = sent; 5xx, 408, 429, timeouts and connection errors = tried
again with back-off (the batch stops: the gateway is down, the rest of it is released for the next pass);
other 4xx = a refusal, the row failed after MAIL_MAX_REJECTIONS of them.

The request body is SMS_GATEWAY_BODY, JSON with {phone}, {text} and {ref} replaced by their
JSON-escaped values. Credentials go in the Authorization header only (basic auth from
SMS_GATEWAY_USER / SMS_GATEWAY_PASSWORD, or SMS_GATEWAY_TOKEN as a bearer token): they, and the
phone number, never reach a log line, the row's last_error or a page.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..mail import delivery
from ..mail.delivery import BATCH, DeliveryReport
from ..models import OutboxMessage, Ticket

DEFAULT_BODY = '{"to": "{phone}", "text": "{text}", "ref": "{ref}"}'
_PLACEHOLDER = re.compile(r"\{(phone|text|ref)\}")
_READ_LIMIT = 64 * 1024
# 4xx answers about the gateway's load, not the message (408 Request Timeout, 429 Too Many Requests):
# tried again later like a 5xx, never counted as a refusal of the message.
_TRY_AGAIN = (408, 429)


class GatewayDown(Exception):
    """Try again later: 5xx, a timeout, no connection."""


class GatewayRefused(Exception):
    """The gateway said no to this message (4xx)."""


def render_body(template: str, *, phone: str, text: str, ref: str) -> str:
    """The template with each placeholder replaced, in one pass (a text containing "{ref}" stays as it is)."""
    values = {"phone": phone, "text": text, "ref": ref}
    return _PLACEHOLDER.sub(lambda m: json.dumps(values[m[1]], ensure_ascii=False)[1:-1], template)


def _secrets(config: Mapping[str, Any], phone: str) -> list[str]:
    found = [str(config.get(k) or "") for k in ("SMS_GATEWAY_PASSWORD", "SMS_GATEWAY_TOKEN")]
    user, password = str(config.get("SMS_GATEWAY_USER") or ""), str(config.get("SMS_GATEWAY_PASSWORD") or "")
    if user or password:
        found.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    return [s for s in [*found, phone] if s]


def scrub(text: str, secrets: list[str]) -> str:
    """Text about a failure with every credential and the phone number blotted out."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a 3xx is an answer, not a new address
        return None


def _request(config: Mapping[str, Any], msg: OutboxMessage, ref: str) -> None:
    url = str(config.get("SMS_GATEWAY_URL") or "").strip()
    if not url:
        raise GatewayDown("cannot reach the SMS gateway: SMS_GATEWAY_URL is not set")
    if not url.lower().startswith(("http://", "https://")):
        raise GatewayDown("cannot reach the SMS gateway: SMS_GATEWAY_URL is not an http:// or https:// address")
    body = render_body(str(config.get("SMS_GATEWAY_BODY") or DEFAULT_BODY), phone=msg.to_addr, text=msg.body, ref=ref)
    try:
        json.loads(body)
    except ValueError:
        raise GatewayDown("sending failed: SMS_GATEWAY_BODY is not a JSON template") from None
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json, */*",
               "User-Agent": "complaints-sms/1"}
    if config.get("SMS_GATEWAY_TOKEN"):
        headers["Authorization"] = f"Bearer {config['SMS_GATEWAY_TOKEN']}"
    elif config.get("SMS_GATEWAY_USER") or config.get("SMS_GATEWAY_PASSWORD"):
        pair = f"{config.get('SMS_GATEWAY_USER') or ''}:{config.get('SMS_GATEWAY_PASSWORD') or ''}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310 - scheme checked
    opener = urllib.request.build_opener(_NoRedirect)
    timeout = float(config.get("SMS_GATEWAY_TIMEOUT") or 10)
    try:
        with opener.open(request, timeout=timeout) as response:
            try:
                response.read(_READ_LIMIT)
            except (OSError, http.client.HTTPException):
                pass  # the status was 2xx: the gateway took the message; sending it again would send it twice
    except urllib.error.HTTPError as exc:
        with exc:  # closes the response it holds
            reason = f"HTTP {exc.code} {exc.reason}"
            if 400 <= exc.code < 500 and exc.code not in _TRY_AGAIN:
                raise GatewayRefused(reason) from None
            raise GatewayDown(f"cannot reach the SMS gateway: it answered {reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = "timed out" if isinstance(reason, TimeoutError) else f"{type(reason).__name__}: {reason}"
        raise GatewayDown(f"cannot reach the SMS gateway: {text}") from None
    except TimeoutError:
        raise GatewayDown("sending failed: the SMS gateway timed out") from None
    except (OSError, http.client.HTTPException) as exc:
        raise GatewayDown(f"sending failed: {type(exc).__name__}: {exc}") from None


def deliver(config: Mapping[str, Any], now: datetime, limit: int = BATCH) -> DeliveryReport:
    """Send every due pending SMS (up to ``limit``); commits as it goes."""
    report = DeliveryReport()
    timeout = float(config.get("SMS_GATEWAY_TIMEOUT") or 10)
    ids = delivery.claim(now, delivery.batch_for(config, timeout, limit), delivery.lease_for(config), channel="sms")
    for n, row_id in enumerate(ids):
        msg = db.session.get(OutboxMessage, row_id)
        if msg is None or msg.status != "pending":
            continue
        if delivery.withdrawn(msg, now):
            continue
        ref = db.session.scalar(select(Ticket.ref).where(Ticket.id == msg.ticket_id)) or ""
        secrets = _secrets(config, msg.to_addr)
        try:
            _request(config, msg, ref)
        except GatewayRefused as exc:
            delivery.refused(row_id, now, scrub(str(exc), secrets), config, report, permanent=True)
        except GatewayDown as exc:
            delivery.retry(row_id, now, scrub(str(exc), secrets), report)
            delivery.release(ids[n + 1:])  # the gateway is down: the rest wait for the next pass, untried
            break
        else:
            delivery.mark_sent(row_id, now)
            report.sent += 1
    return report
