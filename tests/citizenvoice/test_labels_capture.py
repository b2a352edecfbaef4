"""Labels captured from the product in the same transaction as the act, through the real routes:
a staff category correction (strong), an open 评价 with stars and a follow-up comment (weak);
the backfill ``flask labels collect``; and concurrent acts, each captured once."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from factories import (
    PASSWORD,
    csrf_token,
    embedded_app,
    file_case,
    login,
    make_user,
    page_token,
    post_follow_up,
)
from flask import Flask
from sqlalchemy import delete, select

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, TrainingLabel
from citizenvoice.services.labels import count_labels

COMPLAINT = (
    "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，联系电话13912345678。"
)


@pytest.fixture(params=["postgresql", "sqlite"])
def both(request, tmp_path) -> Iterator[Flask]:
    """The seeded app on the test PostgreSQL database, or the embedded default on SQLite."""
    if request.param == "postgresql":
        yield request.getfixturevalue("seeded")
        return
    yield from embedded_app(tmp_path / "labels.sqlite3")


def _labels(app: Flask) -> list[tuple[str, str, str, str, str | None, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(TrainingLabel).order_by(TrainingLabel.id)).all()
        return [(r.kind, r.source, r.strength, r.label, r.raw_value, r.submission_id) for r in rows]


def test_a_staff_correction_is_a_strong_category_label(both):
    case = file_case(both, COMPLAINT, title="夜市噪音")
    make_user(both, "department_staff", "cgzf", "cg_staff")
    client = login(both, "cg_staff")
    page = client.get(f"/workspace/cases/{case['id']}").get_data(as_text=True)
    response = client.post(
        f"/workspace/cases/{case['id']}/category",
        data={"csrf_token": csrf_token(page), "category": "环境保护"},
    )
    assert response.status_code == 303
    assert _labels(both) == [
        ("category", "staff_correction", "strong", "环境保护", None, case["id"])
    ]
    with both.app_context():
        label = db.session.scalar(select(TrainingLabel))
        assert "13912345678" not in label.text and label.title == "夜市噪音"
        assert label.author is not None


@pytest.mark.slow
def test_a_rating_with_stars_is_a_weak_sentiment_label(both):
    client = both.test_client()
    response = client.post(
        "/submit/rating",
        data={
            "csrf_token": page_token(client, "/submit/rating"),
            "department": "cgzf",
            "rating": "2",
            "text": "办事拖拉，跑了三趟还没办好",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    ((kind, source, strength, label, raw, _case),) = _labels(both)
    assert (kind, source, strength, label, raw) == ("sentiment", "rating", "weak", "neg", "2")


def test_a_follow_up_comment_is_a_weak_label_and_no_comment_gives_none(both):
    with_comment = file_case(both, COMPLAINT, until="replied")
    without = file_case(both, "小区门口路灯坏了一个月，晚上很黑。", until="replied")
    answers = {"contacted": "yes", "resolved": "yes", "satisfaction": "satisfied"}
    client = both.test_client()
    assert (
        post_follow_up(
            client, with_comment["code"], **answers, rating="5", comment="处理很及时，谢谢！"
        ).status_code
        == 303
    )
    assert post_follow_up(client, without["code"], **answers).status_code == 303
    assert _labels(both) == [
        ("sentiment", "follow_up", "weak", "pos", "satisfied/5", with_comment["id"])
    ]


def test_collect_backfills_existing_rows_once(both):
    case = file_case(both, COMPLAINT, until="replied")
    post_follow_up(
        both.test_client(),
        case["code"],
        contacted="yes",
        resolved="no",
        satisfaction="dissatisfied",
        comment="问题没有解决",
    )
    with both.app_context():
        db.session.execute(delete(TrainingLabel))  # as before capture existed
        db.session.commit()
    runner = both.test_cli_runner()
    first = runner.invoke(args=["labels", "collect"])
    assert first.exit_code == 0, first.output
    assert "回访评价意见\t弱\t1" in first.output
    runner.invoke(args=["labels", "collect"])
    with both.app_context():
        assert count_labels() == {("sentiment", "follow_up", "weak"): 1}


class Browser:
    """One browser over a real HTTP connection: its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        """Send one request; keep cookies; return (status, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            return response.status, text
        finally:
            connection.close()

    def sign_in(self, username: str) -> None:
        """Sign in through the login form."""
        token = csrf_token(self.request("GET", "/login")[1])
        status, _ = self.request(
            "POST", "/login", {"csrf_token": token, "username": username, "password": PASSWORD}
        )
        assert status == 303


def _at_once(app: Flask, jobs: list) -> list[int]:
    """Run each job(browser) on its own thread against a live threaded server."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    try:
        browsers = [Browser(server.server_port) for _ in jobs]
        prepared = [job(browser) for job, browser in zip(jobs, browsers, strict=True)]
        start = threading.Barrier(len(jobs))
        statuses = [0] * len(jobs)

        def run(index: int) -> None:
            start.wait()
            statuses[index] = prepared[index]()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        return statuses
    finally:
        server.shutdown()
        serving.join(timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_concurrent_corrections_and_follow_ups_are_each_captured_once(both):
    case = file_case(both, COMPLAINT, until="replied")
    for name in ("cg_a", "cg_b"):
        make_user(both, "department_staff", "cgzf", name)

    def correct(username: str, category: str):
        def prepare(browser: Browser):
            browser.sign_in(username)
            token = csrf_token(browser.request("GET", f"/workspace/cases/{case['id']}")[1])
            form = {"csrf_token": token, "category": category}
            return lambda: browser.request("POST", f"/workspace/cases/{case['id']}/category", form)[
                0
            ]

        return prepare

    def answer(browser: Browser):
        token = csrf_token(browser.request("GET", f"/track/{case['code']}")[1])
        form = {
            "csrf_token": token,
            "contacted": "yes",
            "resolved": "no",
            "satisfaction": "dissatisfied",
            "comment": "答复敷衍，现场情况没有变化。",
        }
        return lambda: browser.request("POST", f"/track/{case['code']}/follow-up", form)[0]

    jobs = [correct("cg_a", "环境保护"), correct("cg_b", "城乡建设"), answer, answer, answer]
    statuses = _at_once(both, jobs)
    assert all(status < 500 for status in statuses), statuses
    labels = _labels(both)
    categories = [row for row in labels if row[0] == "category"]
    sentiments = [row for row in labels if row[0] == "sentiment"]
    assert len(categories) == 1 and len(sentiments) == 1, labels
    assert sentiments[0][3] == "neg"
    with both.app_context():
        analysis = db.session.scalar(select(Analysis).where(Analysis.submission_id == case["id"]))
        if analysis is not None:  # the later correction wins in both the case and its label
            assert categories[0][3] == analysis.category


def test_collect_takes_survey_comments_as_weak_labels_without_a_link_to_the_rater(both, tmp_path):
    runner = both.test_cli_runner()
    from citizenvoice.services.appraisal import current_month_code

    with both.app_context():
        period = current_month_code()
    created = runner.invoke(args=["survey", "create", "--period", period, "--preset", "beijing"])
    assert created.exit_code == 0, created.output
    out = tmp_path / "codes.csv"
    invited = runner.invoke(
        args=["survey", "invite", "--campaign", created.output.split()[-1], "--group",
              "residents", "--count", "1", "--out", str(out)]
    )  # fmt: skip
    assert invited.exit_code == 0, invited.output
    code = out.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    client = both.test_client()
    departments = [
        d["code"] for d in client.get(f"/api/v1/surveys/{code}").get_json()["departments"]
    ]
    answers = [
        {"department": departments[0], "rating": "dissatisfied", "comment": "窗口排队时间太长"},
        {"department": departments[1], "rating": "fairly", "comment": "还不错"},
        {"department": departments[2], "rating": "unknown", "comment": "不了解"},
    ]
    assert client.post(f"/api/v1/surveys/{code}", json={"answers": answers}).status_code == 201
    assert runner.invoke(args=["labels", "collect"]).exit_code == 0
    runner.invoke(args=["labels", "collect"])
    with both.app_context():
        rows = db.session.scalars(select(TrainingLabel).order_by(TrainingLabel.label)).all()
        assert [(r.source, r.strength, r.label, r.raw_value) for r in rows] == [
            ("survey", "weak", "neg", "dissatisfied"),
            ("survey", "weak", "pos", "fairly"),
        ]
        assert all(r.author is None and r.submission_id is None for r in rows)


def test_with_a_centre_tree_staff_correct_to_the_trees_categories(both, tmp_path):
    tree = tmp_path / "tree.csv"
    tree.write_text("level1,level2\n城乡建设,市容管理\n环境保护,噪音\n", encoding="utf-8")
    assert both.test_cli_runner().invoke(args=["taxonomy", "import", str(tree)]).exit_code == 0
    case = file_case(both, COMPLAINT, title="夜市噪音")
    make_user(both, "department_staff", "cgzf", "cg_staff")
    client = login(both, "cg_staff")
    page = client.get(f"/workspace/cases/{case['id']}").get_data(as_text=True)
    client.post(
        f"/workspace/cases/{case['id']}/category",
        data={"csrf_token": csrf_token(page), "category": "交通运输"},
    )
    assert _labels(both) == []  # 交通运输 is a shipped name the tree does not have
    response = client.post(
        f"/workspace/cases/{case['id']}/category",
        data={"csrf_token": csrf_token(page), "category": "环境保护"},
    )
    assert response.status_code == 303
    assert _labels(both)[-1][3] == "环境保护"
    with both.app_context():
        from citizenvoice.services.casework import category_choices

        assert category_choices() == ("城乡建设", "环境保护")  # level 1: the level labels use
