"""public cases: consent, coordinates, public case numbers; Open311 API keys

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:00:00

``submission`` gains ``public_consent`` (同意公开, false for every existing case: nobody was
asked), ``latitude`` / ``longitude`` (WGS-84) and ``public_number`` (``2026-000123``), unique.
Existing cases get their numbers here, per Beijing calendar year in order of filing; the
``public_number_counter`` table then holds each year's last number so intake continues the
sequence. ``open311_api_key`` stores the hashes of the Open311 clients' keys.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 5000
SHANGHAI = ZoneInfo("Asia/Shanghai")


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column("public_consent", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("public_number", sa.String(length=16), nullable=True))
        batch.create_unique_constraint("uq_submission_public_number", ["public_number"])
        batch.create_check_constraint(
            "lat_range", "latitude IS NULL OR (latitude BETWEEN -90 AND 90)"
        )
        batch.create_check_constraint(
            "long_range", "longitude IS NULL OR (longitude BETWEEN -180 AND 180)"
        )
    op.create_index(
        "ix_submission_public_created_id",
        "submission",
        ["created_at", "id"],
        postgresql_where=sa.text("public_consent"),
        sqlite_where=sa.text("public_consent = 1"),
    )
    op.create_table(
        "public_number_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_public_number_counter")),
    )
    op.create_table(
        "open311_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_key")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_api_key_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_key_key_hash")),
    )
    _number_existing_cases()


def _local_year(moment):
    """The Beijing calendar year of a stored moment (SQLite hands back naive UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).year


def _number_existing_cases():
    bind = op.get_bind()
    submission = sa.table(
        "submission",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("public_number", sa.String),
    )
    counters: dict[int, int] = {}
    last = None
    while True:
        query = sa.select(submission.c.id, submission.c.created_at).order_by(
            submission.c.created_at, submission.c.id
        )
        if last is not None:
            query = query.where(
                sa.tuple_(submission.c.created_at, submission.c.id) > sa.tuple_(*last)
            )
        rows = bind.execute(query.limit(BATCH)).all()
        if not rows:
            break
        last = (rows[-1][1], rows[-1][0])
        updates = []
        for row_id, created_at in rows:
            year = _local_year(created_at)
            counters[year] = counters.get(year, 0) + 1
            updates.append({"row_id": row_id, "value": f"{year}-{counters[year]:06d}"})
        bind.execute(
            sa.update(submission)
            .where(submission.c.id == sa.bindparam("row_id"))
            .values(public_number=sa.bindparam("value")),
            updates,
        )
    if counters:
        counter = sa.table(
            "public_number_counter", sa.column("year", sa.Integer), sa.column("last_value")
        )
        bind.execute(
            sa.insert(counter),
            [{"year": year, "last_value": value} for year, value in sorted(counters.items())],
        )


def downgrade():
    op.drop_table("open311_api_key")
    op.drop_table("public_number_counter")
    op.drop_index("ix_submission_public_created_id", table_name="submission")
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint(op.f("ck_submission_long_range"), type_="check")
        batch.drop_constraint(op.f("ck_submission_lat_range"), type_="check")
        batch.drop_constraint("uq_submission_public_number", type_="unique")
        batch.drop_column("public_number")
        batch.drop_column("longitude")
        batch.drop_column("latitude")
        batch.drop_column("public_consent")
