"""audit chain: position of each entry (seq), audit head frozen with a published period

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:00:00

``audit_entry.seq`` is the entry's position in the chain (1, 2, 3 ...), unique, so a second
writer can never append the same position, and the anchor file records (seq, head HMAC) pairs
without counting rows. Existing rows get their position in id order. ``period.audit_head``
keeps the chain head ("<count>:<HMAC>") at publication.

Entries written before this revision were chained with plain SHA-256, not the keyed HMAC:
``flask audit verify`` reports them as not matching their HMAC (README, "Audit log").
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE audit_entry AS a SET seq = r.n FROM "
            "(SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_entry) AS r "
            "WHERE a.id = r.id"
        )
    else:
        op.execute(
            "UPDATE audit_entry SET seq = "
            "(SELECT count(*) FROM audit_entry AS b WHERE b.id <= audit_entry.id)"
        )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_seq"), ["seq"])

    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_head", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.drop_column("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_seq"), type_="unique")
        batch_op.drop_column("seq")
