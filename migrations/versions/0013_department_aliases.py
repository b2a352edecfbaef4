"""department aliases; anonymous submissions keep no phone (resident pages, issue 17)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:00:00

``department.aliases`` holds the other names residents use for a department (城管, 住建,
环卫 ...), which the department picker matches on; ``flask seed`` fills them for the demo
departments. Anonymous must mean anonymous: submissions stored anonymous before this change
may still carry a phone number, which is erased here so nobody can reveal it later.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aliases", sa.JSON(), server_default="[]", nullable=False))
    # "WHERE anonymous" reads the boolean on PostgreSQL and the 0/1 integer on SQLite alike.
    op.execute(
        "UPDATE submission SET contact_phone_encrypted = NULL, contact_phone_hmac = NULL, "
        "contact_phone_masked = NULL WHERE anonymous"
    )


def downgrade():
    # The erased phone numbers are gone for good: that is the point of the upgrade.
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_column("aliases")
