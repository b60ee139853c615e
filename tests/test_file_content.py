"""complaints.files.content: type from the bytes, clean re-encodings, hostile files refused.

Every hostile file is built here, in the test, so no binary fixture is committed.
"""

from __future__ import annotations

import io
import random
import warnings
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo

from complaints.files.content import (
    MAX_PIXELS_DEFAULT,
    MSG_EMPTY,
    MSG_KIND,
    MSG_TOO_LARGE,
    MSG_UNREADABLE,
    Prepared,
    Refused,
    pdf_has_script,
    prepare,
)

SCRIPT = "<script>alert(1)</script>"
GPS_IFD, ORIENTATION = 0x8825, 0x0112
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def half_red(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows which way a rotation went."""
    im = Image.new("RGB", size, (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return im


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "SecretPhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    return exif


def assert_no_metadata(path: Path) -> None:
    raw = path.read_bytes()
    for marker in (b"Exif", b"GPS", b"SecretPhoneMaker", b"xmpmeta", b"<script", b"tEXt", b"zTXt", b"iTXt", b"ICC"):
        assert marker not in raw, marker
    with Image.open(path) as im:
        assert not im.getexif()
        assert not set(im.info) & {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Comment"}


def refused(path: Path, work: Path, message: object, max_pixels: int = MAX_PIXELS_DEFAULT) -> None:
    with pytest.raises(Refused) as caught:
        prepare(path, work, max_pixels=max_pixels)
    assert str(caught.value) == str(message)
    assert list(work.iterdir()) == []  # nothing half-written left behind


# --- Photos --------------------------------------------------------------------------------


def test_jpeg_exif_gps_is_stripped_and_orientation_applied(tmp_path: Path, work: Path) -> None:
    buf = io.BytesIO()
    half_red((800, 400)).save(
        buf,
        "JPEG",
        exif=exif_with_gps(orientation=6),
        xmp=b"<x:xmpmeta>where</x:xmpmeta>",
        comment=SCRIPT,
        icc_profile=SRGB_ICC,  # converted from, then dropped
    )
    src = write(tmp_path, "IMG_0001.jpg", buf.getvalue())
    with Image.open(src) as original:  # the hostile file really has what we strip
        assert original.getexif().get_ifd(GPS_IFD)[1] == "N"

    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)

    assert (out.content_type, out.extension, out.pdf_has_script) == ("image/jpeg", "jpg", False)
    assert (out.width, out.height) == (400, 800)  # orientation 6: turned a quarter clockwise
    assert out.path.parent == work
    assert_no_metadata(out.path)
    with Image.open(out.path) as im:
        assert im.format == "JPEG" and im.size == (400, 800)
        rgb = im.convert("RGB")
        top, bottom = rgb.getpixel((200, 50)), rgb.getpixel((200, 750))
        assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
        assert bottom[2] > 200 and bottom[0] < 60
    with Image.open(out.thumbnail) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (160, 320)


def test_png_text_chunks_are_dropped(tmp_path: Path, work: Path) -> None:
    info = PngInfo()
    info.add_text("Comment", SCRIPT)
    info.add_text("Zipped", SCRIPT * 20, zip=True)
    info.add_itxt("Intl", SCRIPT, lang="en")
    buf = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 200, 30, 128)).save(buf, "PNG", pnginfo=info, exif=exif_with_gps())
    src = write(tmp_path, "screenshot.png", buf.getvalue())
    assert SCRIPT.encode() in src.read_bytes()

    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)

    assert (out.content_type, out.extension, out.width, out.height) == ("image/png", "png", 64, 48)
    assert_no_metadata(out.path)
    with Image.open(out.path) as im:
        assert im.format == "PNG" and im.mode == "RGBA" and not im.text
        assert im.getpixel((1, 1)) == (10, 200, 30, 128)


def test_palette_png_keeps_its_transparency(tmp_path: Path, work: Path) -> None:
    im = Image.new("P", (8, 8), 1)
    im.putpalette([255, 0, 0, 0, 255, 0])
    im.putpixel((0, 0), 0)
    src = tmp_path / "icon.png"
    im.save(src, "PNG", transparency=0)

    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)

    with Image.open(out.path) as clean:
        rgba = clean.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((1, 1)) == (0, 255, 0, 255)


def test_webp_is_reencoded_as_webp_without_metadata(tmp_path: Path, work: Path) -> None:
    buf = io.BytesIO()
    half_red((120, 80)).save(
        buf, "WEBP", exif=exif_with_gps(), xmp=b"<x:xmpmeta>where</x:xmpmeta>", icc_profile=SRGB_ICC
    )
    src = write(tmp_path, "photo.webp", buf.getvalue())

    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)

    assert (out.content_type, out.extension, out.width, out.height) == ("image/webp", "webp", 120, 80)
    assert_no_metadata(out.path)
    with Image.open(out.path) as im:
        assert im.format == "WEBP"


def test_heic_from_a_phone_becomes_jpeg(tmp_path: Path, work: Path) -> None:
    if not pillow_heif.libheif_info().get("HEIF"):  # the name of the HEVC encoder, empty without one
        pytest.skip("this libheif build cannot encode HEIC, so no test file can be made")
    src = tmp_path / "IMG_0002.HEIC"
    pillow_heif.from_pillow(half_red((96, 64))).save(src, quality=90, exif=exif_with_gps().tobytes())

    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)

    assert (out.content_type, out.extension, out.width, out.height) == ("image/jpeg", "jpg", 96, 64)
    assert_no_metadata(out.path)
    with Image.open(out.path) as im:
        assert im.format == "JPEG"


def test_type_comes_from_the_content_not_the_name(tmp_path: Path, work: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "PNG")
    out = prepare(write(tmp_path, "scan.pdf", buf.getvalue()), work, max_pixels=MAX_PIXELS_DEFAULT)
    assert out.content_type == "image/png"


# --- Refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", f'<svg xmlns="http://www.w3.org/2000/svg">{SCRIPT}</svg>'.encode()),
        ("photo.jpg", f"<!doctype html><html><body>{SCRIPT}</body></html>".encode()),
        ("photo.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 60),
        ("notes.txt", b"just some text"),
    ],
    ids=["svg", "html-named-jpg", "gif", "zip", "text"],
)
def test_other_kinds_are_refused(tmp_path: Path, work: Path, name: str, data: bytes) -> None:
    refused(write(tmp_path, name, data), work, MSG_KIND)


def test_real_gif_is_refused(tmp_path: Path, work: Path) -> None:
    buf = io.BytesIO()
    Image.new("P", (8, 8)).save(buf, "GIF")
    refused(write(tmp_path, "anim.jpg", buf.getvalue()), work, MSG_KIND)


def test_zero_byte_file(tmp_path: Path, work: Path) -> None:
    refused(write(tmp_path, "empty.jpg", b""), work, MSG_EMPTY)


def test_truncated_jpeg(tmp_path: Path, work: Path) -> None:
    buf = io.BytesIO()
    Image.effect_noise((400, 400), 64).convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    refused(write(tmp_path, "cut.jpg", data[: len(data) // 2]), work, MSG_UNREADABLE)


def test_html_behind_a_jpeg_signature_is_unreadable(tmp_path: Path, work: Path) -> None:
    data = b"\xff\xd8\xff\xe0" + f"<html>{SCRIPT}</html>".encode()
    refused(write(tmp_path, "polyglot.jpg", data), work, MSG_UNREADABLE)


def test_decompression_bomb_over_twice_the_limit(tmp_path: Path, work: Path) -> None:
    src = tmp_path / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(src, "PNG")  # 100 Mpx in a few kB
    assert src.stat().st_size < 100_000
    refused(src, work, MSG_TOO_LARGE, max_pixels=1_000_000)


def test_image_just_over_the_limit_is_refused_too(tmp_path: Path, work: Path) -> None:
    # Between the limit and twice it Pillow only warns: the warning must refuse as well, even where
    # warnings are ignored (production), not only under this suite's filterwarnings = error.
    src = tmp_path / "big.png"
    Image.new("L", (1500, 1000)).save(src, "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refused(src, work, MSG_TOO_LARGE, max_pixels=1_000_000)


def test_limits_are_restored_after_each_call(tmp_path: Path, work: Path) -> None:
    before = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters)
    src = tmp_path / "big.png"
    Image.new("L", (1500, 1000)).save(src, "PNG")
    with pytest.raises(Refused):
        prepare(src, work, max_pixels=1_000_000)
    assert prepare(src, work, max_pixels=2_000_000).width == 1500
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters)) == before


# --- PDF -----------------------------------------------------------------------------------

PLAIN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"3 0 obj << /Producer (Scanner) /AAPL:Keywords [(post)] /JSON (no) >> endobj\n"
    b"trailer << /Root 1 0 R /Info 3 0 R >>\n%%EOF\n"
)
SCRIPT_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R\n"
    b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def test_plain_pdf_is_kept_byte_for_byte(tmp_path: Path, work: Path) -> None:
    src = write(tmp_path, "scan.jpg", PLAIN_PDF)  # the name says JPEG, the bytes say PDF
    out = prepare(src, work, max_pixels=MAX_PIXELS_DEFAULT)
    assert out == Prepared(src, "application/pdf", "pdf", None, None, None, False)
    assert src.read_bytes() == PLAIN_PDF and list(work.iterdir()) == []


def test_pdf_with_javascript_is_accepted_and_flagged(tmp_path: Path, work: Path) -> None:
    out = prepare(write(tmp_path, "letter.pdf", SCRIPT_PDF), work, max_pixels=MAX_PIXELS_DEFAULT)
    assert (out.content_type, out.pdf_has_script, out.thumbnail) == ("application/pdf", True, None)


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        (b"<< /AA << /O 5 0 R >> >>", True),  # additional actions (run on open/close/focus)
        (b"<< /S /J#61vaScr#69pt /J#53 (x) >>", True),  # names written with #xx escapes
        (b"<< /JS(x) >>", True),  # a delimiter, not a space, ends the name
        (b"<< /AAPL:Keywords [] /JSON 1 /Subtype /JSX >>", False),  # longer names, not scripts
        (b"<< /Type /Page >> % JavaScript in a comment, without the slash", False),
    ],
)
def test_pdf_script_names(tmp_path: Path, body: bytes, flagged: bool) -> None:
    assert pdf_has_script(write(tmp_path, "x.pdf", b"%PDF-1.7\n" + body + b"\n%%EOF")) is flagged


@pytest.mark.parametrize("name", [b"/JavaScript", b"/JS", b"/AA"])
def test_pdf_names_split_across_chunks_are_found(tmp_path: Path, name: bytes) -> None:
    # The name straddles every possible chunk boundary, and also sits at the very end of the file.
    for chunk_size in range(1, 16):
        for pad in range(chunk_size + 1):
            path = write(tmp_path, "x.pdf", b"%PDF-1.7\n" + b"x" * pad + name + b" ")
            assert pdf_has_script(path, chunk_size=chunk_size), (chunk_size, pad)
    assert pdf_has_script(write(tmp_path, "y.pdf", b"%PDF-1.7\n" + name), chunk_size=4)
    assert not pdf_has_script(write(tmp_path, "z.pdf", b"%PDF-1.7\n" + name + b"X "), chunk_size=4)


def _object_stream_pdf(objects: bytes, *, raw: bytes | None = None) -> bytes:
    """A PDF 1.5 file whose dictionaries sit in a Flate-compressed object stream (as most writers
    save them today): nothing of them shows in the raw bytes."""
    import zlib

    packed = zlib.compress(objects) if raw is None else raw
    return (b"%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
            + str(len(packed)).encode() + b" >>\nstream\n" + packed + b"\nendstream\nendobj\n%%EOF\n")


@pytest.mark.parametrize(
    ("objects", "flagged"),
    [
        (b"1 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>", True),
        (b"1 0 << /Type /Catalog /Names << /J#61vaScript 3 0 R >> >>", True),  # escaped, and compressed
        (b"1 0 << /Type /Catalog /Pages 2 0 R /Lang (zh-CN) >>", False),
    ],
)
def test_pdf_script_names_inside_compressed_object_streams(tmp_path: Path, objects: bytes, flagged: bool) -> None:
    pdf = _object_stream_pdf(objects)
    assert b"JavaScript" not in pdf and b"Catalog" not in pdf  # invisible to a scan of the raw bytes
    assert pdf_has_script(write(tmp_path, "x.pdf", pdf)) is flagged


def test_compressed_script_names_are_found_however_the_stream_is_written(tmp_path: Path, monkeypatch) -> None:
    """What a lenient reader (pdf.js) still opens must not get past the scan: a small zlib window, an
    object stream dressed as a picture or a font, a lone CR after "stream", another filter in front."""
    import zlib

    from complaints.files import content

    objects = b"1 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>"
    small_window = zlib.compressobj(9, zlib.DEFLATED, 9)
    packed = small_window.compress(objects) + small_window.flush()
    assert packed[:1] != b"\x78"
    cases = {
        "window": _object_stream_pdf(b"", raw=packed),
        "dressed": _object_stream_pdf(objects).replace(b"/N 1", b"/Subtype /Image /Length1 3 /N 1"),
        "escaped": _object_stream_pdf(objects).replace(b"/Type /ObjStm", b"/Type /Obj#53tm /Subtype/Image"),
        "cr": _object_stream_pdf(objects).replace(b"stream\n", b"stream\r", 1),
        "hex": _object_stream_pdf(b"", raw=objects.hex().encode()).replace(b"/FlateDecode",
                                                                           b"/ASCIIHexDecode"),
    }
    for name, pdf in cases.items():
        assert b"JavaScript" not in pdf or name == "hex", name
        assert pdf_has_script(write(tmp_path, f"{name}.pdf", pdf)), name
    # Streams past any real document's count, and a file of stream openings without an end (each read
    # once, however many there are), are judged without reading on.
    monkeypatch.setattr(content, "_MAX_STREAMS", 50)
    many = b"%PDF-1.7\n" + b"9 0 obj << /Length 1 >>\nstream\nx\nendstream\nendobj\n" * 60
    assert pdf_has_script(write(tmp_path, "many.pdf", many))
    endless = b"%PDF-1.7\n" + b"stream\n\x78\x9c" * 40
    assert not pdf_has_script(write(tmp_path, "endless.pdf", endless))


def test_a_damaged_or_bombed_stream_is_judged_safely(tmp_path: Path, monkeypatch) -> None:
    import zlib

    from complaints.files import content

    noise = random.Random(13).randbytes(20_000)  # does not compress
    script = zlib.compress(b"1 0 << /S /JavaScript /JS (x) >>" + noise)
    # Cut off mid-stream: what inflates before the damage is still read.
    assert pdf_has_script(write(tmp_path, "cut.pdf", _object_stream_pdf(b"", raw=script[:len(script) // 2])))
    # A stream that inflates past the limit is not inflated further and the file is flagged.
    monkeypatch.setattr(content, "_INFLATE_LIMIT", 1 << 20)
    bomb = zlib.compress(b"0" * (2 << 20), 9)
    assert len(bomb) < 10_000
    assert pdf_has_script(write(tmp_path, "bomb.pdf", _object_stream_pdf(b"", raw=bomb)))
    small = zlib.compress(b"0" * (512 << 10), 9)
    assert not pdf_has_script(write(tmp_path, "ok.pdf", _object_stream_pdf(b"", raw=small)))
    # A scan's picture is not inflated at all, however large: most of a scanned letter's bytes.
    picture = _object_stream_pdf(b"", raw=bomb).replace(b"/Type /ObjStm /N 1 /First 4",
                                                          b"/Type /XObject /Subtype /Image /Width 2048")
    assert not pdf_has_script(write(tmp_path, "scan.pdf", picture))


def test_pdf_header_must_open_the_file(tmp_path: Path, work: Path) -> None:
    # filetype also accepts a UTF-8 BOM before "%PDF"; a PDF must start with "%PDF-".
    refused(write(tmp_path, "bom.pdf", b"\xef\xbb\xbf" + PLAIN_PDF), work, MSG_KIND)
    refused(write(tmp_path, "short.pdf", b"%PDF\n" + PLAIN_PDF[9:]), work, MSG_KIND)
