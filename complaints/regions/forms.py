from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("Letters, digits and dashes, e.g. SH-XH."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = StringField(_l("Parent region"), validators=[Optional(), Length(max=32)],
                         description=_l("The code of the region above; empty for the top of the tree."))


class RegionEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = StringField(_l("Parent region"), validators=[Optional(), Length(max=32)],
                         description=_l("The code of the region above; empty for the top of the tree."))


class DeleteForm(FlaskForm):
    """The delete button's CSRF token."""


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"},
                     description=_l("A header row code,name,parent_code, then one line per region, e.g. "
                                    "SH-XH,徐汇区,SH. A line with an office's code places that office in the "
                                    "region parent_code. UTF-8; at most 1 MiB. Nothing is saved unless every "
                                    "line is right."))
