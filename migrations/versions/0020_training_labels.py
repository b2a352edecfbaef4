"""the labels store for retraining (issue 22)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 01:40:00

``training_label`` keeps every training label the product has, from any source (imported
history, staff corrections, routing, follow-ups, star ratings, survey comments), with its
strength, weight, time and author. Texts are stored redacted. ``key`` makes recording the same
label twice change one row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "training_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("strength", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("raw_value", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_training_label_submission_id_submission"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_label")),
        sa.UniqueConstraint("key", name=op.f("uq_training_label_key")),
    )
    with op.batch_alter_table("training_label", schema=None) as batch_op:
        batch_op.create_index(
            "ix_training_label_kind_labelled_at", ["kind", "labelled_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_label_submission_id"), ["submission_id"], unique=False
        )


def downgrade():
    op.drop_table("training_label")
