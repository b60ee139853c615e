"""Send what the outbox holds, with retries and back-off: email over SMTP here, SMS through
complaints.customers.sms with the same claim, lease and bookkeeping, each channel on its own.

A sender first claims a batch of due rows (a short lease written and committed; on
PostgreSQL the claim skips rows another sender has locked), then sends each and marks it
sent in its own short transaction. A sender killed after its claim leaves rows whose lease
simply runs out, and another sender takes them: nothing is lost. Each message carries a
Message-ID derived from its outbox key, so the one window left (killed after the server
accepted a message and before the row was marked) yields a duplicate that mail systems
recognise as such.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import OutboxMessage

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed try, at most an hour."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def claim(now: datetime, limit: int = BATCH, lease: timedelta = LEASE, channel: str = "email") -> list[int]:
    """Lease up to ``limit`` due rows of one channel to this sender and commit the lease.

    Each channel (email, sms) is claimed and sent on its own: an SMS gateway that is down holds
    up no email, and a mail server that is down no SMS.
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.channel == channel,
               OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(due))
    claimed: list[int] = []
    for row_id in ids:
        # The WHERE repeats the test: on SQLite (no row locks) a row claimed meanwhile by
        # another process is skipped here instead of being sent twice.
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending",
                   or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now))
            .values(lease_until=now + lease)
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    db.session.commit()
    return claimed


def lease_for(config: Mapping[str, Any]) -> timedelta:
    return timedelta(seconds=float(config.get("MAIL_LEASE_SECONDS") or LEASE.total_seconds()))


def batch_for(config: Mapping[str, Any], timeout: float, limit: int = BATCH) -> int:
    """As many rows as can be sent within one lease even if every send takes its whole timeout:
    a lease never runs out in the middle of a batch, so no other sender takes a row being sent."""
    return max(1, min(limit, int(lease_for(config).total_seconds() // (timeout + 1))))


def deliver_all(config: Mapping[str, Any], now: datetime) -> int:
    """Every channel until nothing more is due or its server fails (then its rows wait for their
    next try); one channel's failure does not stop the others. Returns how many were sent."""
    from ..customers import sms

    sent = 0
    for send in (deliver, sms.deliver):
        while True:
            report = send(config, now)
            sent += report.sent
            if not report.sent or report.retried or report.failed:
                break
    return sent


def deliver(config: Mapping[str, Any], now: datetime, limit: int = BATCH) -> DeliveryReport:
    """Send every due pending email (up to ``limit``); commits as it goes."""
    report = DeliveryReport()
    ids = claim(now, batch_for(config, float(config.get("SMTP_TIMEOUT", 15)), limit), lease_for(config))
    if not ids:
        return report
    try:
        conn = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        for row_id in ids:
            retry(row_id, now, f"cannot reach the mail server: {_describe(exc)}", report)
        return report
    try:
        for row_id in ids:
            msg = db.session.get(OutboxMessage, row_id)
            if msg is None or msg.status != "pending":
                continue
            if withdrawn(msg, now):
                continue
            try:
                conn.send_message(_email(msg, config))
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                refused(row_id, now, _describe(exc), config, report, permanent=all(c >= 500 for c in codes))
            except smtplib.SMTPResponseException as exc:
                refused(row_id, now, _describe(exc), config, report, permanent=exc.smtp_code >= 500)
                if exc.smtp_code in (421,):  # the server is closing: stop this batch
                    break
            except (OSError, smtplib.SMTPException) as exc:
                retry(row_id, now, f"sending failed: {_describe(exc)}", report)
                break
            else:
                mark_sent(row_id, now)
                report.sent += 1
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
    # Rows claimed but not reached (the batch stopped early) wait for their lease to run out.
    return report


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    host = config.get("SMTP_HOST") or ""
    if not host:
        raise OSError("SMTP_HOST is not set")
    conn = smtplib.SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=float(config.get("SMTP_TIMEOUT", 15)))
    try:
        if config.get("SMTP_STARTTLS"):
            context = ssl.create_default_context()
            if config.get("SMTP_CAFILE"):
                context.load_verify_locations(config["SMTP_CAFILE"])
            conn.starttls(context=context)
        if config.get("SMTP_USER"):
            conn.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        conn.close()
        raise
    return conn


def _email(msg: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM") or "complaints@localhost"
    email["To"] = msg.to_addr
    email["Subject"] = msg.subject
    email["Date"] = formatdate(msg.created_at.timestamp())
    domain = (config.get("MAIL_FROM") or "complaints@localhost").rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox-{msg.id}@{domain}>"
    email["X-Complaints-Key"] = msg.key
    email.set_content(msg.body)
    return email


def mark_sent(row_id: int, now: datetime) -> None:
    from ..customers.operations import on_sent

    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id)
        .values(status="sent", sent_at=now, lease_until=None, attempts=OutboxMessage.attempts + 1,
                last_error=None)
    )
    on_sent(row_id, now)  # a customer told the outcome: in the same transaction as the row marked sent
    db.session.commit()


def withdrawn(msg: OutboxMessage, now: datetime) -> bool:
    """A message to a customer that no longer holds (the outcome of a resolve since reopened) is
    given up instead of sent; True when it was."""
    from ..customers.operations import still_current

    if msg.ticket_id is None or still_current(msg):
        return False
    msg.status = "failed"
    msg.lease_until = None
    msg.last_error = "withdrawn: the ticket was reopened before the message went out"
    db.session.commit()
    return True


def release(row_ids: list[int]) -> None:
    """Give back rows claimed but not tried (the batch stopped early): due again at the next pass."""
    if row_ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "pending")
                           .values(lease_until=None))
        db.session.commit()


def retry(row_id: int, now: datetime, error: str, report: DeliveryReport) -> None:
    msg = db.session.get(OutboxMessage, row_id)
    if msg is None:
        return
    msg.attempts += 1
    msg.last_error = error[:500]
    msg.lease_until = None
    msg.next_attempt_at = now + backoff(msg.attempts)
    db.session.commit()
    report.retried += 1
    # The error text may echo an address: it stays in the row, not in the log.
    log.warning("outbox %s: try %s failed; next try at %s", row_id, msg.attempts, msg.next_attempt_at.isoformat())


def refused(row_id: int, now: datetime, error: str, config: Mapping[str, Any], report: DeliveryReport,
            *, permanent: bool) -> None:
    msg = db.session.get(OutboxMessage, row_id)
    if msg is None:
        return
    if permanent:
        msg.rejections += 1
    if permanent and msg.rejections >= int(config.get("MAIL_MAX_REJECTIONS", 3)):
        msg.attempts += 1
        msg.status = "failed"
        msg.last_error = f"rejected: {error}"[:500]
        msg.lease_until = None
        db.session.commit()
        report.failed += 1
        log.warning("outbox %s: given up after %s rejections", row_id, msg.rejections)
        return
    db.session.commit()
    retry(row_id, now, f"rejected: {error}", report)


def retry_now(row_id: int, now: datetime) -> bool:
    """An admin sends a pending or failed row again at the next delivery."""
    msg = db.session.get(OutboxMessage, row_id)
    if msg is None or msg.status == "sent":
        return False
    msg.status = "pending"
    msg.rejections = 0
    msg.next_attempt_at = now
    msg.lease_until = None
    return True


# What went wrong, in a few kinds an admin can act on; the outbox page explains each in the
# reader's language and keeps the recorded text (English, as the libraries say it) beside it.
ERROR_KINDS = ("not_configured", "unreachable", "timeout", "tls", "auth", "refused", "other")
_AUTH_CODES = ("534 ", "535 ", "538 ")
_TLS = re.compile(r"\bssl|starttls|\btls\b|certificate")


def error_kind(error: str | None) -> str | None:
    """The kind of a recorded delivery error (``last_error``), from its text; None for none."""
    if not error:
        return None
    text = error.lower()
    detail = text.partition(": ")[2] if text.startswith(("cannot reach", "sending failed", "rejected")) else text
    if "smtp_host is not set" in text or "sms_gateway_url is not set" in text:
        return "not_configured"
    if "authentication" in text or detail.startswith(_AUTH_CODES) or detail.startswith(("http 401", "http 403")):
        return "auth"
    if _TLS.search(text):
        return "tls"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if text.startswith("rejected"):
        return "refused"
    if text.startswith("cannot reach") or any(word in text for word in (
            "connectionrefused", "connection refused", "gaierror", "name or service", "unreachable",
            "disconnected", "connection reset", "connectionreset", "broken pipe")):
        return "unreachable"
    return "other"


def _describe(exc: BaseException) -> str:
    # SMTP replies may echo the address; keep the code and the server's words short.
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"[:300]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {err.decode(errors='replace') if isinstance(err, bytes) else err}"
                         for code, err in exc.recipients.values())[:300]
    return f"{type(exc).__name__}: {exc}"[:300]
