"""search index: words plus their search-mode parts (垃圾清运 -> 垃圾, 清运); seeded templates

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00

The analysis batch now stores in ``search_tokens`` each word together with the dictionary words
inside it (``nlp.segment.Segmenter.search_terms``, jieba's search mode), so a person typing 垃圾
finds 小区垃圾清运不及时. Rows analysed before keep only whole words: this revision adds the parts
to them. The stored words are enough (no re-segmentation, no models): a few seconds for 100,000
rows. On PostgreSQL the generated ``search_vector`` follows by itself. Downgrade keeps the added
terms: they are a superset the old search reads just as well.

``reply_template.created_by`` becomes nullable: ``flask seed`` gives every department starter
templates that no staff account wrote.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table("reply_template") as batch:
        batch.alter_column("created_by", existing_type=sa.Integer(), nullable=True)
    _add_search_parts()


def _add_search_parts():
    bind = op.get_bind()
    analysis = sa.table("analysis", sa.column("id", sa.Integer), sa.column("search_tokens"))
    has_rows = bind.execute(
        sa.select(analysis.c.id).where(analysis.c.search_tokens != "").limit(1)
    ).first()
    if has_rows is None:
        return  # a fresh database: nothing to reindex, and no dictionary to load
    from nlp.segment import default_segmenter

    segmenter = default_segmenter()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(analysis.c.id, analysis.c.search_tokens)
            .where(analysis.c.id > last_id, analysis.c.search_tokens != "")
            .order_by(analysis.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        updates = []
        for row_id, stored in rows:
            terms = segmenter.search_terms(stored.split())
            value = f" {' '.join(terms)} "
            if value != stored:
                updates.append({"row_id": row_id, "value": value})
        if updates:
            bind.execute(
                sa.update(analysis)
                .where(analysis.c.id == sa.bindparam("row_id"))
                .values(search_tokens=sa.bindparam("value")),
                updates,
            )


def downgrade():
    op.execute("DELETE FROM reply_template WHERE created_by IS NULL")
    with op.batch_alter_table("reply_template") as batch:
        batch.alter_column("created_by", existing_type=sa.Integer(), nullable=False)
