"""One home per rule: the 基本满意 credit (dashboard and appraisal agree) and period status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from citizenvoice.domain.cases import Satisfaction
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import (
    DEFAULT_BASIC_SATISFIED_CREDIT,
    DepartmentCounts,
    Indicator,
    ScoringSettings,
    city_rating_prior,
    compute_indicators,
    satisfaction_credit,
)
from citizenvoice.models import FollowUp, Period
from citizenvoice.services.dashboard import _satisfaction

ROOT = Path(__file__).resolve().parents[2]


def test_satisfaction_credit_counts_basic_at_the_given_credit():
    assert satisfaction_credit(60, 20) == pytest.approx(60 + DEFAULT_BASIC_SATISFIED_CREDIT * 20)
    assert satisfaction_credit(5, 5, basic_credit=1.0) == 10
    assert satisfaction_credit(0, 0) == 0


def test_the_dashboard_rate_is_the_appraisal_rate_for_the_same_answers():
    answers = ["satisfied"] * 6 + ["basic"] * 3 + ["dissatisfied"] * 1 + [None] * 2
    figure = _satisfaction([FollowUp(satisfaction=a) for a in answers])
    counts = DepartmentCounts(
        "D1", follow_ups=12, satisfied=6, basically_satisfied=3, dissatisfied=1
    )
    scoring = ScoringSettings()
    prior = city_rating_prior([counts], scoring)
    appraisal = next(
        r
        for r in compute_indicators(counts, scoring, prior)
        if r.indicator is Indicator.SATISFACTION
    )
    assert figure.denominator == 10
    assert figure.numerator == pytest.approx(6 + 0.9 * 3)
    assert figure.value == pytest.approx(appraisal.score, abs=0.05)


def test_the_credit_is_written_once():
    """No second 0.9 for 基本满意 outside domain/scoring (the dashboard had its own)."""
    dashboard = (ROOT / "citizenvoice" / "services" / "dashboard.py").read_text(encoding="utf-8")
    assert not re.search(r"\b0\.9\b", dashboard)
    assert Satisfaction.BASIC.label == "基本满意"


def test_period_status_values_are_the_stored_strings():
    assert [s.value for s in PeriodStatus] == ["open", "computed", "published"]
    assert PeriodStatus("published") == "published"  # a stored string compares equal
    assert [s.label for s in PeriodStatus] == ["未计算", "已计算（草稿）", "已发布"]
    assert [s.is_frozen for s in PeriodStatus] == [False, False, True]
    assert [s.is_draft for s in PeriodStatus] == [False, True, False]


def test_a_new_period_is_open_and_its_status_reads_as_the_enum():
    period = Period(code="2026-11", status=PeriodStatus.OPEN.value)
    assert period.status_enum is PeriodStatus.OPEN
    period.status = "published"
    assert period.status_enum is PeriodStatus.PUBLISHED
    assert Period.__table__.c.status.default.arg == "open"


def test_no_period_status_string_is_compared_outside_the_enum():
    """Services, blueprints, the CLI and templates compare with PeriodStatus, not literals."""
    pattern = re.compile(r"period\.status\s*[!=]=\s*['\"]|p\.status\]|\[period\.status\]")
    offenders = []
    for folder, suffix in (("citizenvoice", "*.py"), ("templates", "*.html")):
        for path in sorted((ROOT / folder).rglob(suffix)):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
