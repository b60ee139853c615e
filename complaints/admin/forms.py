from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..formkit import as_choices


class OfficeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("e.g. SH-0101"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = StringField(_l("Time zone"), default="Asia/Shanghai",
                           validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Phone for customers"), validators=[Optional(), Length(max=64)],
                        description=_l("Shown on the slip and the status page, e.g. 021-64381234."),
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)],
                          description=_l("Shown on the slip and the status page."))
    region = SelectField(_l("Region"), choices=[], validate_choice=False,
                         description=_l("The region the office sits in: its supervisors cover it."))
    active = BooleanField(_l("Active"), default=True)


class UserForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[])
    offices = SelectMultipleField(_l("Offices"), choices=[])
    regions = SelectMultipleField(_l("Regions"), choices=[],
                                  description=_l("Supervisors only: each region covers every office below it."))
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)],
                             description=_l("At least 8 characters."))
    locale = SelectField(_l("Language"), choices=as_choices([("zh_CN", "中文"), ("en", "English")]))


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token."""
