"""notifications to residents (SMS, e-mail) and 退订 (issue 23)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:00:00

``notification`` is the outbox of messages to residents: one row per case, event and channel
(unique, so a step never sends twice), with its status, attempts, provider message id and the
earliest moment it may leave (quiet hours). No phone number is stored here. ``notification_
opt_out`` holds the keyed fingerprints of numbers that asked for no more messages.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_notification_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("submission_id", "event", "channel", name="uq_notification_event"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_status_not_before", ["status", "not_before"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_submission_id"), ["submission_id"], unique=False
        )
    op.create_table(
        "notification_opt_out",
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_hmac", name=op.f("pk_notification_opt_out")),
    )


def downgrade():
    op.drop_table("notification_opt_out")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_submission_id"))
        batch_op.drop_index("ix_notification_status_not_before")
    op.drop_table("notification")
