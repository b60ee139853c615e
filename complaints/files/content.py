"""What an uploaded attachment really is, and a clean copy of it.

The type comes from the bytes only (never the file name or the client's Content-Type).
Photos are decoded under a pixel limit and re-encoded without metadata (EXIF with GPS,
XMP, comments, PNG text chunks, ICC profiles): what is stored is pixels we drew ourselves.
PDFs are kept byte for byte, with a flag when they carry JavaScript or automatic actions.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import filetype
import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageFile, ImageOps

MAX_PIXELS_DEFAULT = 40_000_000
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85

# Detected MIME type -> (Pillow format allowed to decode it, output format, output MIME, extension).
_IMAGE_KINDS: dict[str, tuple[str, str, str, str]] = {
    "image/jpeg": ("JPEG", "JPEG", "image/jpeg", "jpg"),
    "image/png": ("PNG", "PNG", "image/png", "png"),
    "image/webp": ("WEBP", "WEBP", "image/webp", "webp"),
    "image/heic": ("HEIF", "JPEG", "image/jpeg", "jpg"),  # browsers cannot show HEIC
    "image/heif": ("HEIF", "JPEG", "image/jpeg", "jpg"),
}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError, struct.error)
# Pillow's pixel limit is a module global and warnings filters are process-wide: one decode at a time
# may change them, so a concurrent request never sees (or restores) another one's values.
_decode_lock = threading.Lock()
_SRGB = ImageCms.createProfile("sRGB")


class Refused(Exception):
    """The upload is not accepted; `message` is translatable and safe to show to the user."""

    def __init__(self, message: object) -> None:  # a lazy string, rendered in the user's locale
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


MSG_KIND = _l("This kind of file is not accepted: photos (JPEG, PNG, WebP, HEIC) and PDF only.")
MSG_EMPTY = _l("The file is empty.")
MSG_TOO_LARGE = _l("The image is too large to process.")
MSG_UNREADABLE = _l("The image could not be read.")


@dataclass(frozen=True)
class Prepared:
    path: Path  # the file to store: a clean re-encoding, or the original PDF
    content_type: str
    extension: str  # without the dot
    thumbnail: Path | None  # JPEG, longest side THUMBNAIL_SIDE; None for PDFs
    width: int | None
    height: int | None
    pdf_has_script: bool


def prepare(src_path: Path, work_dir: Path, *, max_pixels: int) -> Prepared:
    """Check the upload at `src_path`; write any clean copy and thumbnail into `work_dir`.

    Raises Refused for empty files, kinds other than JPEG/PNG/WebP/HEIC/PDF, images over
    `max_pixels` and images that do not decode completely.
    """
    _register_heif()
    src_path = Path(src_path)
    if src_path.stat().st_size == 0:
        raise Refused(MSG_EMPTY)
    kind = filetype.guess(str(src_path))
    mime = kind.mime if kind else None
    if mime == "application/pdf":
        return _prepare_pdf(src_path)
    if mime in _IMAGE_KINDS:
        return _prepare_image(src_path, Path(work_dir), mime, max_pixels)
    raise Refused(MSG_KIND)


_heif_registered = False


def _register_heif() -> None:
    """Teach Pillow HEIC (phones' photos) on first use, not as a side effect of importing this module."""
    global _heif_registered
    if not _heif_registered:
        pillow_heif.register_heif_opener()
        _heif_registered = True


# --- PDF ------------------------------------------------------------------------------------

# Names whose presence means script or automatic actions (/OpenAction + JS shows up as /JS).
_SCRIPT_NAMES = frozenset({b"JavaScript", b"JS", b"AA"})
# A PDF name: "/" then regular characters up to whitespace or a delimiter (PDF 32000 7.2.2).
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NAME_OVERLAP = 512  # longer than any name we look for, even fully #-escaped


def _prepare_pdf(path: Path) -> Prepared:
    with path.open("rb") as f:
        if f.read(5) != b"%PDF-":  # filetype accepts a BOM or "%PDF" alone; we do not
            raise Refused(MSG_KIND)
    return Prepared(path, "application/pdf", "pdf", None, None, None, pdf_has_script(path))


def pdf_has_script(path: Path, chunk_size: int = 1 << 20) -> bool:
    """True when the PDF names /JavaScript, /JS or /AA (also written with #xx escapes), in its raw
    bytes or inside its Flate-compressed streams (object streams hide whole dictionaries since
    PDF 1.5). A heuristic, not a parser: a name in a page's content stream flags the file too (it
    is then offered for download only, the safe side), and False does not prove a PDF harmless.
    """
    if any(_is_script_name(name) for name in _pdf_names(path, chunk_size)):
        return True
    try:
        return any(_is_script_name(m.group(1)) for data in _inflated_streams(path) for m in _NAME.finditer(data))
    except _TooMuch:
        return True  # more to inflate than any letter or receipt needs: treated as suspect


def _is_script_name(name: bytes) -> bool:
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name) in _SCRIPT_NAMES


# Decompressed bytes read per file at most: a "zip bomb" of a stream stops here, and the file is flagged.
_INFLATE_LIMIT = 64 << 20
# More streams than any letter or receipt has: past this the file is flagged without reading on.
_MAX_STREAMS = 20_000
# "stream" then its end of line (a lenient reader also takes a lone CR, or spaces before it).
_STREAM = re.compile(rb"stream[ \t]*(?:\r\n|\r|\n)")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_PICTURE_OR_FONT = re.compile(rb"/Subtype\s*/Image\b|/Length1\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)\b")
# Filters other than Flate, which this scan does not undo: an object stream behind one is suspect.
_OTHER_FILTERS = re.compile(rb"/(?:ASCII85Decode|A85|ASCIIHexDecode|AHx|LZWDecode|LZW|RunLengthDecode|RL|Crypt)\b")


class _TooMuch(Exception):
    pass


def _zlib_header(two: bytes) -> bool:
    """RFC 1950: deflate (method 8), a window of at most 32 KiB, and the check bits (any level)."""
    return len(two) == 2 and two[0] & 0x0F == 8 and two[0] >> 4 <= 7 and ((two[0] << 8) | two[1]) % 31 == 0


def _inflated_streams(path: Path) -> Iterator[bytes | bytearray]:
    """The decompressed content of the file's zlib (FlateDecode) streams, in turn, pictures and fonts
    left out; raises _TooMuch for a file that asks more than the limits allow. Each stream is read
    once: the scan resumes after its "endstream", so hostile files cost linear time."""
    import mmap
    import zlib

    if path.stat().st_size == 0:
        return
    budget, seen, pos = _INFLATE_LIMIT, 0, 0
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        while (match := _STREAM.search(data, pos)) is not None:
            seen += 1
            if seen > _MAX_STREAMS:
                raise _TooMuch
            start = match.end()
            end = data.find(b"endstream", start)
            end = len(data) if end < 0 else end
            pos = end + len(b"endstream")
            # The stream's dictionary (since its "obj"), its names with #xx escapes undone.
            header = data[max(0, match.start() - 4096):match.start()]
            header = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), header[header.rfind(b"obj") + 1:])
            if _OBJECT_STREAM.search(header):
                if _OTHER_FILTERS.search(header):
                    raise _TooMuch  # dictionaries behind a filter this scan does not undo: suspect
            elif _PICTURE_OR_FONT.search(header):
                continue  # most of a scan's bytes, and never where a script is named
            if not _zlib_header(data[start:start + 2]):
                continue  # not compressed (its names were in the raw scan), or a JPEG, or damaged
            inflater = zlib.decompressobj()
            out = bytearray()
            try:
                for at in range(start, end, 1 << 16):
                    out += inflater.decompress(data[at:min(at + (1 << 16), end)], budget - len(out) + 1)
                    if len(out) > budget:
                        raise _TooMuch
            except zlib.error:
                pass  # a damaged stream: judge what came out of it
            budget -= len(out)
            yield out


def _pdf_names(path: Path, chunk_size: int) -> Iterator[bytes]:
    tail = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(chunk_size)
            at_end = not chunk
            buf = tail + chunk
            for match in _NAME.finditer(buf):
                # A name touching the end of the buffer may continue in the next chunk ("/JS" of
                # "/JSON"): it is judged then, from the overlap.
                if at_end or match.end() < len(buf):
                    yield match.group(1)
            if at_end:
                return
            tail = buf[-_NAME_OVERLAP:]


# --- Images ---------------------------------------------------------------------------------


# A decoded 40-megapixel photo is ~120 MB and its conversions make copies: one image at a time per
# process keeps a worker's peak near one photo's worth, however many threads upload at once.
_pipeline = threading.Lock()


def _prepare_image(src: Path, work_dir: Path, mime: str, max_pixels: int) -> Prepared:
    with _pipeline:
        return _prepare_image_now(src, work_dir, mime, max_pixels)


def _prepare_image_now(src: Path, work_dir: Path, mime: str, max_pixels: int) -> Prepared:
    decoder, out_format, content_type, extension = _IMAGE_KINDS[mime]
    image = _decode(src, decoder, max_pixels)
    written: list[Path] = []
    try:
        clean = _clean_pixels(image, out_format)
        del image  # the decoded original: free it before the copies for saving and the thumbnail
        path = _new_file(work_dir, "attachment-", extension, written)
        _save_clean(clean, path, out_format)
        thumb = _new_file(work_dir, "thumbnail-", "jpg", written)
        _thumbnail(clean).save(thumb, "JPEG", quality=80, optimize=True)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return Prepared(path, content_type, extension, thumb, clean.width, clean.height, False)


def _decode(src: Path, decoder: str, max_pixels: int) -> Image.Image:
    """Open and fully decode `src` as `decoder` format, upright, under the pixel limit."""
    with _decode_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = max_pixels, False
        try:
            # formats=: Pillow may only read what the content sniffing said it is.
            with Image.open(src, formats=[decoder]) as opened:
                opened.load()  # decode now, inside the limits, so truncation fails here
                return ImageOps.exif_transpose(opened)  # a new image, detached from the file
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Refused(MSG_TOO_LARGE) from exc
        except _DECODE_ERRORS as exc:
            raise Refused(MSG_UNREADABLE) from exc
        finally:
            Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _clean_pixels(image: Image.Image, out_format: str) -> Image.Image:
    """Pixels in sRGB, in a mode `out_format` can hold, with no metadata attached."""
    image = _to_srgb(image)
    transparency = image.info.get("transparency")
    if out_format == "JPEG":
        image = _flatten(image) if _has_alpha(image) else image.convert("L" if image.mode == "L" else "RGB")
    elif out_format == "WEBP":
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):  # PNG keeps what it can hold
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    elif transparency is not None and image.mode != "P":
        image = image.convert("RGBA")  # tRNS of L/RGB images: carried by an alpha band instead
    if image.mode == "P" and transparency is not None:
        image = image.convert("RGBA")  # palette tRNS would otherwise need the info we drop
    image.info = {}  # JPEG comments, PNG text/ICC, EXIF, XMP: Pillow re-saves some of these from info
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded ICC profile (e.g. Display P3 phones) so dropping it keeps colours."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
        converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB)
        if converted is not None:
            return converted
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info)


def _flatten(image: Image.Image) -> Image.Image:
    """Alpha over white: JPEG has no transparency."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _save_clean(image: Image.Image, path: Path, out_format: str) -> None:
    # Only explicit options: no exif=, xmp=, icc_profile=, pnginfo=, comment= is passed.
    if out_format == "JPEG":
        image.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif out_format == "WEBP":
        image.save(path, "WEBP", quality=JPEG_QUALITY)  # lossy like the JPEGs
    else:
        image.save(path, "PNG", optimize=True)


def _thumbnail(image: Image.Image) -> Image.Image:
    thumb = _flatten(image) if _has_alpha(image) else image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return thumb


def _new_file(work_dir: Path, prefix: str, extension: str, written: list[Path]) -> Path:
    fd, name = tempfile.mkstemp(dir=work_dir, prefix=prefix, suffix=f".{extension}")
    path = Path(name)
    written.append(path)
    with open(fd, "wb"):  # only reserved the unique name; Pillow writes by path
        pass
    return path
