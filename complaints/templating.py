"""Jinja helpers: labels, masked phones, dates in the user's time zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request, url_for
from flask_babel import format_datetime, get_locale

from .authz import phone_for
from .domain import label
from .workflow import TRANSITIONS


def _dt(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def _page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(label=label, get_locale=get_locale, phone_for=phone_for, page_url=_page_url,
                                 transitions=TRANSITIONS,
                                 transitions_by_event={t.event: t for t in TRANSITIONS})
    app.jinja_env.filters["dt"] = _dt
    app.jinja_env.filters["label"] = label
