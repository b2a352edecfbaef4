"""A resident on a 375 px phone files a complaint with a photo and sees it on the tracking page."""

from __future__ import annotations

import os

import pytest
from e2e.browser import fits_phone, tap
from photo_files import gps_jpeg
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Media

pytestmark = pytest.mark.e2e

_LOADED = "return arguments[0].complete && arguments[0].naturalWidth > 0"


def test_a_complaint_with_a_photo_shows_the_photo_on_the_tracking_page(
    seeded, live_server, phone_browser, screenshot_dir, tmp_path
):
    seeded.config["MEDIA_DIR"] = str(tmp_path / "media")
    photo = tmp_path / "street-lamp.jpg"
    photo.write_bytes(gps_jpeg((640, 480)))
    driver = phone_browser
    wait = WebDriverWait(driver, 20)
    driver.get(live_server + "/submit/complaint")
    field = wait.until(ec.presence_of_element_located((By.ID, "photos")))
    assert field.get_attribute("accept") == "image/*"
    driver.find_element(By.ID, "text").send_keys("人民路路灯坏了一个多月，晚上很黑，照片见附件。")
    field.send_keys(str(photo))
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "complaint-with-photo.png"))
    tap(driver, driver.find_element(By.ID, "submit-button"))

    wait.until(ec.presence_of_element_located((By.ID, "tracking-code")))
    tap(driver, driver.find_element(By.LINK_TEXT, "查看办理进度"))
    thumb = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#my-photos img")))
    wait.until(lambda d: d.execute_script(_LOADED, thumb))
    assert thumb.get_attribute("alt") == "诉求照片 1"
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "track-with-photo.png"))
    with seeded.app_context():
        media = db.session.scalar(select(Media))
        assert media is not None and media.submission_id is not None
        assert (media.width, media.height) == (480, 640)  # turned upright, EXIF gone
