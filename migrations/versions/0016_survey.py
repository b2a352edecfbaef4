"""社会评价 surveys: campaigns, rater groups, invitations (keyed hash only) and answers (issue 21)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:40:00

Answers carry no column that joins them to an invitation: the invitation keeps only its
code's HMAC and a used flag.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("period.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("preset", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_survey_campaign_period_id", "survey_campaign", ["period_id"])
    op.create_table(
        "survey_group",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("survey_campaign.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("min_n", sa.Integer(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=True),
        sa.UniqueConstraint("campaign_id", "code", name="uq_survey_group_code"),
    )
    op.create_index("ix_survey_group_campaign_id", "survey_group", ["campaign_id"])
    op.create_table(
        "survey_invitation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("survey_group.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hmac", sa.String(64), nullable=False, unique=True),
        sa.Column("used", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_survey_invitation_group_id", "survey_invitation", ["group_id"])
    op.create_table(
        "survey_answer",
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
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=False),
        sa.Column("rating", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_survey_answer_campaign_id", "survey_answer", ["campaign_id"])


def downgrade():
    op.drop_table("survey_answer")
    op.drop_table("survey_invitation")
    op.drop_table("survey_group")
    op.drop_table("survey_campaign")
