"""Evidence attachments end to end, as a clerk's browser or an API client sends them.

Every file is built here (Pillow or bytes): no binary fixture. Each refusal is checked to
leave no row and no stored file behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from complaints.extensions import db
from complaints.files import operations
from complaints.files.storage import S3Storage, get_storage
from complaints.models import Attachment, Ticket
from tests.conftest import log_form

GPS_IFD = 0x8825
SCRIPT = b"<script>alert(1)</script>"


# -- files, built in the test ------------------------------------------------------------------


def jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0], 8):
        image.putpixel((x, x % size[1]), (0, 255, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (31.0, 12.0, 30.0), 3: "E", 4: (121.0, 28.0, 10.0)}
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test file does carry GPS
    return data


def png(size: tuple[int, int] = (32, 32), text: dict[str, str] | None = None) -> bytes:
    info = PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def pdf(size: int | None = None, *, script: bool = False) -> bytes:
    """A small valid-looking PDF; padded with a comment to exactly `size` bytes when asked."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    catalog += b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>" if script else b" >>"
    head = (b"%PDF-1.4\n1 0 obj\n" + catalog + b"\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
    tail = b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    if size is None:
        return head + tail
    pad = size - len(head) - len(tail) - 2
    assert pad >= 0
    return head + b"%" + b"x" * pad + b"\n" + tail


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


# -- helpers ------------------------------------------------------------------------------------


def upload(client, ref: str, data: bytes, name: str = "photo.jpg"):
    return client.post(f"/tickets/{ref}/attachments", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def multipart(fields: dict) -> dict:
    """Keyword arguments for a client call with the body encoded in memory: the test client would
    spool a large body to a temporary file that stays open when the app refuses to read it."""
    values = MultiDict({k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v for k, v in fields.items()})
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def read(resp):
    """The response, its (streamed) body read: an unread streaming response is closed only when
    garbage-collected, outside its request context."""
    resp.get_data()
    return resp


def stored_files(app) -> list[str]:
    root = app.config["ATTACHMENTS_DIR"]
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def attachment_rows() -> int:
    db.session.rollback()  # the requests share this app context's session: read afresh
    return db.session.scalar(select(func.count()).select_from(Attachment))


def assert_nothing_stored(app) -> None:
    assert attachment_rows() == 0
    assert stored_files(app) == []
    assert operations.orphans() == ([], [])


def ticket_json(api_client, ref: str) -> dict:
    resp = api_client.get(f"/tickets/{ref}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


# -- API ------------------------------------------------------------------------------------------


def test_api_upload_of_a_photo_strips_exif_and_is_listed_with_its_history(world, api, make_ticket, app):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    before = ticket_json(clerk, ticket.ref)["version"]

    resp = upload(clerk, ticket.ref, jpeg_with_gps(), "现场照片.jpg")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert {"id", "name", "size", "sha256", "content_type"} <= set(body)
    assert body["name"] == "现场照片.jpg" and body["content_type"] == "image/jpeg"
    assert body["uploaded_by"] == "clerk.a@example.com" and body["redacted"] is False
    assert resp.headers["Location"].endswith(f"/api/v1/tickets/{ticket.ref}/attachments/{body['id']}")

    got = clerk.get(f"/tickets/{ticket.ref}/attachments/{body['id']}")
    assert got.status_code == 200
    data = got.get_data()
    assert hashlib.sha256(data).hexdigest() == body["sha256"] and len(data) == body["size"]
    assert got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["Content-Disposition"].startswith("attachment;")  # the API always downloads
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    clean = Image.open(io.BytesIO(data))
    assert clean.format == "JPEG" and len(clean.getexif()) == 0 and "exif" not in clean.info
    assert b"Exif" not in data and b"PhoneMaker" not in data

    t = ticket_json(clerk, ticket.ref)
    assert [a["id"] for a in t["attachments"]] == [body["id"]]
    assert t["attachments"][0]["sha256"] == body["sha256"]
    assert t["version"] == before + 1
    event = t["history"][-1]
    assert event["event"] == "attach" and event["actor"] == "clerk.a@example.com"
    assert event["from"] == event["to"] == "new"
    assert {k: event["payload"][k] for k in ("name", "size", "sha256")} == {
        "name": "现场照片.jpg", "size": body["size"], "sha256": body["sha256"]}
    assert operations.orphans() == ([], [])


def test_api_upload_needs_exactly_one_file_field(world, api, make_ticket, app):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    none = clerk.post(f"/tickets/{ticket.ref}/attachments", data={"other": "x"}, content_type="multipart/form-data")
    assert none.status_code == 422 and "file" in none.get_json()["fields"]
    two = clerk.post(f"/tickets/{ticket.ref}/attachments",
                     data={"file": [(io.BytesIO(png()), "a.png"), (io.BytesIO(png()), "b.png")]},
                     content_type="multipart/form-data")
    assert two.status_code == 422 and "file" in two.get_json()["fields"]
    assert_nothing_stored(app)


# -- web --------------------------------------------------------------------------------------------


def test_web_upload_shows_a_thumbnail_and_serves_safe_headers(world, login, make_ticket, app):
    ticket = make_ticket()
    client = login(world.clerk_a)
    resp = client.post(f"/tickets/{ticket.ref}/attachments",
                       data={"files": [(io.BytesIO(jpeg_with_gps()), "counter.jpg")]},
                       content_type="multipart/form-data")
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    assert resp.headers["Location"].endswith(f"/tickets/{ticket.ref}#evidence")

    page = client.get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert "counter.jpg" in page
    thumb = re.search(r'<img src="([^"]+/thumbnail)"', page)
    assert thumb, page
    t = client.get(thumb.group(1))
    assert t.status_code == 200 and t.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(t.get_data())).format == "JPEG"
    assert max(Image.open(io.BytesIO(t.get_data())).size) <= 320

    link = re.search(r'<a href="(/tickets/[^"]+/attachments/\d+)"', page)
    assert link, page
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["Cache-Control"].startswith("private")
    etag = got.headers["ETag"]
    assert client.get(link.group(1), headers={"If-None-Match": etag}).status_code == 304
    forced = read(client.get(link.group(1) + "?download=1"))
    assert forced.headers["Content-Disposition"].startswith("attachment;")


def test_web_upload_with_the_camera_field_and_a_refusal(world, login, make_ticket, app, en):
    ticket = make_ticket()
    client = login(world.clerk_a)
    ok = client.post(f"/tickets/{ticket.ref}/attachments", data={"photo": (io.BytesIO(png()), "camera.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    bad = client.post(f"/tickets/{ticket.ref}/attachments", data={"files": (io.BytesIO(SVG), "x.svg")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert bad.status_code == 200
    assert "x.svg" in bad.text and "not accepted" in bad.text
    assert attachment_rows() == 1
    assert operations.orphans() == ([], [])




def test_the_logging_form_attaches_a_photo_in_the_same_request(world, login, app):
    client = login(world.clerk_a)
    resp = client.post("/tickets/new", data={**log_form(), "photo": (io.BytesIO(jpeg_with_gps()), "damage.jpg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.rollback()
    [ticket] = db.session.scalars(select(Ticket)).all()
    assert [a.name for a in ticket.attachments] == ["damage.jpg"]
    assert [e.event for e in ticket.events] == ["log", "attach"]
    assert operations.orphans() == ([], [])
    assert len(stored_files(app)) == 2  # the photo and its thumbnail


def test_a_refused_file_on_the_logging_form_logs_nothing(world, login, app, en):
    client = login(world.clerk_a)
    resp = client.post("/tickets/new",
                       data={**log_form(), "files": [(io.BytesIO(png()), "fine.png"), (io.BytesIO(SVG), "evil.svg")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "evil.svg" in page and "not accepted" in page
    assert 'name="description"' in page and "包裹外包装破损" in page  # the form, filled in again
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert_nothing_stored(app)  # the good PNG that came first is gone too


# -- hostile files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [
    ("drawing.svg", SVG),
    ("photo.jpg", HTML),
    ("empty.jpg", b""),
    ("truncated.jpg", jpeg_with_gps()[:2000]),
    ("fake.pdf", b"%PD"),
    ("exe.pdf", b"MZ\x90\x00" + b"\x00" * 200),
])
def test_hostile_files_are_refused_and_leave_nothing(world, api, make_ticket, app, en, name, data):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    resp = upload(clerk, ticket.ref, data, name)
    assert resp.status_code == 422, (resp.status_code, resp.get_data()[:300])
    body = resp.get_json()
    assert body["fields"]["file"] and isinstance(body["error"], str)
    assert_nothing_stored(app)
    assert len(ticket_json(clerk, ticket.ref)["history"]) == 1


def test_a_decompression_bomb_is_refused(world, api, make_ticket, app, en):
    app.config["IMAGE_MAX_PIXELS"] = 1_000_000
    ticket = make_ticket()
    resp = upload(api(world.clerk_a), ticket.ref, png((2000, 2000)), "bomb.png")
    assert resp.status_code == 422
    assert "too large" in resp.get_json()["fields"]["file"]
    assert_nothing_stored(app)


def test_a_png_text_chunk_with_a_script_is_stripped(world, api, make_ticket, app):
    ticket = make_ticket()
    data = png(text={"Comment": SCRIPT.decode()})
    assert SCRIPT in data
    clerk = api(world.clerk_a)
    resp = upload(clerk, ticket.ref, data, "note.png")
    assert resp.status_code == 201 and resp.get_json()["content_type"] == "image/png"
    served = clerk.get(f"/tickets/{ticket.ref}/attachments/{resp.get_json()['id']}").get_data()
    assert SCRIPT not in served and b"tEXt" not in served
    [stored, thumb] = stored_files(app)
    for key in (stored, thumb):
        with open(os.path.join(app.config["ATTACHMENTS_DIR"], key), "rb") as f:
            assert SCRIPT not in f.read()


def test_pdfs_inline_unless_they_carry_script(world, api, login, make_ticket, app):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    plain = upload(clerk, ticket.ref, pdf(), "receipt.pdf").get_json()
    scripted = upload(clerk, ticket.ref, pdf(script=True), "letter.pdf").get_json()
    assert plain["content_type"] == scripted["content_type"] == "application/pdf"

    web = login(world.clerk_a)
    p = web.get(f"/tickets/{ticket.ref}/attachments/{plain['id']}")
    assert p.status_code == 200 and p.headers["Content-Type"] == "application/pdf"
    assert p.headers["Content-Disposition"].startswith("inline;")
    # Inline, it may not be sandboxed (the browser's PDF viewer would not start) but runs nothing.
    assert p.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'self'" in p.headers["Content-Security-Policy"]
    assert p.get_data() == pdf()
    s = read(web.get(f"/tickets/{ticket.ref}/attachments/{scripted['id']}"))
    assert s.status_code == 200 and s.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in s.headers["Content-Security-Policy"]
    page = web.get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert f"/attachments/{scripted['id']}?download=1" in page
    assert web.get(f"/tickets/{ticket.ref}/attachments/{plain['id']}/thumbnail").status_code == 404


# -- limits ---------------------------------------------------------------------------------------


def test_the_size_limit_is_exact(world, api, make_ticket, app, en):
    app.config["ATTACHMENT_MAX_BYTES"] = 200_000
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    ok = upload(clerk, ticket.ref, pdf(200_000), "exact.pdf")
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["size"] == 200_000
    over = upload(clerk, ticket.ref, pdf(200_001), "over.pdf")
    assert over.status_code == 422
    assert "at most 0.2 MB" in over.get_json()["fields"]["file"]
    assert attachment_rows() == 1 and operations.orphans() == ([], [])


def test_a_request_over_the_upload_limit_is_413_not_500(world, api, login, make_ticket, app, en):
    app.config["ATTACHMENT_MAX_BYTES"] = 200_000  # request limit: 5 x 200 000 + 1 MiB
    ticket = make_ticket()
    big = pdf(5 * 200_000 + (1 << 20) + 10)
    resp = api(world.clerk_a).post(f"/tickets/{ticket.ref}/attachments",
                                   **multipart({"file": (io.BytesIO(big), "huge.pdf")}))
    assert resp.status_code == 413
    assert resp.get_json()["error"]
    web = login(world.clerk_a)
    page = web.post(f"/tickets/{ticket.ref}/attachments", **multipart({"files": (io.BytesIO(big), "huge.pdf")}))
    assert page.status_code == 413 and "too large" in page.get_data(as_text=True)
    logged = web.post("/tickets/new", **multipart({**log_form(), "files": (io.BytesIO(big), "huge.pdf")}))
    assert logged.status_code == 413
    # other routes keep the 1 MiB limit
    note = web.post(f"/tickets/{ticket.ref}/events/add_note", data={"add_note-note": "x" * (1 << 20)})
    assert note.status_code == 413
    assert_nothing_stored(app)


def test_a_ticket_holds_a_limited_number_of_files(world, api, login, make_ticket, app, en):
    app.config["ATTACHMENTS_PER_TICKET"] = 2
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    assert upload(clerk, ticket.ref, png(), "1.png").status_code == 201
    assert upload(clerk, ticket.ref, pdf(), "2.pdf").status_code == 201
    third = upload(clerk, ticket.ref, png(), "3.png")
    assert third.status_code == 422 and "at most 2 files" in third.get_json()["fields"]["file"]
    assert attachment_rows() == 2 and operations.orphans() == ([], [])
    # An admin redacts one (its bytes are removed): the clerk may put the right file in its place.
    first = ticket_json(clerk, ticket.ref)["attachments"][0]
    url = f"/tickets/{ticket.ref}/attachments/{first['id']}/redact"
    assert login(world.admin).post(url, data={"reason": "身份证件"}).status_code == 302
    page = login(world.clerk_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert 'class="upload-form"' in page  # the ticket page offers the upload again
    assert upload(clerk, ticket.ref, png(), "3.png").status_code == 201
    assert upload(clerk, ticket.ref, png(), "4.png").status_code == 422
    assert attachment_rows() == 3
    page = login(world.clerk_a).get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert 'class="upload-form"' not in page  # full again


# -- scope ----------------------------------------------------------------------------------------


def test_other_offices_cannot_upload_or_download(world, api, login, make_ticket, app):
    ticket = make_ticket()
    att = upload(api(world.clerk_a), ticket.ref, png(), "a.png").get_json()
    for user in (world.clerk_b, world.sup_b):
        outsider = api(user)
        assert upload(outsider, ticket.ref, png(), "x.png").status_code == 403
        assert outsider.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 403
        web = login(user)
        assert web.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 403
        assert web.get(f"/tickets/{ticket.ref}/attachments/{att['id']}/thumbnail").status_code == 403
        assert web.post(f"/tickets/{ticket.ref}/attachments", data={"files": (io.BytesIO(png()), "x.png")},
                        content_type="multipart/form-data").status_code == 403
    assert attachment_rows() == 1 and operations.orphans() == ([], [])
    # the supervisor and the admin of the office may
    assert read(api(world.sup_a).get(f"/tickets/{ticket.ref}/attachments/{att['id']}")).status_code == 200
    assert read(api(world.admin).get(f"/tickets/{ticket.ref}/attachments/{att['id']}")).status_code == 200


def test_an_attachment_of_another_ticket_is_not_found_here(world, api, login, make_ticket, app):
    mine, other = make_ticket(), make_ticket()
    clerk = api(world.clerk_a)
    att = upload(clerk, other.ref, png(), "other.png").get_json()
    assert clerk.get(f"/tickets/{mine.ref}/attachments/{att['id']}").status_code == 404
    assert clerk.get(f"/tickets/{mine.ref}/attachments/999999").status_code == 404
    web = login(world.admin)
    assert web.get(f"/tickets/{mine.ref}/attachments/{att['id']}").status_code == 404
    assert web.get(f"/tickets/{mine.ref}/attachments/{att['id']}/thumbnail").status_code == 404
    assert web.post(f"/tickets/{mine.ref}/attachments/{att['id']}/redact",
                    data={"reason": "wrong ticket"}).status_code == 404
    assert read(clerk.get(f"/tickets/{other.ref}/attachments/{att['id']}")).status_code == 200


# -- redaction -----------------------------------------------------------------------------------


def test_redaction(world, api, login, make_ticket, app, en):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    att = upload(clerk, ticket.ref, jpeg_with_gps(), "customer-id-card.jpg").get_json()
    keep = upload(clerk, ticket.ref, pdf(), "receipt.pdf").get_json()
    assert len(stored_files(app)) == 3
    url = f"/tickets/{ticket.ref}/attachments/{att['id']}"

    web = login(world.sup_a)
    assert web.post(url + "/redact", data={"reason": "身份证件"}).status_code == 403
    assert read(web.get(url)).status_code == 200 and len(stored_files(app)) == 3

    web = login(world.admin)
    blank = web.post(url + "/redact", data={"reason": "   "}, follow_redirects=True)
    assert "required" in blank.get_data(as_text=True)
    assert read(web.get(url)).status_code == 200 and len(stored_files(app)) == 3

    version = ticket_json(clerk, ticket.ref)["version"]
    done = web.post(url + "/redact", data={"reason": "身份证件，不应留存"})
    assert done.status_code == 302 and done.headers["Location"].endswith("#evidence")
    row = db.session.scalars(select(Attachment).where(Attachment.id == att["id"])).one()
    assert len(stored_files(app)) == 1 and not get_storage().exists(row.storage_key)
    assert get_storage().exists(db.session.get(Attachment, keep["id"]).storage_key)
    assert web.get(url).status_code == 410
    assert web.get(url + "/thumbnail").status_code == 410
    assert clerk.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 410
    page = web.get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    assert "customer-id-card.jpg" in page and "身份证件，不应留存" in page
    assert f'{url}/thumbnail"' not in page

    t = ticket_json(clerk, ticket.ref)
    assert t["version"] == version + 1
    ev = t["history"][-1]
    assert ev["event"] == "redact_attachment" and ev["actor"] == "admin@example.com"
    assert ev["payload"]["reason"] == "身份证件，不应留存"
    [listed] = [a for a in t["attachments"] if a["id"] == att["id"]]
    assert listed["redacted"] is True and listed["redaction_reason"] == "身份证件，不应留存"

    again = web.post(url + "/redact", data={"reason": "again"}, follow_redirects=True)
    assert "redacted already" in again.get_data(as_text=True)
    t2 = ticket_json(clerk, ticket.ref)
    assert (t2["version"], len(t2["history"])) == (t["version"], len(t["history"]))
    assert operations.orphans() == ([], [])


# -- failures after the put ------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["runtime", "database"])
def test_a_failure_after_the_put_leaves_no_orphan(world, api, make_ticket, app, monkeypatch, failure):
    ticket = make_ticket()

    def broken(*args, **kwargs):
        if failure == "database":
            raise OperationalError("INSERT INTO ticket_events", {}, Exception("server closed the connection"))
        raise RuntimeError("flush failed")

    monkeypatch.setattr(operations, "_record", broken)
    clerk = api(world.clerk_a)
    if failure == "database":
        resp = upload(clerk, ticket.ref, jpeg_with_gps(), "p.jpg")
        assert resp.status_code == 503
    else:
        with pytest.raises(RuntimeError):  # TESTING propagates it; in production a 500 page
            upload(clerk, ticket.ref, jpeg_with_gps(), "p.jpg")
    assert_nothing_stored(app)
    monkeypatch.undo()
    assert upload(clerk, ticket.ref, png(), "ok.png").status_code == 201


def test_a_failed_commit_removes_what_was_put(world, api, make_ticket, app, monkeypatch):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    real_commit = db.session.commit

    def failing_commit():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    resp = upload(clerk, ticket.ref, jpeg_with_gps(), "p.jpg")
    assert resp.status_code == 503
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert_nothing_stored(app)


@pytest.mark.parametrize("route", ["upload", "logging"])
def test_a_failed_commit_on_the_web_removes_what_was_put(world, login, make_ticket, app, monkeypatch, route):
    ticket = make_ticket()
    web = login(world.clerk_a)

    def failing_commit():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    files = [(io.BytesIO(jpeg_with_gps()), "a.jpg"), (io.BytesIO(pdf()), "b.pdf")]
    if route == "upload":
        resp = web.post(f"/tickets/{ticket.ref}/attachments", data={"files": files},
                        content_type="multipart/form-data")
    else:
        resp = web.post("/tickets/new", data={**log_form(), "files": files}, content_type="multipart/form-data")
    assert resp.status_code == 503
    monkeypatch.undo()
    assert_nothing_stored(app)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_refused_second_file_on_the_ticket_page_removes_the_first(world, login, make_ticket, app):
    ticket = make_ticket()
    web = login(world.clerk_a)
    resp = web.post(f"/tickets/{ticket.ref}/attachments",
                    data={"files": [(io.BytesIO(png()), "good.png"), (io.BytesIO(HTML), "bad.jpg")]},
                    content_type="multipart/form-data")
    assert resp.status_code == 303
    assert_nothing_stored(app)
    too_many = web.post(f"/tickets/{ticket.ref}/attachments",
                        data={"files": [(io.BytesIO(png()), f"{i}.png") for i in range(6)]},
                        content_type="multipart/form-data")
    assert too_many.status_code == 303
    assert_nothing_stored(app)


# -- S3 through the whole app -------------------------------------------------------------------

S3_BUCKET = "evidence-bucket"
@pytest.fixture(scope="module")
def s3_server(s3_endpoint: str) -> Iterator[str]:
    S3Storage(S3_BUCKET, endpoint_url=s3_endpoint).client.create_bucket(Bucket=S3_BUCKET)
    yield s3_endpoint


def test_s3_storage_through_the_app(world, api, login, make_ticket, app, s3_server, request):
    prefix = f"evidence/{request.node.callspec.id if hasattr(request.node, 'callspec') else 'run'}"
    app.config.update(STORAGE_URL=f"s3://{S3_BUCKET}/{prefix}", S3_ENDPOINT_URL=s3_server)
    app.extensions.pop("complaints_storage", None)
    storage = get_storage()
    assert isinstance(storage, S3Storage)
    for key in list(storage.keys()):  # a previous backend's run of this test
        storage.delete(key)

    ticket = make_ticket()
    clerk = api(world.clerk_a)
    photo = jpeg_with_gps()
    att = upload(clerk, ticket.ref, photo, "s3.jpg").get_json()
    doc = pdf(300_000)
    paper = upload(clerk, ticket.ref, doc, "s3.pdf").get_json()
    got = clerk.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").get_data()
    assert hashlib.sha256(got).hexdigest() == att["sha256"]
    assert clerk.get(f"/tickets/{ticket.ref}/attachments/{paper['id']}").get_data() == doc

    row = db.session.get(Attachment, att["id"])
    raw = storage.client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix + "/")
    objects = {o["Key"] for o in raw.get("Contents", [])}
    assert f"{prefix}/{row.storage_key}" in objects and f"{prefix}/{row.thumbnail_key}" in objects
    assert len(objects) == 3
    assert stored_files(app) == []  # nothing went to the local directory
    assert operations.orphans() == ([], [])

    # a refusal leaves nothing in the bucket either
    assert upload(clerk, ticket.ref, SVG, "x.svg").status_code == 422
    assert len(list(storage.keys())) == 3

    web = login(world.admin)
    assert web.post(f"/tickets/{ticket.ref}/attachments/{att['id']}/redact", data={"reason": "GDPR"}).status_code == 302
    assert not storage.exists(row.storage_key) and not storage.exists(row.thumbnail_key)
    assert sorted(storage.keys()) == [db.session.get(Attachment, paper["id"]).storage_key]
    assert web.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 410
    assert operations.orphans() == ([], [])


def test_a_file_missing_from_storage_is_404_not_a_broken_200(world, api, login, make_ticket, app):
    ticket = make_ticket()
    clerk = api(world.clerk_a)
    att = upload(clerk, ticket.ref, png(), "lost.png").get_json()
    row = db.session.get(Attachment, att["id"])
    get_storage().delete(row.storage_key)
    assert operations.orphans() == ([], [row.storage_key])
    assert clerk.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 404
    web = login(world.clerk_a)
    assert web.get(f"/tickets/{ticket.ref}/attachments/{att['id']}").status_code == 404
    assert read(web.get(f"/tickets/{ticket.ref}/attachments/{att['id']}/thumbnail")).status_code == 200


def test_with_csrf_on_a_large_upload_through_the_page_form_goes_through(database_url, app, world, make_ticket,
                                                                      tmp_path):
    """CSRF reads the body: the upload routes' larger limit must apply before it does."""
    from complaints import create_app

    ticket = make_ticket()
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True,
                                   "ATTACHMENTS_DIR": str(tmp_path / "csrf-attachments")})
    try:
        client = other.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"email": world.clerk_a.email, "password": "correct-horse-1",
                                           "csrf_token": token}).status_code == 302
        page = client.get(f"/tickets/{ticket.ref}").text
        form = re.search(r'<form method="post" action="[^"]+/attachments" enctype="multipart/form-data".*?</form>',
                         page, re.S).group(0)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        doc = pdf(3 * 1024 * 1024)  # over the 1 MiB of other requests
        no_token = client.post(f"/tickets/{ticket.ref}/attachments", **multipart({"files": (io.BytesIO(doc), "a.pdf")}))
        assert no_token.status_code == 400
        resp = client.post(f"/tickets/{ticket.ref}/attachments",
                           **multipart({"csrf_token": token, "files": (io.BytesIO(doc), "scan.pdf")}))
        assert resp.status_code == 302, resp.text[:500]
        with other.app_context():
            assert db.session.scalars(select(Attachment.name)).all() == ["scan.pdf"]
            assert len(list(get_storage().keys())) == 1
            db.session.remove()
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_stranger_gets_no_larger_upload_limit(world, make_ticket, client):
    """The raised limit is for people who may upload: an anonymous or badly tokened 2 MiB body is 413."""
    ticket = make_ticket()
    body = b"x" * (2 * 1024 * 1024)
    web = client.post(f"/tickets/{ticket.ref}/attachments", **multipart({"files": (io.BytesIO(body), "big.pdf")}))
    assert web.status_code == 413
    resp = client.post(f"/api/v1/tickets/{ticket.ref}/attachments",
                       **multipart({"file": (io.BytesIO(body), "big.pdf")}),
                       headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 413


def test_a_request_that_dies_after_the_put_leaves_no_orphan(world, login, make_ticket, app, monkeypatch):
    """No rollback at all: the request fails with an unexpected error and its session is only closed
    at teardown. The end of the transaction still takes the stored files away."""
    ticket = make_ticket()
    web = login(world.clerk_a)
    real_commit = db.session.commit

    def dying_commit():
        raise RuntimeError("the worker is going down")

    monkeypatch.setattr(db.session, "commit", dying_commit)
    with pytest.raises(RuntimeError):  # TESTING propagates it instead of the 500 page
        web.post(f"/tickets/{ticket.ref}/attachments", data={"files": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]},
                 content_type="multipart/form-data")
    monkeypatch.setattr(db.session, "commit", real_commit)
    db.session.remove()
    assert_nothing_stored(app)
