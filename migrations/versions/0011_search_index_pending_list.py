"""search index: a larger GIN pending list, merged off the analysis path

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:00:00

Every analysis row adds about 80 lexemes to the GIN index ``ix_analysis_search_vector``. With
PostgreSQL's default 4 MB pending list (about 2,000 analyses), an analysis batch that fills it
merges the whole list into the index inside its own INSERT: 100-250 ms of a worker's batch of
500, every fourth batch (0.09 ms per message on average, measured in a copy of the table; no
index at all: 45 ms per batch). With a 16 MB list (about 8,000 analyses) the batches only append
to it, and the merge happens where nobody waits: the hourly ``clean_search_index_job`` and
autovacuum. A search reads the unmerged list sequentially, so it costs at most some 25 ms more
just before a merge (53-68 ms with 18,000 rows unmerged, 1 ms merged).
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PENDING_LIST_KB = 16 * 1024


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER INDEX ix_analysis_search_vector "
            f"SET (gin_pending_list_limit = {PENDING_LIST_KB})"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_analysis_search_vector RESET (gin_pending_list_limit)")
