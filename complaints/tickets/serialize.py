"""The JSON shape of a ticket, as the API returns it (phone masked unless allowed)."""

from __future__ import annotations

from typing import Any

from ..authz import email_for, phone_for
from ..models import Ticket, TicketEvent, User
from ..sla.status import deadlines_to_dict
from ..workflow import allowed_events


def _email(user: User | None) -> str | None:
    return user.email if user else None


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


def event_to_dict(ev: TicketEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "event": ev.event,
        "from": ev.from_state.value if ev.from_state else None,
        "to": ev.to_state.value,
        "actor": ev.actor.email,
        "at": _iso(ev.at),
        "payload": ev.payload,
    }


def attachment_to_dict(a) -> dict[str, Any]:  # noqa: ANN001 - models.Attachment
    return {
        "id": a.id,
        "name": a.name,
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "uploaded_by": a.uploaded_by.email,
        "uploaded_at": _iso(a.uploaded_at),
        "redacted": a.redacted,
        "redaction_reason": a.redaction_reason,
    }


def money(value) -> str | None:  # noqa: ANN001 - Decimal yuan
    """Yuan as an exact string with two decimals ("120.50"): never a float."""
    return None if value is None else f"{value:.2f}"


def compensation_to_dict(comp) -> dict[str, Any] | None:  # noqa: ANN001 - models.Compensation
    if comp is None:
        return None
    return {
        "claimed": money(comp.claimed),
        "offered": money(comp.offered),
        "basis": comp.basis.value,
        "status": comp.current_status.value,
        "approved_by": _email(comp.approved_by),
        "approved_at": _iso(comp.approved_at),
        "paid_on": _iso(comp.paid_on),
        "payment_ref": comp.payment_ref,
        "refused_reason": comp.refused_reason,
        "created_at": _iso(comp.created_at),
    }


def ticket_to_dict(ticket: Ticket, viewer: User, now, history: bool = True,  # noqa: ANN001
                   appeals: list[str] | None = None) -> dict[str, Any]:
    """``appeals``: the references of the appeals that escalated this ticket, when the caller has
    read them for a whole page at once; else read here."""
    from .appeals import appeal_refs

    data: dict[str, Any] = {
        "ref": ticket.ref,
        "kind": ticket.kind.value,
        "channel": ticket.channel.value,
        "state": ticket.state.value,
        "version": ticket.version,
        "office": ticket.office.code,
        "description": ticket.description,
        "occurred_at": _iso(ticket.occurred_at),
        "customer_name": ticket.customer_name,
        "customer_phone": phone_for(viewer, ticket),
        "clerk": _email(ticket.involved_clerk),
        "logged_by": _email(ticket.logged_by),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "severity": ticket.severity.value if ticket.severity else None,
        "category": ticket.category.value,
        "items": [{"number": i.number, "product": i.product.value} for i in ticket.items],
        "assignee": _email(ticket.assignee),
        "reject_reason": ticket.reject_reason.value if ticket.reject_reason else None,
        "duplicate_of": ticket.duplicate_of.ref if ticket.duplicate_of else None,
        "resolution": ticket.resolution,
        "finding": ticket.finding.value if ticket.finding else None,
        "root_cause": ticket.root_cause.value if ticket.root_cause else None,
        "attributed_clerk": _email(ticket.attributed_clerk),
        "resolved_at": _iso(ticket.resolved_at),
        "contact": ticket.contact.value if ticket.contact else None,
        "expectation": ticket.expectation,
        "perception": ticket.perception,
        "satisfied": ticket.satisfied,
        "closed_at": _iso(ticket.closed_at),
        "customer_consent": ticket.customer_consent,
        "customer_email": email_for(viewer, ticket),
        "outcome": ticket.outcome,
        "regulator_case": ticket.regulator_case,
        "regulator_due": _iso(ticket.regulator_due),
        "regulator_reply": ticket.regulator_reply,
        "regulator_replied_on": _iso(ticket.regulator_replied_on),
        "verdict": ticket.verdict.value if ticket.verdict else None,
        "verdict_at": _iso(ticket.verdict_at),
        "appeal_of": ticket.appeal_of.ref if ticket.appeal_of else None,
        "appeals": appeals if appeals is not None else appeal_refs([ticket.id]).get(ticket.id, []),
        "compensation": compensation_to_dict(ticket.compensation),
        "deadlines": deadlines_to_dict(ticket, now),
        "allowed_events": [t.event for t in allowed_events(ticket, viewer, now)],
    }
    if history:
        data["history"] = [event_to_dict(ev) for ev in ticket.events]
        data["attachments"] = [attachment_to_dict(a) for a in ticket.attachments]
    return data
