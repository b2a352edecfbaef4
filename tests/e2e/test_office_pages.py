"""The performance office at a desktop width: its to-do list with counts in the navigation,
routing cards, the publish confirmation, the results page, and the account pages."""

from __future__ import annotations

import os

import pytest
from e2e.browser import mark_page, wait_for_new_page
from factories import PASSWORD, make_user
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from support import file_submission

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Department, FollowUp, Submission, utcnow
from citizenvoice.services.appraisal import (
    PRESETS,
    compute,
    ensure_periods,
    settings_json,
    update_settings,
)
from citizenvoice.services.workflow import perform

pytestmark = pytest.mark.e2e

FOOTER = "您的意见将用于政府绩效评估中的群众评价"


def _office_world(app) -> dict[str, object]:
    """An office user, a case to route, a returned case, a 延期 request, a computed month."""
    for username, role in (("office1", "office"), ("root1", "system_admin")):
        make_user(app, role, username=username)
    to_route = file_submission(app, "楼道里的灯坏了很久，晚上很黑，希望有人来修。")
    returned = file_submission(app, "小区门口的垃圾桶满了没人清理。", department="zjj")
    extension = file_submission(app, "道路破损严重，需要修补。", department="jtys")
    with app.app_context():
        for case_id, top3 in (
            (to_route, [["城乡建设", 0.41], ["环境保护", 0.33], ["交通运输", 0.12]]),
            (returned, [["城乡建设", 0.52], ["环境保护", 0.31], ["交通运输", 0.05]]),
        ):
            db.session.add(
                Analysis(
                    submission_id=case_id,
                    model_version="test",
                    category=str(top3[0][0]),
                    category_confidence=float(top3[0][1]),
                    category_top3=top3,
                    category_uncertain=True,
                    redacted_text=db.session.get(Submission, case_id).text,
                )
            )
            db.session.get(Submission, case_id).routing = "office"
        perform(
            db.session.get(Submission, returned),
            Action.RETURN,
            Actor.staff(Role.DEPARTMENT_ADMIN, "zjj", "zj_admin"),
            note="不属于本部门职责，应由城管处理",
        )
        db.session.get(Submission, extension).pending = {
            "kind": "extension",
            "requested_at": utcnow().isoformat(),
            "reason": "需协调施工单位",
            "department": None,
        }
        period = next(p for p in ensure_periods() if p.kind == "month")
        update_settings(period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "t")
        db.session.commit()
        code = period.code
    ids = [file_submission(app, f"第{i}件：公交站台破损。", department="jtys") for i in range(35)]
    with app.app_context():
        jtys = db.session.scalar(select(Department.id).where(Department.code == "jtys"))
        for i, case_id in enumerate(ids):
            unhappy = i % 7 == 3
            db.session.add(
                FollowUp(
                    submission_id=case_id,
                    department_id=jtys,
                    contacted=True,
                    resolved=not unhappy,
                    satisfaction="dissatisfied" if unhappy else "satisfied",
                )
            )
        db.session.commit()
        from citizenvoice.services.appraisal import period_by_code

        compute(period_by_code(code), "t")
        db.session.commit()
    return {"to_route": to_route, "returned": returned, "period": code}


def _shot(driver, directory: str, name: str) -> None:
    driver.save_screenshot(os.path.join(directory, f"office-{name}.png"))


def test_office_work_routing_and_publishing_at_desktop_width(
    live_server, desktop_browser, browser_login, seeded, screenshot_dir
):
    world = _office_world(seeded)
    driver, wait = desktop_browser, WebDriverWait(desktop_browser, 15)
    browser_login(driver, "office1")

    # One list of what waits, with the count on the navigation of every office page.
    driver.get(live_server + "/office/inbox")
    assert driver.find_element(By.ID, "nav-office-count").text == "3"  # 延期, 退单, to route
    assert driver.find_element(By.ID, "count-requests").text == "1"
    assert "需协调施工单位" in driver.find_element(By.ID, "requests").text
    assert "不属于本部门职责" in driver.find_element(By.ID, "returned").text
    assert FOOTER not in driver.page_source
    _shot(driver, screenshot_dir, "inbox")

    # Routing cards: the suggestion is preselected, the top three are shown with confidence.
    driver.get(live_server + "/office/routing")
    card = driver.find_element(By.ID, f"case-{world['to_route']}")
    badges = [b.text for b in card.find_elements(By.CSS_SELECTOR, ".suggestion")]
    assert badges[0] == "城乡建设 41% → 市住房和城乡建设局" and len(badges) == 3
    chosen = Select(card.find_element(By.NAME, "department")).first_selected_option
    assert chosen.get_attribute("value") == "zjj"
    back = driver.find_element(By.ID, f"case-{world['returned']}")
    assert "zj_admin" in back.find_element(By.CSS_SELECTOR, ".returned-info").text
    assert (
        back.find_element(By.CSS_SELECTOR, ".return-reason").text
        == "不属于本部门职责，应由城管处理"
    )
    chosen = Select(back.find_element(By.NAME, "department")).first_selected_option
    assert chosen.get_attribute("value") == "cgzf"  # not back to the department that returned it
    _shot(driver, screenshot_dir, "routing")

    # The results page: no empty-chart note above a full table, weights in percent.
    driver.get(f"{live_server}/office/periods/{world['period']}")
    assert "暂无数据" not in driver.find_element(By.TAG_NAME, "main").text
    weights = driver.find_element(By.ID, "indicator-weights").text
    assert "10%" in weights and "50%" in weights and "40%" in weights
    assert "最弱的指标" in driver.find_element(By.ID, "weakest").text
    _shot(driver, screenshot_dir, "results")

    # Publishing: a confirm step with the counts; an open period only with a reason.
    driver.find_element(By.ID, "publish").click()
    wait.until(ec.presence_of_element_located((By.ID, "publish-summary")))
    assert driver.find_element(By.ID, "count-ranked").text == "1"
    assert int(driver.find_element(By.ID, "count-insufficient").text) >= 1
    assert driver.find_element(By.ID, "not-ended").is_displayed()
    _shot(driver, screenshot_dir, "publish-confirm")
    driver.find_element(By.ID, "force").click()
    driver.find_element(By.ID, "confirm-publish").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".alert-danger")))
    assert "须填写原因" in driver.find_element(By.CSS_SELECTOR, ".alert-danger").text
    driver.find_element(By.ID, "publish").click()
    wait.until(ec.presence_of_element_located((By.ID, "reason")))
    driver.find_element(By.ID, "force").click()
    driver.find_element(By.ID, "reason").send_keys("市里要求月底前公布")
    driver.find_element(By.ID, "confirm-publish").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "period-status"), "已发布"))

    # Routing a case (after publishing: a new case for a department changes the period's raw
    # rows, and publishing refuses a result that no longer recomputes).
    driver.get(live_server + "/office/routing")
    card = driver.find_element(By.ID, f"case-{world['to_route']}")
    _submit_and_wait(driver, wait, card.find_element(By.TAG_NAME, "button"))
    assert driver.find_element(By.ID, "nav-office-count").text == "2"


def _submit_and_wait(driver, wait, button) -> None:
    """Click a submit button and wait for the next page's success message.

    The old page may show a success message too (the previous action's): wait until it is
    gone before looking for the new one.
    """
    mark_page(driver)
    button.click()
    wait_for_new_page(driver)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))


def test_password_change_and_account_management_at_desktop_width(
    live_server, desktop_browser, browser_login, seeded, screenshot_dir
):
    make_user(seeded, "system_admin", username="root1")
    driver, wait = desktop_browser, WebDriverWait(desktop_browser, 15)
    browser_login(driver, "root1")

    driver.find_element(By.ID, "nav-users").click()
    wait.until(ec.presence_of_element_located((By.ID, "create-user")))
    driver.find_element(By.ID, "new-username").send_keys("cg1")
    driver.find_element(By.ID, "new-password").send_keys(PASSWORD)
    Select(driver.find_element(By.ID, "new-role")).select_by_value("department_staff")
    Select(driver.find_element(By.ID, "new-department")).select_by_value("cgzf")
    _submit_and_wait(driver, wait, driver.find_element(By.ID, "create-user-button"))
    row = driver.find_element(By.CSS_SELECTOR, "tr[data-username='cg1']")
    assert "市城市管理综合执法局" in row.text and FOOTER not in driver.page_source
    _shot(driver, screenshot_dir, "users")
    Select(row.find_element(By.NAME, "active")).select_by_value("0")
    _submit_and_wait(driver, wait, row.find_element(By.TAG_NAME, "button"))
    row = driver.find_element(By.CSS_SELECTOR, "tr[data-username='cg1']")
    assert "已停用" in row.text

    driver.find_element(By.ID, "nav-password").click()
    wait.until(ec.presence_of_element_located((By.ID, "password-form")))
    driver.find_element(By.ID, "current").send_keys(PASSWORD)
    driver.find_element(By.ID, "new").send_keys("lantern-river-cobalt-9")
    driver.find_element(By.ID, "repeated").send_keys("lantern-river-cobalt-9")
    _shot(driver, screenshot_dir, "password")
    _submit_and_wait(driver, wait, driver.find_element(By.ID, "password-submit"))
    assert "密码已修改" in driver.find_element(By.CSS_SELECTOR, ".alert-success").text
