"""Phone and ID numbers typed outside the main text (title, location, follow-up comment) are
masked wherever the case is shown: inbox, case page, CSV/XLSX exports (staff keep a phone's
last four digits), the tracking page and the public API (no digit of either)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from factories import case_action, case_reply, login, make_user, post_follow_up
from openpyxl import load_workbook

PHONE = "13987654321"
# An 18-character resident ID whose GB 11643 check character is X.
ID_NUMBER = "32010219850615236X"
TITLE = f"路灯不亮{PHONE}身份证{ID_NUMBER}"
LOCATION = f"幸福路东门，电话{PHONE}，证件{ID_NUMBER}"
COMMENT = f"处理得很好，我的电话{PHONE}，身份证{ID_NUMBER}"
TEXT = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。"
GOOD_REPLY = (
    "您好！经调查核实，小区门口路灯线路老化。我局已安排维修人员更换线路和灯具，"
    "目前路灯已恢复照明，问题已解决。如有疑问请拨打联系电话0731-12345678。感谢您的监督！"
)
# What staff may see of the phone number, and pieces nobody may see.
STAFF_PHONE = "*******4321"
NEVER_FOR_STAFF = (PHONE, "139****", ID_NUMBER, "320102", "1985", "236X")
NEVER_FOR_PUBLIC = (*NEVER_FOR_STAFF, "4321")


@pytest.fixture
def followed_up(seeded):
    """A case with the numbers in title and location, replied and followed up with a comment."""
    make_user(seeded, "department_staff", "cgzf", "cg_staff")
    resident = seeded.test_client()
    created = resident.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "department": "cgzf",
            "title": TITLE,
            "location": LOCATION,
            "text": TEXT,
        },
    )
    assert created.status_code == 201, created.get_json()
    code = created.get_json()["tracking_code"]
    staff = login(seeded, "cg_staff")
    inbox = staff.get("/workspace/").get_data(as_text=True)
    case_id = int(re.search(r"/workspace/cases/(\d+)", inbox).group(1))
    assert case_action(staff, case_id, "sign").status_code == 303
    replied = case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    assert replied.status_code == 303
    answered = post_follow_up(
        resident, code, contacted="yes", resolved="yes", satisfaction="satisfied", comment=COMMENT
    )
    assert answered.status_code == 303
    return {"app": seeded, "code": code, "case_id": case_id, "staff": staff}


def _assert_staff_masked(text: str) -> None:
    for secret in NEVER_FOR_STAFF:
        assert secret not in text, secret


def _assert_public_masked(text: str) -> None:
    for secret in NEVER_FOR_PUBLIC:
        assert secret not in text, secret


def test_the_inbox_masks_numbers_in_the_title(followed_up):
    page = followed_up["staff"].get("/workspace/").get_data(as_text=True)
    assert f"路灯不亮{STAFF_PHONE}身份证{'*' * 18}" in page
    _assert_staff_masked(page)


def test_the_case_page_masks_title_location_and_the_follow_up_comment(followed_up):
    page = followed_up["staff"].get(f"/workspace/cases/{followed_up['case_id']}")
    html = page.get_data(as_text=True)
    assert f"路灯不亮{STAFF_PHONE}" in html  # title
    assert f"幸福路东门，电话{STAFF_PHONE}" in html  # location
    assert f"我的电话{STAFF_PHONE}，身份证{'*' * 18}" in html  # comment, on the timeline
    _assert_staff_masked(html)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_mask_numbers_in_the_title(followed_up, fmt):
    body = followed_up["staff"].get(f"/workspace/export.{fmt}").data
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for c in row]
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"路灯不亮{STAFF_PHONE}身份证{'*' * 18}" in cells
    _assert_staff_masked("\n".join(cells))


def test_the_api_shows_the_comment_without_a_digit_of_either_number(followed_up):
    response = followed_up["app"].test_client().get(f"/api/v1/feedback/{followed_up['code']}")
    assert response.status_code == 200
    notes = [event["note"] for event in response.get_json()["events"]]
    assert any(f"我的电话{'*' * 11}，身份证{'*' * 18}" in note for note in notes), notes
    _assert_public_masked(response.get_data(as_text=True))


def test_the_tracking_page_shows_the_comment_without_a_digit_of_either_number(followed_up):
    """The resident's own title, text and location are shown as typed (issue 17: the tracking
    page shows what the resident wrote); everything else on it, the follow-up comment in the
    timeline included, keeps no digit of a phone or ID number."""
    page = followed_up["app"].test_client().get(f"/track/{followed_up['code']}")
    html = page.get_data(as_text=True)
    assert f"我的电话{'*' * 11}，身份证{'*' * 18}" in html
    own = re.search(r'<details[^>]*id="my-submission".*?</details>', html, re.S)
    assert own is not None
    _assert_public_masked(html.replace(own.group(), ""))
