"""CSV for spreadsheets: UTF-8 with a BOM (so Excel reads Chinese), and no cell run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Spreadsheets run cells that begin with = + - @ tab or CR as formulas: prefix those with '."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def stream(header: list[str], rows: Iterable[Iterable[object]], chunk: int = 500) -> Iterator[str]:
    """Yield the CSV text in chunks, BOM first, so that a large export never sits in memory."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    yield BOM + buf.getvalue()
    buf.seek(0)
    buf.truncate()
    for i, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if i % chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue()
