"""Reading an uploaded CSV that is checked whole before anything is saved (volumes, regions).

A file is UTF-8 (with or without a BOM), starts with its header row, and is read one line at a
time so that a stray quote cannot swallow the lines after it. Every bad line is named by its
number; the caller refuses the whole file when any line is bad.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from .errors import InvalidInput

ERRORS_SHOWN = 20  # bad lines named one by one; the rest are counted


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str

    def __str__(self) -> str:  # line 0: the file as a whole
        return _("Line %(line)d: %(reason)s", line=self.line, reason=self.reason) if self.line else self.reason


class ImportRefused(InvalidInput):
    """The CSV was refused: ``bad`` names each bad line (the first ERRORS_SHOWN of them)."""

    def __init__(self, message: str, bad: list[BadLine], total: int | None = None):
        shown = bad[:ERRORS_SHOWN]
        total = len(bad) if total is None else total
        fields = {"file": " ".join(str(b) for b in shown)}
        super().__init__(message, fields)
        self.bad = shown
        self.more = max(0, total - len(shown))


def uploaded(form: Any, max_bytes: int) -> bytes:
    """The bytes of the form's ``file`` (one more than ``max_bytes`` at most, so that too large is
    seen); a post without a file is refused as a bad file, its message beside the field."""
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a CSV file.")]
        raise ImportRefused(_("Choose a CSV file."), [])
    return upload.stream.read(max_bytes + 1)


def read_rows(data: bytes, header: tuple[str, ...], *, max_bytes: int, max_lines: int) -> list[tuple[int, list[str]]]:
    """The file's lines after the header as (line number, cells), blank lines left out; refuses a
    file that is too large, not UTF-8, binary, too long, or without its header row."""
    if len(data) > max_bytes:
        raise ImportRefused(_("The file is too large."), [BadLine(0, _("At most 1 MiB."))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(_("The file is not UTF-8 text."),
                            [BadLine(data[:exc.start].count(b"\n") + 1,
                                     _("Not UTF-8 text: save the file as CSV UTF-8 and try again."))]) from None
    if "\x00" in text:
        raise ImportRefused(_("The file is not a CSV text file."), [BadLine(1, _("Contains a NUL character."))])
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the last line
    if len(lines) > max_lines + 1:
        raise ImportRefused(_("The file has too many lines."),
                            [BadLine(max_lines + 2, _("At most %(n)d lines of figures.", n=max_lines))])
    rows = [next(csv.reader([line]), []) for line in lines]
    if not rows or [c.strip().lower() for c in rows[0]] != list(header):
        raise ImportRefused(_("The file does not start with its header row."),
                            [BadLine(1, _("The first line must be: %(header)s", header=",".join(header)))])
    return [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
