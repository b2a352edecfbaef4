"""inbox indexes: covering department/date index, overdue index, analysis filter indexes

Measured with benchmarks/bench_inbox.py on 100,000 cases: counting a department's inbox
filtered by category or sentiment read the whole analysis table (a sequential scan of the
wide rows); with submission_id in the filter indexes and id in the department index the
count is two index-only scans. The overdue list gets an index on (status, reply_due_at).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_department_created')
        batch_op.create_index(
            'ix_submission_department_created_id',
            ['department_id', 'created_at', 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_submission_status_reply_due', ['status', 'reply_due_at'], unique=False
        )

    with op.batch_alter_table('analysis', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_category')
        batch_op.drop_index('ix_analysis_sentiment_label')
        batch_op.drop_index('ix_analysis_urgent')
        batch_op.create_index(
            'ix_analysis_category_submission', ['category', 'submission_id'], unique=False
        )
        batch_op.create_index(
            'ix_analysis_sentiment_submission', ['sentiment_label', 'submission_id'], unique=False
        )
        batch_op.create_index(
            'ix_analysis_urgent_submission', ['urgent', 'submission_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('analysis', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_urgent_submission')
        batch_op.drop_index('ix_analysis_sentiment_submission')
        batch_op.drop_index('ix_analysis_category_submission')
        batch_op.create_index('ix_analysis_urgent', ['urgent'], unique=False)
        batch_op.create_index('ix_analysis_sentiment_label', ['sentiment_label'], unique=False)
        batch_op.create_index('ix_analysis_category', ['category'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_status_reply_due')
        batch_op.drop_index('ix_submission_department_created_id')
        batch_op.create_index(
            'ix_submission_department_created', ['department_id', 'created_at'], unique=False
        )
