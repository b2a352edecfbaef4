"""Browser helpers the phone-width journeys share (importable as ``e2e.browser``)."""

from __future__ import annotations

from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

__all__ = ["fits_phone", "tap"]


def fits_phone(driver: WebDriver) -> None:
    """Fail the test if the page scrolls sideways on the phone-width window."""
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the phone screen"


def tap(driver: WebDriver, element: WebElement) -> None:
    """Scroll an element to the middle of the screen, as a thumb would, and tap it."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element
    )
    element.click()
