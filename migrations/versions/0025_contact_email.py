"""contact e-mail address on a case (issue 23: residents hear back by e-mail)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 01:40:00

``submission`` gains the resident's optional e-mail address, kept like the phone number:
``contact_email_encrypted`` (Fernet), ``contact_email_hmac`` (keyed HMAC-SHA256 of the
lower-cased address, indexed: the 退订 key) and ``contact_email_masked`` (``z***@example.com``,
what staff see). ``notification_opt_out.phone_hmac`` now holds an address's fingerprint too:
an address contains ``@`` and a phone number never does, so the two never collide; no column
is added there. Existing cases have no address.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("contact_email_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("contact_email_hmac", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("contact_email_masked", sa.String(length=260), nullable=True))
        batch.create_index(
            batch.f("ix_submission_contact_email_hmac"), ["contact_email_hmac"], unique=False
        )


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_index(batch.f("ix_submission_contact_email_hmac"))
        batch.drop_column("contact_email_masked")
        batch.drop_column("contact_email_hmac")
        batch.drop_column("contact_email_encrypted")
