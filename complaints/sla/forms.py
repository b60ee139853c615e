from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from ..formkit import as_choices

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


# Units an admin may type a target in, as minutes each; a working day is 8 hours of
# business time (business-hours policies), a day 24 hours (round-the-clock policies).
UNIT_MINUTES = {"minutes": 1, "hours": 60, "working_days": 8 * 60, "days": 24 * 60}
UNITS = [("minutes", _l("minutes")), ("hours", _l("hours")),
         ("working_days", _l("working days (8 business hours)")), ("days", _l("days (24 hours)"))]


def _finite(form, field) -> None:  # noqa: ANN001, ARG001
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Not a valid decimal value."))


def _amount(label):  # noqa: ANN001, ANN202
    return DecimalField(label, places=None, validators=[InputRequired(), _finite, NumberRange(0, 10**7)])


def _unit():  # noqa: ANN202
    # Absent from a post means minutes, as the form took before units were offered.
    return SelectField(_l("Unit"), choices=as_choices(UNITS), default="minutes")


class PolicyForm(FlaskForm):
    """Each target is a number and a unit; the policy stores minutes (see ``target_minutes``).

    The number fields keep their old names (``triage_minutes`` ...) so that a post without
    units still means minutes.
    """

    triage_minutes = _amount(_l("Triage within"))
    triage_minutes_unit = _unit()
    resolve_minutes = _amount(_l("Resolve within (from triage)"))
    resolve_minutes_unit = _unit()
    follow_up_minutes = _amount(_l("Follow up within (from resolution)"))
    follow_up_minutes_unit = _unit()
    escalate_after_minutes = _amount(_l("Escalate when overdue for"))
    escalate_after_minutes_unit = _unit()
    calendar = SelectField(_l("Counted in"), choices=as_choices([("business", _l("Business hours")),
                                                                  ("24x7", _l("Around the clock (24x7)"))]))

    def target_minutes(self, name: str) -> int | None:
        """The target typed in field ``name`` as whole minutes (rounded), or None after an error here."""
        unit = self[f"{name}_unit"].data
        if unit == "working_days" and self.calendar.data == "24x7":
            self[name].errors = [*self[name].errors, _l("A round-the-clock policy counts days of 24 hours, "
                                                        "not working days.")]
            return None
        if unit == "days" and self.calendar.data != "24x7":
            self[name].errors = [*self[name].errors, _l("A business-hours policy counts working days, "
                                                        "not days of 24 hours.")]
            return None
        minutes = Decimal(self[name].data) * UNIT_MINUTES[unit]
        return int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def policy_form_data(policy) -> dict:  # noqa: ANN001
    """A stored policy as the form shows it: each target in the largest unit that is exact."""
    big = "days" if policy.calendar == "24x7" else "working_days"
    data: dict = {"calendar": policy.calendar}
    for name in ("triage_minutes", "resolve_minutes", "follow_up_minutes", "escalate_after_minutes"):
        minutes = getattr(policy, name)
        unit = next((u for u in (big, "hours") if minutes and minutes % UNIT_MINUTES[u] == 0), "minutes")
        data[name] = minutes // UNIT_MINUTES[unit]
        data[f"{name}_unit"] = unit
    return data


class CalendarForm(FlaskForm):
    holidays = TextAreaField(_l("Office exceptions"), validators=[Optional()],
                             description=_l("One date per line (YYYY-MM-DD), optionally followed by a name: "
                                            "the office is closed that day. Write “open” after the date "
                                            "for an extra open day (with the Monday hours)."))


def calendar_form_class():  # noqa: ANN201 - a FlaskForm subclass with one row per weekday
    class _Form(CalendarForm):
        pass

    for day in range(7):
        setattr(_Form, f"open{day}", BooleanField(WEEKDAYS[day]))
        setattr(_Form, f"opens{day}", StringField(_l("Opens"), validators=[Optional()]))
        setattr(_Form, f"closes{day}", StringField(_l("Closes"), validators=[Optional()]))
    return _Form


class ImportHolidaysForm(FlaskForm):
    text = TextAreaField(_l("Holidays to add"), validators=[InputRequired()],
                         description=_l("Paste a list: one date per line (YYYY-MM-DD), optionally “open”, "
                                        "optionally a name."))


class ReplyPolicyForm(FlaskForm):
    """The statutory reply target of one (kind, channel), in working days of the national calendar."""

    days = IntegerField(_l("Reply within (working days)"), validators=[InputRequired(), NumberRange(0, 60)],
                        description=_l("From logging until the customer has been given the outcome; "
                                       "0: no reply clock. For regulator appeals: when the forwarding "
                                       "notice names no deadline."))
    escalate_after_days = IntegerField(_l("Escalate when overdue for (working days)"),
                                       validators=[InputRequired(), NumberRange(0, 30)])
