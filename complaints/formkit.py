"""Form helpers shared by every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash
from wtforms.fields.choices import SelectChoice

from .errors import InvalidInput
from .extensions import db


def as_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_errors(form: Any, exc: InvalidInput) -> None:
    """Roll back what the refused change did, and show its messages beside the fields they name."""
    db.session.rollback()
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors = [*list(form[name].errors or []), message]
    flash(exc.message, "error")
