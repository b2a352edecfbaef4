"""What confused residents (issue 17), checked in headless Chromium at 375 px.

The department picker, anonymous submissions, readable tracking codes with 我的诉求, the
tracking page, limits that lose no text, labelled ratings and text without letters.
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import pytest
from e2e.browser import fits_phone, mark_page, tap, wait_for_new_page
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from citizenvoice.domain.feedback import NO_LETTERS_MESSAGE, RATING_DEPARTMENT_MESSAGE
from citizenvoice.domain.progress import REDO_EXPLANATION
from citizenvoice.domain.tracking import TRACKING_CODE_PATTERN
from citizenvoice.domain.workflow import Action, Actor, ActorRole
from citizenvoice.extensions import db
from citizenvoice.models import Submission
from citizenvoice.services.workflow import perform

pytestmark = pytest.mark.e2e

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"


def _shot(driver, directory: str, name: str) -> None:
    fits_phone(driver)
    driver.save_screenshot(os.path.join(directory, name))


def _department(driver) -> str:
    return Select(driver.find_element(By.ID, "department")).first_selected_option.get_attribute(
        "value"
    )


def _matches(driver) -> list[str]:
    return [
        b.text.split("（")[0]
        for b in driver.find_elements(By.CSS_SELECTOR, "#department-matches .department-match")
    ]


def _paste(driver, element_id: str, text: str) -> None:
    """Put text in a field as a paste does (send_keys cannot type emoji or 30,000 characters)."""
    driver.execute_script(
        "var f = document.getElementById(arguments[0]); f.value = arguments[1];"
        "f.dispatchEvent(new Event('input', {bubbles: true}));",
        element_id,
        text,
    )


def _submit(driver) -> None:
    tap(driver, driver.find_element(By.ID, "submit-button"))


def _stored(app, code: str) -> Submission:
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert row is not None
        db.session.expunge(row)
        return row


# ------------------------------------------------------------------ department picker


@pytest.mark.parametrize(
    ("query", "expected", "not_expected"),
    [
        ("城管", "市城市管理综合执法局", "市住房和城乡建设局"),
        ("垃圾", "市城市管理综合执法局", None),
    ],
)
def test_the_department_picker_lists_matches_and_never_chooses_for_the_resident(
    live_server, phone_browser, screenshot_dir, query, expected, not_expected
):
    driver = phone_browser
    driver.get(live_server + "/submit/complaint")
    search = driver.find_element(By.ID, "department-search")
    for letter in query:  # letter by letter, as a phone keyboard sends it
        search.send_keys(letter)
        assert _department(driver) == "", f"picked a department after typing {letter!r}"
    found = _matches(driver)
    assert expected in found
    if not_expected:
        assert not_expected not in found
    status = driver.find_element(By.ID, "department-search-status").text
    assert "不确定也没关系" in status
    _shot(driver, screenshot_dir, f"picker-{query}.png")

    button = next(
        b
        for b in driver.find_elements(By.CSS_SELECTOR, ".department-match")
        if b.text.startswith(expected)
    )
    tap(driver, button)
    assert _department(driver) == "cgzf"
    assert (
        "已选择：市城市管理综合执法局"
        in driver.find_element(By.ID, "department-search-status").text
    )


def test_a_short_name_finds_its_department(live_server, phone_browser):
    driver = phone_browser
    driver.get(live_server + "/submit/complaint")
    driver.find_element(By.ID, "department-search").send_keys("住建")
    assert _matches(driver) == ["市住房和城乡建设局"]
    assert _department(driver) == ""


# ------------------------------------------------------------------ anonymous


def test_anonymous_switches_the_phone_off_and_nothing_of_it_is_stored(
    live_server, phone_browser, seeded, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/submit/complaint")
    driver.find_element(By.ID, "text").send_keys(COMPLAINT)
    phone = driver.find_element(By.ID, "contact_phone")
    phone.send_keys("13812345678")
    tap(driver, driver.find_element(By.ID, "anonymous"))
    # The form says so before submitting: the phone field is off and the note explains why.
    assert not phone.is_enabled() and not phone.is_displayed()
    assert "手机号和电子邮箱不会被保存" in driver.find_element(By.ID, "anonymous-note").text
    assert not driver.find_element(By.ID, "contact_email").is_enabled()
    _shot(driver, screenshot_dir, "anonymous.png")
    _submit(driver)
    code = wait.until(ec.presence_of_element_located((By.ID, "tracking-code"))).text
    stored = _stored(seeded, code)
    assert stored.anonymous is True
    assert stored.contact_phone_encrypted is None
    assert stored.contact_phone_hmac is None
    assert stored.contact_phone_masked is None


# ------------------------------------------------------------------ tracking codes


def test_the_code_is_readable_copyable_kept_on_the_device_and_forgiving_to_type(
    live_server, phone_browser, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/submit/suggestion")
    driver.find_element(By.ID, "text").send_keys(COMPLAINT)
    _submit(driver)
    code = wait.until(ec.presence_of_element_located((By.ID, "tracking-code"))).text
    assert TRACKING_CODE_PATTERN.fullmatch(code)  # K7Q2-9XMD-...: six groups of four
    assert "请务必保存" in driver.find_element(By.ID, "keep-code").text
    copy = driver.find_element(By.ID, "copy-code")
    assert copy.is_displayed()
    tap(driver, copy)
    wait.until(lambda d: d.find_element(By.ID, "copy-status").text != "")
    assert driver.find_element(By.ID, "copy-status").text in {
        "已复制查询码",
        "查询码已选中，请长按选择“复制”",
    }
    _shot(driver, screenshot_dir, "submitted-code.png")

    # 我的诉求: the code is kept in this browser only, and the home page lists it.
    kept = driver.execute_script("return window.localStorage.getItem('cv-my-cases')")
    assert code in kept
    driver.get(live_server + "/")
    mine = wait.until(ec.visibility_of_element_located((By.ID, "my-cases")))
    links = mine.find_elements(By.CSS_SELECTOR, "a.my-case")
    assert [link.text.endswith(code) for link in links] == [True]
    _shot(driver, screenshot_dir, "my-cases.png")
    tap(driver, links[0])
    wait.until(ec.presence_of_element_located((By.ID, "case-status")))
    assert driver.find_element(By.ID, "case-code").text == code

    # Typed in lower case, without dashes and with spaces, it still finds the case.
    for typed in (code.lower(), code.replace("-", ""), code.replace("-", " ").lower()):
        driver.get(live_server + "/track")
        box = driver.find_element(By.ID, "code")
        box.send_keys(typed)
        tap(driver, driver.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait.until(ec.presence_of_element_located((By.ID, "case-status")))
        assert driver.current_url.endswith(f"/track/{code}")

    driver.get(live_server + "/track?code=ABCD-EFGH")
    assert "未找到该查询码" in driver.find_element(By.CSS_SELECTOR, ".invalid-feedback").text


# ------------------------------------------------------------------ tracking page


def test_the_tracking_page_shows_the_residents_text_the_extended_deadline_and_next_steps(
    live_server, phone_browser, seeded, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/submit/complaint")
    Select(driver.find_element(By.ID, "department")).select_by_value("cgzf")
    driver.find_element(By.ID, "title").send_keys("夜市占道经营")
    typed = "人民路夜市占道经营，联系人张先生 13812345678。\n油烟很大。"
    driver.find_element(By.ID, "text").send_keys(typed)
    driver.find_element(By.ID, "location").send_keys("A1区人民路")
    _submit(driver)
    code = wait.until(ec.presence_of_element_located((By.ID, "tracking-code"))).text

    staff = Actor(ActorRole.DEPARTMENT_STAFF, "cgzf", "张三")
    admin = Actor(ActorRole.DEPARTMENT_ADMIN, "cgzf", "李四")
    office = Actor(ActorRole.OFFICE, name="王五")
    with seeded.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        perform(case, Action.SIGN, staff)
        first_due = case.reply_due_at
        perform(case, Action.REQUEST_EXTENSION, admin, note="需要协调多个部门")
        db.session.commit()
    driver.get(live_server + f"/track/{code}")
    assert "等待市绩效办审批" in driver.find_element(By.ID, "next-step").text
    with seeded.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        perform(case, Action.APPROVE_EXTENSION, office)
        extended_due = case.reply_due_at
        db.session.commit()
    assert extended_due > first_due

    driver.get(live_server + f"/track/{code}")
    # The resident's own words, as typed: nothing masked that they wrote themselves.
    assert driver.find_element(By.ID, "my-text").text == typed
    assert driver.find_element(By.ID, "my-title").text == "夜市占道经营"
    assert "A1区人民路" in driver.find_element(By.ID, "my-location").text
    deadline = driver.find_element(By.ID, "case-deadline").text
    local_due = extended_due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert local_due in deadline
    assert "已批准延期" in deadline
    assert "市城市管理综合执法局正在办理" in driver.find_element(By.ID, "next-step").text
    _shot(driver, screenshot_dir, "track-extended.png")

    # Reply, then the follow-up form says what 申请重办 leads to before the resident asks.
    with seeded.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        perform(case, Action.REPLY, staff, reply_body="已责令摊贩退回店内经营，并加强夜间巡查。")
        db.session.commit()
    driver.get(live_server + f"/track/{code}")
    assert driver.find_element(By.ID, "redo-explanation").text == REDO_EXPLANATION
    for answer in ("contacted-1", "resolved-1", "satisfaction-2"):  # 否, 否, 不满意
        tap(driver, driver.find_element(By.CSS_SELECTOR, f"label[for='{answer}']"))
    rating_labels = [
        e.text for e in driver.find_elements(By.CSS_SELECTOR, "#follow-up label[for^='rating-']")
    ]
    assert rating_labels == ["5 非常满意", "4 满意", "3 一般", "2 不满意", "1 非常不满意"]
    tap(driver, driver.find_element(By.ID, "wants_redo"))
    _shot(driver, screenshot_dir, "follow-up-redo.png")
    mark_page(driver)
    tap(driver, driver.find_element(By.ID, "submit-follow-up"))
    wait_for_new_page(driver)
    step = wait.until(ec.presence_of_element_located((By.ID, "next-step"))).text
    assert "市绩效办" in step and "您已申请重办" in step and "重新办理" in step
    _shot(driver, screenshot_dir, "track-redo-requested.png")


# ------------------------------------------------------------------ limits


def test_the_counter_warns_and_no_text_is_lost_over_the_limit(
    live_server, phone_browser, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/submit/complaint")
    text = driver.find_element(By.ID, "text")
    assert text.get_attribute("maxlength") is None  # a maxlength silently cuts pasted text
    counter = driver.find_element(By.ID, "text-counter")
    assert counter.get_attribute("aria-live") == "polite"
    text.send_keys("路灯坏了")
    assert counter.text == "已输入 4 / 2000 字"

    long_text = "路灯坏了一个多月没人修。" * 175  # 2,100 characters
    _paste(driver, "text", long_text)
    assert "已超出 100 字" in counter.text
    assert len(text.get_attribute("value")) == 2100
    _shot(driver, screenshot_dir, "counter-over.png")
    _submit(driver)
    error = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".invalid-feedback")))
    assert "内容太长" in error.text
    assert driver.find_element(By.ID, "text").get_attribute("value") == long_text

    # Far over the body limit the server answers 413 without reading the form; the page comes
    # back with the text the browser kept.
    huge = "夜市噪音扰民，" * 5000  # 35,000 characters, over 64 KiB of form data
    driver.get(live_server + "/submit/complaint")
    driver.find_element(By.ID, "title").send_keys("夜市噪音")
    _paste(driver, "text", huge)
    _submit(driver)
    notice = wait.until(ec.presence_of_element_located((By.ID, "form-notice")))
    assert "提交的内容过大" in notice.text
    assert driver.find_element(By.ID, "text").get_attribute("value") == huge
    assert driver.find_element(By.ID, "title").get_attribute("value") == "夜市噪音"
    _shot(driver, screenshot_dir, "too-large.png")


# ------------------------------------------------------------------ ratings


def test_ratings_show_what_each_score_means_and_must_name_a_department(
    live_server, phone_browser, screenshot_dir
):
    driver = phone_browser
    wait = WebDriverWait(driver, 15)
    driver.get(live_server + "/submit/rating")
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "label[for^='rating-']")[:5]]
    assert labels == ["5 非常满意", "4 满意", "3 一般", "2 不满意", "1 非常不满意"]
    assert Select(driver.find_element(By.ID, "department")).options[0].text == "请选择被评价的部门"
    tap(driver, driver.find_element(By.CSS_SELECTOR, "label[for='rating-0']"))
    driver.find_element(By.ID, "text").send_keys("窗口工作人员态度很好，半天就办好了。")
    _shot(driver, screenshot_dir, "rating-form.png")
    _submit(driver)
    errors = wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, ".invalid-feedback")))
    assert [e.text for e in errors] == [RATING_DEPARTMENT_MESSAGE]
    Select(driver.find_element(By.ID, "department")).select_by_value("zwfw")
    _submit(driver)
    wait.until(ec.presence_of_element_located((By.ID, "tracking-code")))


# ------------------------------------------------------------------ text without letters


@pytest.mark.parametrize(
    "text", ["😡😡😡😡😡😡", "？？？！！！。。。"], ids=["emoji", "punctuation"]
)
def test_text_without_letters_is_refused_with_a_clear_message(live_server, phone_browser, text):
    driver = phone_browser
    driver.get(live_server + "/submit/complaint")
    _paste(driver, "text", text)
    _submit(driver)
    error = WebDriverWait(driver, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".invalid-feedback"))
    )
    assert error.text == NO_LETTERS_MESSAGE
    assert driver.find_element(By.ID, "text").get_attribute("value") == text
