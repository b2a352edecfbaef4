"""Demo data: a realistic set of city departments and a small built-in sample of messages.

The departments cover the seven first-level categories of the TipDM message taxonomy
(城乡建设, 劳动和社会保障, 教育文体, 商贸旅游, 环境保护, 卫生计生, 交通运输) and more;
``categories`` says which categories a department usually handles (routing, issue 4);
``aliases`` are the other names residents use for it: short names (住建局), everyday words
(城管) and 12345 terms for what it handles (环卫, 垃圾). They are stored with the department
(``department.aliases``) and the resident's department picker matches on them.
"""

from __future__ import annotations

from typing import Final, TypedDict

__all__ = ["DEMO_DEPARTMENTS", "SAMPLE_MESSAGES", "DemoDepartment"]


class DemoDepartment(TypedDict):
    """One department of the demo city."""

    code: str
    name: str
    group: str
    categories: list[str]
    aliases: list[str]


GROUP_GENERAL: Final = "综合管理"
GROUP_ENFORCEMENT: Final = "执法监管"
GROUP_SERVICE: Final = "公共服务"

DEMO_DEPARTMENTS: Final[list[DemoDepartment]] = [
    {
        "code": "zjj",
        "name": "市住房和城乡建设局",
        "group": GROUP_SERVICE,
        "categories": ["城乡建设"],
        "aliases": ["住建", "住建局", "建设局", "住房", "房管", "物业", "电梯", "燃气"],
    },
    {
        "code": "zrzy",
        "name": "市自然资源和规划局",
        "group": GROUP_SERVICE,
        "categories": ["城乡建设"],
        "aliases": ["自然资源", "规划", "规划局", "国土", "不动产", "不动产登记"],
    },
    {
        "code": "cgzf",
        "name": "市城市管理综合执法局",
        "group": GROUP_ENFORCEMENT,
        "categories": ["城乡建设", "环境保护"],
        "aliases": [
            "城管",
            "城管局",
            "城市管理",
            "环卫",
            "垃圾",
            "占道经营",
            "摊贩",
            "违建",
            "违章建筑",
            "市容",
            "渣土车",
        ],
    },
    {
        "code": "sthj",
        "name": "市生态环境局",
        "group": GROUP_ENFORCEMENT,
        "categories": ["环境保护"],
        "aliases": ["环保", "环保局", "生态环境", "污染", "排污", "噪音", "油烟"],
    },
    {
        "code": "jtys",
        "name": "市交通运输局",
        "group": GROUP_SERVICE,
        "categories": ["交通运输"],
        "aliases": ["交通", "交通局", "公交", "出租车", "网约车", "道路运输", "客运"],
    },
    {
        "code": "jyty",
        "name": "市教育体育局",
        "group": GROUP_SERVICE,
        "categories": ["教育文体"],
        "aliases": ["教育", "教育局", "学校", "体育", "招生", "补课"],
    },
    {
        "code": "wlgd",
        "name": "市文化旅游广电局",
        "group": GROUP_SERVICE,
        "categories": ["教育文体", "商贸旅游"],
        "aliases": ["文旅", "文化", "旅游", "广电", "景区"],
    },
    {
        "code": "rsj",
        "name": "市人力资源和社会保障局",
        "group": GROUP_SERVICE,
        "categories": ["劳动和社会保障"],
        "aliases": ["人社", "人社局", "社保", "工资", "欠薪", "劳动", "就业"],
    },
    {
        "code": "ybj",
        "name": "市医疗保障局",
        "group": GROUP_SERVICE,
        "categories": ["劳动和社会保障", "卫生计生"],
        "aliases": ["医保", "医保局", "报销", "异地就医"],
    },
    {
        "code": "mzj",
        "name": "市民政局",
        "group": GROUP_SERVICE,
        "categories": ["劳动和社会保障"],
        "aliases": ["民政", "养老", "低保", "婚姻登记", "殡葬"],
    },
    {
        "code": "swj",
        "name": "市商务局",
        "group": GROUP_SERVICE,
        "categories": ["商贸旅游"],
        "aliases": ["商务", "商务局"],
    },
    {
        "code": "scjg",
        "name": "市市场监督管理局",
        "group": GROUP_ENFORCEMENT,
        "categories": ["商贸旅游"],
        "aliases": ["市场监管", "市监局", "工商", "食品安全", "消费者", "价格", "质监"],
    },
    {
        "code": "wjw",
        "name": "市卫生健康委员会",
        "group": GROUP_SERVICE,
        "categories": ["卫生计生"],
        "aliases": ["卫健委", "卫健", "卫生", "医院", "疫苗"],
    },
    {
        "code": "gaj",
        "name": "市公安局",
        "group": GROUP_ENFORCEMENT,
        "categories": ["交通运输"],
        "aliases": ["公安", "派出所", "户籍", "户口", "身份证", "交警"],
    },
    {
        "code": "yjgl",
        "name": "市应急管理局",
        "group": GROUP_ENFORCEMENT,
        "categories": ["城乡建设"],
        "aliases": ["应急", "应急局", "安全生产", "安监"],
    },
    {
        "code": "swuj",
        "name": "市水务局",
        "group": GROUP_SERVICE,
        "categories": ["城乡建设"],
        "aliases": ["水务", "供水", "停水", "排水", "自来水"],
    },
    {
        "code": "fgw",
        "name": "市发展和改革委员会",
        "group": GROUP_GENERAL,
        "categories": ["商贸旅游"],
        "aliases": ["发改委", "发改"],
    },
    {
        "code": "zwfw",
        "name": "市政务服务中心",
        "group": GROUP_GENERAL,
        "categories": [],
        "aliases": ["政务服务", "办事大厅", "窗口", "12345", "热线"],
    },
    {
        "code": "czj",
        "name": "市财政局",
        "group": GROUP_GENERAL,
        "categories": [],
        "aliases": ["财政"],
    },
]

# (kind, department code or None, title, text, rating) written in the style of real messages.
SAMPLE_MESSAGES: Final[list[tuple[str, str | None, str, str, int | None]]] = [
    (
        "complaint",
        "cgzf",
        "夜宵摊占道经营油烟扰民",
        "A1区人民路与建设路交叉口每天晚上有十几家夜宵摊占道经营，油烟和噪音一直持续到凌晨两点，附近居民无法休息，希望城管部门尽快处理。",
        None,
    ),
    (
        "complaint",
        "zjj",
        "小区电梯频繁故障无人维修",
        "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难，请住建部门督促物业和开发商解决。",
        None,
    ),
    (
        "complaint",
        None,
        "工地夜间施工噪音严重",
        "A2区滨江路附近一工地连续一周夜间施工到凌晨，渣土车进出噪音很大，请问夜间施工有没有办理许可？希望有关部门查处。",
        None,
    ),
    (
        "complaint",
        "rsj",
        "公司拖欠三个月工资",
        "本人在A5区一家装修公司工作，公司已经拖欠包括我在内的二十多名工人三个月工资，多次讨要无果，请人社部门帮助我们讨回工资。",
        None,
    ),
    (
        "complaint",
        "jyty",
        "学校违规收取补课费",
        "A4区某中学初三年级要求学生周末到校补课，每人收取补课费八百元，家长负担很重，这种做法是否符合规定？",
        None,
    ),
    (
        "complaint",
        "sthj",
        "化工厂排放刺鼻气体",
        "A6区工业园一家化工厂每天傍晚排放刺鼻气体，周边村民普遍出现咽喉不适，请环保部门尽快检测并处理。",
        None,
    ),
    (
        "complaint",
        "jtys",
        "公交线路停运出行不便",
        "A7县城到高铁站的公交线路突然停运，附近几个村的群众出行非常不便，希望交通部门恢复线路或者增加班次。",
        None,
    ),
    (
        "suggestion",
        "jtys",
        "建议增设早晚高峰公交专线",
        "建议在A1区至高新区之间开通早晚高峰公交专线，目前上班高峰期公交车非常拥挤，很多人只能打车。",
        None,
    ),
    (
        "suggestion",
        "wjw",
        "建议社区医院延长周末门诊时间",
        "社区卫生服务中心周末只开半天门诊，上班族看病很不方便，建议周末全天开放并增加儿科号源。",
        None,
    ),
    (
        "suggestion",
        None,
        "建议在老旧小区加装充电桩",
        "老旧小区电动车乱拉电线充电现象严重，存在很大的火灾隐患，建议政府统一规划加装集中充电桩。",
        None,
    ),
    (
        "rating",
        "zwfw",
        "办理营业执照很快",
        "在政务服务中心办理个体户营业执照，窗口工作人员态度很好，一次性告知所需材料，半天就拿到了执照。",
        5,
    ),
    (
        "rating",
        "gaj",
        "户籍窗口排队时间长",
        "去派出所办理户口迁移，只开了一个窗口，排队两个多小时，工作人员态度还可以，但效率有待提高。",
        3,
    ),
    (
        "rating",
        "ybj",
        "医保报销流程复杂",
        "异地就医报销需要跑三个地方盖章，材料反复提交，前后用了一个月，希望能简化流程实现网上办理。",
        2,
    ),
]
