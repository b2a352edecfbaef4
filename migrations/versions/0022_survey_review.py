"""survey answers held or excluded after the office's review (issue 21)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 01:30:00

``survey_hold`` is a batch of one rater group's answers under review: for one department, one
hour window, or both. Held and excluded batches are left out of every survey figure; an
exclusion carries its reason. Answers are matched by scope (group, department, time), never by
rater, since answers are not linked to invitations.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_hold",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("survey_campaign.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("survey_group.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_survey_hold_campaign_id", "survey_hold", ["campaign_id"])


def downgrade():
    op.drop_table("survey_hold")
