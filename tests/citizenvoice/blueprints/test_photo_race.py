"""Photos under concurrency, over real HTTP connections to a live threaded server, on
PostgreSQL and SQLite: parallel uploads all land (distinct ids, their files, no 500), and two
cases naming the same photo at the same moment attach it once (one 201, one 400 on media)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from photo_files import jpeg
from sqlalchemy import func, select
from werkzeug.serving import make_server

from citizenvoice.extensions import db
from citizenvoice.models import Media, Submission

UPLOADERS = 8
CASES = 6
COMPLAINT = {"kind": "complaint", "department": "cgzf", "text": "路灯坏了一个多月，请尽快修理。"}


@pytest.fixture
def app(db_app, tmp_path) -> Flask:
    """PostgreSQL and SQLite (conftest.db_app), photos under tmp_path, no rate limit in the way."""
    db_app.config["MEDIA_DIR"] = str(tmp_path / "media")
    db_app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
    return db_app


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


def _post(port: int, path: str, body: bytes, content_type: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _upload_body(index: int) -> tuple[bytes, str]:
    boundary = f"photo-race-{index}"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{index}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg((200 + index, 100), (index * 20, 80, 120))
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _all_at_once(count: int, work) -> list:
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


@pytest.mark.timeout(180)
def test_parallel_uploads_all_land_with_their_own_ids_and_files(seeded, port):
    results = _all_at_once(UPLOADERS, lambda i: _post(port, "/api/v1/media", *_upload_body(i)))
    assert [status for status, _ in results] == [201] * UPLOADERS, results
    ids = {body["media_id"] for _, body in results}
    assert len(ids) == UPLOADERS
    with seeded.app_context():
        assert set(db.session.scalars(select(Media.public_id))) == ids
    files = [p for p in Path(seeded.config["MEDIA_DIR"]).rglob("*") if p.is_file()]
    assert len(files) == 2 * UPLOADERS and not [p for p in files if p.name.startswith(".")]


@pytest.mark.timeout(180)
def test_cases_naming_the_same_photo_at_once_attach_it_once(seeded, port):
    status, body = _post(port, "/api/v1/media", *_upload_body(0))
    assert status == 201
    media_id = body["media_id"]
    payload = json.dumps({**COMPLAINT, "media": [media_id]}).encode()
    results = _all_at_once(
        CASES, lambda i: _post(port, "/api/v1/feedback", payload, "application/json")
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * (CASES - 1), results
    assert all(
        set(body["error"]["fields"]) == {"media"} for status, body in results if status == 400
    )
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        media = db.session.scalar(select(Media))
        assert media.submission_id == db.session.scalar(select(Submission.id))
