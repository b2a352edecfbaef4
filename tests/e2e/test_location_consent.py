"""A resident on a phone uses 使用我当前的位置 and 同意公开; the case stores both and shows
its public number."""

from __future__ import annotations

import os

import pytest
from e2e.browser import fits_phone, tap
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Submission

pytestmark = pytest.mark.e2e


def test_resident_adds_the_browsers_position_and_consents(
    live_server, phone_browser, seeded, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    origin = live_server
    driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 28.2282, "longitude": 112.9388, "accuracy": 20},
    )
    driver.get(origin + "/submit/complaint")
    driver.find_element(By.ID, "text").send_keys(
        "人民路公交站旁的井盖缺失，晚上很危险，请尽快处理。"
    )
    button = wait.until(ec.element_to_be_clickable((By.ID, "geo-button")))
    tap(driver, button)
    wait.until(lambda d: d.find_element(By.ID, "lat").get_attribute("value"))
    assert driver.find_element(By.ID, "lat").get_attribute("value") == "28.228200"
    assert driver.find_element(By.ID, "long").get_attribute("value") == "112.938800"
    consent = driver.find_element(By.ID, "public_consent")
    assert not consent.is_selected()  # off unless the resident chooses it
    tap(driver, consent)
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "complaint-location-consent.png"))
    tap(driver, driver.find_element(By.ID, "submit-button"))
    number = wait.until(ec.presence_of_element_located((By.ID, "public-number"))).text
    driver.save_screenshot(os.path.join(screenshot_dir, "submitted-public-number.png"))
    with seeded.app_context():
        case = db.session.scalar(select(Submission))
        assert case is not None
        assert (case.latitude, case.longitude, case.public_consent) == (28.2282, 112.9388, True)
        assert case.public_number in number
