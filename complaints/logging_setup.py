"""Logging that never carries personal data: phone numbers are redacted on every record."""

from __future__ import annotations

import logging
import re

from flask import Flask

# Phone numbers are stored compact (digits, optional +); 7 or more digits in a row is
# treated as one wherever it appears.
_PHONE = re.compile(r"(?<!\d)\+?\d{7,20}(?!\d)")


def redact(text: str) -> str:
    return _PHONE.sub("[redacted]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app: Flask) -> None:
    flt = RedactPersonalData()
    for name in ("", "werkzeug", app.logger.name, "sqlalchemy"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPersonalData) for f in logger.filters):
            logger.addFilter(flt)
    for handler in logging.getLogger().handlers + app.logger.handlers:
        if not any(isinstance(f, RedactPersonalData) for f in handler.filters):
            handler.addFilter(flt)
