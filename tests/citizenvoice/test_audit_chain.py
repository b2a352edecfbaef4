"""The audit chain on PostgreSQL and SQLite: concurrent appends never fork it, and every kind
of tampering (deleting any row, truncating, rewriting with or without the key, forging an
append, editing a published head) makes ``flask audit verify`` exit 1."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from factories import csrf_token, embedded_app, login, make_user
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from support import file_submission

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry
from citizenvoice.services.audit import GENESIS_HASH, entry_hash, read_anchor, record
from config import DevelopmentConfig

PASSWORD = "Audit-chain-test-2026!x"
CASE_TEXT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"


@pytest.fixture(params=["postgresql", "sqlite"])
def chain_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The seeded app on the test PostgreSQL, or an embedded SQLite app with its own anchor."""
    if request.param == "postgresql":
        yield request.getfixturevalue("seeded")
        return
    yield from embedded_app(
        tmp_path / "audit.sqlite3",
        CITIZENVOICE_PII_KEY="sqlite-test-pii-key",
        CITIZENVOICE_AUDIT_KEY="sqlite-test-audit-key",
        CITIZENVOICE_AUDIT_ANCHOR=str(tmp_path / "audit.anchor"),
    )


def _append(app: Flask, count: int) -> None:
    """``count`` appends, each in its own committed transaction."""
    with app.app_context():
        for number in range(count):
            record("office1", "period_settings", "period", f"2026-{number + 1:02d}", {"n": number})
            db.session.commit()


def _verify(app: Flask):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _sql(app: Flask, statement: str, **params: object) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def _rows(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        db.session.expunge_all()
        return rows


def _rehash_from(app: Flask, first_seq: int, key: bytes | None) -> None:
    """Recompute ``hash``/``prev_hash`` from ``first_seq`` on, as a forger would: plain SHA-256
    (no key) or the HMAC under ``key``."""
    rows = _rows(app)
    prev = GENESIS_HASH if first_seq == 1 else rows[first_seq - 2].hash
    with app.app_context():
        for row in rows[first_seq - 1 :]:
            at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
            fields = (
                prev,
                at.isoformat(),
                row.actor,
                row.action,
                row.subject_type,
                row.subject_id,
                row.details,
            )
            if key is None:
                canonical = json.dumps(
                    list(fields), ensure_ascii=False, sort_keys=True, separators=(",", ":")
                )
                new = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            else:
                new = entry_hash(key, *fields)
            db.session.execute(
                text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE id = :i"),
                {"p": prev, "h": new, "i": row.id},
            )
            prev = new
        db.session.commit()


def test_an_untouched_chain_verifies_and_every_append_is_anchored(chain_app):
    _append(chain_app, 5)
    result = _verify(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries, 5 anchored" in result.output
    heads, problems = read_anchor(Path(chain_app.config["AUDIT_ANCHOR"]))
    assert not problems
    assert {seq: next(iter(h)) for seq, h in heads.items()} == {
        row.seq: row.hash for row in _rows(chain_app)
    }


def test_the_hash_is_keyed(chain_app):
    _append(chain_app, 1)
    row = _rows(chain_app)[0]
    key = chain_app.config["AUDIT_KEY"].encode("utf-8")
    fields = (GENESIS_HASH, row.at.replace(tzinfo=UTC).isoformat())
    rest = (row.actor, row.action, row.subject_type, row.subject_id, row.details)
    assert row.hash == entry_hash(key, *fields, *rest)
    assert row.hash != entry_hash(b"another key", *fields, *rest)


def test_a_rolled_back_append_leaves_no_anchor_line_and_no_false_alarm(chain_app):
    _append(chain_app, 2)
    with chain_app.app_context():
        record("office1", "period_compute", "period", "2026-03", {})
        db.session.rollback()
    _append(chain_app, 1)
    heads, _ = read_anchor(Path(chain_app.config["AUDIT_ANCHOR"]))
    assert sorted(heads) == [1, 2, 3] and all(len(h) == 1 for h in heads.values())
    result = _verify(chain_app)
    assert result.exit_code == 0, result.output


TAMPERING = {
    "delete the newest row": lambda app: _sql(
        app, "DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)"
    ),
    "delete a middle row": lambda app: _sql(app, "DELETE FROM audit_entry WHERE seq = 3"),
    "delete every row": lambda app: _sql(app, "DELETE FROM audit_entry"),
    "truncate the tail": lambda app: _sql(app, "DELETE FROM audit_entry WHERE seq > 3"),
    "edit a row and recompute later hashes without the key": lambda app: (
        _sql(app, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2"),
        _rehash_from(app, 2, None),
    ),
    "edit a row and recompute later hashes with a guessed key": lambda app: (
        _sql(app, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2"),
        _rehash_from(app, 2, b"dev-only-not-secret-change-me"),
    ),
    "edit a row and recompute with the real key (caught by the anchor)": lambda app: (
        _sql(app, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2"),
        _rehash_from(app, 2, app.config["AUDIT_KEY"].encode("utf-8")),
    ),
    "delete a middle row, renumber and recompute with the real key": lambda app: (
        _sql(app, "DELETE FROM audit_entry WHERE seq = 3"),
        _sql(app, "UPDATE audit_entry SET seq = seq - 1 WHERE seq > 3"),
        _rehash_from(app, 3, app.config["AUDIT_KEY"].encode("utf-8")),
    ),
    "append a forged row": lambda app: _forge_append(app),
    "edit a row's details only": lambda app: _sql(
        app, "UPDATE audit_entry SET subject_id = '999' WHERE seq = 4"
    ),
}


def _forge_append(app: Flask) -> None:
    head = _rows(app)[-1]
    forged = entry_hash(
        b"not the key", head.hash, "2026-12-04T08:00:00+00:00", "office1", "period_publish",
        "period", "2026-11", {},
    )  # fmt: skip
    _sql(
        app,
        "INSERT INTO audit_entry (seq, at, actor, action, subject_type, subject_id, details, "
        "prev_hash, hash) VALUES (:seq, :at, 'office1', 'period_publish', 'period', '2026-11', "
        "'{}', :prev, :hash)",
        seq=head.seq + 1,
        at="2026-12-04 08:00:00+00:00" if app.config["ENV_NAME"] != "development" else
        "2026-12-04 08:00:00.000000",
        prev=head.hash,
        hash=forged,
    )  # fmt: skip


@pytest.mark.parametrize("tamper", list(TAMPERING), ids=list(TAMPERING))
def test_verify_exits_1_after_each_kind_of_tampering(chain_app, tamper):
    _append(chain_app, 5)
    assert _verify(chain_app).exit_code == 0
    TAMPERING[tamper](chain_app)
    result = _verify(chain_app)
    assert result.exit_code == 1, result.output
    assert "audit chain broken" in result.output


def test_a_missing_anchor_file_is_a_break_once_entries_exist(chain_app):
    _append(chain_app, 2)
    Path(chain_app.config["AUDIT_ANCHOR"]).unlink()
    result = _verify(chain_app)
    assert result.exit_code == 1 and "anchor file" in result.output


# --------------------------------------------------------------------------- concurrency


def _at_once(clients: list, path: str) -> list[object]:
    """Every client GETs ``path`` on its own thread, all released together; the outcomes."""
    barrier = threading.Barrier(len(clients))
    outcomes: list[object] = []
    lock = threading.Lock()

    def hit(client) -> None:
        barrier.wait(timeout=60)
        try:
            outcome: object = client.get(path).status_code
        except Exception as exc:  # an exception propagated by the test client is a 500
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=hit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.slow
def test_concurrent_denied_requests_never_fork_the_chain(chain_app):
    """Eight staff of one department open another department's case at once, five rounds;
    then one user sends six requests at once: every answer is 404, every attempt is audited,
    and the chain verifies."""
    names = [f"rs_staff{n}" for n in range(8)]
    for username in names:
        make_user(chain_app, "department_staff", "rsj", username, PASSWORD)
    case_id = file_submission(chain_app, CASE_TEXT, department="cgzf")
    path = f"/workspace/cases/{case_id}"

    staff = [login(chain_app, username, PASSWORD) for username in names]
    outcomes: list[object] = []
    for _round in range(5):
        outcomes += _at_once(staff, path)
    # One signed-in session sending six requests at once (signing in again would end it).
    cookie = staff[0].get_cookie("session")
    same_user = []
    for _ in range(6):
        client = chain_app.test_client()
        client.set_cookie(cookie.key, cookie.value)
        same_user.append(client)
    outcomes += _at_once(same_user, path)

    assert outcomes == [404] * 46
    with chain_app.app_context():
        denied = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "access_denied")
        )
    assert denied == 46
    result = _verify(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


# --------------------------------------------------------------------------- migration


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_migration_numbers_existing_entries_in_order(backend, tmp_path):
    """Rows written before 0012 get positions 1..n in id order; verify names them as unkeyed."""
    from flask_migrate import downgrade
    from support import TEST_DATABASE_URL, empty_postgres_database, testing_config

    anchor = str(tmp_path / "migration.anchor")
    if backend == "postgresql":
        url = TEST_DATABASE_URL + "_audit_migration"  # one per test database: parallel runs
        empty_postgres_database(url)
        app = create_app(testing_config(DATABASE_URL=url, CITIZENVOICE_AUDIT_ANCHOR=anchor))
    else:
        app = create_app(
            DevelopmentConfig(
                {
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'mig.sqlite3'}",
                    "CITIZENVOICE_PII_KEY": "k1",
                    "CITIZENVOICE_AUDIT_KEY": "k2",
                    "CITIZENVOICE_AUDIT_ANCHOR": anchor,
                }
            )
        )
    with app.app_context():
        downgrade(revision="base")
        upgrade(revision="0011")
        prev = GENESIS_HASH
        for number, row_id in enumerate((5, 9, 12)):
            fields = [prev, "2026-11-01T08:00:00+00:00", "office1", "x", "period", str(number), {}]
            canonical = json.dumps(
                fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            db.session.execute(
                text(
                    "INSERT INTO audit_entry (id, at, actor, action, subject_type, subject_id, "
                    "details, prev_hash, hash) VALUES (:id, :at, 'office1', 'x', 'period', :sid, "
                    "'{}', :prev, :hash)"
                ),
                {
                    "id": row_id,
                    "at": "2026-11-01 08:00:00+00:00"
                    if backend == "postgresql"
                    else "2026-11-01 08:00:00.000000",
                    "sid": str(number),
                    "prev": prev,
                    "hash": digest,
                },
            )
            prev = digest
        db.session.commit()
        upgrade()
        positions = db.session.execute(text("SELECT id, seq FROM audit_entry ORDER BY id")).all()
        db.session.remove()
    assert [tuple(row) for row in positions] == [(5, 1), (9, 2), (12, 3)]
    Path(anchor).write_text("", encoding="ascii")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "written before the chain was keyed" in result.output
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()


def _http_status(opener, url: str) -> int:
    import urllib.error

    try:
        with opener.open(url, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.slow
def test_concurrent_requests_to_a_live_server_never_fork_the_chain(chain_app):
    """The same over real HTTP: a threaded server on loopback, eight signed-in staff, three
    rounds of simultaneous denied requests; no 500, the chain verifies."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    from werkzeug.serving import make_server

    names = [f"live_staff{n}" for n in range(8)]
    for username in names:
        make_user(chain_app, "department_staff", "rsj", username, PASSWORD)
    case_id = file_submission(chain_app, CASE_TEXT, department="cgzf")
    server = make_server("127.0.0.1", 0, chain_app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        openers = []
        for username in names:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            with opener.open(f"{base}/login", timeout=30) as page:
                token = csrf_token(page.read().decode("utf-8"))
            form = urllib.parse.urlencode(
                {"username": username, "password": PASSWORD, "csrf_token": token}
            ).encode("ascii")
            with opener.open(f"{base}/login", data=form, timeout=30) as signed_in:
                assert "/login" not in signed_in.url
            openers.append(opener)

        outcomes: list[int] = []
        lock = threading.Lock()
        for _round in range(3):
            barrier = threading.Barrier(len(openers))

            def hit(opener, barrier: threading.Barrier = barrier) -> None:
                barrier.wait(timeout=60)
                status = _http_status(opener, f"{base}/workspace/cases/{case_id}")
                with lock:
                    outcomes.append(status)

            threads = [threading.Thread(target=hit, args=(o,)) for o in openers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    assert outcomes == [404] * 24
    result = _verify(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact: 24 entries, 24 anchored" in result.output
