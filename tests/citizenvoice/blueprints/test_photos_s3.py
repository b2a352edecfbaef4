"""Photos in an S3-compatible bucket (issue 23), on PostgreSQL and SQLite, against a real local
S3 HTTP server (moto's standalone server on 127.0.0.1, a free port) started by the test: upload,
read back through the access-checked routes, prune, the server stopped (503, nothing stored),
hostile names, and the setting's parsing. Objects stay private; no bucket address is answered."""

from __future__ import annotations

import http.client
import io
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from factories import csrf_token
from flask import Flask
from moto.server import ThreadedMotoServer
from photo_files import jpeg
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from citizenvoice.extensions import db
from citizenvoice.jobs.maintenance import prune_media_job
from citizenvoice.models import Media, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.media_storage import StoredFileMissing, storage_from_setting
from citizenvoice.services.s3_storage import S3Storage, parse_s3_url

COMPLAINT = {
    "kind": "complaint",
    "department": "cgzf",
    "text": "人民路路灯坏了一个多月，请尽快修理。",
}
SECRET = "s3cr/et+key"


@pytest.fixture
def s3() -> Iterator[ThreadedMotoServer]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3) -> str:
    name = f"cv-{secrets.token_hex(6)}"
    _client(s3).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    return name


@pytest.fixture
def app(db_app, s3, bucket) -> Flask:
    """PostgreSQL and SQLite (conftest.db_app), photos in the local S3 server's bucket."""
    host, port = s3.get_host_and_port()
    secret = SECRET.replace("/", "%2F").replace("+", "%2B")
    db_app.config["MEDIA_STORAGE"] = (
        f"s3://test-key:{secret}@{host}:{port}/{bucket}?region=cn-north-1&secure=0&timeout=2"
    )
    db_app.config["MEDIA_DIR"] = "/nonexistent/not-used"
    db_app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
    return db_app


def _client(server: ThreadedMotoServer):
    host, port = server.get_host_and_port()
    return boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="cn-north-1",
        aws_access_key_id="test-key",
        aws_secret_access_key=SECRET,
    )


def _keys(server: ThreadedMotoServer, bucket: str) -> list[str]:
    listing = _client(server).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _upload(client, data: bytes):
    boundary, body = encode_multipart(
        MultiDict(
            {"file": FileStorage(io.BytesIO(data), filename="p.jpg", content_type="image/jpeg")}
        )
    )
    return client.post(
        "/api/v1/media", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _media_count(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Media)) or 0)


def test_an_upload_is_two_private_objects_read_back_through_the_checked_routes(
    seeded, client, s3, bucket
):
    response = _upload(client, jpeg())
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert "amazonaws" not in json.dumps(body) and bucket not in json.dumps(body)
    keys = _keys(s3, bucket)
    assert len(keys) == 2 and all(k[:2] == k[3:5] and k.endswith(".jpg") for k in keys)
    for key in keys:  # no grant to everyone: only the owner's
        grants = _client(s3).get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert all("URI" not in grant["Grantee"] for grant in grants)
    preview = client.get(body["url"])
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert preview.data[:3] == b"\xff\xd8\xff"
    thumb = client.get(body["url"] + "?size=thumb")
    assert thumb.status_code == 200 and len(thumb.data) < len(preview.data) + 1

    created = client.post("/api/v1/feedback", json={**COMPLAINT, "media": [body["media_id"]]})
    assert created.status_code == 201, created.get_data(as_text=True)
    code = created.get_json()["tracking_code"]
    tracked = client.get(f"/track/{code}/photos/{body['media_id']}")
    assert tracked.status_code == 200 and tracked.data == preview.data
    assert tracked.headers["Cache-Control"] == "private, no-store"
    # Attached: the uploader's preview is gone, the public copy needs consent.
    assert client.get(body["url"]).status_code == 404
    assert client.get(f"/open/photos/{body['media_id']}").status_code == 404


def test_a_missing_object_is_404_not_500(seeded, client, s3, bucket):
    media_id = _upload(client, jpeg()).get_json()["media_id"]
    for key in _keys(s3, bucket):
        _client(s3).delete_object(Bucket=bucket, Key=key)
    assert client.get(f"/api/v1/media/{media_id}").status_code == 404


def test_prune_deletes_the_objects_too(seeded, client, s3, bucket):
    old = _upload(client, jpeg()).get_json()["media_id"]
    fresh = _upload(client, jpeg(color=(1, 2, 3))).get_json()["media_id"]
    with seeded.app_context():
        db.session.execute(
            update(Media)
            .where(Media.public_id == old)
            .values(created_at=utcnow() - timedelta(hours=30))
        )
        db.session.commit()
        kept = db.session.execute(
            select(Media.stored_name, Media.thumb_name).where(Media.public_id == fresh)
        ).one()
    assert len(_keys(s3, bucket)) == 4
    result = seeded.test_cli_runner().invoke(args=["media", "prune"])
    assert result.exit_code == 0 and "deleted 1 " in result.output, result.output
    assert [k.rsplit("/", 1)[1] for k in _keys(s3, bucket)] == sorted(kept)
    with seeded.app_context():
        db.session.execute(update(Media).values(created_at=utcnow() - timedelta(hours=30)))
        db.session.commit()
        assert prune_media_job() == {"removed": 1}
    assert _keys(s3, bucket) == []


def test_storage_down_answers_503_with_retry_after_and_stores_nothing(seeded, client, s3, bucket):
    media_id = _upload(client, jpeg()).get_json()["media_id"]
    s3.stop()
    try:
        response = _upload(client, jpeg(color=(9, 9, 9)))
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "service_unavailable"
        assert int(response.headers["Retry-After"]) > 0
        assert _media_count(seeded) == 1  # no row without its objects
        # Reading is a 503 too (not a 404: the photo exists), and the form keeps its text.
        assert client.get(f"/api/v1/media/{media_id}").status_code == 503
        created = client.post("/api/v1/feedback", json={**COMPLAINT, "media": [media_id]})
        assert created.status_code == 201  # attaching needs no storage
    finally:
        s3.start()  # the fixture stops it again
    assert _media_count(seeded) == 1


def test_the_form_with_photos_lands_in_the_bucket_and_a_down_storage_keeps_the_text(
    seeded, client, s3, bucket
):
    page = client.get("/submit/complaint").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "department": "cgzf", "text": COMPLAINT["text"]}
    form["photos"] = [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg(color=(5, 5, 5))), "b.jpg")]
    assert client.post("/submit/complaint", data=form).status_code == 303
    assert len(_keys(s3, bucket)) == 4
    s3.stop()
    try:
        typed = "夜市噪音扰民，=1+1 请处理"
        form = {"csrf_token": csrf_token(page), "department": "cgzf", "text": typed}
        form["photos"] = [(io.BytesIO(jpeg()), "a.jpg")]
        response = client.post("/submit/complaint", data=form)
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        assert typed in response.get_data(as_text=True)
    finally:
        s3.start()
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert _media_count(seeded) == 2 and len(_keys(s3, bucket)) == 4


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a" * 32 + ".jpg\x00",
        "A" * 32 + ".jpg",
        "%2e%2e/" + "a" * 28 + ".jpg",
        "a" * 32 + ".jpg\r\nX: y",
        "",
        "a" * 10_000,
        "=1+1",
    ],
)
def test_hostile_names_never_become_a_request(app, name):
    """Refused before any key is built: this holds with the server stopped too."""
    with app.app_context():
        storage = storage_from_setting(app.config)
    assert isinstance(storage, S3Storage)
    with pytest.raises(StoredFileMissing):
        storage.read(name)
    assert storage.delete(name) is None


def test_the_setting_is_parsed_without_leaking_the_secret():
    settings = parse_s3_url("s3://AK:se%2Fcret@minio.local:9000/photos?region=cn-east-1&prefix=cv/")
    assert settings.endpoint == "https://minio.local:9000" and settings.bucket == "photos"
    assert settings.secret_key == "se/cret" and settings.prefix == "cv/"
    assert "cret" not in repr(settings)
    for bad in [
        "s3://minio.local/photos",
        "s3://AK:SK@minio.local/",
        "s3://AK:SK@minio.local/a/b",
        "s3://AK:SK@minio.local/p?secure=2",
        "s3://AK:SK@minio.local/p?timeout=600",
        "http://AK:SK@minio.local/p",
    ]:
        with pytest.raises(ValueError) as refused:
            parse_s3_url(bad)
        assert "SK" not in str(refused.value)
    with pytest.raises(ValueError):
        storage_from_setting({"MEDIA_STORAGE": "ftp://x", "MEDIA_DIR": "/tmp"})


@pytest.fixture
def port(seeded) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    yield server.server_port
    server.shutdown()
    serving.join(timeout=10)


def test_parallel_uploads_over_http_all_land_in_the_bucket(seeded, port, s3, bucket):
    boundary = "s3-race"
    results: list[int] = []

    def upload(index: int) -> None:
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{index}.jpg"'
                "\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode()
            + jpeg(color=(index, 50, 90))
            + f"\r\n--{boundary}--\r\n".encode()
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(
                "POST",
                "/api/v1/media",
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            response = connection.getresponse()
            response.read()
            results.append(response.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [201] * 6
    assert _media_count(seeded) == 6 and len(_keys(s3, bucket)) == 12


def test_a_malformed_setting_stops_the_app_at_startup(tmp_path):
    from support import testing_config

    from citizenvoice import create_app

    config = testing_config(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="CITIZENVOICE_MEDIA_STORAGE") as refused:
        create_app(config, {"MEDIA_STORAGE": "s3://AK:hunter2@minio.local/"})
    assert "hunter2" not in str(refused.value)
    app = create_app(config, {"MEDIA_STORAGE": "s3://AK:SK@127.0.0.1:9/photos?secure=0"})
    assert app.config["MEDIA_STORAGE"].startswith("s3://")  # nothing is sent at startup


def test_a_storage_failing_between_the_two_writes_leaves_no_row_and_logs_the_orphan(
    app, seeded, s3, bucket, caplog
):
    """The photo object is written, then the server goes away before the thumbnail."""
    from citizenvoice.services.images import process_photo
    from citizenvoice.services.media import store_photo
    from citizenvoice.services.media_storage import StorageUnavailable

    with app.app_context():
        real = storage_from_setting(app.config)

        class StopsAfterOneWrite:
            def save(self, data: bytes) -> str:
                name = real.save(data)
                s3.stop()
                return name

            read, delete = real.read, real.delete

        try:
            with pytest.raises(StorageUnavailable):
                store_photo(process_photo(jpeg()), StopsAfterOneWrite())
            db.session.rollback()
        finally:
            s3.start()
    assert _media_count(seeded) == 0
    (orphan,) = _keys(s3, bucket)  # the clean-up delete failed too: logged by its random name
    assert any(orphan.rsplit("/", 1)[1] in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/media/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/media/%00",
        "/open/photos/" + "a" * 5000,
        "/open/photos/%0d%0aX-Injected:%201",
        "/track/AAAA/photos/=1+1",
    ],
)
def test_hostile_photo_addresses_are_404_without_touching_the_bucket(seeded, client, s3, path):
    s3.stop()  # a request to the storage would be a 503, not a 404
    try:
        assert client.get(path).status_code == 404
    finally:
        s3.start()
