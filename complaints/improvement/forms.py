"""The form on a clerk's card. Only the CSRF token is checked by WTForms; the fields are checked by
operations.record_action, whose messages are put back on the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from ..domain import ActionKind, choices, label
from ..formkit import as_choices
from .operations import ACTION_FACTORS, DESCRIPTION_MAX, MAX_AHEAD


class ActionForm(FlaskForm):
    factor = SelectField(_l("Factor"), validate_choice=False)
    action = SelectField(_l("Action"), validate_choice=False)
    review_month = StringField(_l("Review month"), render_kw={"type": "month", "placeholder": "YYYY-MM"},
                               description=_l("When to look at the factor again: after this month, "
                                              "at most %(n)d months ahead.", n=MAX_AHEAD))
    description = TextAreaField(_l("What was done"), render_kw={"maxlength": DESCRIPTION_MAX, "rows": 3})

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002,ANN003
        super().__init__(*args, **kwargs)
        # Built per request: the labels are in the user's language.
        self.factor.choices = as_choices((f.value, label(f)) for f in ACTION_FACTORS)
        self.action.choices = as_choices(choices(ActionKind))
