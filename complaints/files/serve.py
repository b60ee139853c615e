"""Sending a stored file: streamed from storage, typed from what was detected at upload,
never sniffed, sandboxed, and a PDF with scripts only as a download."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, request, stream_with_context

from ..models import Attachment
from .storage import get_storage


def send(att: Attachment, *, thumbnail: bool = False, download: bool = False) -> Response:
    if att.redacted:
        abort(410)
    key = att.thumbnail_key if thumbnail else att.storage_key
    if key is None:
        abort(404)
    storage = get_storage()
    content_type = "image/jpeg" if thumbnail else att.content_type
    inline = not download and (att.is_image or (att.content_type == "application/pdf" and not att.has_script))
    name = att.name if not thumbnail else "thumbnail-" + att.name.rsplit(".", 1)[0] + ".jpg"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    etag = att.sha256 + ("-t" if thumbnail else "")
    if request.if_none_match and etag in request.if_none_match:
        return Response(status=304)
    chunks = storage.iter_chunks(key)
    resp = Response(stream_with_context(chunks), mimetype=content_type)
    resp.headers["Content-Disposition"] = disposition
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # Evidence is personal data: the browser may keep it for this user only, and it runs nothing.
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    resp.set_etag(etag)
    if not thumbnail:
        resp.headers["Content-Length"] = str(att.size)
    return resp
