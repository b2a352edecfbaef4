"""search vector from the stored tokens as they are (array_to_tsvector)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:00:00

The worker stores each analysis's jieba tokens in ``search_tokens`` (space-separated). The
full-text column was ``to_tsvector('simple', search_tokens)``: PostgreSQL's parser ran over
text that jieba had already segmented (the analysis upsert took 0.44 ms per message with it,
0.37 ms without, in benchmarks/profile_analysis_batch.py). It is now the tokens themselves,
lower-cased, as lexemes; the
inbox search builds its query from whole tokens to match (as the SQLite fallback always did).
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEXEMES = "array_to_tsvector(array_remove(string_to_array(lower(search_tokens), ' '), ''))"
PARSED = "to_tsvector('simple', search_tokens)"


def _replace_search_vector(expression):
    op.execute("DROP INDEX IF EXISTS ix_analysis_search_vector")
    op.execute("ALTER TABLE analysis DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "ALTER TABLE analysis ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED"
    )
    op.execute("CREATE INDEX ix_analysis_search_vector ON analysis USING gin (search_vector)")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_search_vector(LEXEMES)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_search_vector(PARSED)
