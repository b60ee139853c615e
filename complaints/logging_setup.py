"""Logging that never carries personal data: phone numbers are redacted on every record."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect

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
    if app.config.get("LOG_FORMAT") == "json":
        init_structured(app)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request fields given as extra."""

    FIELDS = ("method", "path", "status", "ms", "user_id")

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            if hasattr(record, field):
                out[field] = getattr(record, field)
        if record.exc_info:
            out["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
            out["trace"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def init_structured(app: Flask) -> None:
    """Production logging: JSON lines on stdout, one per request and one per warning or error.

    The request line carries the method, the path without its query string (queries may hold
    a phone number), the status, the time taken and the user's id; never a name, phone or email.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)  # one JSON handler per process, whatever the number of apps
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalData())
    root.addHandler(handler)
    app.logger.removeHandler(default_handler)  # else Flask's own text handler prints each record again
    logging.getLogger("complaints").setLevel(logging.INFO)
    request_log = logging.getLogger("complaints.request")

    @app.before_request
    def _start_timer() -> None:
        g._t0 = time.perf_counter()

    @app.after_request
    def _log_request(response):  # noqa: ANN001, ANN202
        started = g.pop("_t0", None)
        ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        user_id = _known_id(g.get("api_user"))
        if user_id is None and "_login_user" in g:
            user_id = _known_id(g._login_user)  # only a user already loaded
        request_log.info("request", extra={
            "method": request.method, "path": request.path, "status": response.status_code,
            "ms": ms, "user_id": user_id,
        })
        return response


def _known_id(user: object) -> int | None:
    """The user's id as the session already knows it: never a query, even after a commit
    expired the object (reading ``user.id`` then reloads the row, one more round trip on
    every request that wrote, or a failure while the database is away)."""
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return identity[0] if identity else None
