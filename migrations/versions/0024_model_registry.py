"""the model registry (issue 22)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 02:00:00

``model_version`` lists every trained category and sentiment model version with its files'
directory, checksums, metrics and status. A partial unique index allows one champion per kind,
so two promotions at once cannot both win.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dir", sa.Text(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_version")),
        sa.UniqueConstraint("version", name=op.f("uq_model_version_version")),
    )
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.create_index("ix_model_version_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_model_version_one_champion",
            ["kind"],
            unique=True,
            postgresql_where=sa.text("status = 'champion'"),
            sqlite_where=sa.text("status = 'champion'"),
        )


def downgrade():
    op.drop_table("model_version")
