"""The office's routing cards (suggestion preselected, top three, who returned a case and why)
and its one list of everything waiting, with counts in the navigation."""

from __future__ import annotations

import re

import pytest
from factories import csrf_token, login, make_user
from support import file_submission

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, RatingReview, Submission, utcnow
from citizenvoice.services.workflow import perform


@pytest.fixture
def office(seeded, auth):
    for username, role, department in [
        ("office1", "office", None),
        ("zj1", "department_staff", "zjj"),
    ]:
        make_user(seeded, role, department, username)
    return auth.login("office1")


def _analysis(app, case_id: int, top3: list[list[object]]) -> None:
    with app.app_context():
        db.session.add(
            Analysis(
                submission_id=case_id,
                model_version="test",
                category=str(top3[0][0]),
                category_confidence=float(top3[0][1]),
                category_top3=top3,
                category_uncertain=True,
                redacted_text="",
            )
        )
        db.session.get(Submission, case_id).routing = "office"
        db.session.commit()


def _returned_by_zjj(app, reason: str) -> int:
    case_id = file_submission(app, "小区门口的垃圾桶满了没人清理，气味很大。", department="zjj")
    _analysis(app, case_id, [["城乡建设", 0.52], ["环境保护", 0.31], ["交通运输", 0.05]])
    with app.app_context():
        case = db.session.get(Submission, case_id)
        perform(
            case, Action.RETURN, Actor.staff(Role.DEPARTMENT_ADMIN, "zjj", "zj_admin"), note=reason
        )
        db.session.commit()
    return case_id


def _card(page: str, case_id: int) -> str:
    start = page.index(f'id="case-{case_id}"')
    return page[start : page.find('class="card mb-2 routing-case"', start + 1) % (len(page) + 1)]


def test_a_card_preselects_the_suggestion_and_shows_the_top_three(seeded, office):
    case_id = file_submission(seeded, "楼道里的灯坏了很久，晚上很黑，希望有人来修。")
    _analysis(seeded, case_id, [["城乡建设", 0.41], ["环境保护", 0.33], ["交通运输", 0.12]])
    bare = file_submission(seeded, "不知道该找哪个部门。")
    with seeded.app_context():
        db.session.get(Submission, bare).routing = "office"
        db.session.commit()
    page = office.get("/office/routing").get_data(as_text=True)
    card = _card(page, case_id)
    assert re.findall(r'class="badge[^"]*suggestion">([^<]+)<', card) == [
        "城乡建设 41% → 市住房和城乡建设局",
        "环境保护 33% → 市城市管理综合执法局",
        "交通运输 12% → 市交通运输局",
    ]
    assert re.search(r'<option value="zjj" selected>', card)
    bare_card = _card(page, bare)
    assert re.search(r'<option value="" selected>请选择部门', bare_card)
    assert " selected>" not in bare_card.replace('<option value="" selected>', "")


def test_submitting_without_a_department_says_so(seeded, office):
    case_id = file_submission(seeded, "不知道该找哪个部门。")
    with seeded.app_context():
        db.session.get(Submission, case_id).routing = "office"
        db.session.commit()
    page = office.get("/office/routing").get_data(as_text=True)
    response = office.post(
        f"/office/routing/{case_id}",
        data={"csrf_token": csrf_token(page), "department": ""},
        follow_redirects=True,
    )
    assert "请选择部门" in response.get_data(as_text=True)


def test_a_returned_card_says_who_returned_it_and_why(seeded, office):
    case_id = _returned_by_zjj(seeded, "不属于本部门职责，应由城管处理")
    card = _card(office.get("/office/routing").get_data(as_text=True), case_id)
    assert "已退单" in card and "市住房和城乡建设局" in card and "zj_admin" in card
    assert re.search(r'class="return-reason">不属于本部门职责，应由城管处理<', card)
    # Not back to the department that returned it: the next suggestion is preselected.
    assert re.search(r'<option value="cgzf" selected>', card)
    assert not re.search(r'<option value="zjj" selected>', card)


def test_the_office_inbox_lists_everything_waiting_with_counts_in_the_nav(seeded, office):
    returned = _returned_by_zjj(seeded, "非本部门职责")
    extension = file_submission(seeded, "道路破损严重，需要修补。", department="jtys")
    redo = file_submission(seeded, "噪音问题一直没有解决。", department="cgzf")
    held = file_submission(seeded, "办事很快，满意。", department="zwfw")
    with seeded.app_context():
        db.session.get(Submission, extension).pending = {
            "kind": "extension",
            "requested_at": utcnow().isoformat(),
            "reason": "需协调施工单位",
            "department": None,
        }
        redo_case = db.session.get(Submission, redo)
        redo_case.status, redo_case.redo_requested = "followed_up", True
        db.session.add(RatingReview(submission_id=held, status="held", flags=["burst"]))
        db.session.commit()
    page = office.get("/office/inbox").get_data(as_text=True)
    counts = {
        name: int(re.search(rf'id="count-{name}">(\d+)<', page).group(1))
        for name in ("requests", "redo", "returned", "held")
    }
    assert counts == {"requests": 1, "redo": 1, "returned": 1, "held": 1}
    assert f"#{extension}" in page and "需协调施工单位" in page and "延期申请" in page
    assert f"#{redo}" in page and f"#{returned}" in page and "非本部门职责" in page
    assert re.search(r'id="nav-office-count">4<', page)
    # Every staff page of an office user carries the count; the old URLs still work.
    queue = office.get("/office/queue")
    assert queue.status_code == 200
    assert re.search(r'id="nav-office-count">4<', queue.get_data(as_text=True))


def test_the_office_inbox_is_for_the_office_only(seeded, office):
    staff = login(seeded, "zj1")
    assert staff.get("/office/inbox").status_code == 403
    assert "nav-office-inbox" not in staff.get("/staff").get_data(as_text=True)
    empty = office.get("/office/inbox").get_data(as_text=True)
    assert re.search(r'id="inbox-total">0<', empty)
    assert "nav-office-count" not in empty
