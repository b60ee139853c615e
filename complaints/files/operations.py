"""Attaching and redacting evidence: each is one function that checks, writes and appends one
history entry, never commits (the caller does).

An upload is streamed to a temporary file (hashed and counted on the way, refused as soon as
it passes the limit), inspected from its content, images re-encoded without metadata, and
only then put in storage. A failure after the put removes what was put; so does a rollback of
the transaction afterwards (a later file refused, a commit that fails): only a process that dies
between the put and the commit leaves an orphan, which ``flask --app complaints files check`` reports.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from ..authz import can_access_office
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Attachment, Ticket, TicketEvent, User
from ..textcheck import has_control_chars, normalise_newlines
from ..workflow import NOTE_TEXT, RECORDS
from . import content
from .storage import Storage, get_storage

CHUNK = 64 * 1024
_PUT_KEYS = "complaints_files_put"  # Session.info: (storage, key) put in the open transaction
log = logging.getLogger(__name__)


def limits() -> tuple[int, int]:
    """(bytes per file, files per ticket), from the configuration."""
    cfg = current_app.config
    return int(cfg["ATTACHMENT_MAX_BYTES"]), int(cfg["ATTACHMENTS_PER_TICKET"])


def room_for_another(ticket: Ticket) -> bool:
    """Whether the ticket may take one more file (redacted ones, their bytes gone, leave room), from
    its loaded attachments: the ticket page's test for showing the upload form."""
    return sum(1 for a in ticket.attachments if not a.redacted) < limits()[1]


def attach(ticket: Ticket, actor: User, stream: BinaryIO, filename: str | None, *, now: datetime) -> Attachment:
    """Add a file to the ticket's evidence, or raise (403 / 422) having stored nothing."""
    record = RECORDS["attach"]
    if not can_access_office(actor, ticket.office_id) or actor.role not in record.roles:
        raise Forbidden(_("This ticket belongs to an office you do not cover."))
    max_bytes, max_files = limits()
    # A redacted file's bytes are gone: it leaves room for the replacement the clerk is asked for.
    count = db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.ticket_id == ticket.id, Attachment.redacted_at.is_(None)))
    if count >= max_files:
        raise InvalidInput(_("A ticket holds at most %(n)d files.", n=max_files),
                           {"file": _("A ticket holds at most %(n)d files.", n=max_files)})
    name = display_name(filename)
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="upload-", dir=_work_root()) as work:
        work_dir = Path(work)
        raw = work_dir / "upload"
        _receive(stream, raw, max_bytes)
        try:
            prepared = content.prepare(raw, work_dir, max_pixels=int(current_app.config["IMAGE_MAX_PIXELS"]))
        except content.Refused as exc:
            raise InvalidInput(str(exc), {"file": str(exc)}) from None
        digest, size = _digest(prepared.path)
        key = f"t{ticket.id}/{uuid.uuid4().hex}.{prepared.extension}"
        thumb_key = f"t{ticket.id}/{uuid.uuid4().hex}.thumb.jpg" if prepared.thumbnail else None
        put: list[str] = []
        try:
            _put(storage, key, prepared.path, put)
            if thumb_key and prepared.thumbnail:
                _put(storage, thumb_key, prepared.thumbnail, put)
            att = Attachment(
                ticket=ticket, ticket_id=ticket.id, storage_key=key, thumbnail_key=thumb_key, name=name,
                content_type=prepared.content_type, size=size, sha256=digest, width=prepared.width,
                height=prepared.height, has_script=prepared.pdf_has_script, uploaded_by=actor,
                uploaded_by_id=actor.id, uploaded_at=now,
            )
            db.session.add(att)
            db.session.flush()
            _record(ticket, actor, "attach", {"attachment": att.id, "name": name, "size": size, "sha256": digest,
                                              "content_type": prepared.content_type}, now)
            _delete_on_rollback(storage, put)
        except BaseException:
            for k in put:  # nothing half-written: no file without its row
                _quietly_delete(storage, k)
            raise
    return att


def redact(ticket: Ticket, attachment_id: int, actor: User, reason: object, *, now: datetime) -> Attachment:
    """Mark a file redacted (an admin, with a reason). The caller deletes its bytes after the commit
    (``purge``), so that a rolled-back redaction has removed nothing."""
    record = RECORDS["redact_attachment"]
    if actor.role not in record.roles or not can_access_office(actor, ticket.office_id):
        raise Forbidden(_("Only administrators may redact evidence."))
    att = find(ticket, attachment_id)
    if att.redacted:
        raise Conflict(_("This file was redacted already."))
    text = normalise_newlines(reason).strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput(_("Some fields are missing or invalid."), {"reason": _("This field is required.")})
    if len(text) > NOTE_TEXT or has_control_chars(text, True):
        raise InvalidInput(_("Some fields are missing or invalid."),
                           {"reason": _("At most %(n)d characters.", n=NOTE_TEXT)})
    att.redacted_at = now
    att.redacted_by = actor
    att.redacted_by_id = actor.id
    att.redaction_reason = text
    _record(ticket, actor, "redact_attachment", {"attachment": att.id, "name": att.name, "reason": text}, now)
    return att


def purge(att: Attachment) -> None:
    """Remove a redacted file's bytes from storage (after the redaction is committed)."""
    storage = get_storage()
    for key in (att.storage_key, att.thumbnail_key):
        if key:
            _quietly_delete(storage, key)


def find(ticket: Ticket, attachment_id: object) -> Attachment:
    if isinstance(attachment_id, bool) or not isinstance(attachment_id, int):
        raise NotFound(_("No such file on this ticket."))
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.ticket_id != ticket.id:
        raise NotFound(_("No such file on this ticket."))
    return att


def display_name(filename: str | None) -> str:
    """The uploader's file name, for display only: no path, no control characters, 255 at most."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().encode("utf-8", "replace").decode("utf-8")
    return name[:255] or "file"


# The keys this application writes: anything else in the directory or bucket is not ours to judge.
OUR_KEY = re.compile(r"^t\d+/[0-9a-f]{32}(\.thumb)?\.(jpg|png|webp|pdf)$")


def orphans(storage: Storage | None = None) -> tuple[list[str], list[str]]:
    """(keys in storage that no live attachment names, live attachments whose file is missing).

    Only keys of the form this application writes are considered, so that a shared bucket or
    directory never has someone else's files reported (or deleted) as orphans. A file of an upload
    still in progress is an orphan until its commit: see ``files check --min-age``."""
    storage = storage or get_storage()
    live: set[str] = set()
    for key, thumb in db.session.execute(
            select(Attachment.storage_key, Attachment.thumbnail_key).where(Attachment.redacted_at.is_(None))):
        live.add(key)
        if thumb:
            live.add(thumb)
    stored = {k for k in storage.keys() if OUR_KEY.match(k)}
    return sorted(stored - live), sorted(live - stored)


def _record(ticket: Ticket, actor: User, event: str, payload: dict, now: datetime) -> None:
    """One history entry that keeps the state; the ticket's version moves like for any change."""
    ev = TicketEvent(seq=len(ticket.events) + 1, event=event, from_state=ticket.state, to_state=ticket.state,
                     actor=actor, actor_id=actor.id, payload=payload, at=now)
    ticket.events.append(ev)
    ticket.updated_at = now
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        raise Conflict(_("The ticket was changed by someone else. Reload it and try again.")) from None


def _delete_on_rollback(storage: Storage, keys: list[str]) -> None:
    """Tie what was put to the transaction: unless it commits (a later file refused, a commit that
    fails, an error page, a request that dies and only closes its session), its end deletes it.
    Every caller gets this, not only those that remember to purge when their commit fails."""
    db.session().info.setdefault(_PUT_KEYS, []).extend((storage, k) for k in keys)


def _keep_put(session: Session) -> None:
    session.info.pop(_PUT_KEYS, None)


def _remove_put(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint or subtransaction: the outer one decides
        return
    for storage, key in session.info.pop(_PUT_KEYS, []):
        _quietly_delete(storage, key)


def init_app(app: object) -> None:
    """Listen to every session's commit and end (once per process, from create_app, not on import):
    a commit keeps the files it made live, any other end of the transaction removes them."""
    for name, fn in (("after_commit", _keep_put), ("after_transaction_end", _remove_put)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def _work_root() -> str:
    root = Path(current_app.instance_path) / "uploads-tmp"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


def _receive(stream: BinaryIO, dest: Path, max_bytes: int) -> None:
    """Copy the upload to ``dest`` in chunks, refusing it as soon as it passes the limit."""
    written = 0
    with dest.open("wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                mb = max_bytes / (1024 * 1024)  # as the form's help text says it: 10, 9.5, 0.2
                shown = f"{mb:.1f}".removesuffix(".0") if mb >= 0.1 else f"{mb:.2g}"
                message = _("A file may be at most %(mb)s MB.", mb=shown)
                raise InvalidInput(message, {"file": message})
            out.write(chunk)
    if written == 0:
        raise InvalidInput(_("The file is empty."), {"file": _("The file is empty.")})


def _digest(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _put(storage: Storage, key: str, path: Path, put: list[str]) -> None:
    put.append(key)  # before the call: a put that fails halfway is cleaned up too
    with path.open("rb") as f:
        storage.put(key, f)


def _quietly_delete(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # noqa: BLE001 - the orphan check reports what could not be removed
        log.warning("could not remove stored file %s", key)  # also outside an app context (rollback)
