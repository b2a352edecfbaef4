"""HEIC/HEIF photos (issue 23: "HEIC if a maintained decoder is available"), decoded with
pillow-heif: accepted by their ftyp brand, the same pixel limit before decoding, re-encoded to
a metadata-free JPEG (the GPS EXIF of the test's own HEIC, made with pillow-heif's encoder, is
gone), damaged ones refused; and one upload through the API on PostgreSQL and SQLite."""

from __future__ import annotations

import io

import pytest
from photo_files import GPS_LATITUDE
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from citizenvoice.services.images import (
    DAMAGED,
    NOT_AN_IMAGE,
    TOO_MANY_PIXELS,
    PhotoError,
    process_photo,
)


def heic(size: tuple[int, int] = (80, 40), *, brand: bytes = b"heic") -> bytes:
    """An HEIC with GPS EXIF, a camera model and orientation 6, by pillow-heif's encoder."""
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam X"
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 30)).save(out, format="HEIF", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    assert data[4:12] == b"ftypheic"
    return data[:8] + brand + data[12:]


def test_a_heic_with_gps_becomes_an_upright_jpeg_without_metadata():
    original = heic()
    opened = Image.open(io.BytesIO(original))
    assert opened.format == "HEIF" and opened.getexif().get_ifd(0x8825)[2] == GPS_LATITUDE
    photo = process_photo(original)
    for data in (photo.data, photo.thumbnail):
        assert data[:3] == b"\xff\xd8\xff"
        assert b"Exif" not in data and b"PhoneCam" not in data
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert (photo.width, photo.height) == (40, 80)  # the orientation applied once


@pytest.mark.parametrize("brand", [b"heix", b"mif1"])
def test_other_heif_brands_are_accepted(brand):
    assert process_photo(heic(brand=brand)).data[:3] == b"\xff\xd8\xff"


def test_heic_is_held_to_the_same_pixel_limit_and_refused_when_damaged():
    with pytest.raises(PhotoError) as refused:
        process_photo(heic((400, 300)), max_pixels=100_000)
    assert refused.value.message == TOO_MANY_PIXELS
    whole = heic((400, 300))
    for broken in (whole[: len(whole) // 2], whole[:40], whole[:12] + b"\x00" * 200):
        with pytest.raises(PhotoError) as refused:
            process_photo(broken)
        assert refused.value.message in {DAMAGED, NOT_AN_IMAGE}
    # An ftyp box of a brand that is not a HEIF image (an MP4 video) is not an image here.
    with pytest.raises(PhotoError) as refused:
        process_photo(whole[:8] + b"isom" + whole[12:])
    assert refused.value.message == NOT_AN_IMAGE


@pytest.fixture
def app(db_app, tmp_path):
    db_app.config["MEDIA_DIR"] = str(tmp_path / "media")
    db_app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
    return db_app


def test_a_heic_upload_is_stored_as_jpeg(seeded, client):
    boundary, body = encode_multipart(
        MultiDict(
            {
                "file": FileStorage(
                    io.BytesIO(heic()), filename="IMG_0001.HEIC", content_type="image/heic"
                )
            }
        )
    )
    response = client.post(
        "/api/v1/media", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    preview = client.get(response.get_json()["url"])
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert b"Exif" not in preview.data
