"""On a 375-px phone: file a complaint, get the 受理 SMS, staff reply, open the SMS link, judge."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from e2e.browser import fits_phone, mark_page, tap, wait_for_new_page
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.jobs.runner import InProcessRunner
from citizenvoice.models import FollowUp, Submission
from citizenvoice.services.notify_channels import FileChannel
from citizenvoice.services.workflow import perform

pytestmark = pytest.mark.e2e

PHONE = "13812345678"


def _wait_for_line(path: Path, event: str) -> dict:
    deadline = time.monotonic() + 10  # the embedded default: within 10 s of the step
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                message = json.loads(line)
                if message["event"] == event:
                    return message
        time.sleep(0.1)
    raise AssertionError(f"no {event} message within 10 s")


def test_sms_at_acceptance_and_reply_and_the_link_opens_the_follow_up(
    live_server, phone_browser, seeded: Flask, tmp_path: Path, screenshot_dir
):
    sms = tmp_path / "sms.jsonl"
    # The development setup: a file channel, sent from a thread of the web process.
    seeded.extensions["citizenvoice.notify_channels"] = {"sms": FileChannel(sms)}
    runner = InProcessRunner(seeded)
    seeded.extensions["citizenvoice.notify_runner"] = runner
    seeded.config["NOTIFY_QUIET_HOURS"] = "off"  # the run's clock may be at night in Beijing
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    try:
        driver.get(live_server + "/submit/complaint")
        wait.until(ec.presence_of_element_located((By.ID, "feedback-form")))
        driver.find_element(By.ID, "department-search").send_keys("城市管理")
        tap(driver, wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".department-match"))))
        driver.find_element(By.ID, "text").send_keys(
            "人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"
        )
        driver.find_element(By.ID, "contact_phone").send_keys(PHONE)
        tap(driver, driver.find_element(By.ID, "submit-button"))
        wait.until(ec.presence_of_element_located((By.ID, "tracking-code")))

        accepted = _wait_for_line(sms, "accepted")
        assert accepted["to"] == PHONE and "已受理" in accepted["text"]
        assert accepted["url"].startswith("/track/")

        with seeded.app_context():
            case = db.session.scalar(select(Submission).order_by(Submission.id.desc()))
            staff = Actor.staff(Role.DEPARTMENT_STAFF, "cgzf", "cgzf_staff")
            perform(case, Action.SIGN, staff)
            perform(case, Action.REPLY, staff, reply_body="已责令摊贩退回店内经营，并加强巡查。")
            db.session.commit()
            case_id = case.id
        replied = _wait_for_line(sms, "replied")
        assert replied["url"].startswith("/f/") and replied["url"] in replied["text"]

        driver.get(live_server + replied["url"])  # the link as tapped in the SMS app
        wait.until(ec.presence_of_element_located((By.ID, "follow-up")))
        fits_phone(driver)
        driver.save_screenshot(os.path.join(screenshot_dir, "follow-up-from-sms.png"))
        for answer in ("contacted-0", "resolved-0", "satisfaction-0"):
            tap(driver, driver.find_element(By.CSS_SELECTOR, f"label[for='{answer}']"))
        mark_page(driver)
        tap(driver, driver.find_element(By.ID, "submit-follow-up"))
        wait_for_new_page(driver)
        with seeded.app_context():
            follow_up = db.session.scalar(select(FollowUp).where(FollowUp.submission_id == case_id))
            assert follow_up is not None and follow_up.resolved
    finally:
        runner.shutdown()
