"""Evidence through the API: multipart upload (field ``file``) and download, scope-checked."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..errors import InvalidInput
from ..extensions import db
from ..files import operations, serve
from ..tickets import queries
from ..tickets.serialize import attachment_to_dict
from . import api_user, bp


@bp.post("/tickets/<ref>/attachments")
def upload_attachment(ref: str):
    user = api_user()
    ticket = queries.get_ticket(ref, user)
    files = request.files.getlist("file")
    if len(files) != 1:
        raise InvalidInput(_("Send one file, as the multipart field 'file'."),
                           {"file": _("Send one file, as the multipart field 'file'.")})
    f = files[0]
    att = operations.attach(ticket, user, f.stream, f.filename, now=clock.now())
    db.session.commit()  # a failed commit ends the transaction, and its stored files with it
    return jsonify(attachment_to_dict(att)), 201, {
        "Location": url_for("api.get_attachment", ref=ticket.ref, attachment_id=att.id)}


@bp.get("/tickets/<ref>/attachments/<int:attachment_id>")
def get_attachment(ref: str, attachment_id: int):
    user = api_user()
    ticket = queries.get_ticket(ref, user)
    return serve.send(operations.find(ticket, attachment_id), download=True)
