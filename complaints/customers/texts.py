"""The texts of the messages to customers: one per event (logged, information requested, resolved).

Written in English as catalogue msgids and rendered in the customers' language (config
CUSTOMER_LOCALE, Chinese by default) when the message is queued; the outbox keeps the text as
sent. An SMS is short (one or two segments); the email says the same with a subject line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

# The events a customer hears about, in the order a ticket meets them.
EVENTS = ("log", "request_info", "resolve")
# The postal regulator's complaints line: where a dissatisfied customer may appeal (申诉).
APPEAL_LINE = "12305"


@dataclass(frozen=True)
class Values:
    """What a text is filled with: the ticket's reference, its office, the status page, the outcome."""

    ref: str
    office: str
    office_phone: str | None
    status_url: str
    outcome: str | None = None


@dataclass(frozen=True)
class Text:
    subject: str
    sms: str
    email: str


def status_url(ref: str, config: Mapping[str, Any]) -> str:
    """BASE_URL + the public status page with the reference filled in; no request is needed."""
    path = current_app.url_map.bind("localhost").build("public.status", {"ref": ref})
    return str(config.get("BASE_URL") or "").rstrip("/") + path


def locale(config: Mapping[str, Any]) -> str:
    return str(config.get("CUSTOMER_LOCALE") or "zh")


def render(event: str, values: Values, lang: str) -> Text:
    """The subject, SMS and email texts of ``event`` in ``lang``."""
    with force_locale(lang):
        return _RENDER[event](values)


def _ask(v: Values) -> str:
    if v.office_phone:
        return _("Questions: %(office)s, %(phone)s.", office=v.office, phone=v.office_phone)
    return _("Questions: ask at any counter of %(office)s.", office=v.office)


def _logged(v: Values) -> Text:
    subject = _("Your case %(ref)s has been registered", ref=v.ref)
    sms = _("We have registered your case, reference %(ref)s. A supervisor will review it and we will "
            "keep you informed. Follow it at %(url)s", ref=v.ref, url=v.status_url)
    email = "\n\n".join([
        _("We have registered your case at %(office)s. Your reference is %(ref)s.", office=v.office, ref=v.ref),
        _("What happens next: a supervisor reviews your case, then it is investigated and resolved. "
          "We will tell you the outcome."),
        _("You can follow it at %(url)s with the reference and the last four digits of your phone number.",
          url=v.status_url),
        _ask(v),
    ])
    return Text(subject, sms, email)


def _info_requested(v: Values) -> Text:
    subject = _("We need more information about your case %(ref)s", ref=v.ref)
    sms = _("To continue with your case %(ref)s we need more information from you. We will contact you; "
            "you may also contact %(office)s. Status: %(url)s", ref=v.ref, office=v.office, url=v.status_url)
    email = "\n\n".join([
        _("To continue with your case %(ref)s we need more information from you.", ref=v.ref),
        _("We will contact you shortly. Until we hear from you, the case waits."),
        _("You can follow it at %(url)s with the reference and the last four digits of your phone number.",
          url=v.status_url),
        _ask(v),
    ])
    return Text(subject, sms, email)


def _resolved(v: Values) -> Text:
    subject = _("Your case %(ref)s has been resolved", ref=v.ref)
    sms = _("Your case %(ref)s has been resolved: %(outcome)s If you are not satisfied, you may appeal to the "
            "postal regulator on %(line)s.", ref=v.ref, outcome=v.outcome or "", line=APPEAL_LINE)
    email = "\n\n".join([
        _("Your case %(ref)s has been resolved.", ref=v.ref),
        _("The outcome: %(outcome)s", outcome=v.outcome or ""),
        _("If you are not satisfied with this outcome, you may appeal to the postal regulator on %(line)s.",
          line=APPEAL_LINE),
        _("Status: %(url)s", url=v.status_url),
        _ask(v),
    ])
    return Text(subject, sms, email)


_RENDER = {"log": _logged, "request_info": _info_requested, "resolve": _resolved}


def samples(config: Mapping[str, Any], langs: tuple[str, ...] = ("zh", "en")) -> list[tuple[str, str, Text]]:
    """Every text rendered with example values, per language: (lang, event, text), for the admin page."""
    ref = "C-2026-000123"
    out = []
    for lang in langs:
        with force_locale(lang):
            outcome = _("We have checked the counter's records, apologised and retrained the clerk.")
        values = Values(ref=ref, office="上海徐汇营业部", office_phone="021-64321234",
                        status_url=status_url(ref, config), outcome=outcome)
        out.extend((lang, event, render(event, values, lang)) for event in EVENTS)
    return out
