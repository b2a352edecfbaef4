"""weekly drift report of the text-mining models (issue 22)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 02:10:00

``drift_report`` keeps one row per Beijing week (Monday) and kind: the model versions, the
figures against the models' reference distributions, and the warnings. The unique constraint
on (week_start, kind) makes a rerun (or two concurrent runs) update the one row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "drift_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("model_versions", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_report")),
        sa.UniqueConstraint("week_start", "kind", name=op.f("uq_drift_report_week_start")),
    )


def downgrade():
    op.drop_table("drift_report")
