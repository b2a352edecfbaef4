"""/api/docs in headless Chromium: Swagger UI renders the document under the site's CSP."""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.e2e


def check_api_docs(driver, live_server: str, screenshot: str) -> None:
    """Every operation rendered, no warning about the document, nothing refused by the CSP."""
    driver.get(f"{live_server}/api/docs")
    assert driver.title.startswith("市民之声 接口文档")
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 5
    )
    summaries = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".opblock"))
    assert "/api/v1/feedback" in summaries
    assert "/open311/v2/requests.json" in summaries
    page = driver.find_element(By.TAG_NAME, "body").text
    assert "not supported" not in page  # Swagger UI's warnings about the document itself
    assert not driver.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
    problems = [
        entry["message"]
        for entry in driver.get_log("browser")
        if (entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"])
        and "favicon.ico" not in entry["message"]  # the site has none; not this page's concern
    ]
    assert not problems, problems
    driver.save_screenshot(screenshot)


def test_api_docs_renders_on_a_desktop(live_server, desktop_browser, screenshot_dir):
    check_api_docs(desktop_browser, live_server, os.path.join(screenshot_dir, "api-docs.png"))


def test_api_docs_renders_on_a_phone(live_server, phone_browser, screenshot_dir):
    check_api_docs(phone_browser, live_server, os.path.join(screenshot_dir, "api-docs-375.png"))
