"""The public portal at 375 px in headless Chromium: every /open/ page fits the phone, has
its heading, charts with a text table beside them, and shows no tracking code."""

from __future__ import annotations

import os

import pytest
from e2e.browser import fits_phone, tap
from portal_world import build_world
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from citizenvoice.services.opendata import build
from citizenvoice.services.portal import published_periods

pytestmark = pytest.mark.e2e

PAGES = {
    "open-overview": ("/open/", "政务服务公开"),
    "open-departments": ("/open/departments/", "部门考核结果"),
    "open-department": ("/open/departments/cgzf", "市城市管理综合执法局"),
    "open-issues": ("/open/issues", "热点问题"),
    "open-rectification": ("/open/rectification", "整改公开"),
    "open-data": ("/open/data/", "开放数据"),
}


def _full_page_shot(driver, directory: str, name: str) -> None:
    """A screenshot of the whole page height at the phone's width."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": min(height, 6000), "deviceScaleFactor": 1, "mobile": True},
    )
    driver.save_screenshot(os.path.join(directory, name))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_portal_page_at_phone_width(
    seeded, live_server, phone_browser, screenshot_dir, tmp_path
):
    seeded.config["OPEN_DATA_DIR"] = str(tmp_path / "opendata")
    facts = build_world(seeded)
    with seeded.app_context():
        build(seeded.config["OPEN_DATA_DIR"], published_periods()[0].starts_on)
    driver = phone_browser
    for name, (path, heading) in PAGES.items():
        driver.get(live_server + path)
        WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
        assert heading in driver.find_element(By.TAG_NAME, "h1").text, path
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
        fits_phone(driver)
        source = driver.page_source
        assert not any(code in source for code in facts["codes"]), path
        # Every chart has a text table next to it for screen readers.
        charts = driver.find_elements(By.CSS_SELECTOR, "main svg[role=img]")
        if charts:
            assert driver.find_elements(By.CSS_SELECTOR, "main table"), path
        _full_page_shot(driver, screenshot_dir, f"{name}-375.png")


def test_a_resident_walks_from_the_overview_to_a_department_and_its_tasks(
    seeded, live_server, phone_browser
):
    build_world(seeded)
    driver = phone_browser
    driver.get(live_server + "/open/")
    tap(driver, driver.find_element(By.LINK_TEXT, "部门"))
    WebDriverWait(driver, 10).until(ec.url_contains("/open/departments/"))
    tap(driver, driver.find_element(By.LINK_TEXT, "市城市管理综合执法局"))
    WebDriverWait(driver, 10).until(ec.url_contains("/open/departments/cgzf"))
    assert "夜市噪音专项整改" in driver.page_source
    fits_phone(driver)
    tap(driver, driver.find_element(By.LINK_TEXT, "查看全部整改任务"))
    WebDriverWait(driver, 10).until(ec.url_contains("/open/rectification"))
    progress = driver.find_element(By.CSS_SELECTOR, "[role=progressbar]")
    assert progress.get_attribute("aria-valuenow") == "0"
