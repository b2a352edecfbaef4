"""Issues #21 and #23 on the public side, on PostgreSQL and SQLite: the 社会评价问卷 grade bands
on /open/departments/ and in the scores API (only once the campaign of a published period is
closed), and the photos of public-consented example cases on /open/issues (never of others)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from photo_files import jpeg
from portal_world import build_world
from sqlalchemy import select

from citizenvoice.blueprints.api.views import PERIOD_SCORES_SCHEMA
from citizenvoice.blueprints.photos import media_storage
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Media, Submission, SurveyCampaign
from citizenvoice.services.appraisal import (
    compute,
    current_month_code,
    period_by_code,
    publish,
    update_settings,
    verify,
)
from citizenvoice.services.appraisal.periods import beijing_today
from citizenvoice.services.images import process_photo
from citizenvoice.services.media import store_photo
from citizenvoice.services.survey import (
    create_campaign,
    issue_invitations,
    questionnaire,
    submit_answers,
)
from citizenvoice.services.survey_admin import close_campaign

RATINGS = {"cgzf": "satisfied", "zjj": "dissatisfied"}


@pytest.fixture
def app(db_app):
    """Runs on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


def _answered_month(app: Flask, raters: int = 30) -> tuple[str, list[str]]:
    """This month with a Beijing campaign: cgzf all 满意, zjj all 不满意, the rest 不了解."""
    with app.app_context():
        code = current_month_code()
        assert code is not None
        period = period_by_code(code)
        campaign = create_campaign(period, "beijing")
        invitations = issue_invitations(campaign, "residents", raters)
        db.session.commit()
        departments = [d.code for d in questionnaire(invitations[0]).departments]
        for invitation in invitations:
            submit_answers(
                invitation,
                [{"department": d, "rating": RATINGS.get(d, "unknown")} for d in departments],
            )
            db.session.commit()
        new = dict(period.settings)
        weights = dict(new["citizen_weights"])
        new["citizen_weights"] = {k: v / 2 for k, v in weights.items()} | {"survey": 0.5}
        update_settings(period, new, actor="test")
        compute(period, actor="test")
        db.session.commit()
        return code, departments


def _survey_entries(app: Flask, code: str) -> dict[str, dict]:
    response = app.test_client().get(f"/api/v1/periods/{code}/scores")
    assert response.status_code == 200
    # The published schema (OpenAPI) accepts the answer, grade included.
    Draft202012Validator(PERIOD_SCORES_SCHEMA).validate(response.get_json())
    out = {}
    for row in response.get_json()["rows"]:
        entries = [i for i in row["citizen"]["indicators"] if i["indicator"] == "survey"]
        assert len(entries) == 1
        # Additive: only the survey entry carries a grade; the others keep their shape.
        others = [i for i in row["citizen"]["indicators"] if i["indicator"] != "survey"]
        assert all("grade" not in i for i in others)
        out[row["department"]] = entries[0]
    return out


def test_bands_appear_only_for_a_closed_campaign_of_a_published_period(seeded: Flask) -> None:
    code, departments = _answered_month(seeded)
    client = seeded.test_client()
    # Computed, not published: nothing public, the API says not published.
    assert client.get(f"/api/v1/periods/{code}/scores").status_code == 404
    assert client.get(f"/open/departments/?period={code}").status_code == 404
    with seeded.app_context():
        period = period_by_code(code)
        publish(period, actor="test", force=True, reason="测试：问卷进行中发布")
        db.session.commit()
    # Published while the campaign is open: scores yes, bands no.
    entries = _survey_entries(seeded, code)
    assert entries["cgzf"]["score"] == 100.0 and entries["cgzf"]["grade"] is None
    html = client.get(f"/open/departments/?period={code}").get_data(as_text=True)
    assert "社会评价问卷等级" not in html and "survey-grade" not in html
    page = client.get(f"/open/departments/cgzf?period={code}").get_data(as_text=True)
    assert 'id="survey-band"' not in page
    with seeded.app_context():
        campaign = db.session.scalar(select(SurveyCampaign))
        assert campaign is not None
        close_campaign(campaign, "test", beijing_today())
        db.session.commit()
    entries = _survey_entries(seeded, code)
    assert entries["cgzf"]["grade"] == "优胜"
    assert entries["zjj"]["grade"] == "末位" and entries["zjj"]["score"] == 0.0
    other = next(d for d in departments if d not in RATINGS)
    assert entries[other]["grade"] is None and entries[other]["sufficient"] is False
    html = client.get(f"/open/departments/?period={code}").get_data(as_text=True)
    assert 'id="survey-bands"' in html
    cells = re.findall(r'<td class="survey-grade">([^<]*)</td>', html)
    assert cells.count("优胜") == 1 and cells.count("末位") == 1
    assert "100.0%" in html and "0.0%" in html and "样本不足" in html
    page = client.get(f"/open/departments/cgzf?period={code}").get_data(as_text=True)
    assert 'id="survey-band"' in page and "满意率 100.0%" in page and "(n = 30)" not in page
    assert "（n = 30）" in page and '<strong class="survey-grade">优胜</strong>' in page
    # Bands are read-time only: the stored result still recomputes byte for byte.
    with seeded.app_context():
        assert verify(period_by_code(code)) == []


def test_bands_follow_the_setting_without_recomputing(seeded: Flask) -> None:
    code, _ = _answered_month(seeded)
    with seeded.app_context():
        period = period_by_code(code)
        publish(period, actor="test", force=True, reason="测试")
        campaign = db.session.scalar(select(SurveyCampaign))
        assert campaign is not None
        close_campaign(campaign, "test", beijing_today())
        db.session.commit()
    seeded.config["SURVEY_GRADE_BANDS"] = (("好", 100.0), ("差", 0.0))
    entries = _survey_entries(seeded, code)
    assert (entries["cgzf"]["grade"], entries["zjj"]["grade"]) == ("好", "末位")


@pytest.mark.parametrize(
    "query",
    ["%00", "9" * 5000, "2026-01%0D%0AX", "=1%2B1", "period[]"],
)
def test_hostile_period_values_on_the_band_pages(seeded: Flask, query: str) -> None:
    client = seeded.test_client()
    for path in ("/open/departments/", "/open/departments/cgzf"):
        assert client.get(f"{path}?period={query}").status_code in (200, 404)
    assert client.get(f"/api/v1/periods/{query}/scores").status_code in (404,)


def _photo(app: Flask, case_id: int) -> str:
    with app.app_context():
        case = db.session.get(Submission, case_id)
        media = store_photo(process_photo(jpeg()), media_storage(), submission=case)
        db.session.commit()
        return media.public_id


def test_public_example_cases_show_their_photos_and_never_others(
    seeded: Flask, tmp_path: Path
) -> None:
    seeded.config["OPEN_DATA_DIR"] = str(tmp_path / "opendata")
    seeded.config["MEDIA_DIR"] = str(tmp_path / "media")
    build_world(seeded)
    with seeded.app_context():
        # Examples are the newest three consented cases: take the newest of each kind.
        cases = list(db.session.scalars(select(Submission).order_by(Submission.id.desc())))
        consented = next(c.id for c in cases if c.public_consent)
        private = next(c.id for c in cases if not c.public_consent)
        # The private case shares the hot word: only its missing consent keeps it out.
        analysis = db.session.scalar(select(Analysis).where(Analysis.submission_id == private))
        assert analysis is not None
        analysis.search_tokens = " 噪音 夜市 "
        db.session.commit()
    shown = _photo(seeded, consented)
    hidden = _photo(seeded, private)
    client = seeded.test_client()
    html = client.get("/open/issues").get_data(as_text=True)
    assert f'href="/open/photos/{shown}"' in html
    assert f'src="/open/photos/{shown}?size=thumb"' in html
    assert 'loading="lazy"' in html and "张现场照片" in html
    assert hidden not in html
    assert client.get(f"/open/photos/{shown}?size=thumb").status_code == 200
    assert client.get(f"/open/photos/{hidden}").status_code == 404
    # Once consent is withdrawn the photo leaves the page too.
    with seeded.app_context():
        case = db.session.get(Submission, consented)
        assert case is not None
        case.public_consent = False
        db.session.commit()
        assert db.session.scalar(select(Media).where(Media.public_id == shown)) is not None
    assert shown not in client.get("/open/issues").get_data(as_text=True)
