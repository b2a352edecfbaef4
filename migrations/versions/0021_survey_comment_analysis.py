"""survey comments through nlp, and 整改 tasks from comment groups (issue 21)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 01:30:00

``survey_comment_analysis`` holds nlp's reading of one answer's comment (keyed by the answer,
so only new comments are analysed); ``survey_comment_task`` links a comment group (campaign,
department, category) to the one 整改 task opened from it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_comment_analysis",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["survey_answer.id"],
            name=op.f("fk_survey_comment_analysis_answer_id_survey_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaign.id"],
            name=op.f("fk_survey_comment_analysis_campaign_id_survey_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_survey_comment_analysis_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("answer_id", name=op.f("pk_survey_comment_analysis")),
    )
    with op.batch_alter_table("survey_comment_analysis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_comment_analysis_campaign_id"), ["campaign_id"], unique=False
        )
    op.create_table(
        "survey_comment_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaign.id"],
            name=op.f("fk_survey_comment_task_campaign_id_survey_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_survey_comment_task_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_task.id"],
            name=op.f("fk_survey_comment_task_task_id_rectification_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_comment_task")),
        sa.UniqueConstraint(
            "campaign_id", "department_id", "category", name="uq_survey_comment_task_group"
        ),
    )
    with op.batch_alter_table("survey_comment_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_comment_task_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_comment_task_task_id"), ["task_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("survey_comment_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_comment_task_task_id"))
        batch_op.drop_index(batch_op.f("ix_survey_comment_task_campaign_id"))
    op.drop_table("survey_comment_task")
    with op.batch_alter_table("survey_comment_analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_comment_analysis_campaign_id"))
    op.drop_table("survey_comment_analysis")
