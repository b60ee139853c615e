"""The report as an XLSX workbook (XlsxWriter): one sheet per section, a sheet about the report and one
of the repeat complainants.

Numbers are number cells (money with two decimals, percentages as percentages), dates date cells;
headers are the user's language's labels; every sheet's header row is frozen.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import xlsxwriter
from flask_babel import gettext as _

from .figures import Report
from .sections import MEAN, PCT, RATE, YUAN, sections

SHEET_NAME_MAX = 31  # Excel's limit
FORBIDDEN_IN_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(title: str, used: set[str]) -> str:
    name = title.translate(FORBIDDEN_IN_NAMES).strip()[:SHEET_NAME_MAX] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def workbook(report: Report) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True})
    fmt = {
        YUAN: book.add_format({"num_format": "#,##0.00"}),
        PCT: book.add_format({"num_format": "0.0%"}),
        RATE: book.add_format({"num_format": "0.00"}),
        MEAN: book.add_format({"num_format": "0.00"}),
    }
    count_fmt = book.add_format({"num_format": "#,##0"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    used: set[str] = set()
    zone = ZoneInfo(report.zone)

    about = book.add_worksheet(_sheet_name(_("Report"), used))
    about.write_row(0, 0, [_("Item"), _("Value")], head)
    about.freeze_panes(1, 0)
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 36)
    unit = report.unit
    about.write_row(1, 0, [_("Region") if unit.kind == "region" else _("Office"), f"{unit.code} {unit.name}"])
    about.write_row(2, 0, [_("Period"), report.period.code])
    about.write(3, 0, _("First day"))
    about.write_datetime(3, 1, report.period.first_day, date_fmt)  # type: ignore[arg-type]
    about.write(4, 0, _("Last day"))
    about.write_datetime(4, 1, report.period.last_day, date_fmt)  # type: ignore[arg-type]
    about.write(5, 0, _("Generated at"))
    about.write_datetime(5, 1, report.generated_at.astimezone(zone).replace(tzinfo=None), time_fmt)
    about.write_row(6, 0, [_("Previous period"), report.previous.period.code])
    about.write_row(7, 0, [_("Same period last year"), report.last_year.period.code])

    headers = [_("Figure"), _("This period (%(period)s)", period=report.period.code),
               _("Previous period (%(period)s)", period=report.previous.period.code),
               _("Same period last year (%(period)s)", period=report.last_year.period.code)]
    for section in sections(report):
        sheet = book.add_worksheet(_sheet_name(section.title, used))
        sheet.write_row(0, 0, headers, head)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 3, 18)
        for i, row in enumerate(section.rows, start=1):
            sheet.write_string(i, 0, row.label)
            for j, value in enumerate(row.values, start=1):
                if value is None:
                    sheet.write_blank(i, j, None)
                elif row.kind == PCT:
                    sheet.write_number(i, j, float(value) / 100, fmt[PCT])
                else:
                    sheet.write_number(i, j, float(value), fmt.get(row.kind, count_fmt))
        if section.note:
            sheet.write_string(len(section.rows) + 2, 0, section.note)

    repeat = book.add_worksheet(_sheet_name(_("Repeat complainants (list)"), used))
    repeat.write_row(0, 0, [_("Customer phone"), _("Complaints"), _("First logged"), _("Last logged"),
                            _("References")], head)
    repeat.freeze_panes(1, 0)
    repeat.set_column(0, 0, 16)
    repeat.set_column(2, 3, 14)
    repeat.set_column(4, 4, 60)
    for i, rc in enumerate(report.repeaters, start=1):
        repeat.write_string(i, 0, rc.phone)
        repeat.write_number(i, 1, rc.complaints, count_fmt)
        repeat.write_datetime(i, 2, rc.first.astimezone(zone).date(), date_fmt)  # type: ignore[arg-type]
        repeat.write_datetime(i, 3, rc.last.astimezone(zone).date(), date_fmt)  # type: ignore[arg-type]
        repeat.write_string(i, 4, " ".join(rc.refs))
    book.close()
    return out.getvalue()
