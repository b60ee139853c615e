"""The one place that reads the wall clock; everything below it takes `now` as an argument."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
