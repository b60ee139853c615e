"""Progress lines for long command-line work: shown on a terminal, quiet elsewhere."""

from __future__ import annotations

import io

from complaints.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_says_done_of_total_and_time_left_on_a_terminal():
    now = [0.0]
    out = Terminal()
    p = Progress("backup", 1000, unit="rows", stream=out, clock=lambda: now[0])
    now[0] = 10.0
    p.set(250)
    assert "backup: 250 of 1,000 rows (25%), about 30 s left" in out.getvalue()
    now[0] = 40.0
    p.set(1000)
    p.finish()
    assert out.getvalue().endswith("backup: 1,000 of 1,000 rows (100%)\x1b[K\n")


def test_progress_is_quiet_off_a_terminal():
    out = io.StringIO()  # a pipe or a log file
    p = Progress("restore", 10, stream=out, clock=lambda: 100.0)
    p.set(5)
    p.finish()
    assert out.getvalue() == ""


def test_a_backup_on_a_terminal_shows_its_rows(world, make_ticket, tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from complaints import backup

    make_ticket()
    out = Terminal()
    monkeypatch.setattr("sys.stderr", out)
    backup.dump(tmp_path / "b.jsonl.gz", datetime.now(UTC))
    assert "backup: " in out.getvalue() and " rows (100%)" in out.getvalue()
