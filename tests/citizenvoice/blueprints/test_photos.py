"""Residents' photos (issue 23), on PostgreSQL and SQLite: upload, hostile files, limits,
metadata stripped, attaching through the API and the form, who may see a photo, pruning."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from factories import csrf_token, make_user
from photo_files import GPS_LATITUDE, gps_jpeg, hostile_files, jpeg, png, webp
from PIL import Image
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from citizenvoice.extensions import db
from citizenvoice.jobs.maintenance import prune_media_job
from citizenvoice.models import Analysis, Media, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.images import MAX_PHOTO_BYTES
from citizenvoice.services.media import MEDIA_INVALID

COMPLAINT = {
    "kind": "complaint",
    "department": "cgzf",
    "text": "人民路路灯坏了一个多月，晚上很黑，请尽快修理。",
}


@pytest.fixture
def app(db_app, tmp_path):
    """Every test here runs on PostgreSQL and on SQLite, photos under tmp_path."""
    db_app.config["MEDIA_DIR"] = str(tmp_path / "media")
    db_app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
    return db_app


def _upload(client, data: bytes, name: str = "photo.jpg", field: str = "file"):
    # Encoded here, in memory: the test client spools a large body to a temporary file that
    # stays open when the server refuses it unread (413).
    boundary, body = encode_multipart(
        MultiDict({field: FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg")})
    )
    return client.post(
        "/api/v1/media", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _stored_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _media_count(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Media)) or 0)


def _uploaded(client, data: bytes | None = None) -> str:
    response = _upload(client, data or jpeg())
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["media_id"])


# ------------------------------------------------------------------ upload


@pytest.mark.parametrize("maker", [jpeg, png, webp], ids=["jpeg", "png", "webp"])
def test_an_upload_answers_201_with_its_id_and_a_preview_of_a_clean_jpeg(seeded, client, maker):
    response = _upload(client, maker())
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"media_id", "url"} and len(body["media_id"]) == 22
    assert body["url"].endswith(f"/api/v1/media/{body['media_id']}")
    assert response.headers["Cache-Control"] == "no-store"
    preview = client.get(body["url"])
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(preview.data)).format == "JPEG"
    thumb = client.get(body["url"] + "?size=thumb")
    assert thumb.status_code == 200 and len(thumb.data) <= len(preview.data)
    # Stored names are random, never the upload's name or its id.
    names = [p.name for p in _stored_files(seeded)]
    assert len(names) == 2 and all(body["media_id"] not in n and "photo" not in n for n in names)


def test_gps_and_all_exif_are_stripped_and_the_orientation_applied(seeded, client):
    original = gps_jpeg((80, 40))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)[2] == GPS_LATITUDE
    media_id = _uploaded(client, original)
    for path in _stored_files(seeded):
        data = path.read_bytes()
        assert b"Exif" not in data and b"PhoneCam" not in data and b"13912345678" not in data
        image = Image.open(io.BytesIO(data))
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    full = Image.open(io.BytesIO(client.get(f"/api/v1/media/{media_id}").data))
    assert full.size == (40, 80)  # turned upright (orientation 6), then the tag dropped


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_a_hostile_file_is_refused_in_chinese_and_nothing_is_stored(seeded, client, name):
    response = _upload(client, hostile_files()[name], name=f"{name}.jpg")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_file" and set(error["fields"]) == {"file"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["fields"]["file"])
    assert _media_count(seeded) == 0 and _stored_files(seeded) == []


def test_the_size_limits_hold_and_json_keeps_its_64_kib(seeded, client):
    # Just over 10 MB of a JPEG start: refused as too large, within the body limit.
    over = b"\xff\xd8\xff\xe0" + os.urandom(MAX_PHOTO_BYTES - 3)
    response = _upload(client, over)
    assert response.status_code == 400
    assert "10 MB" in response.get_json()["error"]["fields"]["file"]
    # A body far past one photo is refused before it is read.
    huge = _upload(client, b"\xff\xd8\xff" + b"\x00" * (MAX_PHOTO_BYTES + 200_000))
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "payload_too_large"
    # The JSON endpoint keeps the app's 64 KiB.
    big_json = client.post("/api/v1/feedback", json={**COMPLAINT, "title": "灯" * 40_000})
    assert big_json.status_code == 413
    assert _media_count(seeded) == 0 and _stored_files(seeded) == []


def test_an_upload_without_the_file_field_is_a_400_on_file(seeded, client):
    for response in (
        client.post("/api/v1/media", json={"file": "x"}),
        _upload(client, jpeg(), field="photo"),
        client.post("/api/v1/media", data={"file": "=1+1\r\n\x00"}),
    ):
        assert response.status_code == 400
        assert "file" in response.get_json()["error"]["fields"]
    assert _media_count(seeded) == 0


def test_every_upload_attempt_counts_toward_the_limit_refused_ones_too(seeded, client):
    seeded.config["SUBMISSION_RATE_LIMIT"] = "2/minute"
    assert _upload(client, b"not a photo").status_code == 400
    assert _upload(client, jpeg()).status_code == 201
    limited = _upload(client, jpeg())
    assert limited.status_code == 429 and limited.get_json()["error"]["code"]
    assert _media_count(seeded) == 1


# ------------------------------------------------------------------ attaching


def test_feedback_attaches_its_photos_once_in_order(seeded, client):
    first, second = _uploaded(client), _uploaded(client, png())
    created = client.post("/api/v1/feedback", json={**COMPLAINT, "media": [second, first]})
    assert created.status_code == 201, created.get_data(as_text=True)
    with seeded.app_context():
        case = db.session.scalar(select(Submission))
        rows = db.session.scalars(select(Media).order_by(Media.position)).all()
        assert [m.public_id for m in rows] == [second, first]
        assert {m.submission_id for m in rows} == {case.id}
    # The preview ends with the attachment: from now on the case's rules apply.
    assert client.get(f"/api/v1/media/{first}").status_code == 404
    again = client.post("/api/v1/feedback", json={**COMPLAINT, "media": [first]})
    assert again.status_code == 400
    assert again.get_json()["error"]["fields"] == {"media": MEDIA_INVALID}


@pytest.mark.parametrize(
    "media",
    [
        "not-a-list",
        [1, 2],
        [None],
        ["AAAAAAAAAAAAAAAAAAAAAA"],
        ["../../etc/passwd"],
        ["=1+1"],
        ["\x00" * 22],
        {"id": "x"},
    ],
)
def test_wrong_media_ids_are_a_400_on_media_and_store_nothing(seeded, client, media):
    response = client.post("/api/v1/feedback", json={**COMPLAINT, "media": media})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert set(response.get_json()["error"]["fields"]) == {"media"}
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_four_repeated_or_expired_ids_are_refused_and_the_photos_stay_free(seeded, client):
    ids = [_uploaded(client) for _ in range(4)]
    for media in (ids, [ids[0], ids[0]]):
        response = client.post("/api/v1/feedback", json={**COMPLAINT, "media": media})
        assert response.status_code == 400 and "media" in response.get_json()["error"]["fields"]
    # A photo older than the window cannot be attached, and a valid one beside it stays free.
    with seeded.app_context():
        db.session.execute(
            update(Media)
            .where(Media.public_id == ids[1])
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()
    response = client.post("/api/v1/feedback", json={**COMPLAINT, "media": [ids[2], ids[1]]})
    assert response.status_code == 400
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
        attached = select(func.count()).select_from(Media).where(Media.submission_id.is_not(None))
        assert db.session.scalar(attached) == 0
    assert client.post("/api/v1/feedback", json={**COMPLAINT, "media": [ids[2]]}).status_code == 201


# ------------------------------------------------------------------ the form


def _form(client, kind: str = "complaint"):
    page = client.get(f"/submit/{kind}")
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    assert 'accept="image/*"' in page.get_data(as_text=True)
    return {"csrf_token": csrf_token(page.get_data(as_text=True)), "department": "cgzf"}


def test_the_form_takes_up_to_three_photos_with_the_text(seeded, client):
    form = _form(client)
    form["text"] = COMPLAINT["text"]
    form["photos"] = [(io.BytesIO(gps_jpeg()), "a.jpg"), (io.BytesIO(webp()), "b.webp")]
    response = client.post("/submit/complaint", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    with seeded.app_context():
        case = db.session.scalar(select(Submission))
        assert case.channel == "web"
        assert db.session.scalar(select(func.count()).select_from(Media)) == 2
    track = client.get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert 'id="my-photos"' in track and track.count('class="case-photo"') == 2


def test_a_bad_photo_on_the_form_keeps_the_text_and_stores_nothing(seeded, client):
    typed = "夜市噪音扰民，=1+1 请处理\r\n第二行"
    form = _form(client)
    form["text"] = typed
    form["photos"] = [(io.BytesIO(jpeg()), "ok.jpg"), (io.BytesIO(b"PK\x03\x04zip"), "b.jpg")]
    response = client.post("/submit/complaint", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "第 2 张照片" in page and "夜市噪音扰民，=1+1 请处理" in page
    form = _form(client)
    form["text"] = typed
    form["photos"] = [(io.BytesIO(jpeg()), f"{i}.jpg") for i in range(4)]
    response = client.post("/submit/complaint", data=form)
    assert response.status_code == 400 and "最多上传 3 张照片" in response.get_data(as_text=True)
    assert _media_count(seeded) == 0 and _stored_files(seeded) == []
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_form_keeps_its_64_kib_per_text_field(seeded, client):
    form = _form(client)
    form["text"] = "夜市噪音扰民，" * 5000  # 105 kB of UTF-8 in one field
    form["photos"] = [(io.BytesIO(jpeg()), "a.jpg")]
    response = client.post("/submit/complaint", data=form)
    assert response.status_code == 413 and "提交的内容过大" in response.get_data(as_text=True)
    assert _media_count(seeded) == 0


# ------------------------------------------------------------------ who sees a photo


def _case_with_photo(client, *, public: bool = False) -> tuple[str, str]:
    media_id = _uploaded(client)
    created = client.post(
        "/api/v1/feedback", json={**COMPLAINT, "media": [media_id], "public_consent": public}
    )
    assert created.status_code == 201
    return created.get_json()["tracking_code"], media_id


def test_photo_addresses_follow_their_pages_rules(seeded, client, auth):
    code, media_id = _case_with_photo(client)
    with seeded.app_context():
        case_id = db.session.scalar(select(Submission.id))
    # The resident, by the tracking code.
    track_url = f"/track/{code}/photos/{media_id}"
    assert client.get(track_url).status_code == 200
    assert client.get(track_url).headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/track/{'A' * 24}/photos/{media_id}").status_code == 404
    # Staff: signed out -> sign-in; another department -> 404; the case's department -> 200.
    staff_url = f"/workspace/cases/{case_id}/photos/{media_id}"
    signed_out = seeded.test_client().get(staff_url)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    make_user(seeded, "department_staff", "cgzf", "cg_photo")
    make_user(seeded, "department_staff", "zjj", "zj_photo")
    assert auth.login("zj_photo").get(staff_url).status_code == 404
    own = auth.login("cg_photo")
    assert own.get(staff_url).status_code == 200
    assert staff_url in own.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    # The public: not consented -> 404, and no media_url in Open311.
    assert client.get(f"/open/photos/{media_id}").status_code == 404
    with seeded.app_context():
        number = db.session.scalar(select(Submission.public_number))
    answer = client.get(f"/open311/v2/requests/{number}.json").get_json()
    assert answer[0]["media_url"] is None
    # Another case's id under this case's code is not found either.
    _, other = _case_with_photo(client)
    assert client.get(f"/track/{code}/photos/{other}").status_code == 404


def test_a_public_case_shows_its_photo_to_everyone_and_in_open311(seeded, client):
    _, media_id = _case_with_photo(client, public=True)
    anyone = seeded.test_client()
    response = anyone.get(f"/open/photos/{media_id}?size=thumb")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    with seeded.app_context():
        number = db.session.scalar(select(Submission.public_number))
    answer = anyone.get(f"/open311/v2/requests/{number}.json").get_json()
    assert answer[0]["media_url"].endswith(f"/open/photos/{media_id}")
    listed = anyone.get("/open311/v2/requests.json").get_json()
    assert [r["media_url"] for r in listed if r["service_request_id"] == number] == [
        answer[0]["media_url"]
    ]


def test_the_similar_cases_list_shows_each_cases_first_photo_to_staff(seeded, client, auth):
    _, first_photo = _case_with_photo(client)
    _case_with_photo(client)
    with seeded.app_context():
        ids = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
        for case_id in ids:
            db.session.add(Analysis(submission_id=case_id, model_version="test", keywords=[],
                                    duplicate_group="g-photos", search_tokens=""))  # fmt: skip
        db.session.commit()
    make_user(seeded, "department_staff", "cgzf", "cg_similar")
    page = auth.login("cg_similar").get(f"/workspace/cases/{ids[1]}").get_data(as_text=True)
    assert 'id="similar-cases"' in page
    assert f"/workspace/cases/{ids[0]}/photos/{first_photo}?size=thumb" in page


# ------------------------------------------------------------------ prune


def test_prune_deletes_only_old_unattached_uploads_and_their_files(seeded, client):
    _, attached = _case_with_photo(client)
    old, fresh = _uploaded(client), _uploaded(client)
    with seeded.app_context():
        db.session.execute(
            update(Media)
            .where(Media.public_id.in_([old, attached]))
            .values(created_at=utcnow() - timedelta(hours=30))
        )
        db.session.commit()
    assert len(_stored_files(seeded)) == 6
    result = seeded.test_cli_runner().invoke(args=["media", "prune"])
    assert result.exit_code == 0 and "deleted 1 " in result.output, result.output
    with seeded.app_context():
        left = set(db.session.scalars(select(Media.public_id)))
    assert left == {attached, fresh} and len(_stored_files(seeded)) == 4
    result = seeded.test_cli_runner().invoke(args=["media", "prune", "--hours", "0"])
    assert result.exit_code != 0  # zero hours would delete uploads being filed right now
    # The nightly job does the same with the configured window.
    with seeded.app_context():
        db.session.execute(
            update(Media)
            .where(Media.public_id == fresh)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()
        assert prune_media_job() == {"removed": 1}
        assert set(db.session.scalars(select(Media.public_id))) == {attached}
