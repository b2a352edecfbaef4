"""A live server on loopback and a real headless Chromium (Debian's, driven by Selenium)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator

import pytest
from factories import PASSWORD
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

PHONE_WIDTH, PHONE_HEIGHT = 375, 812  # an iPhone-sized CSS viewport


@pytest.fixture
def app(db_app: Flask) -> Flask:
    """The browser journeys run on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def live_server(seeded: Flask) -> Iterator[str]:
    """Serve the seeded test app on a free loopback port for the duration of one test."""
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def phone_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a 375-px-wide viewport and the browser console captured."""
    yield from _chromium(PHONE_WIDTH, PHONE_HEIGHT, mobile=True)


@pytest.fixture
def desk_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium at an office desk's 1280 x 900, as staff use the workspace."""
    yield from _chromium(1280, 900, mobile=False)


@pytest.fixture
def desktop_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a 1366-px-wide window (the performance office's laptops)."""
    yield from _chromium(1366, 900, mobile=False)


@pytest.fixture
def browser_login(live_server: str):
    """A function ``browser_login(driver, username, password=PASSWORD)`` that signs in through
    the login page of the live server and waits for the staff page behind it."""

    def _login(driver: webdriver.Chrome, username: str, password: str = PASSWORD) -> None:
        driver.get(live_server + "/login")
        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "login-button").click()
        WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.ID, "logout-button")))

    return _login


def _chromium(width: int, height: int, *, mobile: bool) -> Iterator[webdriver.Chrome]:
    chromium = (
        os.environ.get("CHROMIUM_BIN")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    driver_path = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail(
            "Chromium and ChromeDriver are required (apt-get install chromium chromium-driver)"
        )
    profile = tempfile.mkdtemp(prefix="cv-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    if mobile:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}},
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot_dir() -> str:
    """Where the browser tests leave their screenshots (artifacts/e2e, ignored by git)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "e2e")
    os.makedirs(path, exist_ok=True)
    return path
