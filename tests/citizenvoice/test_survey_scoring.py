"""The 社会评价问卷 indicator in the appraisal on PostgreSQL: computed from the answers per group,
样本不足 when a group is short, weighted into the citizen score, recomputed byte-identically,
published and served by the scores API with its score and n."""

from __future__ import annotations

from flask import Flask

from citizenvoice.extensions import db
from citizenvoice.models import Period
from citizenvoice.services.appraisal import (
    compute,
    current_month_code,
    period_by_code,
    publish,
    result_rows,
    update_settings,
    verify,
)
from citizenvoice.services.survey import (
    create_campaign,
    issue_invitations,
    questionnaire,
    submit_answers,
)


def _survey(app: Flask, raters: int, rating_of: dict[str, str]) -> tuple[str, list[str]]:
    """A Beijing campaign (residents only) for this month; ``raters`` answer every department."""
    with app.app_context():
        code = current_month_code()
        assert code is not None
        period = period_by_code(code)
        campaign = create_campaign(period, "beijing")
        codes = issue_invitations(campaign, "residents", raters)
        db.session.commit()
        departments = [d.code for d in questionnaire(codes[0]).departments]
        for invitation in codes:
            answers = [
                {"department": d, "rating": rating_of.get(d, "unknown")} for d in departments
            ]
            submit_answers(invitation, answers)
            db.session.commit()
        return code, departments


def _indicator(row: dict, code: str = "survey") -> dict | None:
    return next((i for i in row["citizen"]["indicators"] if i["indicator"] == code), None)


def test_survey_indicator_from_answers_to_published_scores(seeded: Flask) -> None:
    """30 residents: 100 for cgzf (all 满意), 0 for zjj (all 不满意), the rest 不了解."""
    ratings = {"cgzf": "satisfied", "zjj": "dissatisfied"}
    period_code, departments = _survey(seeded, 30, ratings)
    with seeded.app_context():
        period = period_by_code(period_code)
        weights = dict(period.settings["citizen_weights"])
        # Half of the citizen dimension from the survey, half from the case indicators.
        new = dict(period.settings)
        new["citizen_weights"] = {k: v / 2 for k, v in weights.items()} | {"survey": 0.5}
        update_settings(period, new, actor="test")
        compute(period, actor="test")
        db.session.commit()
        rows = {r["department"]: r for r in result_rows(period)}
        cgzf, zjj = _indicator(rows["cgzf"]), _indicator(rows["zjj"])
        assert cgzf is not None and zjj is not None
        assert (cgzf["label"], cgzf["n"], cgzf["score"], cgzf["sufficient"]) == (
            "社会评价问卷",
            30,
            100.0,
            True,
        )
        assert (zjj["n"], zjj["score"]) == (30, 0.0)
        # Everyone else answered 不了解: no known answer, 样本不足, never a score of 0.
        other = next(d for d in departments if d not in ratings)
        unknown = _indicator(rows[other])
        assert unknown is not None and unknown["n"] == 0 and unknown["sufficient"] is False
        assert verify(period) == []
        publish(period, actor="test", force=True, reason="测试：问卷进行中发布")
        db.session.commit()
        assert verify(period) == []
    body = seeded.test_client().get(f"/api/v1/periods/{period_code}/scores").get_json()
    rows_api = {r["department"]: r for r in body["rows"]}
    survey = _indicator(rows_api["cgzf"])
    assert survey is not None and survey["n"] == 30 and survey["score"] == 100.0


def test_short_group_is_left_out_and_periods_without_answers_are_unchanged(seeded: Flask) -> None:
    """29 answers (< min n 30): 样本不足; a period with no survey has no survey indicator."""
    with seeded.app_context():
        quarter = next(p for p in db.session.query(Period).all() if p.kind == "quarter")
        compute(quarter, actor="test")
        db.session.commit()
        before = quarter.result_json
        assert before is not None and '"survey"' not in before
    period_code, _ = _survey(seeded, 29, {"cgzf": "fairly"})
    with seeded.app_context():
        period = period_by_code(period_code)
        compute(period, actor="test")
        db.session.commit()
        row = next(r for r in result_rows(period) if r["department"] == "cgzf")
        survey = _indicator(row)
        assert survey is not None and survey["n"] == 29 and survey["sufficient"] is False
        quarter = db.session.get(Period, quarter.id)
        assert quarter is not None and verify(quarter) == []


def test_office_pages_show_results_and_download_invitations(seeded: Flask, make_user) -> None:
    """The campaign page lists groups and results (样本不足 marked); the CSV holds usable codes."""
    from factories import csrf_token, login

    period_code, _ = _survey(seeded, 5, {"cgzf": "basic"})
    office = login(seeded, make_user("office"))
    listing = office.get("/office/surveys")
    assert listing.status_code == 200 and "社会评价" in listing.get_data(as_text=True)
    with seeded.app_context():
        from citizenvoice.models import SurveyCampaign

        campaign_id = db.session.scalars(db.select(SurveyCampaign.id)).one()
    page = office.get(f"/office/surveys/{campaign_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "样本不足" in html and "residents" in html
    download = office.post(
        f"/office/surveys/{campaign_id}/invitations",
        data={"csrf_token": csrf_token(html), "group": "residents", "count": "3"},
    )
    assert download.status_code == 200 and download.mimetype == "text/csv"
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0] == "code,url" and len(lines) == 4
    code = lines[1].split(",")[0]
    assert seeded.test_client().get(f"/api/v1/surveys/{code}").status_code == 200
    for bad in ({"group": "nobody", "count": "3"}, {"group": "residents", "count": "x"}):
        refused = office.post(
            f"/office/surveys/{campaign_id}/invitations",
            data={"csrf_token": csrf_token(html), **bad},
        )
        assert refused.status_code == 302
    assert period_code


def test_department_staff_see_their_own_results_and_comments(seeded: Flask, make_user) -> None:
    """cgzf staff read the comment about cgzf (phone masked); zjj staff never see it."""
    from factories import login

    with seeded.app_context():
        code = current_month_code()
        assert code is not None
        campaign = create_campaign(period_by_code(code), "beijing")
        (invitation,) = issue_invitations(campaign, "residents", 1)
        db.session.commit()
        answers = [
            {
                "department": "cgzf",
                "rating": "dissatisfied",
                "comment": "夜市占道没人管 13912345678",
            },
            {"department": "zjj", "rating": "satisfied"},
        ]
        submit_answers(invitation, answers)
        db.session.commit()
    mine = login(seeded, make_user("department_staff", "cgzf")).get("/workspace/survey")
    html = mine.get_data(as_text=True)
    assert mine.status_code == 200 and "夜市占道没人管" in html and "13912345678" not in html
    assert "样本不足" in html
    theirs = login(seeded, make_user("department_staff", "zjj")).get("/workspace/survey")
    assert theirs.status_code == 200 and "夜市占道没人管" not in theirs.get_data(as_text=True)


def test_appraisal_check_reports_a_group_far_from_the_others(seeded: Flask) -> None:
    """Residents rate cgzf 不满意, enterprises and media 满意: one finding, audited, nothing held."""
    with seeded.app_context():
        code = current_month_code()
        assert code is not None
        campaign = create_campaign(period_by_code(code), "hangzhou")
        for group in campaign.groups:
            group.min_n = 2
        plan = {"residents": "dissatisfied", "enterprises": "satisfied", "media": "satisfied"}
        codes = {g: issue_invitations(campaign, g, 2) for g in plan}
        db.session.commit()
        for group, rating in plan.items():
            for invitation in codes[group]:
                submit_answers(invitation, [{"department": "cgzf", "rating": rating}])
                db.session.commit()
    result = seeded.test_cli_runner().invoke(args=["appraisal", "check", "--period", code])
    assert result.exit_code == 0, result.output
    assert "survey group_outlier: residents 对 cgzf" in result.output
    assert "survey checks: 1 findings" in result.output
