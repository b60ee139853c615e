"""Messages to the customer: what to queue, when, and on which channel.

With the customer's consent (``Ticket.customer_consent``) a short message goes out when the ticket
is logged, when information is requested and when it is resolved (with the outcome): an SMS to a
mobile when an SMS gateway is configured, an email when the customer gave an address and a mail
server is set. Each is queued in the outbox in the transaction of the event it tells of, keyed by
(ticket, the event's seq, channel): the same message is never queued twice, however often this is
called. A channel that is off queues nothing (never a pretend send); the ticket page says why.

Phone numbers and addresses are personal data: they live in the outbox row only, are never
logged and are shown masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..authz import EXTENSION, mask_email, mask_phone
from ..domain import CASE_KINDS, State
from ..extensions import db
from ..models import OutboxMessage, Ticket, TicketEvent
from . import texts

CHANNELS = ("sms", "email")


def is_mobile(phone: str | None) -> bool:
    """A mobile number (an SMS can reach it); landlines, extensions and unknown numbers are not."""
    import phonenumbers

    if not phone or EXTENSION in phone:
        return False
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and \
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def sms_configured(config: Mapping[str, Any]) -> bool:
    return bool(str(config.get("SMS_GATEWAY_URL") or "").strip())


def email_configured(config: Mapping[str, Any]) -> bool:
    return bool(str(config.get("SMTP_HOST") or "").strip())


def channels_off(ticket: Ticket, config: Mapping[str, Any]) -> dict[str, str | None]:
    """Per channel, why it is off for this ticket (in the reader's language), or None when it is on."""
    out: dict[str, str | None] = {}
    if not ticket.customer_phone:
        out["sms"] = _("no phone number was given")
    elif not is_mobile(ticket.customer_phone):
        out["sms"] = _("the phone number is not a mobile")
    elif not sms_configured(config):
        out["sms"] = _("no SMS gateway is configured (SMS_GATEWAY_URL)")
    else:
        out["sms"] = None
    if not ticket.customer_email:
        out["email"] = _("no email address was given")
    elif not email_configured(config):
        out["email"] = _("no mail server is configured (SMTP_HOST)")
    else:
        out["email"] = None
    return out


def values_for(ticket: Ticket, config: Mapping[str, Any]) -> texts.Values:
    return texts.Values(ref=ticket.ref, office=ticket.office.name, office_phone=ticket.office.phone,
                        status_url=texts.status_url(ticket.ref, config), outcome=ticket.outcome)


def on_event(ticket: Ticket, event: TicketEvent, now: datetime) -> int:
    """Queue what the customer is told of ``event`` (flushed, in the caller's transaction); how many
    messages were queued now (0 when they were queued before, or nothing is due)."""
    if event.event not in texts.EVENTS or not ticket.customer_consent:
        return 0
    if ticket.kind not in CASE_KINDS:
        return 0  # the texts tell of a case and its outcome; praise has neither
    config = current_app.config
    off = channels_off(ticket, config)
    wanted = [c for c in CHANNELS if off[c] is None]
    if not wanted:
        return 0
    text = texts.render(event.event, values_for(ticket, config), texts.locale(config))
    queued = 0
    for channel in wanted:
        to_addr = ticket.customer_phone if channel == "sms" else ticket.customer_email
        body = text.sms if channel == "sms" else text.email
        queued += _queue(ticket, event.seq, channel, str(to_addr), text.subject, body, now)
    return queued


def _queue(ticket: Ticket, seq: int, channel: str, to_addr: str, subject: str, body: str, now: datetime) -> int:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    if ticket.id is None:
        db.session.flush()
    stmt = insert(OutboxMessage).values(
        key=f"customer:{ticket.id}:{seq}:{channel}", channel=channel, ticket_id=ticket.id, event_seq=seq,
        recipient_id=None, to_addr=to_addr, subject=subject[:300], body=body, status="pending", attempts=0,
        rejections=0, next_attempt_at=now, created_at=now,
    ).on_conflict_do_nothing().returning(OutboxMessage.id)  # the key or (ticket, seq, channel): queued before
    return 1 if db.session.scalar(stmt) is not None else 0


def still_current(msg: OutboxMessage) -> bool:
    """Whether a queued customer message still tells the truth: the outcome of a resolve holds only
    while the ticket is resolved or closed by that very resolve (not reopened, not resolved again)."""
    event = db.session.scalar(select(TicketEvent.event).where(
        TicketEvent.ticket_id == msg.ticket_id, TicketEvent.seq == msg.event_seq))
    if event != "resolve":
        return True
    ticket = db.session.get(Ticket, msg.ticket_id)
    if ticket is None or ticket.state not in (State.RESOLVED, State.CLOSED):
        return False
    latest = db.session.scalar(select(func.max(TicketEvent.seq)).where(
        TicketEvent.ticket_id == msg.ticket_id, TicketEvent.event == "resolve"))
    return latest == msg.event_seq


def on_sent(row_id: int, now: datetime) -> None:
    """A row was just marked sent (same transaction): the outcome reaching the customer stops the
    statutory reply clock."""
    msg = db.session.get(OutboxMessage, row_id)
    if msg is None or msg.ticket_id is None or msg.event_seq is None:
        return
    event = db.session.scalar(select(TicketEvent.event).where(
        TicketEvent.ticket_id == msg.ticket_id, TicketEvent.seq == msg.event_seq))
    if event != "resolve":
        return
    from ..sla.reply import customer_told

    ticket = db.session.get(Ticket, msg.ticket_id)
    if ticket is not None:
        customer_told(ticket, now)


def mask_address(channel: str, to_addr: str | None) -> str:
    """138****5678 for a phone, w***@example.com for an address."""
    if not to_addr:
        return ""
    if channel == "sms":
        return mask_phone(to_addr) or ""
    return mask_email(to_addr) or ""


def shown_to(msg: OutboxMessage) -> str:
    """Whom a row goes to, as the outbox page shows it: a staff address whole, a customer's masked."""
    return msg.to_addr if msg.recipient_id else mask_address(msg.channel, msg.to_addr)


def shown_error(msg: OutboxMessage) -> str:
    """The recorded error, with a customer's phone or address masked where the server echoed it."""
    error = msg.last_error or ""
    return error if msg.recipient_id or not msg.to_addr else error.replace(msg.to_addr, shown_to(msg))


@dataclass(frozen=True)
class Summary:
    """What the ticket page shows: consent, each channel on or why off, the messages so far."""

    consent: bool
    off: dict[str, str | None]
    messages: list[OutboxMessage]
    events: dict[int, str]

    @property
    def all_off(self) -> bool:
        return all(reason is not None for reason in self.off.values())


def summary(ticket: Ticket) -> Summary:
    messages = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)))
    events = {e.seq: e.event for e in ticket.events}
    return Summary(consent=bool(ticket.customer_consent), off=channels_off(ticket, current_app.config),
                   messages=messages, events=events)
