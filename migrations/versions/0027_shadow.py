"""shadow mode of a challenger model (issue 22)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 02:30:00

``model_shadow`` holds at most one shadow per kind (the kind is the primary key, so two
concurrent starts leave one row); ``shadow_prediction`` keeps the challenger's label and
confidence for a new analysis beside the champion's, never touching the analysis itself.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_shadow",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_model_shadow")),
    )
    op.create_table(
        "shadow_prediction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("champion_label", sa.String(length=64), nullable=True),
        sa.Column("champion_confidence", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_shadow_prediction_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_prediction")),
        sa.UniqueConstraint(
            "submission_id", "version", name=op.f("uq_shadow_prediction_submission_id")
        ),
    )
    op.create_index("ix_shadow_prediction_version", "shadow_prediction", ["version"])


def downgrade():
    op.drop_index("ix_shadow_prediction_version", table_name="shadow_prediction")
    op.drop_table("shadow_prediction")
    op.drop_table("model_shadow")
