"""/api/docs in headless Chromium: Swagger UI renders the document under the site's CSP."""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("browser", ["desktop_browser", "phone_browser"])
def test_api_docs_renders_every_operation_with_no_csp_violation(
    live_server, screenshot_dir, request, browser
):
    driver = request.getfixturevalue(browser)
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
    driver.save_screenshot(os.path.join(screenshot_dir, f"api-docs-{browser}.png"))
