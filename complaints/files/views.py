"""Evidence pages: upload to a ticket, open a file or its thumbnail, redact (admins).

Every route reads the ticket through ``tickets.queries.get_ticket`` (the office scope of
every other read) before it touches a file.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..tickets import queries
from ..workflow import NOTE_TEXT
from . import operations, serve

bp = Blueprint("files", __name__)

# Files one request may carry (the logging form or the upload form): the request's size limit
# is raised to this many files for the upload routes only; every other request keeps 1 MiB.
FILES_PER_REQUEST = 5
ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif,application/pdf"


class UploadForm(FlaskForm):
    files = MultipleFileField(render_kw={"accept": ACCEPT})
    photo = MultipleFileField(render_kw={"accept": "image/*", "capture": "environment"})


class RedactForm(FlaskForm):
    reason = TextAreaField(render_kw={"maxlength": NOTE_TEXT, "rows": 2, "required": True})


UPLOAD_ENDPOINTS = {"files.upload", "tickets.new", "api.upload_attachment"}


def raise_upload_limit() -> None:
    """Registered before CSRF and the form checks read the body: uploads may be larger."""
    if request.endpoint == "volumes.import_csv" and request.method == "POST" and current_user.is_authenticated:
        from ..volumes.operations import CSV_MAX_BYTES

        request.max_content_length = CSV_MAX_BYTES + (64 << 10)  # the file and the rest of the form
        return
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST" and _may_upload():
        from flask import current_app

        request.max_content_length = FILES_PER_REQUEST * int(current_app.config["ATTACHMENT_MAX_BYTES"]) + (1 << 20)


def _may_upload() -> bool:
    """Only a signed-in person (or a valid bearer token) gets the larger limit: a stranger's body is
    refused at 1 MiB before anything reads it."""
    if request.endpoint == "api.upload_attachment":
        from ..auth.tokens import user_for_token

        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and user_for_token(token.strip()) is not None
    return current_user.is_authenticated


def uploaded_files(form: UploadForm) -> list:
    """The non-empty files of both inputs (picked from the device, or taken with the camera)."""
    files = [f for f in (form.files.data or []) + (form.photo.data or []) if f and f.filename]
    return files


def attach_all(ticket, files: list, now) -> list:  # noqa: ANN001
    """Attach each file, or raise on the first refusal naming the file (the caller rolls back)."""
    from ..errors import InvalidInput

    if len(files) > FILES_PER_REQUEST:
        raise InvalidInput(_("At most %(n)d files at a time.", n=FILES_PER_REQUEST),
                           {"file": _("At most %(n)d files at a time.", n=FILES_PER_REQUEST)})
    done = []  # the files stored so far leave with the transaction if it does not commit
    for f in files:
        try:
            done.append(operations.attach(ticket, current_user, f.stream, f.filename, now=now))
        except InvalidInput as exc:
            message = _("%(name)s: %(reason)s", name=operations.display_name(f.filename),
                        reason=exc.fields.get("file", exc.message))
            raise InvalidInput(message, {"file": message}) from None
    return done


@bp.post("/tickets/<ref>/attachments")
@login_required
def upload(ref: str):
    ticket = queries.get_ticket(ref, current_user)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    files = uploaded_files(form)
    if not files:
        flash(_("Choose a file first."), "error")
        return redirect(url_for("tickets.detail", ref=ticket.ref) + "#evidence")
    try:
        done = attach_all(ticket, files, clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("tickets.detail", ref=ticket.ref) + "#evidence"), 303
    flash(_("%(n)d file(s) attached.", n=len(done)), "success")
    return redirect(url_for("tickets.detail", ref=ticket.ref) + "#evidence")


@bp.get("/tickets/<ref>/attachments/<int:attachment_id>")
@login_required
def download(ref: str, attachment_id: int):
    ticket = queries.get_ticket(ref, current_user)
    return serve.send(operations.find(ticket, attachment_id), download=request.args.get("download") == "1")


@bp.get("/tickets/<ref>/attachments/<int:attachment_id>/thumbnail")
@login_required
def thumbnail(ref: str, attachment_id: int):
    ticket = queries.get_ticket(ref, current_user)
    return serve.send(operations.find(ticket, attachment_id), thumbnail=True)


@bp.post("/tickets/<ref>/attachments/<int:attachment_id>/redact")
@login_required
def redact(ref: str, attachment_id: int):
    ticket = queries.get_ticket(ref, current_user)
    form = RedactForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        att = operations.redact(ticket, attachment_id, current_user, form.reason.data, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):  # not theirs, or no such file on this ticket: the error page
            raise
        flash(exc.message, "error")
        return redirect(url_for("tickets.detail", ref=ticket.ref) + "#evidence"), 303
    operations.purge(att)  # after the commit: a redaction that rolled back removed nothing
    flash(_("The file was redacted: its content is removed, the record stays."), "success")
    return redirect(url_for("tickets.detail", ref=ticket.ref) + "#evidence")
