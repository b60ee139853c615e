"""Checks for free text that arrives from forms and the API."""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL and C1 controls; tab and newlines are allowed only in multi-line text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_chars(value: str, multiline: bool) -> bool:
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    return bool(pattern.search(value))


def normalise_newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def contains_nul(value: object) -> bool:
    """True when a string anywhere in a JSON-like value holds a NUL (databases refuse them)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


_INT = re.compile(r"-?[0-9]{1,9}")


def as_int(value: object) -> int | None:
    """An int from a whole-number string of ASCII digits ('²' and '٣' are digits to str.isdigit, not here)."""
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def encodable(value: object) -> bool:
    """False when a string anywhere in a JSON-like value holds a lone surrogate (not valid UTF-8)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(encodable(k) and encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(encodable(v) for v in value)
    return True


def required_line(value: Any, errors: dict[str, str], field: str = "name", max_len: int = 200) -> str:
    """A required one-line text field (a name), stripped; a message under ``field`` in ``errors`` when it
    is missing, too long or holds control characters."""
    from flask_babel import gettext as _

    if not isinstance(value, str) or not value.strip():
        errors[field] = _("This field is required.")
        return ""
    value = value.strip()
    if len(value) > max_len:
        errors[field] = _("At most %(n)d characters.", n=max_len)
    elif has_control_chars(value, multiline=False):
        errors[field] = _("Contains control characters.")
    return value
