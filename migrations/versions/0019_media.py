"""photos residents attach to complaints and suggestions (issue 23)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 01:40:00

``media`` holds one row per stored photo: its random public id, the random names of the
re-encoded image and its thumbnail in the media storage, size and the case it is attached to
(NULL until a submission names it; unattached rows are pruned by ``flask media prune``).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("thumb_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_media_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("public_id", name=op.f("uq_media_public_id")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_submission_id"), ["submission_id"], unique=False
        )
        batch_op.create_index(
            "ix_media_unattached_created", ["submission_id", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_unattached_created")
        batch_op.drop_index(batch_op.f("ix_media_submission_id"))
    op.drop_table("media")
