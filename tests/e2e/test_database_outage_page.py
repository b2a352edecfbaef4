"""A resident on a phone submits while PostgreSQL is away: the text survives, one tap resends it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from e2e.browser import fits_phone, tap
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from support import TEST_DATABASE_URL, testing_config
from tcp_fault_proxy import FaultProxy, through_proxy
from werkzeug.serving import make_server

from citizenvoice import create_app
from citizenvoice.extensions import db

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"


@pytest.fixture
def app(_postgresql_app: Flask) -> Flask:
    """PostgreSQL only: the fault proxy sits between the app and the PostgreSQL server."""
    return _postgresql_app


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    parts = urlsplit(TEST_DATABASE_URL)
    server = FaultProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    yield server
    server.close()


@pytest.fixture
def proxied_server(seeded: Flask, proxy: FaultProxy) -> Iterator[str]:
    """A live server of an app that reaches PostgreSQL through the fault proxy."""
    app = create_app(testing_config(DATABASE_URL=through_proxy(TEST_DATABASE_URL, proxy)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    proxy.forward()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_residents_text_survives_a_database_outage_on_a_phone(
    proxied_server: str, proxy: FaultProxy, phone_browser, screenshot_dir: str
) -> None:
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(proxied_server + "/submit/complaint")
    driver.find_element(By.ID, "title").send_keys("夜市噪音")
    driver.find_element(By.ID, "text").send_keys(COMPLAINT)
    driver.find_element(By.ID, "location").send_keys("人民路")
    proxy.refuse()
    tap(driver, driver.find_element(By.ID, "submit-button"))
    wait.until(ec.presence_of_element_located((By.ID, "unavailable-form")))
    assert "暂时无法提交" in driver.page_source
    assert driver.find_element(By.ID, "text").get_attribute("value") == COMPLAINT
    assert driver.find_element(By.ID, "title").get_attribute("value") == "夜市噪音"
    fits_phone(driver)
    driver.save_screenshot(os.path.join(screenshot_dir, "database-outage-form.png"))
    proxy.forward()
    tap(driver, driver.find_element(By.CSS_SELECTOR, "#unavailable-form button[type=submit]"))
    code = wait.until(ec.presence_of_element_located((By.ID, "tracking-code")))
    assert code.text.strip()
