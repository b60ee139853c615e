"""A local mail catcher for the demo: an SMTP server on loopback that keeps each message it is
given as a .eml file under instance/mail/, so that the reminders the scheduler sends can be read
(any mail program opens a .eml file) instead of piling up in the outbox as failures.

For development only: it accepts every message from anyone who can reach the port, and sends
nothing on. It needs aiosmtpd (pip install -e '.[dev]'; ./scripts/dev does).
"""

from __future__ import annotations

import itertools
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click


class SaveToFolder:
    """An aiosmtpd handler: each message accepted is written to ``folder`` as <time>-<n>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        with self._lock:
            name = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{os.getpid()}-{next(self._seq):05d}.eml"
        partial = self.folder / (name + ".part")
        partial.write_bytes(content)
        partial.replace(self.folder / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 8025):  # noqa: ANN201 - aiosmtpd's Controller
    """Start the catcher in a background thread; returns the running controller (call .stop())."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:  # a production install has no aiosmtpd
        raise RuntimeError("the mail catcher needs aiosmtpd: pip install -e '.[dev]'") from exc

    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    try:
        controller.start()
    except BaseException:
        if not controller.loop.is_running():
            controller.loop.close()  # its own event loop, else left open (and its sockets) on a taken port
        raise
    return controller


def messages(folder: Path) -> list[Path]:
    """The messages caught so far, oldest first."""
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


@click.command("mailcatcher")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.option("--folder", default=None, type=click.Path(file_okay=False),
              help="Where to keep the messages (default: instance/mail/).")
def mailcatcher_cmd(host: str, port: int, folder: str | None) -> None:
    """Catch the app's email for a demo: keep each message as a .eml file (point SMTP_HOST/SMTP_PORT here)."""
    import time

    from flask import current_app

    where = Path(folder) if folder else Path(current_app.instance_path) / "mail"
    try:
        controller = start(where, host, port)
    except (RuntimeError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"mail catcher on {host}:{port}: each message is kept as a .eml file in {where}")
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        controller.stop()
