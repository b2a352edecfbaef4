"""The service's near-duplicate groups are nlp's: same messages in the same order, same groups.

The service keeps its buckets and signatures in PostgreSQL and groups in batches against what is
stored; ``nlp.dedup.NearDuplicateIndex`` keeps them in memory. Both run the rules of
``nlp.dedup`` (signatures, band buckets, the choice among candidates), so with the service's
parameters the groups must be identical, on real messages of the shared tipdm data when it is
there (reposts make real groups) and on generated variants otherwise.
"""

from __future__ import annotations

import random
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services import duplicates
from citizenvoice.services.duplicates import assign_duplicate_groups, regroup_window
from nlp.datasets import data_dir, load_hot_messages
from nlp.dedup import NearDuplicateIndex

BASES = [
    "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难。",
    "公司拖欠我们二十多名农民工三个月工资，请人社部门帮忙讨薪，我们已经多次找过老板。",
    "A4区某中学初三年级要求学生周末到校补课，每人收取补课费八百元，家长负担很重。",
    "A2区锦绣小区楼下烧烤摊每晚营业到凌晨两点，油烟和噪音严重扰民，多次投诉无果。",
]


def sample_texts(n: int = 160) -> list[str]:
    """Real hot-issue messages (many reposted with small edits) or generated variants."""
    if data_dir(required=False) is not None:
        hot = load_hot_messages()
        rng = random.Random(0)
        picked = rng.sample(hot, min(n, len(hot)))
        texts = [f"{m.title}{m.text}"[:1500] for m in picked]
        # Reposts of a few of them, edited a little, so groups form whatever the sample.
        for text in texts[:20]:
            chars = list(text)
            chars[rng.randrange(len(chars))] = "的"
            texts.insert(rng.randrange(len(texts)), "".join(chars))
        return texts
    rng = random.Random(0)
    out = []
    for _ in range(n):
        chars = list(rng.choice(BASES))
        for _ in range(rng.randrange(0, 6)):
            chars[rng.randrange(len(chars))] = rng.choice("的了是在有市区")
        out.append("".join(chars))
    return out


def test_the_service_makes_nlps_groups_on_the_same_messages(seeded: Flask) -> None:
    ids = [file_submission(seeded, text) for text in sample_texts()]
    with seeded.app_context():
        stored = {
            s.id: f"{s.title}\n{s.text}"
            for s in db.session.scalars(select(Submission).where(Submission.id.in_(ids)))
        }
        ordered = sorted(stored.items())
        # In batches, as the analysis jobs run: later batches find earlier ones in the database.
        for start in range(0, len(ordered), 37):
            batch = ordered[start : start + 37]
            assigned = assign_duplicate_groups(batch)
            for submission_id, _ in batch:
                db.session.add(
                    Analysis(
                        submission_id=submission_id,
                        model_version="test",
                        duplicate_group=assigned[submission_id].group,
                        minhash=assigned[submission_id].minhash,
                    )
                )
            db.session.commit()
        service = dict(
            db.session.execute(
                select(Analysis.submission_id, Analysis.duplicate_group).where(
                    Analysis.submission_id.in_(ids)
                )
            ).all()
        )

        index = NearDuplicateIndex(
            threshold=duplicates.DUPLICATE_THRESHOLD,
            num_perm=duplicates.NUM_PERM,
            random_state=1,
            lsh_slack=0.0,
        )
        groups = index.add_many([(f"g{i}", text) for i, text in ordered])
        nlp = {i: group for (i, _), group in zip(ordered, groups, strict=True)}
        assert service == nlp
        assert len(set(nlp.values())) < len(nlp) - 10  # real groups formed, not only singletons

        # The hourly refresh rebuilds the same groups from the stored signatures.
        now = utcnow()
        assert regroup_window(now - timedelta(days=1), now + timedelta(minutes=1)) == 0
