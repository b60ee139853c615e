"""Sending a stored file: streamed from storage, typed from what was detected at upload,
never sniffed, sandboxed, and a PDF with scripts only as a download."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, abort, request, stream_with_context

from ..models import Attachment
from .storage import get_storage

log = logging.getLogger(__name__)


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
    try:  # open it now: a missing file is a 404 page, not a 200 that breaks off mid-body
        first = next(chunks, b"")
    except FileNotFoundError:
        log.warning("stored file missing for attachment %s (%s)", att.id, key)
        abort(404)
    resp = Response(stream_with_context(_body(first, chunks)), mimetype=content_type)
    resp.headers["Content-Disposition"] = disposition
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # Evidence is personal data: the browser may keep it for this user only, and it runs nothing;
    # no-cache: every view asks again (an ETag makes that cheap), so a redaction or a change of scope
    # takes effect at once, also on a shared counter PC.
    resp.headers["Cache-Control"] = "private, no-cache"
    # Chromium will not start its PDF viewer in a sandboxed document: a PDF shown inline (one without
    # scripts) runs nothing of its own all the same; everything else is sandboxed.
    pdf_inline = inline and att.content_type == "application/pdf" and not thumbnail
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " + (
        "frame-ancestors 'self'" if pdf_inline else "sandbox")
    resp.set_etag(etag)
    if not thumbnail:
        resp.headers["Content-Length"] = str(att.size)
    return resp


def _body(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunk read ahead, then the rest; the storage stream is closed however the response ends."""
    try:
        if first:
            yield first
        yield from chunks
    finally:
        chunks.close()  # type: ignore[attr-defined]
