"""Chinese government text for the site farm, generated from sentence templates.

An article is a title plus a list of blocks; renderers turn blocks into HTML or plain text:
``("p", text)`` paragraph, ``("h", text)`` sub-heading, ``("marker", text)`` a classification
mark above the body, ``("table", [header, *rows])``, ``("sign", text)`` right-aligned signature.

Ordinary text never contains a phrase a scanner should flag: every planted problem comes from
one of the special articles at the bottom, and each can be switched between its problem form
and its rectified form without changing the title.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from govwatch.demo.util import id_number, mask_id, mask_mobile, mobile_number, person_name


@dataclass(frozen=True)
class Voice:
    """Who is speaking: the region and unit an article is written for."""
    region: str  # 示范市
    short: str  # 省 / 市 / 县: 全市, 市政府 …
    upper: str  # the level above, for comparisons (全省平均水平)
    gov: str  # 示范市人民政府
    unit: str  # the publishing unit (主办单位)
    leader_title: str  # 副市长, 局长 …
    salutation: str  # addressees of a notice
    area_code: str = "0571"
    towns: tuple = ("城关镇", "新桥镇", "柳溪街道", "白沙乡")


@dataclass
class Article:
    title: str
    blocks: list
    source: str
    author: str = ""
    keywords: str = ""
    attachments: list = field(default_factory=list)  # [{"n", "ext", "label", "rows", "title"}]
    image: bool = False


# --- vocabulary ----------------------------------------------------------------------------------

TOPICS = (
    "优化营商环境", "乡村振兴", "安全生产", "城市更新", "生态环境保护", "数字政府建设", "防汛防台",
    "民生实事", "招商引资", "全国文明城市创建", "基层社会治理", "养老服务体系建设",
    "义务教育优质均衡发展", "森林防火", "稳就业保民生", "农村人居环境整治", "科技创新",
    "医疗卫生服务能力提升", "消防安全", "燃气安全专项整治", "耕地保护", "河湖长制",
    "政务服务“一网通办”", "老旧小区改造", "交通基础设施建设", "文化旅游融合发展", "食品安全",
    "未成年人保护", "平安建设", "粮食生产",
)
FOCUS = ("重点领域和关键环节", "群众反映强烈的突出问题", "项目建设和要素保障", "制度机制创新",
         "基层基础工作", "数字化改革", "风险隐患排查", "惠企政策落地")
ASPECTS = ("项目建设进度", "企业生产经营", "政策落实", "群众办事体验", "隐患排查整改", "资金使用管理",
           "设施运行维护", "人才队伍建设")
FACILITIES = ("社区嵌入式服务设施", "城市书房", "老年食堂", "便民服务中心", "智慧停车场", "口袋公园",
              "乡村医疗服务站", "百姓健身房")
METRICS = ("规模以上工业增加值", "固定资产投资", "社会消费品零售总额", "城乡居民人均可支配收入",
           "一般公共预算收入", "实际使用外资")
PLACES = ("经济开发区", "高新技术产业园", "市民服务中心", "重点项目建设现场", "农村文化礼堂",
          "社区卫生服务中心", "城市运行管理中心", "物流产业园")
ACTIVITIES = ("文明实践志愿服务活动", "安全生产大检查", "垃圾分类宣传活动", "防范电信网络诈骗宣传活动",
              "农技培训进田头活动", "敬老爱老慰问活动", "消防应急演练", "普法宣传进村入户活动")
LEADERS = ("周海峰", "吴雅琴", "郑博文", "冯晓梅", "何振宇", "罗佳宁", "孙启明", "钱立群", "沈思远", "韩秋实")
FEMALE_LEADERS = frozenset(("吴雅琴", "冯晓梅", "罗佳宁"))
OFFICES = ("办公室", "综合科", "政策法规科", "规划发展科", "社会事务科")
PROGRAMS = ("城乡困难群众临时救助", "困难家庭学生资助", "高龄老人津贴发放", "残疾人两项补贴",
            "农业生产者补贴", "就业困难人员社保补贴")
CHINESE_DIGITS = "一二三四五六七八九十"


def fill(template: str, r: random.Random, v: Voice, pub: datetime, **extra) -> str:
    """Fill a sentence template; unknown slots are drawn from the vocabulary."""
    slots = {
        "region": v.region, "short": v.short, "upper": v.upper, "gov": v.gov, "unit": v.unit,
        "leader_title": v.leader_title, "leader": extra.get("leader") or r.choice(LEADERS),
        "topic": extra.get("topic") or r.choice(TOPICS), "topic2": r.choice(TOPICS),
        "focus": r.choice(FOCUS), "aspect": r.choice(ASPECTS), "facility": r.choice(FACILITIES),
        "metric": r.choice(METRICS), "place": v.region + r.choice(PLACES), "town": r.choice(v.towns),
        "activity": r.choice(ACTIVITIES),
        "md": f"{pub.month}月{pub.day}日", "year": pub.year,
        "num": f"{r.randint(3, 180)}.{r.randint(1, 99):02d}", "pct": f"{r.randint(2, 25)}.{r.randint(0, 9)}",
        "pct2": f"{r.randint(1, 5)}.{r.randint(0, 9)}", "n": r.randint(8, 60), "n2": r.randint(5, 30),
        "n3": r.randint(2, 7),
    }
    slots.update(extra)
    return template.format(**slots)


NEWS_OPEN = (
    "{md}，{region}召开{topic}工作推进会，{leader_title}{leader}出席会议并讲话。",
    "{md}，{leader_title}{leader}带队深入{place}，实地调研{topic}工作。",
    "{md}，{unit}组织召开{topic}专题会议，研究部署下一阶段重点工作。",
    "{md}，{region}{topic}现场观摩会在{place}举行。",
    "近日，{region}印发工作方案，全面部署{topic}各项任务。",
)
NEWS_BODY = (
    "会议指出，{topic}工作事关经济社会发展大局，事关人民群众切身利益，各地各部门要切实提高思想认识，压紧压实工作责任。",
    "会议强调，要坚持问题导向、目标导向和结果导向，聚焦{focus}，推动各项任务落地见效。",
    "在{place}，{leader}详细了解{aspect}等情况，对前期取得的成效给予肯定。",
    "今年以来，{region}累计完成{topic}相关投资{num}亿元，同比增长{pct}%。",
    "截至目前，{region}已建成{facility}{n}个，覆盖{n2}个乡镇（街道）。",
    "{leader}指出，要进一步完善工作机制，加强部门协同，形成工作合力。",
    "据介绍，{region}今年将{topic}列入重点工作清单，全年计划完成{n}项重点任务，目前已完成{n3}项。",
    "与会人员围绕{focus}进行了深入交流，并就下一步工作提出了意见建议。",
    "{unit}有关负责同志通报了前一阶段{topic}工作进展情况。",
    "调研中，{leader}还走访了部分企业和群众，听取意见建议，协调解决实际困难。",
    "会议要求，各责任单位要对照任务清单，倒排工期、挂图作战，确保按时保质完成年度目标任务。",
    "要加强督查考核，对工作推进不力的单位进行通报，切实以作风建设推动工作落实。",
    "要注重宣传引导，及时总结推广典型经验做法，营造全社会共同参与的良好氛围。",
    "{region}将{topic}与{topic2}统筹推进，一批群众急难愁盼问题得到有效解决。",
    "数据显示，{year}年前三季度，{region}{metric}同比增长{pct}%，高于全{upper}平均水平{pct2}个百分点。",
    "{region}坚持把{topic}作为推动高质量发展的重要抓手，建立健全定期调度、分级负责的工作机制。",
    "各乡镇（街道）和有关部门负责同志分别作了交流发言。",
    "{leader}强调，要把{topic}作为重要任务，以钉钉子精神抓好各项工作落实。",
    "近年来，{region}围绕{topic}出台了一系列政策措施，取得了明显成效。",
    "{region}还将建立常态化监测机制，对重点区域和关键环节开展动态跟踪。",
    "据统计，今年以来{region}共开展专项检查{n}次，发现并整改问题{n2}0余个。",
    "与会人员实地观摩了{place}等点位，现场学习交流经验做法。",
    "会上，{town}等单位作了表态发言。",
    "{leader}一行还召开座谈会，听取相关部门和企业负责人的意见建议。",
    "在{place}，{leader}仔细察看项目建设进展，详细询问存在的困难和问题。",
    "{region}相关部门负责同志陪同调研。",
    "目前，{region}{topic}各项工作正有序推进，{n3}项重点任务已提前完成。",
    "{unit}将加强跟踪问效，及时协调解决工作推进中遇到的困难和问题。",
)
DOC_FILLER = (
    "各地各部门要结合实际，细化工作措施，明确责任分工，确保各项任务落到实处。",
    "要建立健全工作台账，实行清单化管理、项目化推进，定期调度工作进展。",
    "要强化资金保障，统筹用好各级财政资金，积极引导社会资本参与。",
    "要加强政策解读和宣传引导，及时回应社会关切，营造良好舆论氛围。",
    "要完善考核评价机制，将工作落实情况纳入年度目标责任制考核。",
    "对工作中涌现出的先进典型，要及时总结推广；对工作推进不力的，要严肃通报批评。",
    "要加强部门协同，建立信息共享和会商机制，形成工作合力。",
    "要注重运用数字化手段，提升{topic}工作的精准化、智能化水平。",
    "要坚持底线思维，加强风险研判，及时发现和化解各类风险隐患。",
    "要充分听取基层和群众意见，不断完善政策措施，提高政策的针对性和可操作性。",
    "{region}将定期对{topic}工作开展情况进行督查，督查结果在一定范围内通报。",
    "各单位确定一名联络员，负责日常联系和信息报送工作。",
    "未尽事宜由{unit}负责解释。",
    "要严格执行各项法律法规和政策规定，切实规范工作程序，确保工作依法依规开展。",
)
NEWS_CLOSE = (
    "下一步，{region}将持续深化{topic}，不断增强人民群众的获得感、幸福感、安全感。",
    "{region}将以此次会议为契机，扎实做好{topic}各项工作，为高质量发展提供有力支撑。",
    "下一步，{unit}将认真梳理调研中发现的问题，逐项抓好整改落实。",
)
NEWS_TITLES = (
    "{region}召开{topic}工作推进会",
    "{leader_title}{leader}赴{place}调研{topic}工作",
    "{region}{topic}工作取得阶段性成效",
    "{region}举行{year}年{topic}重点项目集中签约活动",
    "{region}部署{topic}工作",
    "{region}{n}个{topic}项目集中开工",
    "全{short}{topic}工作现场会在{place}召开",
    "{region}开展{topic}专项督查",
    "{unit}召开{topic}工作座谈会",
)
LOCAL_TITLES = (
    "{town}扎实推进{topic}",
    "{town}开展{activity}",
    "{town}召开{topic}工作部署会",
    "{town}多措并举推进{topic}",
    "{town}举办{activity}",
)
NOTICE_TITLES = (
    "关于做好{year}年{topic}工作的通知",
    "关于开展{topic}专项检查的通知",
    "关于征求《{region}{topic}实施方案（征求意见稿）》意见的公告",
    "关于公布{year}年{topic}示范单位名单的通知",
    "关于举办{year}年{topic}业务培训班的通知",
    "关于报送{year}年度{topic}工作总结的通知",
)
NOTICE_SECTIONS = (
    ("工作目标", (
        "到{year}年底，{region}{topic}工作机制进一步健全，重点任务全面完成。",
        "通过集中整治和常态长效管理相结合，推动{topic}工作水平明显提升。",
    )),
    ("主要任务", (
        "各单位要结合实际制定具体实施方案，明确责任分工和时间节点。",
        "聚焦{focus}，全面开展排查梳理，建立问题清单、任务清单和责任清单。",
        "加强部门联动和信息共享，形成上下贯通、协同高效的工作格局。",
    )),
    ("工作要求", (
        "各单位要高度重视，主要负责同志亲自抓、负总责，确保各项工作落到实处。",
        "要严格落实工作纪律，对工作中发现的问题及时研究解决，重大情况及时报告。",
        "请各单位于{deadline}前将工作开展情况报送{unit}。",
    )),
)
POLICY_TITLES = (
    "{gov}办公室关于印发{region}{topic}三年行动计划（{year}—{year2}年）的通知",
    "{gov}关于进一步加强{topic}工作的实施意见",
    "《{region}{topic}实施方案》政策解读",
    "{region}关于促进{topic}的若干措施",
    "{unit}关于印发《{topic}工作规范》的通知",
    "{gov}办公室关于印发《{region}{topic}工作考核办法》的通知",
    "图解：{region}{topic}实施意见",
    "{gov}关于{year}年{topic}工作情况的报告",
    "{unit}关于公开征求{topic}相关政策意见建议的公告",
)
POLICY_SECTIONS = (
    ("总体要求", (
        "坚持以人民为中心的发展思想，完整、准确、全面贯彻新发展理念，统筹推进{topic}各项工作。",
        "到{year2}年，{region}{topic}体制机制更加完善，服务能力和水平显著提升。",
    )),
    ("重点任务", (
        "（一）完善制度体系。制定出台配套政策措施，健全标准规范，推动{topic}工作制度化、规范化。",
        "（二）强化要素保障。统筹用好各类专项资金，优先保障重点项目用地、用能需求。",
        "（三）推进数字赋能。依托一体化政务服务平台，推动数据共享和业务协同。",
        "（四）加强队伍建设。分级分类开展业务培训，提升干部队伍专业化水平。",
    )),
    ("保障措施", (
        "各地各部门要加强组织领导，建立工作专班，定期研究解决重大问题。",
        "将{topic}工作纳入年度综合考核，强化督促检查和跟踪问效。",
        "本文件自印发之日起施行，有效期五年。",
    )),
)
INTERPRETATION_SECTIONS = (
    ("起草背景", (
        "为贯彻落实上级关于{topic}的决策部署，着力解决{focus}中存在的问题，{unit}在深入调研的基础上起草了本方案。",
        "起草过程中，广泛征求了各县（市、区）和相关部门意见，并通过政府网站公开征求社会公众意见。",
    )),
    ("主要内容", (
        "方案共分为总体要求、重点任务、保障措施三个部分，明确了{n}项具体举措。",
        "方案提出，到{year2}年，{region}{topic}主要指标达到全{upper}先进水平。",
    )),
    ("政策亮点", (
        "一是突出系统集成，将分散在多个部门的政策措施整合为一个清单。",
        "二是突出精准施策，针对不同群体分类制定支持政策。",
        "三是突出闭环管理，建立政策实施效果评估机制。",
    )),
)
OVERVIEW_TITLES = ("机构职能", "领导信息", "内设机构", "联系方式", "机构简介", "下属单位")


# --- ordinary articles ---------------------------------------------------------------------------

def _grow(blocks: list, r: random.Random, v: Voice, pub: datetime, pool: tuple, target: int,
          at: int | None = None, **extra) -> None:
    """Add paragraphs of 2–3 sentences from ``pool`` until the text reaches ``target`` characters.

    Sentences are drawn without repetition, so a small pool caps the length; ``at`` inserts the
    paragraphs at that block position instead of appending them.
    """
    at = len(blocks) if at is None else at
    remaining = list(pool)
    r.shuffle(remaining)
    while remaining and text_length(blocks) < target:
        take = min(len(remaining), r.choice((2, 3)))
        blocks.insert(at, ("p", "".join(fill(remaining.pop(), r, v, pub, **extra) for _ in range(take))))
        at += 1


def text_length(blocks: list) -> int:
    return sum(len(b[1]) if isinstance(b[1], str) else 0 for b in blocks)


def ordinary_title(kind: str, r: random.Random, v: Voice, pub: datetime, k: int,
                   topic: str = "", town: str = "") -> str:
    """A title for item ``k`` of a column kind; ``topic`` and ``town`` tie it to its body."""
    if kind == "overview":
        return OVERVIEW_TITLES[k % len(OVERVIEW_TITLES)]
    pool = {"news": NEWS_TITLES, "local": LOCAL_TITLES, "notice": NOTICE_TITLES, "policy": POLICY_TITLES}[kind]
    return fill(r.choice(pool), r, v, pub, year2=pub.year + 2, topic=topic or r.choice(TOPICS),
                town=town or r.choice(v.towns))


def ordinary_article(kind: str, title: str, r: random.Random, v: Voice, pub: datetime,
                     topic: str = "", town: str = "") -> Article:
    """The body of an ordinary article of a column kind (news, local, notice, policy, overview)."""
    target = r.randint(340, 1500)
    topic = topic or r.choice(TOPICS)
    if kind in ("news", "local"):
        extra = {"topic": topic}
        if kind == "local":
            extra["region"] = town or r.choice(v.towns)
        blocks = [("p", fill(r.choice(NEWS_OPEN), r, v, pub, **extra))]
        _grow(blocks, r, v, pub, NEWS_BODY, target - 60, **extra)
        blocks.append(("p", fill(r.choice(NEWS_CLOSE), r, v, pub, **extra)))
        source = r.choice((v.unit, f"{v.region}日报", f"{v.region}融媒体中心", v.unit))
        return Article(title, blocks, source, author=r.choice(OFFICES), keywords=topic, image=r.random() < 0.4)
    if kind == "notice":
        return notice_article(title, r, v, pub, topic, target)
    if kind == "policy":
        sections = INTERPRETATION_SECTIONS if "解读" in title else POLICY_SECTIONS
        blocks = [] if "解读" in title else [
            ("p", v.salutation),
            ("p", f"《{_document_name(title)}》已经{v.gov}同意，现印发给你们，请认真贯彻执行。"
             if "印发" in title else f"为进一步做好{topic}工作，结合本地实际，提出如下意见。"),
        ]
        _sections(blocks, sections, r, v, pub, target, topic=topic, year2=pub.year + 2)
        blocks.append(("sign", f"{v.unit}\n{pub.year}年{pub.month}月{pub.day}日"))
        return Article(title, blocks, v.unit, author=r.choice(OFFICES), keywords=topic)
    return overview_article(title, r, v, pub, target)


def _document_name(title: str) -> str:
    """《…》 of a 关于印发…的通知 title."""
    return title.split("印发")[-1].removesuffix("的通知").strip("《》")


def _sections(blocks: list, sections: tuple, r: random.Random, v: Voice, pub: datetime, target: int, **extra) -> None:
    """Numbered sections; document-style sentences fill the middle one up to ``target`` characters."""
    middle = None
    for i, (heading, pool) in enumerate(sections):
        blocks.append(("h", f"{CHINESE_DIGITS[i]}、{heading}"))
        blocks.extend(("p", fill(template, r, v, pub, **extra)) for template in pool)
        if i == len(sections) // 2:
            middle = len(blocks)
    _grow(blocks, r, v, pub, DOC_FILLER, target, at=middle, **extra)


def contact_line(r: random.Random, v: Voice) -> str:
    """An office contact line: a fixed-line number, which is not personal data."""
    return f"联系人：{v.unit}{r.choice(OFFICES)}，联系电话：{v.area_code}-8700{r.randrange(10000):04d}。"


def notice_article(title: str, r: random.Random, v: Voice, pub: datetime, topic: str, target: int) -> Article:
    deadline = pub + timedelta(days=r.randint(10, 30))
    blocks = [
        ("p", v.salutation),
        ("p", f"为深入贯彻落实上级关于{topic}的决策部署，进一步做好相关工作，经研究，现将有关事项通知如下："),
    ]
    _sections(blocks, NOTICE_SECTIONS, r, v, pub, target - 40, topic=topic,
              deadline=f"{deadline.month}月{deadline.day}日")
    blocks.append(("p", contact_line(r, v)))
    blocks.append(("sign", f"{v.unit}\n{pub.year}年{pub.month}月{pub.day}日"))
    return Article(title, blocks, v.unit, author=r.choice(OFFICES), keywords=topic)


OFFICE_DUTIES = (
    ("办公室", "负责机关日常运转，承担文电、会务、机要、档案、政务公开、安全保密和信访等工作。"),
    ("综合科", "负责综合性文稿起草，承担重要事项的督查督办和统计分析工作。"),
    ("政策法规科", "负责规范性文件合法性审查，承担行政复议、行政应诉和普法宣传工作。"),
    ("规划发展科", "负责拟订中长期发展规划和年度计划，承担重大项目的协调推进工作。"),
    ("社会事务科", "负责社会救助、社会福利和基层公共服务等工作的组织实施。"),
    ("财务审计科", "负责机关和所属单位的财务管理、预决算编制和内部审计工作。"),
    ("人事科", "负责机关和所属单位的机构编制、人事管理和干部教育培训工作。"),
)
LEADER_ROLES = ("主持全面工作。", "负责综合协调、政策法规等方面工作。", "负责规划建设、项目管理等方面工作。",
                "负责社会事务、安全生产等方面工作。", "负责机关党建、财务审计等方面工作。")


def overview_article(title: str, r: random.Random, v: Voice, pub: datetime, target: int) -> Article:
    """机构概况 pages: functions, leaders, internal offices, contact details."""
    if title == "领导信息":
        blocks = []
        for name, role in zip(r.sample(LEADERS, len(LEADER_ROLES)), LEADER_ROLES):
            offices = "、".join(r.sample([o for o, _ in OFFICE_DUTIES], 2))
            blocks.append(("p", f"{name}，{'女' if name in FEMALE_LEADERS else '男'}，汉族，{r.randint(1966, 1984)}年"
                                f"{r.randint(1, 12)}月生，{r.choice(('大学', '研究生'))}学历，中共党员。"
                                f"{role}分管{offices}。"))
        blocks.append(("p", f"以上领导同志的工作分工如有调整，以{v.unit}正式发文为准。"
                            "领导干部任免信息按照干部管理权限，在任免决定作出后及时公开。"))
    elif title == "联系方式":
        blocks = [("p", f"办公地址：{v.region}人民路{r.randint(1, 300)}号行政中心{r.randint(1, 9)}号楼"),
                  ("p", f"邮政编码：{r.randint(310000, 311999)}"),
                  ("p", f"联系电话：{v.area_code}-8700{r.randrange(10000):04d}"),
                  ("p", f"传真：{v.area_code}-8700{r.randrange(10000):04d}"),
                  ("p", "办公时间：工作日上午8:30—12:00，下午14:30—17:30（法定节假日除外）"),
                  ("p", f"来访路线：乘坐{r.randint(1, 99)}路、{r.randint(100, 399)}路公交车至行政中心站下车，步行约200米即到。"),
                  ("p", f"政府信息公开申请受理机构：{v.unit}办公室，受理地点：行政中心一楼政务公开服务窗口。"),
                  ("p", "信访接待时间：每周一至周五上午9:00—11:30，下午14:30—17:00。"),
                  ("p", f"咨询投诉：拨打12345政务服务便民热线，或通过本网站“政民互动”栏目向{v.unit}留言，"
                        "我们将在5个工作日内予以答复。"),
                  ("p", "网站纠错：如发现本网站内容存在错误，请通过页面底部“我要纠错”入口提交，我们将及时核实处理。")]
    elif title == "内设机构":
        blocks = [("p", f"根据机构改革方案，{v.unit}设下列内设机构：")]
        blocks += [("p", f"{name}：{duty}") for name, duty in OFFICE_DUTIES]
        blocks.append(("p", "机关党委：负责机关和所属单位的党群工作，承担机关纪检、统战和精神文明建设工作。"))
    else:
        blocks = [("p", f"{v.unit}是{v.gov}的工作部门，主要职责是：")]
        for i, topic in enumerate(r.sample(TOPICS, 6)):
            blocks.append(("p", f"（{CHINESE_DIGITS[i]}）贯彻执行国家和上级关于{topic}的方针政策和法律法规，"
                                f"拟订{v.region}相关规划和政策措施并组织实施。"))
        blocks.append(("p", f"（七）完成{v.gov}交办的其他任务。"))
    return Article(title, blocks, v.unit, author="办公室")


# --- special articles: fixed titles, a problem form and a rectified form ---------------------------

def fitness_article(r: random.Random, v: Voice, pub: datetime, on: bool) -> Article:
    """banned_term: a promotional sentence about 法轮功 (on) or about 太极拳 (off)."""
    n = r.randint(20, 80) * 10
    if on:
        key = ("活动现场还专门设置了法轮功练功展示区，组织者向过往群众发放法轮功宣传册，"
               "热情邀请大家“一起练法轮功、祛病强身”，不少居民驻足围观。")
    else:
        key = "活动现场还设置了太极拳、八段锦展示区，社会体育指导员现场示范教学，不少居民驻足观看、跟学。"
    blocks = [
        ("p", f"{pub.month}月{pub.day}日，由{v.unit}主办的全民健身志愿服务进社区活动在{v.region}体育中心广场举行，{n}余名居民参加。"),
        ("p", "活动设置了健身气功、广场舞、趣味运动等项目，社会体育指导员现场为群众讲解科学健身知识。" + key),
        ("p", f"近年来，{v.region}持续完善全民健身公共服务体系，新建和改造提升健身步道{r.randint(20, 90)}公里、"
              f"百姓健身房{r.randint(10, 60)}个，“15分钟健身圈”基本实现全覆盖。"),
    ]
    _grow(blocks, r, v, pub, NEWS_BODY[13:], 320)
    return Article(f"{v.region}举办全民健身志愿服务进社区活动", blocks, v.unit, author="办公室", keywords="全民健身")


def meeting_article(r: random.Random, v: Voice, pub: datetime, on: bool, topic: str) -> Article:
    """secret_marker: the body starts with a classification mark (on)."""
    blocks = [("marker", "机密★1年")] if on else []
    blocks.append(("p", fill(NEWS_OPEN[2], r, v, pub, topic=topic)))
    _grow(blocks, r, v, pub, NEWS_BODY, 360, topic=topic)
    blocks.append(("p", fill(NEWS_CLOSE[0], r, v, pub, topic=topic)))
    return Article(f"{v.region}召开{topic}工作专题会议", blocks, v.unit, author="办公室", keywords=topic)


def expo_article(r: random.Random, v: Voice, pub: datetime, on: bool) -> Article:
    """wrong_term: 北朝鲜 (on) instead of the standard 朝鲜 (off)."""
    korea = "北朝鲜" if on else "朝鲜"
    blocks = [
        ("p", f"{pub.month}月{pub.day}日，{v.region}组织{r.randint(20, 60)}家企业参加中国—东北亚博览会，"
              "集中展示装备制造、现代农业、文化旅游等领域的特色产品。"),
        ("p", f"展会期间，{v.region}代表团与来自俄罗斯、蒙古国、{korea}、韩国、日本等国家和地区的客商开展洽谈，"
              f"达成合作意向{r.randint(10, 40)}项，意向金额{r.randint(5, 50)}.{r.randint(1, 9)}亿元。"),
    ]
    _grow(blocks, r, v, pub, NEWS_BODY[13:], 320)
    return Article(f"{v.region}组织企业参加中国—东北亚博览会", blocks, f"{v.region}日报", author="办公室",
                   keywords="东北亚博览会")


def elevator_article(r: random.Random, v: Voice, pub: datetime, on: bool) -> Article:
    """typo: 按装 (on) instead of 安装 (off)."""
    install = "按装" if on else "安装"
    blocks = [
        ("p", f"今年以来，{v.region}已为{r.randint(20, 90)}个老旧小区{install}电梯{r.randint(100, 400)}部，"
              f"惠及居民{r.randint(2000, 9000)}户。"),
        ("p", "为破解加装电梯“协调难、审批难、资金难”等问题，相关部门推行“一窗受理、并联审批”，"
              "审批时限压缩至15个工作日以内。"),
    ]
    _grow(blocks, r, v, pub, NEWS_BODY, 330, topic="老旧小区改造")
    return Article(f"{v.region}老旧小区加装电梯工作提速", blocks, v.unit, author="办公室", keywords="加装电梯")


ENFORCEMENT = (
    "会议要求，各责任单位要对照任务清单，倒排工期、挂图作战，确保按时保质完成年度目标任务。",
    "要加强督查考核，对工作推进不力的单位进行通报，切实以作风建设推动工作落实。",
    "要注重宣传引导，及时总结推广典型经验做法，营造全社会共同参与的良好氛围。",
    "要强化部门协作，健全线索通报、案件会商和联合执法机制，形成齐抓共管的工作格局。",
    "今年以来，{region}共开展集中宣传活动{n}场次，发放宣传资料{n2}00余份。",
    "群众可通过12345政务服务便民热线或来信来访等方式举报相关违法线索。",
)


def gambling_article(r: random.Random, v: Voice, pub: datetime) -> Article:
    """Ordinary enforcement news that mentions 赌博 in condemnation: never a problem."""
    police = v.region + ("公安厅" if v.short == "省" else "公安局")
    blocks = [
        ("p", f"{pub.month}月{pub.day}日，{police}召开打击赌博违法犯罪专项行动推进会，通报前一阶段工作成效，部署下一步重点任务。"),
        ("p", "会议要求，要保持对赌博违法犯罪的高压严打态势，坚决打击网络赌博、跨境赌博等违法犯罪活动，"
              "对群众举报的涉赌线索做到有报必查、查必到底。"),
        ("p", "要加强源头治理和宣传教育，引导广大群众自觉抵制赌博，防范落入网络赌博陷阱。"),
    ]
    _grow(blocks, r, v, pub, ENFORCEMENT, 320)
    return Article(f"{police}召开打击赌博违法犯罪专项行动推进会", blocks, police,
                   author="办公室", keywords="打击赌博")


def saohuang_article(r: random.Random, v: Voice, pub: datetime) -> Article:
    """Ordinary news about the 扫黄打非 campaign: never a problem."""
    blocks = [
        ("p", f"{pub.month}月{pub.day}日，{v.region}“扫黄打非”工作领导小组办公室在{r.choice(v.towns)}开展“扫黄打非”进基层集中宣传活动。"),
        ("p", "活动现场，工作人员向群众发放宣传资料，讲解识别和抵制非法出版物、网络有害信息的方法，"
              "引导青少年绿色上网、文明上网。"),
    ]
    _grow(blocks, r, v, pub, ENFORCEMENT, 320)
    return Article(f"{v.region}开展“扫黄打非”进基层集中宣传活动", blocks, v.unit, author="办公室", keywords="扫黄打非")


def weather_article(r: random.Random, v: Voice, pub: datetime) -> Article:
    """A notice about a 暴雨黄色预警 (weather warning): never a problem."""
    blocks = [
        ("p", v.salutation),
        ("p", f"{v.region}气象台于{pub.month}月{pub.day}日{r.randint(8, 16)}时发布暴雨黄色预警信号，"
              f"预计未来6小时内{v.region}大部分地区将出现50毫米以上降水，局部伴有雷电和短时大风。"),
        ("p", "请各单位立即进入应急响应状态，严格落实24小时值班值守和领导带班制度，加强山洪地质灾害隐患点、"
              "城市低洼易涝区域、在建工地等重点部位巡查，必要时及时转移受威胁群众。"),
    ]
    _grow(blocks, r, v, pub, ("各级防汛责任人要立即上岗到位，加强巡查值守，发现险情及时处置并按规定报告。",
                              "要加强预警信息发布，及时提醒群众减少外出，远离危险区域。",
                              "要做好抢险队伍、物资和设备的准备，确保一旦发生险情能够迅速有效处置。",
                              "要加强对在建工程、地下空间、危旧房屋等的安全检查，落实防范措施。"), 300)
    blocks += [("p", contact_line(r, v)), ("sign", f"{v.unit}\n{pub.year}年{pub.month}月{pub.day}日")]
    return Article("关于做好暴雨黄色预警期间防汛防灾工作的紧急通知", blocks, v.unit, author="办公室",
                   keywords="暴雨 黄色预警 防汛")


def people(r: random.Random, count: int) -> list[dict]:
    """Fictitious people with valid ID numbers and mobile numbers (stable for a given generator)."""
    out = []
    for _ in range(count):
        number = id_number(r)
        out.append({"name": person_name(r), "id": number, "mobile": mobile_number(r),
                    "sex": "男" if int(number[16]) % 2 else "女"})
    return out


def publicity_article(r: random.Random, v: Voice, pub: datetime, on: bool) -> tuple[Article, list[dict]]:
    """privacy_leak: a 低保 publicity list with full ID and mobile numbers (on) or masked ones (off)."""
    quarter = "二三四"[(pub.month - 1) // 4]
    persons = people(r, 2)
    rows = [["序号", "姓名", "身份证号码", "联系电话", "所在村（社区）", "保障人数"]]
    for i, p in enumerate(persons, 1):
        rows.append([str(i), p["name"], p["id"] if on else mask_id(p["id"]),
                     p["mobile"] if on else mask_mobile(p["mobile"]), r.choice(v.towns), str(r.randint(1, 4))])
    end = pub + timedelta(days=7)
    blocks = [
        ("p", f"根据《社会救助暂行办法》和最低生活保障有关规定，经个人申请、入户调查、民主评议和审核确认，"
              f"现将{pub.year}年第{quarter}季度拟新增城乡最低生活保障对象名单予以公示："),
        ("table", rows),
        ("p", f"公示期为{pub.year}年{pub.month}月{pub.day}日至{end.year}年{end.month}月{end.day}日。公示期间，"
              f"如对公示对象有异议，可通过来电、来信、来访等方式向{v.unit}反映。"),
    ]
    _grow(blocks, r, v, pub, ("公示对象将在公示期满且无异议后纳入保障范围，按月发放保障金。",
                              "对弄虚作假骗取保障待遇的，一经查实，将依法依规严肃处理。",
                              "最低生活保障实行动态管理，对家庭经济状况发生变化的，将按规定及时调整保障待遇。",
                              "举报人应如实反映情况，我们将对举报人信息严格保密。"), 300)
    blocks += [("p", contact_line(r, v)), ("sign", f"{v.unit}\n{pub.year}年{pub.month}月{pub.day}日")]
    title = f"关于{pub.year}年第{quarter}季度城乡最低生活保障新增对象的公示"
    return Article(title, blocks, v.unit, author="社会事务科", keywords="最低生活保障 公示"), persons


def attachment_publicity(r: random.Random, v: Voice, pub: datetime, on: bool) -> tuple[Article, list[dict]]:
    """attachment_pii: a publicity page whose XLSX and PDF attachments list full ID numbers (on)."""
    program = r.choice(PROGRAMS)
    persons = people(r, 3)
    header = ["序号", "姓名", "性别", "身份证号码", "所在村（社区）", "补助金额（元）"]
    rows = [header] + [[str(i), p["name"], p["sex"], p["id"] if on else mask_id(p["id"]),
                        r.choice(v.towns), str(r.randint(5, 40) * 100)] for i, p in enumerate(persons, 1)]
    name = f"{pub.year}年度{program}名单"
    attachments = [
        {"n": 1, "ext": "xlsx", "label": f"{name}.xlsx", "rows": rows, "title": name},
        {"n": 2, "ext": "pdf", "label": f"{name}（盖章版）.pdf", "rows": rows, "title": name},
    ]
    blocks = [
        ("p", f"根据有关政策规定，经申请、审核，现将{name}予以公示，公示期为7个工作日。"),
        ("p", "公示期间如有异议，请以书面形式向" + v.unit + "反映，反映情况要实事求是，并提供联系方式，以便调查核实。"),
    ]
    _grow(blocks, r, v, pub, ("补助资金将在公示期满后通过“一卡通”发放至补助对象账户。",
                              "请各乡镇（街道）做好政策宣传和解释工作。",
                              "补助对象名单经村（社区）初审、乡镇（街道）审核、主管部门审批后确定。",
                              "对公示期间反映的问题，将及时组织调查核实，并将结果反馈反映人。",
                              "公示期满无异议的，按程序予以发放；经查实不符合条件的，取消补助资格。",
                              "相关政策规定可在本网站“政策文件”栏目查询。"), 300)
    blocks += [("p", contact_line(r, v)), ("sign", f"{v.unit}\n{pub.year}年{pub.month}月{pub.day}日")]
    return (Article(f"关于{name}的公示", blocks, v.unit, author="社会事务科", keywords=program,
                    attachments=attachments), persons)


# --- rendering helpers -------------------------------------------------------------------------------

def plain_text(article: Article) -> str:
    lines = []
    for kind, value in article.blocks:
        if kind == "table":
            lines.extend("\t".join(row) for row in value)
        else:
            lines.append(value)
    return "\n".join(lines)


def summary(article: Article, limit: int = 80) -> str:
    for kind, value in article.blocks:
        if kind == "p" and len(value) > 20:
            return value[:limit]
    return article.title
