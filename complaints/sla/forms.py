from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..formkit import as_choices

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


class PolicyForm(FlaskForm):
    triage_minutes = IntegerField(_l("Triage within (minutes)"), validators=[InputRequired(), NumberRange(1)])
    resolve_minutes = IntegerField(_l("Resolve within (minutes, from triage)"),
                                   validators=[InputRequired(), NumberRange(1)])
    follow_up_minutes = IntegerField(_l("Follow up within (minutes, from resolution)"),
                                     validators=[InputRequired(), NumberRange(1)])
    escalate_after_minutes = IntegerField(_l("Escalate when overdue for (minutes)"),
                                          validators=[InputRequired(), NumberRange(0)])
    calendar = SelectField(_l("Counted in"), choices=as_choices([("business", _l("Business hours")),
                                                                  ("24x7", _l("Around the clock (24x7)"))]))


class CalendarForm(FlaskForm):
    holidays = TextAreaField(_l("Holidays"), validators=[Optional()],
                             description=_l("One date per line (YYYY-MM-DD), optionally followed by a name."))


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
                         description=_l("Paste a list: one date per line (YYYY-MM-DD), optionally a name."))
