"""The 社会评价 questionnaire at 375 px in headless Chromium: large choices, progress, answers
kept in the browser across a reload, one submit, and no serious accessibility violation."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from e2e.accessibility import axe_violations, describe
from e2e.browser import fits_phone, tap
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from citizenvoice.domain.survey import format_code
from citizenvoice.extensions import db
from citizenvoice.models import SurveyAnswer
from citizenvoice.services.appraisal import current_month_code

pytestmark = pytest.mark.e2e


def _code(app: Flask, out: Path) -> str:
    with app.app_context():
        period = current_month_code()
    runner = app.test_cli_runner()
    created = runner.invoke(args=["survey", "create", "--period", period, "--preset", "hangzhou"])
    campaign = created.output.split()[-1]
    runner.invoke(
        args=[
            "survey",
            "invite",
            "--campaign",
            campaign,
            "--group",
            "residents",
            "--count",
            "1",
            "--out",
            str(out),
        ]
    )
    with out.open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["code"]


def test_survey_page_on_a_phone(
    seeded: Flask, live_server: str, phone_browser, screenshot_dir: str, tmp_path: Path
) -> None:
    """Answer some, reload (kept), answer the rest incl. 不了解, submit once; thanks page."""
    code = _code(seeded, tmp_path / "codes.csv")
    driver = phone_browser
    driver.get(f"{live_server}/survey/{format_code(code)}")
    items = driver.find_elements(By.CSS_SELECTOR, ".survey-item")
    assert len(items) >= 3, driver.page_source[:3000]
    progress = driver.find_element(By.ID, "survey-progress")
    assert progress.text == f"已完成 0 / {len(items)}"
    choice = items[0].find_element(By.CSS_SELECTOR, "label.survey-choice")
    assert choice.size["height"] >= 44 and choice.size["width"] >= 120
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "survey-start.png"))
    violations = axe_violations(driver)
    assert not violations, "\n".join(describe("survey", violations))

    tap(driver, items[0].find_element(By.CSS_SELECTOR, "label[for$='-dissatisfied']"))
    tap(driver, items[1].find_element(By.CSS_SELECTOR, "label[for$='-unknown']"))
    assert progress.text == f"已完成 2 / {len(items)}"
    driver.refresh()
    items = driver.find_elements(By.CSS_SELECTOR, ".survey-item")
    checked = [i.find_elements(By.CSS_SELECTOR, "input:checked") for i in items[:2]]
    assert [c[0].get_attribute("value") for c in checked] == ["dissatisfied", "unknown"]
    assert driver.find_element(By.ID, "survey-progress").text == f"已完成 2 / {len(items)}"
    for item in items[2:]:
        tap(driver, item.find_element(By.CSS_SELECTOR, "label[for$='-fairly']"))
    driver.save_screenshot(os.path.join(screenshot_dir, "survey-answered.png"))
    tap(driver, driver.find_element(By.CSS_SELECTOR, "#survey-form button[type=submit]"))
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.ID, "survey-done")))
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "survey-done.png"))
    assert driver.execute_script("return Object.keys(localStorage).length") == 0
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == len(items)
