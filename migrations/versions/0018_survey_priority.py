"""survey priority question: candidate issues and raters' picks (issue 21)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 01:40:00

``survey_priority`` holds a campaign's candidate issues (at most ten, by the service) and the
整改 task each became (unique: one task per candidate). ``survey_priority_pick`` holds one row
per rater and picked candidate: campaign, group, candidate, time; never the invitation, its
code or the client address.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=True),
        sa.Column("source_value", sa.String(length=100), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaign.id"],
            name=op.f("fk_survey_priority_campaign_id_survey_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_task.id"],
            name=op.f("fk_survey_priority_task_id_rectification_task"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_priority")),
        sa.UniqueConstraint("task_id", name=op.f("uq_survey_priority_task_id")),
    )
    with op.batch_alter_table("survey_priority", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_priority_campaign_id"), ["campaign_id"], unique=False
        )
    op.create_table(
        "survey_priority_pick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaign.id"],
            name=op.f("fk_survey_priority_pick_campaign_id_survey_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["survey_group.id"],
            name=op.f("fk_survey_priority_pick_group_id_survey_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["priority_id"],
            ["survey_priority.id"],
            name=op.f("fk_survey_priority_pick_priority_id_survey_priority"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_priority_pick")),
    )
    with op.batch_alter_table("survey_priority_pick", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_priority_pick_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_priority_pick_priority_id"), ["priority_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("survey_priority_pick", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_priority_pick_priority_id"))
        batch_op.drop_index(batch_op.f("ix_survey_priority_pick_campaign_id"))
    op.drop_table("survey_priority_pick")
    with op.batch_alter_table("survey_priority", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_priority_campaign_id"))
    op.drop_table("survey_priority")
