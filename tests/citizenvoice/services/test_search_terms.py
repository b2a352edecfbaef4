"""Keyword search finds what a person types, on PostgreSQL and on the embedded SQLite default.

jieba keeps long words whole (垃圾清运, 噪音扰民, 停车场), so the search indexes each word with its
search-mode parts. The messages are real ones from the TipDM board (anonymised by the
organisers); every query must find exactly the messages whose text contains it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import embedded_app
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission, User
from citizenvoice.services.accounts import create_user
from citizenvoice.services.analysis import analyse_submission
from citizenvoice.services.cases import InboxFilters, inbox

EXAMPLE = (
    "小区垃圾清运不及时",
    "我们小区的垃圾清运不及时，垃圾堆了三天没人管，气味很大，请尽快处理。",
)
# (query, title, text): real messages where jieba's words hide the query inside a longer word.
REAL = [
    (
        "噪音",
        "C3县易俗河镇花果山名府南苑噪音扰民",
        "我是C3县易俗河镇花果山名府南苑4栋一单元住户，我们小区有一车库卖给卖肉商户每天早上5点左右"
        "就在小区车库里加工肉，烧猪毛搞肥肠等等，好大的声音，臭气熏天，跟农贸市场一样，请政府部门一定"
        "帮忙解决这个问题万分感谢。",
    ),
    (
        "物业",
        "J4县东升华城大二期交了物业费根本没有物业管理",
        "东升华城大二期，建设两年多了，现在也有很多人已经入户了，交房的时候交了物业费，垃圾费，现在"
        "住在里面，到处脏兮兮的，根本没有物业管理，路灯也没有，晚上黑乎乎的一片，在后山晚上出门都不"
        "方便，黑乎乎的。",
    ),
    (
        "拆迁",
        "咨询一下拆迁户大病补助的事",
        "你好，我想咨询一下关于拆迁户大病补助的事。私产有补助，买不起房的直属公房租住户没有。这条规定"
        "会不会太不人性化。这个补助是由民政局补贴还是由房管部门补贴？是不是应该要有专人核实被拆迁人家庭"
        "的实际情况来决定该不该给予补助？",
    ),
    (
        "停车",
        "K市潇楚公园操坪岂能成为停车场？",
        "潇楚公园的南大门操坪，原来每到傍晚都有很多大妈，还有蹒跚学步的孩子在此嬉戏，游玩，跳舞。随着"
        "加勒比水世界的开张，现在竟然成为他们的停车场，搞的是乌烟瘴气。能管管吗？把操坪还之于民。",
    ),
    (
        "工资",
        "请帮忙要回G7县西安镇磨子平村村道公路硬化工程的运费和农民工工资",
        "村道公路硬化工程在2019年3至4月份完工结束，至今为止拖欠运费和农民工工资未付。建设承包方说"
        "上面没验收，迟迟没有答复。农村公路建设不得拖欠工程款和农民工工资，希望有关部门落实查处。",
    ),
    (
        "污染",
        "感谢相关部门解决C5市港越世纪城酒吧噪声污染问题",
        "我是C5市港越世纪城的住户，之前反映的酒吧噪声污染的问题得到了市有关部门的重视，在与酒吧商户"
        "协商后现已改善很多，让我们的生活恢复了以往的平静。非常感谢！",
    ),
    (
        "医保",
        "K市医保卡不能入网",
        "我侄女因患再生障碍性贫血转入医院重症监护室治疗，医疗费用巨大，家庭无力承担。本来有医保卡的"
        "患者可少交部分费用，可是K市医保卡始终入不了网，不知道是什么原由，恳请答复，谢谢！",
    ),
    (
        "渣土",
        "D5区应加强无牌无证渣土车的管理",
        "中午正是学生下课回家吃饭时间，一辆无牌照泥土车扬起飞尘快速行驶，一个学生骑车慌乱中撞到"
        "下水道盖凹凸处，小腿受伤。为什么会允许这种无牌照车辆在路上肆无忌惮的行驶？",
    ),
    (
        "补贴",
        "G市事业单位职工如何申请住房补贴",
        "2017年9月，我通过招考进入G市一家事业单位工作，由于家庭经济条件不好，现想咨询事业单位职工"
        "如何申请住房补贴，需要准备哪些资料，有哪些流程？谢谢！",
    ),
    (
        "养老",
        "请问D6县2017年开编教师的工龄如何计算？",
        "十多年了，我们辛辛苦苦地在民办学校代课，没有编制，没有社保，没有办理人事代理。现在听闻要补缴"
        "养老保险才能计算工龄，补缴十多年的养老保险需要七八万，压力山大。",
    ),
    (
        "垃圾桶",
        "尽快完善A市星沙大道沿线垃圾桶的设置",
        "星沙大道两厢绿化提质改造以来，环境确实大有改善，但从开元路至滨湖路段的垃圾桶设置很少，东侧"
        "基本没有，半年过去啦不知是何缘故？",
    ),
]
# Queries of more than one word, and a long word that must find it where jieba cut it in two.
MORE_QUERIES = ["垃圾清运", "农民工 工资", "物业管理 路灯", "医保卡"]


def _store_cases(app: Flask, analyzer) -> dict[int, str]:
    """File and analyse the example and the real messages; their ids and full texts."""
    texts = {}
    for title, text in [EXAMPLE, *[(title, text) for _q, title, text in REAL]]:
        case_id = file_submission(app, text, department="cgzf", title=title)
        texts[case_id] = title + "\n" + text
    with app.app_context():
        for case_id in texts:
            analyse_submission(case_id, analyzer)
        create_user("search_office", "correct-horse-battery", "office")
        db.session.commit()
    return texts


def _found(app: Flask, query: str) -> set[int]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "search_office"))
        page = inbox(user, InboxFilters(q=query, per_page=100))
        return {case.id for case in page.items}


def _sqlite_app(tmp_path) -> Flask:
    """The seeded embedded app on a SQLite file in ``tmp_path`` (left open for the test)."""
    return next(embedded_app(tmp_path / "search.sqlite3"))


@pytest.fixture(params=["postgresql", "sqlite"])
def search_app(request, tmp_path) -> Iterator[Flask]:
    """The seeded app on PostgreSQL (the test database) or on an embedded SQLite file."""
    if request.param == "postgresql":
        yield request.getfixturevalue("seeded")
        return
    yield from embedded_app(tmp_path / "search.sqlite3")


def test_a_word_inside_a_longer_word_is_found(search_app, analyzer):
    texts = _store_cases(search_app, analyzer)
    example_id = min(texts)
    assert example_id in _found(search_app, "垃圾")
    assert example_id in _found(search_app, "清运")


def test_real_queries_find_exactly_the_messages_that_contain_them(search_app, analyzer):
    texts = _store_cases(search_app, analyzer)
    wrong = {}
    for query in [q for q, _t, _x in REAL] + MORE_QUERIES:
        words = query.split()
        expected = {i for i, text in texts.items() if all(word in text for word in words)}
        assert expected, f"{query} is about at least one of the messages"
        found = _found(search_app, query)
        if found != expected:
            wrong[query] = {"missed": expected - found, "extra": found - expected}
    assert wrong == {}


@pytest.mark.slow
def test_the_migration_adds_search_parts_to_rows_analysed_before(tmp_path, analyzer):
    app = _sqlite_app(tmp_path)
    texts = _store_cases(app, analyzer)
    example_id = min(texts)
    with app.app_context():
        # As the analysis stored it before: whole words only.
        db.session.execute(
            update(Analysis)
            .where(Analysis.submission_id == example_id)
            .values(search_tokens=" 小区 垃圾清运 不 及时 垃圾 堆 三天 ")
        )
        db.session.commit()
    assert _found(app, "清运") == set()
    with app.app_context():
        downgrade(revision="0011")
        upgrade()
    assert _found(app, "清运") == {example_id}
    with app.app_context():
        assert db.session.get(Submission, example_id) is not None
        db.engine.dispose()
    app.extensions["citizenvoice.runner"].shutdown()
