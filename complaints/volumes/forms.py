from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class GridForm(FlaskForm):
    """The grid's CSRF token; its cells are read from the post by name (see operations.cell_name)."""


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"},
                     description=_l("A header row office,month,items, then one line per office and month, "
                                    "e.g. SH-0101,2026-10,1234567. UTF-8; at most 1 MiB and 50,000 lines. "
                                    "A blank items value removes the figure. Nothing is saved unless every "
                                    "line is right."))
