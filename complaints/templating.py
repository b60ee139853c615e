"""Jinja helpers: labels, masked phones, dates in the user's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _lg

from .authz import phone_for
from .domain import label
from .workflow import BY_EVENT, RECORDS, TRANSITIONS


def _dt(value: datetime | None, fmt: str = "medium") -> str:
    """A time in the user's zone and language; fmt "minutes" is the medium date with the time to the minute
    (for when something happened or was logged: the seconds are noise there)."""
    if value is None:
        return ""
    if fmt == "minutes":
        loc = get_locale()
        fmt = (str(loc.datetime_formats["medium"]).replace("{1}", loc.date_formats["medium"].pattern)
               .replace("{0}", loc.time_formats["short"].pattern))
    return format_datetime(value, fmt)


def _field(event: str, name: str):  # noqa: ANN202
    t = BY_EVENT.get(event)
    return next((f for f in t.fields if f.name == name), None) if t else None


RECORD_FIELDS = {  # the payload of the history entries that are not workflow events (evidence)
    "attachment": _lg("File number"), "name": _lg("File name"), "size": _lg("Size (bytes)"),
    "sha256": _lg("SHA-256"), "content_type": _lg("Type"), "reason": _lg("Reason"),
}


def _field_label(event: str, name: str) -> str:
    """The translated label of an event's input, for showing history payloads."""
    f = _field(event, name)
    if f is None and event in RECORDS and name in RECORD_FIELDS:
        return str(RECORD_FIELDS[name])
    return str(f.label) if f else name


def _event_label(event: str) -> str:
    t = BY_EVENT.get(event) or RECORDS.get(event)
    return str(t.label) if t else event


def _person(email: str) -> str:
    """A user's name for an email in the history (one lookup per person and request)."""
    from flask import g
    from sqlalchemy import select

    from .extensions import db
    from .models import User

    names = g.setdefault("_names_by_email", {})
    if email not in names:
        names[email] = db.session.scalar(select(User.name).where(User.email == email)) or email
    return names[email]


def _payload_value(event: str, name: str, value: Any) -> str:
    """A history payload value as a person reads it: labels, names, yes/no, local times."""
    f = _field(event, name)
    if f is not None and f.type == "items" and isinstance(value, list):
        from .domain import Product

        return ", ".join(f"{i.get('number')} ({label(Product(i['product']))})" if i.get("product") in
                         Product.__members__.values() else str(i.get("number")) for i in value if isinstance(i, dict))
    if f is not None and f.type == "user" and isinstance(value, str):
        return _person(value)
    if f is not None and f.choices is not None and isinstance(value, str) and value in [m.value for m in f.choices]:
        return label(f.choices(value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if f is not None and f.type == "datetime" and isinstance(value, str):
        try:
            return _dt(datetime.fromisoformat(value), "minutes")
        except ValueError:
            return value
    if isinstance(value, str):
        return label(value)
    return str(value)


def _page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(label=label, field_label=_field_label,
                                 payload_value=_payload_value, get_locale=get_locale,
                                 phone_for=phone_for, page_url=_page_url,
                                 transitions=TRANSITIONS, event_label=_event_label,
                                 transitions_by_event={t.event: t for t in TRANSITIONS})
    app.jinja_env.filters["dt"] = _dt
    app.jinja_env.filters["business_duration"] = _business_duration
    app.jinja_env.globals["clock_label"] = _clock_label
    app.jinja_env.globals["clock_state"] = _clock_state
    app.jinja_env.globals["zip"] = zip
    from .scorecards.views import factor_label

    app.jinja_env.globals["factor_label"] = factor_label
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["day"] = _day
    app.jinja_env.filters["yuan"] = _yuan


def _day(value: Any) -> str:
    """A calendar date (no time, no zone) in the user's language."""
    from flask_babel import format_date

    return format_date(value, "medium") if value else ""


def _yuan(value: Any) -> str:
    """Yuan exactly as stored, two decimals, thousands grouped: 1,234.50 (never through a float)."""
    return "" if value is None else f"{value:,.2f}"


def _business_duration(seconds: int) -> str:
    from .sla.messages import duration

    return duration(seconds)


def _clock_label(clock: str) -> str:
    from .sla.messages import clock_label

    return clock_label(clock)


def _clock_state(deadline) -> str:  # noqa: ANN001
    from .sla.status import state_of

    return state_of(deadline)
