"""Browser helpers the phone-width journeys share (importable as ``e2e.browser``)."""

from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["fits_phone", "mark_page", "tap", "wait_for_new_page"]


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


_MARK = "cvPageBeforeAction"


def mark_page(driver: WebDriver) -> None:
    """Mark the current document, so ``wait_for_new_page`` can tell the next one from it.

    A mark in the document instead of an element reference: Chromium reports a replaced
    document's elements sometimes as stale and sometimes as "not in the document", which
    ``staleness_of`` does not treat alike.
    """
    driver.execute_script(f"document.documentElement.dataset.{_MARK} = '1';")


def wait_for_new_page(driver: WebDriver, timeout: float = 15) -> None:
    """Wait until the document marked by ``mark_page`` has been replaced by a new one."""

    def replaced(d: WebDriver) -> bool:
        state = d.execute_script(
            f"return [document.readyState, document.documentElement.dataset.{_MARK} || null];"
        )
        return state[0] != "loading" and state[1] is None

    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(replaced)
