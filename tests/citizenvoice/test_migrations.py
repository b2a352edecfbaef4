"""Alembic migrations upgrade and downgrade cleanly on PostgreSQL and on SQLite."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from support import TEST_DATABASE_URL, empty_postgres_database, testing_config

from citizenvoice import create_app
from citizenvoice.extensions import db, include_in_autogenerate
from config import DevelopmentConfig

EXPECTED_TABLES = {
    "department",
    "submission",
    "status_event",
    "outbox_message",
    "analysis",
    "duplicate_band",
    "category_route",
    "user_account",
    "audit_entry",
    "category_correction",
    "reply_template",
    "case_reply",
    "follow_up",
    "period",
    "dimension_score",
    "rating_review",
    "rectification_task",
    "topic_snapshot",
    "notification",
    "notification_opt_out",
    "public_number_counter",
    "open311_api_key",
}


def _round_trip(app) -> None:
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) - {"alembic_version"} == set()
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= EXPECTED_TABLES
        db.engine.dispose()


@pytest.mark.postgres  # its own database, not a fixture: conftest cannot see it
def test_migrations_upgrade_downgrade_upgrade_on_postgresql():
    # Beside the test database, named after it: runs on other test databases never share it.
    url = TEST_DATABASE_URL + "_migrations"
    empty_postgres_database(url)
    _round_trip(create_app(testing_config(DATABASE_URL=url)))


@pytest.mark.slow  # every migration three times: seconds (SQLite is also migrated by fixtures)
def test_migrations_upgrade_downgrade_upgrade_on_sqlite(tmp_path):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'cv.sqlite3'}"})
    _round_trip(create_app(config))


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to do: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_in_autogenerate}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.slow
def test_upgrading_erases_the_phone_of_submissions_stored_anonymous(tmp_path):
    """Anonymous must mean anonymous for rows stored before the rule too (migration 0013)."""
    from sqlalchemy import text

    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'cv.sqlite3'}"})
    app = create_app(config)
    columns = "contact_phone_encrypted, contact_phone_hmac, contact_phone_masked"
    with app.app_context():
        upgrade(revision="0011")
        for code, anonymous in (("anonymous-one", 1), ("named-one", 0)):
            db.session.execute(
                text(
                    "INSERT INTO submission (tracking_code, kind, title, text, location, "
                    f"anonymous, status, channel, created_at, {columns}) VALUES (:code, "
                    "'complaint', '', '路灯坏了一个多月', '', :anonymous, 'received', 'web', "
                    "CURRENT_TIMESTAMP, 'gAAAA-ciphertext', 'hmac', '138****1234')"
                ),
                {"code": code, "anonymous": anonymous},
            )
        db.session.commit()
        upgrade()
        selected = db.session.execute(text(f"SELECT tracking_code, {columns} FROM submission"))
        rows = {row[0]: tuple(row[1:]) for row in selected}
        db.engine.dispose()
    assert rows["anonymous-one"] == (None, None, None)
    assert rows["named-one"] == ("gAAAA-ciphertext", "hmac", "138****1234")
