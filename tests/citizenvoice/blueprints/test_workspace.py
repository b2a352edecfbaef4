"""The departments' workspace: isolation matrix, inbox filters and Chinese search, case page,
phone reveal with audit, category corrections, masked and neutralised exports."""

from __future__ import annotations

import csv
import io

import pytest
from factories import csrf_token, login, make_user
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.jobs import clean_search_index_job
from citizenvoice.models import AuditEntry, CategoryCorrection, Submission
from citizenvoice.services.analysis import analyse_submission

NOISE = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"
WAGES = "公司拖欠二十多名农民工三个月工资，多次讨要无果，请人社部门帮助我们讨回工资。"
FORMULA = '=HYPERLINK("http://evil.example","点我") 小区门口的路灯坏了一个多月'


@pytest.fixture
def world(seeded, analyzer):
    """Two departments with one case each (one with a phone), and users of every role."""
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("cg_admin", "department_admin", "cgzf"),
        ("rs_staff", "department_staff", "rsj"),
        ("office1", "office", None),
    ]:
        make_user(seeded, role, department, username)
    with seeded.app_context():
        db.session.execute(Submission.__table__.delete())  # only the cases of this test
        db.session.commit()
    noise = file_submission(seeded, NOISE, department="cgzf", title="夜市噪音扰民")
    formula = file_submission(seeded, FORMULA, department="cgzf", title="-1+1")
    wages = file_submission(seeded, WAGES, department="rsj", title="拖欠工资")
    with seeded.app_context():
        pii = seeded.extensions["citizenvoice.pii"]
        case = db.session.get(Submission, noise)
        case.contact_phone_encrypted = pii.encrypt("13812345678")
        case.contact_phone_masked = "138****5678"
        for case_id in (noise, formula, wages):
            analyse_submission(case_id, analyzer)
        db.session.commit()
    return {"app": seeded, "noise": noise, "formula": formula, "wages": wages}


CASE_ROUTES = [
    ("get", "/workspace/cases/{id}"),
    ("post", "/workspace/cases/{id}/reveal-phone"),
    ("post", "/workspace/cases/{id}/category"),
]


@pytest.mark.parametrize(("method", "route"), CASE_ROUTES)
@pytest.mark.parametrize(
    ("username", "expected"),
    [("cg_staff", "own"), ("cg_admin", "own"), ("rs_staff", 404), ("office1", "own"), (None, 302)],
)
def test_isolation_matrix_over_case_routes(world, method, route, username, expected):
    app = world["app"]
    client = login(app, username) if username else app.test_client()
    path = route.format(id=world["noise"])
    if method == "get":
        response = client.get(path)
    else:
        html = client.get("/workspace/").get_data(as_text=True) if username else ""
        token = csrf_token(html) if username and "csrf_token" in html else "x"
        response = client.post(path, data={"csrf_token": token, "category": "环境保护"})
    if username is None and method == "post":
        expected = 400  # no session, so no valid CSRF token: refused before anything else
    if expected == "own":
        assert response.status_code in (200, 303)
    else:
        assert response.status_code == expected
    if expected == 404:
        with app.app_context():
            denied = db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "access_denied")
            )
        assert denied >= 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_and_search_never_show_another_departments_cases(world, fmt):
    client = login(world["app"], "rs_staff")
    body = client.get(f"/workspace/export.{fmt}").data
    text = body.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(body)
    assert "拖欠" in text
    assert "夜市" not in text
    assert "夜市噪音扰民" not in client.get("/workspace/?q=夜市 噪音").get_data(as_text=True)
    assert "共 0 条" in client.get("/workspace/?q=夜市").get_data(as_text=True)


def _xlsx_text(body: bytes) -> str:
    sheet = load_workbook(io.BytesIO(body)).active
    return "\n".join(
        str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None
    )


def test_inbox_search_understands_chinese_words_and_filters(world):
    client = login(world["app"], "office1")
    found = client.get("/workspace/?q=夜市噪音").get_data(as_text=True)
    assert "夜市噪音扰民" in found and "拖欠工资" not in found
    by_category = client.get("/workspace/?category=劳动和社会保障").get_data(as_text=True)
    assert "拖欠工资" in by_category and "夜市噪音扰民" not in by_category
    by_kind = client.get("/workspace/?kind=suggestion").get_data(as_text=True)
    assert "共 0 条" in by_kind


def test_inbox_search_matches_whole_tokens_whatever_their_case(world, analyzer):
    app = world["app"]
    case_id = file_submission(
        app, "图书馆的WiFi信号很差，自习室里根本连不上网，希望尽快更换路由器。", department="cgzf"
    )
    with app.app_context():
        analyse_submission(case_id, analyzer)
        db.session.commit()
    client = login(app, "office1")
    for query in ("WiFi", "wifi", "WIFI 信号"):
        assert "WiFi信号很差" in client.get(f"/workspace/?q={query}").get_data(as_text=True)
    # A quote in a query is a lexeme character, never tsquery syntax.
    assert "共 0 条" in client.get("/workspace/?q=WiFi'|'x").get_data(as_text=True)


def test_search_finds_new_analyses_before_and_after_the_index_merge(world, analyzer):
    app = world["app"]
    with app.app_context():
        options = db.session.scalar(
            text("SELECT reloptions FROM pg_class WHERE relname = 'ix_analysis_search_vector'")
        )
        assert options == ["gin_pending_list_limit=16384"]  # migration 0011
        case_id = file_submission(
            app, "河滨公园的健身器材锈蚀断裂，老人锻炼时差点受伤，请尽快维修。", department="cgzf"
        )
        analyse_submission(case_id, analyzer)
        db.session.commit()
    client = login(app, "office1")
    # Not merged yet: the new analysis is in the index's pending list, and search finds it.
    assert "健身器材锈蚀" in client.get("/workspace/?q=健身器材").get_data(as_text=True)
    with app.app_context():
        merged = clean_search_index_job()
        assert merged["pages"] >= 1
        assert clean_search_index_job() == {"pages": 0}  # nothing left to merge
    assert "健身器材锈蚀" in client.get("/workspace/?q=健身器材").get_data(as_text=True)
    assert "共 0 条" in client.get("/workspace/?q=健身器材 夜市").get_data(as_text=True)


def test_case_page_masks_the_phone_and_reveal_is_permitted_and_audited(world):
    staff = login(world["app"], "cg_staff")
    page = staff.get(f"/workspace/cases/{world['noise']}").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert 'id="reveal-phone"' not in page
    refused = staff.post(
        f"/workspace/cases/{world['noise']}/reveal-phone", data={"csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 303
    admin = login(world["app"], "cg_admin")
    page = admin.get(f"/workspace/cases/{world['noise']}").get_data(as_text=True)
    revealed = admin.post(
        f"/workspace/cases/{world['noise']}/reveal-phone", data={"csrf_token": csrf_token(page)}
    )
    assert revealed.status_code == 200
    assert "13812345678" in revealed.get_data(as_text=True)
    assert revealed.headers["Cache-Control"] == "no-store"
    with world["app"].app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reveal_phone"))
        assert entry.actor == "cg_admin" and entry.subject_id == str(world["noise"])


def test_category_correction_is_stored_as_a_training_label(world, analyzer):
    client = login(world["app"], "cg_staff")
    page = client.get(f"/workspace/cases/{world['noise']}").get_data(as_text=True)
    response = client.post(
        f"/workspace/cases/{world['noise']}/category",
        data={"csrf_token": csrf_token(page), "category": "环境保护"},
    )
    assert response.status_code == 303
    with world["app"].app_context():
        correction = db.session.scalar(select(CategoryCorrection))
        assert correction.corrected == "环境保护" and correction.user_id is not None
        assert correction.model_version
        analyse_submission(world["noise"], analyzer)  # a re-analysis keeps the staff's label
        db.session.commit()
        assert db.session.get(Submission, world["noise"]).analysis.category == "环境保护"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_mask_personal_data_and_neutralise_formulas(world, fmt):
    client = login(world["app"], "cg_staff")
    body = client.get(f"/workspace/export.{fmt}").data
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        cells = [cell for row in rows[1:] for cell in row]
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        cells = [
            cell.value
            for row in sheet.iter_rows(min_row=2)
            for cell in row
            if isinstance(cell.value, str)
        ]
        assert all(
            cell.data_type == "s"
            for row in sheet.iter_rows(min_row=2)
            for cell in row
            if isinstance(cell.value, str)
        )
    assert "13812345678" not in "".join(str(c) for c in cells)
    assert "138****5678" in cells
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells)
    assert "'-1+1" in cells
