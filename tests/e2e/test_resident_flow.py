"""A resident on a phone-size browser files a complaint, keeps the code and follows the case."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from e2e.browser import fits_phone, tap
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from citizenvoice.domain.tracking import TRACKING_CODE_PATTERN
from citizenvoice.extensions import db
from citizenvoice.models import Submission

pytestmark = pytest.mark.e2e


def _csp_violations(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def test_resident_files_a_complaint_and_tracks_it_on_a_phone(
    live_server, phone_browser, seeded, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/")
    assert "市民之声" in driver.title
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "home.png"))

    tap(driver, driver.find_element(By.CSS_SELECTOR, "a[data-kind='complaint']"))
    wait.until(ec.presence_of_element_located((By.ID, "feedback-form")))
    # The searchable picker: typing lists the departments it matches; the resident taps one.
    driver.find_element(By.ID, "department-search").send_keys("城市管理")
    tap(driver, wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".department-match"))))
    assert (
        Select(driver.find_element(By.ID, "department")).first_selected_option.get_attribute(
            "value"
        )
        == "cgzf"
    )
    driver.find_element(By.ID, "title").send_keys("夜市占道经营噪音扰民")
    driver.find_element(By.ID, "text").send_keys(
        "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"
    )
    driver.find_element(By.ID, "contact_phone").send_keys("13812345678")
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "complaint-form.png"))
    tap(driver, driver.find_element(By.ID, "submit-button"))

    code_element = wait.until(ec.presence_of_element_located((By.ID, "tracking-code")))
    code = code_element.text.strip()
    assert TRACKING_CODE_PATTERN.fullmatch(code)
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "submitted.png"))

    tap(driver, driver.find_element(By.LINK_TEXT, "查看办理进度"))
    wait.until(ec.presence_of_element_located((By.ID, "case-status")))
    assert driver.find_element(By.ID, "case-kind").text == "投诉"
    assert driver.find_element(By.ID, "case-department").text == "市城市管理综合执法局"
    assert driver.find_element(By.ID, "case-status").text == "已受理"
    page = driver.page_source
    assert "13812345678" not in page and "5678" not in page
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "track.png"))
    assert _csp_violations(driver) == []

    with seeded.app_context():
        stored = db.session.query(Submission).filter_by(tracking_code=code).one()
        assert stored.channel == "web"
        assert stored.contact_phone_masked == "138****5678"


def test_validation_errors_show_in_chinese_and_keep_what_was_typed(live_server, phone_browser):
    driver = phone_browser
    driver.get(live_server + "/submit/rating")
    Select(driver.find_element(By.ID, "department")).select_by_value("zwfw")
    driver.find_element(By.ID, "text").send_keys("好")
    driver.find_element(By.ID, "contact_phone").send_keys("12345")
    tap(driver, driver.find_element(By.ID, "submit-button"))
    errors = WebDriverWait(driver, 15).until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, ".invalid-feedback"))
    )
    messages = " ".join(e.text for e in errors)
    assert "内容太短" in messages
    assert "手机号格式不正确" in messages
    assert "评价请选择 1 到 5 分" in messages
    assert driver.find_element(By.ID, "text").get_attribute("value") == "好"
    fits_phone(driver)


def test_the_api_accepts_a_complaint_on_the_live_server(live_server):
    body = json.dumps(
        {"kind": "complaint", "department": None, "text": "小区门口路灯坏了一个多月没人修。"}
    ).encode()
    request = urllib.request.Request(
        live_server + "/api/v1/feedback",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        created = json.load(response)
    with urllib.request.urlopen(
        live_server + f"/api/v1/feedback/{created['tracking_code']}", timeout=10
    ) as response:
        case = json.load(response)
    assert case["status"] == "received"
    assert case["department"] is None
