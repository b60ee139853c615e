"""Progress of long command-line work on a terminal: done of total, the share, and the time left.

Quiet when standard error is not a terminal (cron, CI, a pipe), so logs stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, *, unit: str = "", stream: TextIO | None = None,
                 every: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.unit = label, max(0, int(total)), unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every, self.clock = every, clock
        self.done = 0
        self.started = self.last = clock()

    def set(self, done: int) -> None:
        self.done = done
        now = self.clock()
        if self.enabled and now - self.last >= self.every:
            self.last = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def advance(self, n: int = 1) -> None:
        self.set(self.done + n)

    def line(self, now: float | None = None) -> str:
        """'backup: 120,000 of 1,000,000 rows (12 %), about 1 min 20 s left'."""
        now = self.clock() if now is None else now
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:
            return f"{self.label}: {self.done:,}{unit}"
        share = min(1.0, self.done / self.total)
        text = f"{self.label}: {self.done:,} of {self.total:,}{unit} ({share:.0%})"
        elapsed = now - self.started
        if 0 < share < 1 and elapsed > 1:
            text += f", about {_span(elapsed * (1 - share) / share)} left"
        return text

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line() + "\x1b[K\n")
            self.stream.flush()


def _span(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds} s"
