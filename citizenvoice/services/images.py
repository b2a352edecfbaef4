"""Checking and re-encoding a resident's photo with Pillow, before anything is stored.

An upload is trusted for nothing: its first bytes must say JPEG, PNG, WebP or HEIC/HEIF (an
ISO-BMFF ``ftyp`` box of a HEIF brand; decoded by pillow-heif's libheif), it is decoded in
full (a truncated file fails here), the declared size is checked against ``max_pixels``
*before* the pixels are decoded (a 20,000 x 20,000 PNG is a few KB on the wire and 1.2 GB in
memory), and Pillow's own ``DecompressionBombWarning`` / ``DecompressionBombError`` are
turned into a refusal too.
Polyglots (an image that is also a zip archive or a web page) are refused outright.

What is kept is never the uploaded file: the pixels are turned upright by the EXIF
orientation, then written afresh as JPEG without any metadata (no EXIF, GPS, XMP, ICC or
comments), at most ``MAX_SIDE`` pixels on the long side, plus a thumbnail. Every refusal is a
:class:`PhotoError` with a Chinese message for the resident.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_PHOTO_BYTES",
    "MAX_SIDE",
    "THUMB_SIDE",
    "PhotoError",
    "ProcessedPhoto",
    "process_photo",
]

# What a phone sends: a 12-50 MP JPEG is 2-8 MB; 10 MB is the limit for one file.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Pixels an upload may declare (CITIZENVOICE_MEDIA_MAX_PIXELS): 40 MP covers a phone's full
# resolution photo and bounds decoding to ~120 MB of RGB.
DEFAULT_MAX_PIXELS = 40_000_000
# The kept copy: enough to read a street sign; the thumbnail suits a list on a phone.
MAX_SIDE = 2048
THUMB_SIDE = 320
_JPEG_QUALITY = 85

# Pillow keeps its own global bound as a second line of defence: twice ours, so our check
# (with its clear message) runs first for every size it allows.
Image.MAX_IMAGE_PIXELS = 2 * DEFAULT_MAX_PIXELS

# iPhones' HEIC: Pillow learns the "HEIF" format from pillow-heif. Its embedded thumbnails are
# not wanted (we make our own from the full pixels).
register_heif_opener(thumbnails=False)
# Major brands of an HEIF still image ("ftyp" at offset 4): HEVC-coded (heic, heix), the
# generic image brand (mif1) some phones write, and their sequence variants.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})

_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
# A zip's local header or end record, or markup a browser would run, inside an "image".
_POLYGLOT = re.compile(rb"PK\x03\x04|PK\x05\x06|<script|<html|<\?php|<svg", re.IGNORECASE)

NOT_AN_IMAGE = "无法识别该文件，请上传 JPEG、PNG、WebP 或 HEIC 格式的照片"
TOO_LARGE = "照片不能超过 10 MB，请压缩后再上传"
TOO_MANY_PIXELS = "照片尺寸过大（像素过多），请缩小后再上传"
DAMAGED = "照片文件已损坏或不完整，请重新拍摄或选择"
SUSPICIOUS = "该文件含有照片以外的内容，无法接收，请直接上传拍摄的照片"


class PhotoError(ValueError):
    """A refused upload; ``message`` is shown to the resident (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    """The re-encoded photo and its thumbnail, metadata-free, ready to store."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def _format_of(data: bytes) -> str:
    """The format the first bytes declare, or PhotoError (a zip, HEIC, text ...)."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    raise PhotoError(NOT_AN_IMAGE)


def _decoded(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    """The fully decoded first frame; the size is checked before any pixel is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise PhotoError(TOO_MANY_PIXELS)
            image.load()
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(TOO_MANY_PIXELS) from None
        except UnidentifiedImageError:
            raise PhotoError(NOT_AN_IMAGE) from None
        # Truncated data, a bad chunk CRC, a corrupt stream: OSError, SyntaxError or the
        # decoder's ValueError / struct.error (a subclass of Exception), never a 500.
        except Exception:
            raise PhotoError(DAMAGED) from None
    return image


def _upright_rgb(image: Image.Image) -> Image.Image:
    """The pixels as seen (EXIF orientation applied), as RGB over white where transparent."""
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block: keep the pixels as stored
        upright = image
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return upright.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    """JPEG bytes with no metadata: only the pixels are passed to the encoder."""
    out = io.BytesIO()
    # A fresh image of the same pixels: no info dict (EXIF, ICC, XMP, comments) comes along.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return out.getvalue()


def process_photo(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ProcessedPhoto:
    """Verify an upload by decoding it and return a clean re-encoded copy and a thumbnail.

    Raises PhotoError for anything that is not a whole JPEG, PNG, WebP or HEIC photo within the
    limits (size in bytes, pixels), and for polyglots.
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(TOO_LARGE)
    if not data:
        raise PhotoError(NOT_AN_IMAGE)
    fmt = _format_of(data)
    if _POLYGLOT.search(data):
        raise PhotoError(SUSPICIOUS)
    image = _upright_rgb(_decoded(data, fmt, max_pixels))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return ProcessedPhoto(
        data=_jpeg(image), thumbnail=_jpeg(thumb), width=image.width, height=image.height
    )
