"""judgements whose comment disagrees, for the integrity review (issue 22)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 02:00:00

``judgement_flag`` keeps each follow-up marked 满意 whose comment reads clearly negative (or
不满意 with clearly positive words) with both figures, for a person to look at; the follow-up
itself is never changed.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "judgement_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("judgement", sa.String(length=24), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_judgement_flag_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_judgement_flag_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgement_flag")),
        sa.UniqueConstraint("source", "submission_id", name=op.f("uq_judgement_flag_source")),
    )
    with op.batch_alter_table("judgement_flag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judgement_flag_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_judgement_flag_submission_id"), ["submission_id"], unique=False
        )


def downgrade():
    op.drop_table("judgement_flag")
