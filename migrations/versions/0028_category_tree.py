"""a centre's own category tree (issue 22)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 22:50:00

``category_node`` holds the imported tree: one row per node, unique by code and by label (the
name the classifier learns); a node's department also becomes its ``category_route``.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "category_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_category_node_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_node")),
        sa.UniqueConstraint("code", name=op.f("uq_category_node_code")),
        sa.UniqueConstraint("label", name=op.f("uq_category_node_label")),
    )


def downgrade():
    op.drop_table("category_node")
