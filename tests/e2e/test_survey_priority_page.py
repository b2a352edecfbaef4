"""The priority question on the questionnaire at 375 px in headless Chromium: three ticks, the
fourth disabled, one submit, the picks stored. A light page (two departments) and waits for
concrete elements only."""

from __future__ import annotations

import pytest
from e2e.browser import fits_phone, tap
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import SurveyPriorityPick
from citizenvoice.services.appraisal import current_month_code, period_by_code
from citizenvoice.services.survey import create_campaign, issue_invitations
from citizenvoice.services.survey_priority import add_candidate

pytestmark = pytest.mark.e2e


def _world(app: Flask) -> tuple[str, list[int]]:
    """A campaign rating two departments, four candidates, one code."""
    with app.app_context():
        campaign = create_campaign(period_by_code(current_month_code() or ""), "beijing")
        campaign.groups[0].departments = ["cgzf", "rsj"]
        ids = [add_candidate(campaign, f"候选事项{i}", "一句话说明").id for i in range(4)]
        (code,) = issue_invitations(campaign, "residents", 1)
        db.session.commit()
    return code, ids


def test_priority_picks_on_a_phone(seeded: Flask, live_server: str, phone_browser) -> None:
    """Tick three (the fourth is then disabled), answer both departments, submit once."""
    code, ids = _world(seeded)
    driver = phone_browser
    driver.get(f"{live_server}/survey/{code}")
    wait = WebDriverWait(driver, 20)
    wait.until(ec.presence_of_element_located((By.ID, "survey-priorities")))
    for candidate in ids[:3]:
        tap(driver, driver.find_element(By.CSS_SELECTOR, f"label[for='p-{candidate}']"))
    assert not driver.find_element(By.ID, f"p-{ids[3]}").is_enabled()
    for item in driver.find_elements(By.CSS_SELECTOR, ".survey-item"):
        tap(driver, item.find_element(By.CSS_SELECTOR, "label[for$='-fairly']"))
    fits_phone(driver)
    tap(driver, driver.find_element(By.CSS_SELECTOR, "#survey-form button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "survey-done")))
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyPriorityPick)) == 3
