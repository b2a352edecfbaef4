"""Accessibility (issue 19): axe-core on every resident page at 375 px and every staff page at
1366 px, no serious or critical WCAG 2.1 AA violation; a complaint filed with the keyboard only.

The pages hold real content (a replied case with its follow-up form, an analysed case, a
computed period, a rectification task), so axe sees what residents and staff see. Screenshots
go to artifacts/e2e/a11y-*.png.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from e2e.accessibility import axe_violations, describe
from e2e.browser import tap
from factories import csrf_token, login, make_user
from flask import Flask
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Submission, User

pytestmark = pytest.mark.e2e

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"


@pytest.fixture
def app(_postgresql_app: Flask) -> Flask:
    """Accessibility does not depend on the database: PostgreSQL only (not both backends)."""
    return _postgresql_app


@pytest.fixture
def world(seeded: Flask, analyzer, tmp_path) -> dict[str, str]:
    """Accounts, a replied and an analysed case, a computed period and a rectification task;
    a published quarter, a public-consented case and an open-data build for the portal."""
    from factories import file_case

    from citizenvoice.domain.notifications import sign_token
    from citizenvoice.domain.workdays import SHANGHAI
    from citizenvoice.jobs.notifications import FOLLOW_UP_PURPOSE, UNSUBSCRIBE_PURPOSE
    from citizenvoice.models.base import utcnow
    from citizenvoice.services.analysis import analyse_submission
    from citizenvoice.services.appraisal import compute, ensure_periods, period_by_code, publish
    from citizenvoice.services.opendata import build
    from citizenvoice.services.rectification import open_task
    from citizenvoice.services.survey import create_campaign, issue_invitations, submit_answers
    from citizenvoice.services.survey_priority import add_candidate

    make_user(seeded, "department_admin", "cgzf", "cg_admin")
    make_user(seeded, "office", username="office1")
    make_user(seeded, "system_admin", username="admin1")
    replied = file_case(seeded, COMPLAINT, until="replied", title="人民路夜市噪音")
    seeded.config["OPEN_DATA_DIR"] = str(tmp_path / "opendata")
    with seeded.app_context():
        analyse_submission(replied["id"], analyzer)
        db.session.get(Submission, replied["id"]).public_consent = True  # on the portal
        periods = ensure_periods()
        period = next(p for p in periods if p.kind == "month").code
        # The portal shows published periods only; the month stays open for the office pages.
        quarter = next(p for p in periods if p.kind == "quarter")
        compute(quarter, "office1")
        publish(quarter, "office1", force=True, reason="测试：提前发布")
        secret = seeded.config["SECRET_KEY"]
        follow_up_token = sign_token(
            secret, FOLLOW_UP_PURPOSE, replied["id"], utcnow() + timedelta(days=7)
        )
        unsubscribe_token = sign_token(secret, UNSUBSCRIBE_PURPOSE, replied["id"])
        office = db.session.scalar(select(User).where(User.username == "office1"))
        task = open_task(
            office,
            "cgzf",
            "人民路夜市整治",
            "一个月内取缔占道摊点",
            "keyword",
            "夜市",
            date.today() + timedelta(30),
        )
        db.session.commit()
        task_id = str(task.id)
        campaign = create_campaign(period_by_code(period), "hangzhou")
        first, survey_code = issue_invitations(campaign, "residents", 2)
        campaign_id = str(campaign.id)
        # Candidates of the priority question: on the survey page, the office tally and 整改 form.
        picks = [add_candidate(campaign, f"候选事项{i}", "一句话说明").id for i in range(2)]
        db.session.commit()
        submit_answers(
            first, [{"department": "cgzf", "rating": "fairly", "comment": "较好"}], priority=picks
        )
        db.session.commit()
        build(seeded.config["OPEN_DATA_DIR"], utcnow().astimezone(SHANGHAI).date())
        assert db.session.get(Submission, replied["id"]) is not None
    client = login(seeded, "office1")
    page = client.get(f"/office/periods/{period}").get_data(as_text=True)
    client.post(f"/office/periods/{period}/compute", data={"csrf_token": csrf_token(page)})
    return {
        "case": str(replied["id"]),
        "code": replied["code"],
        "period": period,
        "task": task_id,
        "campaign": campaign_id,
        "survey_code": survey_code,
        "follow_up_token": follow_up_token,
        "unsubscribe_token": unsubscribe_token,
    }


def _check_pages(driver, base: str, pages: list[tuple[str, str]], shots: str) -> list[str]:
    problems = []
    for name, path in pages:
        driver.get(base + path)
        WebDriverWait(driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        problems.extend(describe(f"{name} {path}", axe_violations(driver)))
        driver.save_screenshot(os.path.join(shots, f"a11y-{name}.png"))
    return problems


def _empty_submit(driver, base: str) -> None:
    """The complaint form sent empty: the page with its error messages."""
    driver.get(base + "/submit/complaint")
    driver.execute_script(
        "document.querySelectorAll('form').forEach(f => { f.noValidate = true; })"
    )
    tap(driver, driver.find_element(By.ID, "submit-button"))
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, "form")))


def test_resident_pages_at_375px_have_no_serious_wcag_violation(
    live_server, phone_browser, world, screenshot_dir
):
    code = world["code"]
    pages = [
        ("home", "/"),
        ("submit-complaint", "/submit/complaint"),
        ("submit-suggestion", "/submit/suggestion"),
        ("submit-rating", "/submit/rating"),
        ("submitted", f"/submitted/{code}"),
        ("track-lookup", "/track"),
        ("track-lookup-miss", "/track?code=AAAA-BBBB-CCCC"),
        ("track-follow-up", f"/track/{code}"),
        ("not-found", "/no-such-page"),
        ("survey", f"/survey/{world['survey_code']}"),
        ("survey-unknown", "/survey/AAAA-BBBB-CCCC"),
        # the links of the resident's messages
        ("follow-up-link", f"/f/{world['follow_up_token']}"),
        ("unsubscribe", f"/u/{world['unsubscribe_token']}"),
    ]
    problems = _check_pages(phone_browser, live_server, pages, screenshot_dir)
    _empty_submit(phone_browser, live_server)
    problems.extend(describe("submit-errors", axe_violations(phone_browser)))
    phone_browser.save_screenshot(os.path.join(screenshot_dir, "a11y-submit-errors.png"))
    # the unsubscribe page once confirmed
    phone_browser.get(live_server + f"/u/{world['unsubscribe_token']}")
    tap(phone_browser, phone_browser.find_element(By.CSS_SELECTOR, "main form button"))
    WebDriverWait(phone_browser, 15).until(
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and not d.find_elements(By.CSS_SELECTOR, "main form button")
        )
    )
    problems.extend(describe("unsubscribe-done", axe_violations(phone_browser)))
    phone_browser.save_screenshot(os.path.join(screenshot_dir, "a11y-unsubscribe-done.png"))
    assert not problems, "\n".join(problems)


def test_public_portal_pages_at_375px_have_no_serious_wcag_violation(
    live_server, phone_browser, world, screenshot_dir
):
    pages = [
        ("open-overview", "/open/"),
        ("open-departments", "/open/departments/"),
        ("open-department", "/open/departments/cgzf"),
        ("open-issues", "/open/issues"),
        ("open-rectification", "/open/rectification"),
        ("open-priorities", "/open/priorities"),
        ("open-data", "/open/data/"),
    ]
    problems = _check_pages(phone_browser, live_server, pages, screenshot_dir)
    assert not problems, "\n".join(problems)


def test_api_docs_at_1366px_has_no_serious_wcag_violation(
    live_server, desktop_browser, screenshot_dir
):
    driver = desktop_browser
    driver.get(live_server + "/api/docs")
    # The docs page draws its operations with a script: wait until they are there.
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    problems = describe("api-docs /api/docs", axe_violations(driver))
    driver.save_screenshot(os.path.join(screenshot_dir, "a11y-api-docs.png"))
    assert not problems, "\n".join(problems)


def test_staff_pages_at_1366px_have_no_serious_wcag_violation(
    live_server, desktop_browser, browser_login, world, screenshot_dir
):
    case, period, task = world["case"], world["period"], world["task"]
    driver = desktop_browser
    problems = _check_pages(driver, live_server, [("login", "/login")], screenshot_dir)
    by_user = {
        "cg_admin": [
            ("workspace-inbox", "/workspace/"),
            ("workspace-case", f"/workspace/cases/{case}"),
            ("workspace-dashboard", "/workspace/dashboard"),
            ("workspace-templates", "/workspace/templates"),
            ("workspace-rectification", "/workspace/rectification"),
            ("workspace-rectification-task", f"/workspace/rectification/{task}"),
            ("workspace-survey", "/workspace/survey"),
            ("password", "/staff/password"),
            ("forbidden", "/staff/users"),  # the 403 page
        ],
        "office1": [
            ("office-inbox", "/office/inbox"),
            ("office-queue", "/office/queue"),
            ("office-routing", "/office/routing"),
            ("office-periods", "/office/periods"),
            ("office-period", f"/office/periods/{period}"),
            ("office-import", f"/office/periods/{period}/import"),
            ("office-publish", f"/office/periods/{period}/publish"),
            ("office-integrity", f"/office/periods/{period}/integrity"),
            ("office-rectification", "/office/rectification"),
            ("office-rectification-task", f"/office/rectification/{task}"),
            ("office-case", f"/workspace/cases/{case}"),
            ("office-surveys", "/office/surveys"),
            ("office-survey", f"/office/surveys/{world['campaign']}"),
            ("office-notifications", "/office/notifications"),
            ("office-survey-report", f"/office/surveys/{world['campaign']}/report"),
            ("office-survey-department", f"/office/surveys/{world['campaign']}/departments/cgzf"),
            ("office-drift", "/office/drift"),
        ],
        "admin1": [("users", "/staff/users"), ("staff-home", "/staff")],
    }
    for username, pages in by_user.items():
        driver.delete_all_cookies()
        browser_login(driver, username)
        problems.extend(_check_pages(driver, live_server, pages, screenshot_dir))
    problems.extend(_sheet_import_errors(driver, live_server, screenshot_dir))
    assert not problems, "\n".join(problems)


def _sheet_import_errors(driver, base: str, shots: str) -> list[str]:
    """The office's 整改 progress sheet sent back with a wrong row: the page with its errors."""
    bad = os.path.abspath(os.path.join(shots, "a11y-bad-sheet.csv"))
    with open(bad, "w", encoding="utf-8") as sheet:
        sheet.write("任务编号,进度\n999999,不是数字\n")
    driver.get(base + "/office/rectification")
    driver.find_element(By.ID, "sheet-file").send_keys(bad)
    tap(driver, driver.find_element(By.CSS_SELECTOR, "#sheet-import button"))
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".alert")))
    problems = describe("office-sheet-errors", axe_violations(driver))
    driver.save_screenshot(os.path.join(shots, "a11y-office-sheet-errors.png"))
    return problems


def test_a_complaint_is_filed_with_the_keyboard_alone_at_375px(live_server, phone_browser):
    """Tab, typing, Space and Enter only: no click, no script touching the form."""
    driver = phone_browser
    driver.get(live_server + "/submit/complaint")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the first Tab enters the page
    reached = set()
    for _ in range(60):
        active = driver.switch_to.active_element
        element_id = active.get_attribute("id") or ""
        reached.add(element_id)
        if element_id == "text":
            active.send_keys(COMPLAINT)
        elif element_id == "anonymous":
            active.send_keys(Keys.SPACE)  # no phone number: file it anonymously
        elif element_id == "submit-button":
            active.send_keys(Keys.ENTER)
            break
        if active.get_attribute("type") == "file":
            # Selenium reads keys sent to a file input as a path to upload; the browser's own
            # key dispatch moves on past the photo field as a keyboard does.
            ActionChains(driver).send_keys(Keys.TAB).perform()
            continue
        active.send_keys(Keys.TAB)
    else:
        pytest.fail(f"Tab never reached the submit button; reached: {sorted(reached)}")
    code = WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.ID, "tracking-code")))
    assert "/submitted/" in driver.current_url and code.text


def test_the_check_finds_a_violation_planted_in_a_page(live_server, phone_browser):
    """The axe run really looks: an unlabelled field and faint text on the home page fail it."""
    driver = phone_browser
    driver.get(live_server + "/")
    driver.execute_script(
        "var m = document.querySelector('main') || document.body;"
        "var field = document.createElement('input'); m.appendChild(field);"
        "var faint = document.createElement('p'); faint.textContent = '浅色文字';"
        # CSSOM, not a style attribute: the page's CSP blocks inline styles.
        "faint.style.color = '#bbb'; faint.style.background = '#fff'; m.appendChild(faint);"
    )
    found = {violation["id"] for violation in axe_violations(driver)}
    assert {"label", "color-contrast"} <= found, found
