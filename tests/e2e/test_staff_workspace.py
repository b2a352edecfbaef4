"""A member of department staff signs in at a desk and works the inbox in a real browser."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from e2e.browser import mark_page, wait_for_new_page
from factories import make_user
from selenium.webdriver.common.by import By
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.analysis import analyse_submission

pytestmark = pytest.mark.e2e
LATE = "小区门口的路灯坏了一个多月，晚上漆黑一片，老人孩子出行很不安全，请尽快派人维修。"
TWICE = "人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"
ALONE = "公园东门的公共厕所长期无人打扫，气味很大，希望环卫部门加强管理。"


@pytest.fixture
def desk(seeded, analyzer):
    """Department staff of 城管 with an untitled overdue case, a duplicate pair and a lone case."""
    make_user(seeded, "department_staff", "cgzf", "cg_staff")
    late = file_submission(seeded, LATE, department="cgzf")  # no title
    first = file_submission(seeded, TWICE, department="cgzf", title="夜市占道经营")
    second = file_submission(seeded, TWICE, department="cgzf", title="夜市占道经营")
    alone = file_submission(seeded, ALONE, department="cgzf", title="公厕无人打扫")
    with seeded.app_context():
        for case_id in (late, first, second, alone):
            analyse_submission(case_id, analyzer)
        # The sign deadline of the first case passed an hour ago.
        db.session.get(Submission, late).sign_due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    return {"late": late, "first": first, "second": second, "alone": alone}


def _active_tabs(driver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".nav-tabs .nav-link.active")]


def _cut_chart_labels(driver) -> list[str]:
    """Texts of the SVG charts that reach beyond their chart's drawing area."""
    return driver.execute_script(
        """
        const cut = [];
        for (const svg of document.querySelectorAll('svg')) {
          const box = svg.viewBox.baseVal;
          for (const t of svg.querySelectorAll('text')) {
            const b = t.getBBox();
            if (b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5) cut.push(t.textContent);
          }
        }
        return cut;
        """
    )


def test_staff_land_on_their_inbox_and_see_deadlines_and_one_active_tab(
    live_server, desk_browser, browser_login, desk, screenshot_dir
):
    driver = desk_browser
    browser_login(driver, "cg_staff")
    assert driver.current_url.rstrip("/").endswith("/workspace")
    assert _active_tabs(driver) == ["诉求"]
    row = driver.find_element(
        By.XPATH, f"//table[@id='inbox']//tr[td[1][normalize-space()='{desk['late']}']]"
    )
    assert row.find_element(By.CSS_SELECTOR, ".overdue-badge").text == "已超期"
    assert row.find_element(By.CSS_SELECTOR, ".case-due").text.strip() != "-"
    others = driver.find_elements(By.CSS_SELECTOR, "table#inbox .overdue-badge")
    assert len(others) == 1  # only the case whose deadline passed
    driver.save_screenshot(os.path.join(screenshot_dir, "staff-inbox.png"))

    for link, tab in (("统计", "统计"), ("答复模板", "答复模板"), ("整改", "整改")):
        mark_page(driver)
        driver.find_element(By.LINK_TEXT, link).click()
        wait_for_new_page(driver)
        assert _active_tabs(driver) == [tab]
        if tab == "统计":
            assert driver.find_elements(By.TAG_NAME, "svg"), "the dashboard draws its charts"
            assert _cut_chart_labels(driver) == []
            overdue = driver.find_element(By.ID, "overdue-list").text
            assert f"#{desk['late']} 小区门口的路灯坏了" in overdue  # named, not "#id "
            driver.save_screenshot(os.path.join(screenshot_dir, "staff-dashboard.png"))


def test_case_pages_name_untitled_cases_list_similar_ones_and_explain_disabled_actions(
    live_server, desk_browser, browser_login, desk, screenshot_dir
):
    driver = desk_browser
    browser_login(driver, "cg_staff")

    driver.get(f"{live_server}/workspace/cases/{desk['late']}")
    title = driver.find_element(By.ID, "case-title").text
    assert title.startswith(f"#{desk['late']} 小区门口的路灯坏了"), title
    assert _active_tabs(driver) == ["诉求"]
    # 退单 belongs to the department admin: shown, disabled, with the reason.
    returned = driver.find_element(By.CSS_SELECTOR, "#case-actions button[data-action='return']")
    assert returned.get_attribute("disabled") is not None
    assert "部门管理员" in returned.find_element(By.XPATH, "..").text
    signed = driver.find_element(By.CSS_SELECTOR, "#case-actions button[data-action='sign']")
    assert signed.get_attribute("disabled") is None
    driver.save_screenshot(os.path.join(screenshot_dir, "staff-case-untitled.png"))

    driver.get(f"{live_server}/workspace/cases/{desk['second']}")
    similar = driver.find_element(By.ID, "similar-cases").text
    assert f"#{desk['first']} 夜市占道经营" in similar
    assert "同组 2 条" in driver.find_element(By.ID, "duplicate-group").text
    driver.save_screenshot(os.path.join(screenshot_dir, "staff-case-similar.png"))

    driver.get(f"{live_server}/workspace/cases/{desk['alone']}")
    assert not driver.find_elements(By.ID, "similar-cases")
    assert driver.find_element(By.ID, "duplicate-group").text == "未发现相似诉求"
