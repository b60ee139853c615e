"""Severity weights and penalties for the negative factors, and the points a verified commendation adds
to highlights (admin-editable, defaults shipped)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ..errors import InvalidInput
from ..extensions import db
from ..models import ScoreSettings
from ..textcheck import as_int

FIELDS = ("weight_low", "weight_medium", "weight_high", "weight_critical", "complaint_penalty", "error_penalty",
          "commendation_points")
MAX_VALUE = 100
FACTOR_MAX = 10  # an assessed factor's range is 0 to 10
# Highlights stay within 0..10, so more points per commendation than that would mean nothing.
MAXIMA = {"commendation_points": FACTOR_MAX}
# Clients that predate the setting send none: it keeps its value (0, off, unless an admin set it).
OPTIONAL = frozenset({"commendation_points"})


@dataclass(frozen=True)
class Weights:
    weight_low: int = 1
    weight_medium: int = 2
    weight_high: int = 3
    weight_critical: int = 5
    complaint_penalty: int = 5
    error_penalty: int = 3
    commendation_points: int = 0  # per verified commendation, added to highlights; 0: off

    def for_severity(self) -> dict[str, int]:
        return {"low": self.weight_low, "medium": self.weight_medium, "high": self.weight_high,
                "critical": self.weight_critical}

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def get_weights() -> Weights:
    row = db.session.get(ScoreSettings, 1)
    if row is None:
        return Weights()
    return Weights(**{f: getattr(row, f) for f in FIELDS})


def set_weights(raw: Mapping[str, Any], now: datetime) -> Weights:
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for key in raw:
        if key not in FIELDS:
            errors[str(key)[:64]] = _("Unknown field.")
    for name in FIELDS:
        if name in OPTIONAL and name not in raw:
            continue
        value = raw.get(name)
        if isinstance(value, str) and as_int(value) is not None:
            value = as_int(value)
        hi = MAXIMA.get(name, MAX_VALUE)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
            errors[name] = _("Must be a whole number from 0 to %(hi)d.", hi=hi)
        else:
            values[name] = value
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    row = db.session.get(ScoreSettings, 1)
    if row is None:
        row = ScoreSettings(id=1)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    db.session.flush()
    return get_weights()
