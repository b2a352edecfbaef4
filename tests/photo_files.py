"""Photos and hostile files for the photo tests, made with Pillow or by hand, never checked in."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from benchmarks.bench_photos import png_bomb  # one recipe for the hostile PNG

__all__ = [
    "gps_jpeg",
    "hostile_files",
    "jpeg",
    "png",
    "png_bomb",
    "webp",
]

GPS_LATITUDE = (28.0, 11.0, 23.45)


def jpeg(size: tuple[int, int] = (64, 48), color=(90, 140, 200)) -> bytes:
    """A plain JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), mode: str = "RGBA") -> bytes:
    """A PNG (with transparency by default)."""
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (30, 20)) -> bytes:
    """A WebP."""
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, "WEBP")
    return out.getvalue()


def gps_jpeg(size: tuple[int, int] = (80, 40)) -> bytes:
    """A JPEG with GPS EXIF, a camera model, a comment and orientation 6 (turn 90° clockwise)."""
    image = Image.new("RGB", size, (250, 250, 250))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam X"  # Model
    exif[0x0112] = 6  # Orientation: the pixels are stored turned
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (112.0, 58.0, 12.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"home address 13912345678")
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", jpeg())
    return out.getvalue()


def hostile_files() -> dict[str, bytes]:
    """Name -> bytes of every file that must be refused."""
    whole = jpeg((400, 300))
    return {
        "text": "这不是照片\n=1+1\r\n".encode(),
        "empty": b"",
        "nul": b"\x00" * 2048,
        "truncated_jpeg": whole[: len(whole) // 2],
        "truncated_png": png((300, 300), "RGB")[:120],
        "header_only_jpeg": b"\xff\xd8\xff\xe0" + b"\x00" * 64,
        "polyglot_zip": png() + _zip(),
        "polyglot_html": jpeg() + b"<script>alert(1)</script>",
        "bomb_png": png_bomb(),
        "zip": _zip(),
        "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        "header_only_heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        "riff_not_webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8,
    }
