"""A small world for the public portal's tests: cases, a published period, a 整改 task.

cgzf gets 10 complaints with follow-ups (8 satisfied), rsj gets 3 (a count the portal must
show as "<5"); every case has an analysis with a category and keywords; the current month is
computed and published (forced: it has not ended); one task on the keyword 噪音 is open.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from factories import follow_ups, make_user
from flask import Flask
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Period, Submission, User
from citizenvoice.services.appraisal import compute, ensure_periods, publish
from citizenvoice.services.rectification import open_task

__all__ = ["build_world"]

NOISE_WORDS = ["噪音", "夜市"]


def build_world(app: Flask) -> dict[str, Any]:
    """Build the world in ``app``; returns the tracking codes, the period and the task id."""
    big = follow_ups(app, "cgzf", satisfied=8, dissatisfied=2)
    small = follow_ups(app, "rsj", satisfied=2, dissatisfied=1)
    make_user(app, "office", None, "office1")
    with app.app_context():
        for i, case_id in enumerate(big + small):
            case = db.session.get(Submission, case_id)
            assert case is not None
            # Every other case agreed to publication; the text names a resident and a phone.
            case.public_consent = i % 2 == 0
            case.text = f"我叫王小明，电话13912345678，人民路夜市噪音扰民 第{i}件"
            db.session.add(
                Analysis(
                    submission_id=case_id,
                    model_version="test",
                    category="市容环境" if case_id in big else "劳动保障",
                    sentiment=0.2,
                    sentiment_label="negative",
                    keywords=NOISE_WORDS if i % 2 == 0 else ["路灯"],
                    search_tokens=" 噪音 夜市 " if i % 2 == 0 else " 路灯 ",
                )
            )
        db.session.flush()
        month = next(p for p in ensure_periods() if p.kind == "month")
        compute(month, "office1")
        publish(month, "office1", force=True, reason="测试：提前发布")
        office = db.session.scalar(select(User).where(User.username == "office1"))
        assert office is not None
        task = open_task(
            office,
            "cgzf",
            "夜市噪音专项整改",
            '=HYPERLINK("http://evil")一个月内同类投诉下降三成',
            "keyword",
            "噪音",
            month.ends_on + timedelta(days=30),
        )
        db.session.commit()
        codes = list(db.session.scalars(select(Submission.tracking_code)))
        quarter = db.session.scalar(select(Period).where(Period.kind == "quarter"))
        assert quarter is not None
        return {
            "codes": codes,
            "period": month.code,
            "draft": quarter.code,
            "task": task.id,
            "quarter": quarter,
        }
