"""Government websites of the farm: who they are, their URL scheme, and their pages.

A site is a small ``SiteSpec``; its articles are never stored. Item ``k`` (0 = newest) of a column
has an age that grows with ``k`` (``util.series_age``), an article id derived from ``k``, and a
body generated from ``(seed, site, column, k)``. List pages, article pages and attachments are
rendered on request, so thousands of sites cost a few kilobytes each.

Two CMS flavours, alternating by site number:
- TRS: columns at ``ywdt/zwyw/index.html``, articles at ``art/2026/11/8/art_1234_567890.html`` or
  ``xxgk/202611/t20261108_567890.html``, body in ``div.TRS_Editor``.
- Hanweb (大汉): columns at ``col/col1234/index.html``, articles at
  ``art/2026/11/8/art_1234_567890.html``, body in ``div#zoom``, attachments through
  ``module/download/downfile.jsp?classid=0&filename=…``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Protocol
from urllib.parse import quote

from govwatch.demo import interaction
from govwatch.demo import text as T
from govwatch.demo.files import pdf_bytes, png_bytes, xlsx_bytes
from govwatch.demo.util import h01, h64, hexdigest, local_now, pub_time, rng, series_age
from govwatch.demo.web import Response, html, not_found, redirect, server_error

WEEKDAYS = "一二三四五六日"
PAGE_SIZE = 15

# key, registry kind, name, share of the pages, minimum count, newest age range (days), gap (days), TRS path
COLUMN_PLAN = (
    ("news", "news", "动态要闻", 0.35, 8, (1.0, 2.0), 1.6, "ywdt/zwyw"),
    ("local", "news", "基层动态", 0.15, 4, (1.0, 3.0), 2.5, "ywdt/jcdt"),
    ("notice", "notice", "通知公告", 0.25, 6, (2.0, 6.0), 6.0, "tzgg"),
    ("policy", "policy", "政策文件", 0.17, 3, (5.0, 20.0), 15.0, "xxgk/zcwj"),
    ("overview", "overview", "机构概况", 0.08, 2, (20.0, 90.0), 120.0, "xxgk/jggk"),
)
COLUMN_TYPES = {"news": "工作动态", "local": "工作动态", "notice": "通知公告", "policy": "政策文件", "overview": "机构概况"}
STALE_COLUMN = "local"  # the column "stale_column" ages: its newest item becomes 200 days old
STALE_AGE = 200.0

# Articles with a fixed role, present on every site: (column key, k) -> role.
SPECIAL_SLOTS = {
    ("news", 1): "fitness",  # banned_term
    ("news", 2): "meeting",  # secret_marker
    ("news", 3): "expo",  # wrong_term
    ("news", 4): "elevator",  # typo
    ("news", 5): "gambling",  # condemnation context: not a problem
    ("news", 6): "saohuang",  # enforcement context: not a problem
    ("notice", 0): "publicity",  # privacy_leak (masked when off)
    ("notice", 1): "attachments",  # attachment_pii (masked when off)
    ("notice", 3): "weather",  # 黄色预警: not a problem
}
WRONG_CHARSET_SLOT = ("news", 7)  # on GBK sites: declares gb2312, bytes are UTF-8

SITE_PROBLEMS = (
    "stale_column", "banned_term", "privacy_leak", "dead_link", "dark_link", "hijacked_link",
    "footer_missing", "timeout", "error_500", "attachment_pii", "secret_marker", "typo", "wrong_term",
    "hostile_pages", "interaction_unanswered",
)
DEFAULT_SITE_PROBLEMS = {
    1: (),
    2: (),
    3: ("stale_column", "banned_term", "privacy_leak", "dead_link", "dark_link", "footer_missing"),
    4: ("hijacked_link", "attachment_pii", "secret_marker", "wrong_term"),
}
# Sites after the fourth: every fifth carries one problem, in this order.
EXTRA_SITE_PROBLEMS = ("banned_term", "privacy_leak", "secret_marker", "wrong_term", "typo", "stale_column",
                       "dead_link", "footer_missing", "attachment_pii", "dark_link")

CITY_A, CITY_B = "青临云河泉望枫桐柏溪宁安", "山江岭阳州川平原湖岗"
COUNTY_A, COUNTY_B = "东西南北清白石桃龙凤金玉长永新", "湖山川岭溪沙门源泉坛水宁丰"
DEPTS = ("教育局", "卫生健康委员会", "交通运输局", "生态环境局", "自然资源和规划局", "人力资源和社会保障局",
         "民政局", "农业农村局", "市场监督管理局", "文化广电旅游局", "住房和城乡建设局", "应急管理局", "财政局",
         "司法局", "水利局", "商务局", "统计局", "医疗保障局", "退役军人事务局", "发展和改革委员会")
TOWNS = ("城关镇", "新桥镇", "柳溪街道", "白沙乡", "青石镇", "南山乡", "桃源街道", "东关街道", "石门镇", "龙泉乡",
         "金水镇", "凤鸣街道")
OFFICE_EMAIL = {"办公室": "bgs", "信息中心": "xxzx", "政务公开科": "zwgk", "综合科": "zhk"}


class Env(Protocol):
    """What the farm offers its page generators."""
    seed: int
    now: datetime
    base_url: str
    outside_url: str
    timeout_delay: float

    def problems_of(self, target_id: str) -> frozenset: ...
    def stamp_of(self, target_id: str) -> datetime | None: ...


@dataclass
class ColumnSpec:
    index: int
    key: str  # news, local, notice, policy, overview (text generator kind)
    kind: str  # registry kind: news, notice, policy, overview
    name: str
    colid: int
    count: int
    x0: float
    gap: float
    slug: str  # TRS path


@dataclass
class SiteSpec:
    index: int
    id: str
    name: str
    owner: str
    level: str
    parent: str
    voice: T.Voice
    template: str  # trs, hanweb
    charset: str  # utf-8, gbk
    domain: str
    code: str  # 网站标识码
    icp: str
    gongan: str
    conac: str
    office: str
    operator_type: str
    operator_name: str
    art_off: int
    columns: list[ColumnSpec] = field(default_factory=list)
    defaults: tuple = ()

    def column(self, key: str) -> ColumnSpec:
        return next(c for c in self.columns if c.key == key)


# --- who the sites are -------------------------------------------------------------------------------

def voice_for(level: str, region: str, unit: str, towns: tuple, dept: str = "") -> T.Voice:
    """How a unit of a level writes: its region, leader titles, the addressees of its notices."""
    if level == "省":
        return T.Voice(region, "省", "国", f"{region}人民政府", unit, "副省长",
                       "各市、县（市、区）人民政府，省政府直属各单位：", towns=towns)
    if level == "县":
        return T.Voice(region, "县", "市", f"{region}人民政府", unit, "副县长",
                       "各乡镇人民政府、街道办事处，县政府各部门、各直属单位：", towns=towns)
    if level == "部门":
        title = "副主任" if dept.endswith("委员会") else "副局长"
        subordinate = "委属" if dept.endswith("委员会") else "局属"
        return T.Voice(region, "市", "省", f"{region}人民政府", unit, title,
                       f"各县（市、区）有关部门，{subordinate}各单位：", towns=towns)
    return T.Voice(region, "市", "省", f"{region}人民政府", unit, "副市长",
                   "各县（市、区）人民政府，市政府各部门、各直属单位：", towns=towns)


def _identities(count: int):
    """(level, region, site name, owner, parent owner, department) for sites 1..count.

    1 province, 2 its city, 3 a county and 4 a department of that city; then blocks of twenty:
    a new city followed by its counties and departments alternately, so findings roll up
    省 → 市 → 县 / 部门.
    """
    province_owner = "示范省人民政府办公厅"
    fixed = [
        ("省", "示范省", "示范省人民政府门户网站", province_owner, "", ""),
        ("市", "示范市", "示范市人民政府门户网站", "示范市人民政府办公室", province_owner, ""),
        ("县", "东湖县", "东湖县人民政府门户网站", "东湖县人民政府办公室", "示范市人民政府办公室", ""),
        ("部门", "示范市", "示范市教育局网站", "示范市教育局", "示范市人民政府办公室", "教育局"),
    ]
    yield from fixed[:count]
    cities = (a + b + "市" for a in CITY_A for b in CITY_B)
    counties = (a + b for a in COUNTY_A for b in COUNTY_B if a + b != "东湖")
    city, city_owner, dept_i = "", "", 0
    for i in range(5, count + 1):
        p = i - 5
        if p % 20 == 0:
            city = next(cities, None) or f"示范第{p // 20 + 2}市"
            city_owner, dept_i = f"{city}人民政府办公室", 0
            yield "市", city, f"{city}人民政府门户网站", city_owner, province_owner, ""
        elif p % 2:
            county = next(counties, None) or f"示范{p}"
            county += "县" if p % 4 == 1 else "区"
            yield "县", county, f"{county}人民政府门户网站", f"{county}人民政府办公室", city_owner, ""
        else:
            dept = DEPTS[dept_i % len(DEPTS)]
            dept_i += 1
            yield "部门", city, f"{city}{dept}网站", f"{city}{dept}", city_owner, dept


def default_site_problems(i: int) -> tuple:
    if i in DEFAULT_SITE_PROBLEMS:
        return DEFAULT_SITE_PROBLEMS[i]
    if i > 4 and i % 5 == 0:
        return (EXTRA_SITE_PROBLEMS[(i // 5 - 1) % len(EXTRA_SITE_PROBLEMS)],)
    return ()


def build_sites(seed: int, count: int, pages: int) -> list[SiteSpec]:
    specs = []
    for i, (level, region, name, owner, parent, dept) in enumerate(_identities(count), 1):
        sid = f"site-{i:02d}"
        r = rng(seed, sid, "identity")
        towns = tuple(r.sample(TOWNS, 4))
        office = ("办公室", "信息中心", "政务公开科", "综合科")[r.randrange(4)] if i > 4 else \
            ("信息中心", "办公室", "政务公开科", "办公室")[i - 1]
        if i == 2 or (i > 4 and i % 7 == 3):
            operator = ("subsidiary", f"{region}大数据发展中心")
        elif i == 3 or (i > 4 and i % 7 == 0):
            operator = ("outsourced", f"{region[:2]}数智科技有限公司")
        else:
            operator = ("self", owner)
        spec = SiteSpec(
            index=i, id=sid, name=name, owner=owner, level=level, parent=parent,
            voice=voice_for(level, region, owner, towns, dept),
            template="trs" if i % 2 else "hanweb", charset="gbk" if i % 4 == 2 else "utf-8",
            domain=f"www.demo{i:02d}.gov.cn", code=f"{3300000000 + i}",
            icp=f"浙ICP备{10000000 + h64(seed, sid, 'icp') % 89999999}号",
            gongan=f"3301{h64(seed, sid, 'ga') % 10 ** 10:010d}",
            conac=hexdigest(seed, sid, "conac").upper(), office=office,
            operator_type=operator[0], operator_name=operator[1],
            art_off=(h64(seed, sid, "art") % 60) * 10000, defaults=default_site_problems(i),
        )
        colbase = 1000 + (h64(seed, sid, "col") % 800) * 10
        for j, (key, kind, cname, share, minimum, (lo, hi), gap, slug) in enumerate(COLUMN_PLAN):
            spec.columns.append(ColumnSpec(
                index=j, key=key, kind=kind, name=cname, colid=colbase + j,
                count=min(19999, max(minimum, round(pages * share))),
                x0=lo + (hi - lo) * h01(seed, sid, key, "x0"), gap=gap, slug=slug))
        specs.append(spec)
    return specs


# --- pages ---------------------------------------------------------------------------------------------

CSS = ("body{margin:0;font:14px/1.8 'Microsoft YaHei',SimSun,sans-serif;color:#333}a{color:#333;text-decoration:none}"
       ".w1200{width:1200px;margin:0 auto}.header{background:#c00;color:#fff;padding:20px 0}.nav ul,.list,.box ul{list-style:none;padding:0}"
       ".nav li{display:inline-block;margin:0 20px}.list li,.box li{border-bottom:1px dashed #ddd}.date,.bt_time{float:right;color:#999}"
       ".footer{background:#f2f2f2;text-align:center;padding:20px 0;font-size:12px}")


class Websites:
    """The websites of one farm: routing, rendering, registry rows and planted problems."""

    def __init__(self, env: Env, specs: list[SiteSpec]):
        self.env = env
        self.specs = specs
        self.by_id = {s.id: s for s in specs}

    # --- index math -----------------------------------------------------------------------------

    def is_stale(self, spec: SiteSpec, col: ColumnSpec) -> bool:
        return col.key == STALE_COLUMN and "stale_column" in self.env.problems_of(spec.id)

    def pub(self, spec: SiteSpec, col: ColumnSpec, k: int) -> datetime:
        x0 = STALE_AGE + 0.2 * h01(self.env.seed, spec.id, col.key, "stale") if self.is_stale(spec, col) else col.x0
        return pub_time(self.env.now, series_age(x0, col.gap, k, self.env.seed, spec.id, col.key))

    def artid(self, spec: SiteSpec, col: ColumnSpec, k: int) -> int:
        return 200000 + spec.art_off + col.index * 20000 + (col.count - k)

    def decode_artid(self, spec: SiteSpec, aid: int) -> tuple[ColumnSpec, int] | None:
        rel = aid - 200000 - spec.art_off
        if rel < 0 or rel // 20000 >= len(spec.columns):
            return None
        col = spec.columns[rel // 20000]
        k = col.count - rel % 20000
        return (col, k) if 0 <= k < col.count else None

    @staticmethod
    def root(spec: SiteSpec) -> str:
        return f"/s/{spec.id}/"

    def article_path(self, spec: SiteSpec, col: ColumnSpec, k: int) -> str:
        pub, aid = self.pub(spec, col, k), self.artid(spec, col, k)
        if spec.template == "trs" and col.kind in ("policy", "overview"):
            return f"{self.root(spec)}xxgk/{pub:%Y%m}/t{pub:%Y%m%d}_{aid}.html"
        return f"{self.root(spec)}art/{pub.year}/{pub.month}/{pub.day}/art_{col.colid}_{aid}.html"

    def column_path(self, spec: SiteSpec, col: ColumnSpec, page: int = 0) -> str:
        base = f"{col.slug}/" if spec.template == "trs" else f"col/col{col.colid}/"
        return self.root(spec) + base + ("index.html" if page == 0 else f"index_{page}.html")

    def attachment_path(self, spec: SiteSpec, col: ColumnSpec, k: int, n: int, ext: str) -> str:
        name = f"P0{self.pub(spec, col, k):%Y%m%d}{self.artid(spec, col, k)}{n:02d}.{ext}"
        if spec.template == "trs":
            return self.article_path(spec, col, k).rsplit("/", 1)[0] + "/" + name
        return f"{self.root(spec)}module/download/downfile.jsp?classid=0&filename={name}"

    def url(self, path: str) -> str:
        return self.env.base_url + path

    def pages_of(self, col: ColumnSpec) -> int:
        return max(1, -(-col.count // PAGE_SIZE))

    def dead_link_path(self, spec: SiteSpec) -> str:
        return f"{self.root(spec)}zt/2019/xczx/index.html"

    def dark_link_url(self, spec: SiteSpec) -> str:
        return f"{self.env.outside_url}/casino/index.html?from={spec.id}"

    def friend_url(self, spec: SiteSpec) -> str:
        return f"{self.env.outside_url}/friend/{spec.id}/"

    def hostile_paths(self, spec: SiteSpec) -> dict:
        base = f"{self.root(spec)}hostile/"
        return {name: base + name + ".html" for name in ("truncated", "unclosed", "binary", "big", "loop-a")}

    # --- content --------------------------------------------------------------------------------

    def article(self, spec: SiteSpec, col: ColumnSpec, k: int) -> tuple[T.Article, list[dict]]:
        """The article in slot ``k`` of a column, and the people it lists (special slots only)."""
        problems = self.env.problems_of(spec.id)
        pub = self.pub(spec, col, k)
        r = rng(self.env.seed, spec.id, col.key, k, "body")
        v = spec.voice
        role = SPECIAL_SLOTS.get((col.key, k))
        if role == "fitness":
            return T.fitness_article(r, v, pub, "banned_term" in problems), []
        if role == "meeting":
            return T.meeting_article(r, v, pub, "secret_marker" in problems, r.choice(T.TOPICS)), []
        if role == "expo":
            return T.expo_article(r, v, pub, "wrong_term" in problems), []
        if role == "elevator":
            return T.elevator_article(r, v, pub, "typo" in problems), []
        if role == "gambling":
            return T.gambling_article(r, v, pub), []
        if role == "saohuang":
            return T.saohuang_article(r, v, pub), []
        if role == "weather":
            return T.weather_article(r, v, pub), []
        if role == "publicity":
            return T.publicity_article(r, v, pub, "privacy_leak" in problems)
        if role == "attachments":
            return T.attachment_publicity(r, v, pub, "attachment_pii" in problems)
        topic, town = self._subject(spec, col, k)
        title = T.ordinary_title(col.key, rng(self.env.seed, spec.id, col.key, k, "title"), v, pub, k, topic, town)
        return T.ordinary_article(col.key, title, r, v, pub, topic, town), []

    def _subject(self, spec: SiteSpec, col: ColumnSpec, k: int) -> tuple[str, str]:
        """What an ordinary article is about: a topic and, for 基层动态, a town."""
        n = h64(self.env.seed, spec.id, col.key, k, "subject")
        return T.TOPICS[n % len(T.TOPICS)], spec.voice.towns[(n >> 8) % len(spec.voice.towns)]

    def title(self, spec: SiteSpec, col: ColumnSpec, k: int) -> str:
        if (col.key, k) in SPECIAL_SLOTS:
            return self.article(spec, col, k)[0].title
        pub = self.pub(spec, col, k)
        return T.ordinary_title(col.key, rng(self.env.seed, spec.id, col.key, k, "title"), spec.voice, pub, k,
                                *self._subject(spec, col, k))

    def latest(self, spec: SiteSpec, limit: int) -> list[tuple[datetime, ColumnSpec, int]]:
        items = [(self.pub(spec, col, k), col, k) for col in spec.columns for k in range(min(limit, col.count))]
        items.sort(key=lambda t: t[0], reverse=True)
        return items[:limit]

    def last_modified(self, spec: SiteSpec, content_time: datetime) -> datetime:
        stamp = self.env.stamp_of(spec.id)
        return max(content_time, stamp) if stamp else content_time

    # --- routing --------------------------------------------------------------------------------

    ART_RE = re.compile(r"art/(\d{4})/(\d{1,2})/(\d{1,2})/art_(\d+)_(\d{6})\.html")
    XXGK_RE = re.compile(r"xxgk/(\d{6})/t(\d{8})_(\d{6})\.html")
    TRS_COL_RE = re.compile(r"([a-z/]+?)/(?:index(?:_(\d+))?\.html)?")
    HANWEB_COL_RE = re.compile(r"col/col(\d+)/(?:index(?:_(\d+))?\.html)?")
    ATTACH_RE = re.compile(r"P0(\d{8})(\d{6})(\d{2})\.(xlsx|pdf)")
    IMAGE_RE = re.compile(r"(?:.*/)?[\w-]+\.png")

    def route(self, spec: SiteSpec, rest: str, query: dict) -> Response:
        problems = self.env.problems_of(spec.id)
        delay = self.env.timeout_delay if "timeout" in problems else 0.0
        if "error_500" in problems:
            resp = server_error()
        else:
            resp = self._route(spec, rest, query)
        resp.delay = delay
        return resp

    def _route(self, spec: SiteSpec, rest: str, query: dict) -> Response:
        if rest in ("", "index.html", "index.shtml"):
            return self.homepage(spec)
        if rest == "robots.txt":
            body = "User-agent: *\nAllow: /\n".encode("ascii")
            return Response(200, body, "text/plain; charset=utf-8",
                            last_modified=pub_time(self.env.now, 400.0))
        if rest == "zt/index.html":
            return self.topic_page(spec)
        if rest == interaction.PATH:
            return self.interaction_page(spec)
        if rest.startswith("hostile/"):
            return self.hostile(spec, rest[len("hostile/"):])
        m = self.ART_RE.fullmatch(rest) or self.XXGK_RE.fullmatch(rest)
        if m:
            found = self.decode_artid(spec, int(m.groups()[-1]))
            if found and self.article_path(spec, *found) == self.root(spec) + rest:
                return self.article_page(spec, *found)
            return not_found()
        if spec.template == "hanweb" and rest == "module/download/downfile.jsp":
            return self.attachment(spec, query.get("filename", ""))
        if spec.template == "hanweb" and rest == "module/visitcount/articlehits.jsp":
            return Response(200, f'document.write("{h64(query.get("artid", "")) % 900 + 100}");'.encode("ascii"),
                            "application/javascript; charset=utf-8", validators=False)
        m = self.ATTACH_RE.search(rest)
        if m and spec.template == "trs":
            return self.attachment(spec, m.group(0), rest)
        col_match = (self.TRS_COL_RE if spec.template == "trs" else self.HANWEB_COL_RE).fullmatch(rest)
        if col_match:
            key, page = col_match.group(1), int(col_match.group(2) or 0)
            col = next((c for c in spec.columns if key in (c.slug, str(c.colid))), None)
            if col and page < self.pages_of(col):
                return self.column_page(spec, col, page)
            return not_found()
        if self.IMAGE_RE.fullmatch(rest):
            return Response(200, png_bytes(60, 40, (200, 40, 40)), "image/png",
                            last_modified=pub_time(self.env.now, 400.0))
        return not_found()

    # --- page frames ----------------------------------------------------------------------------

    def _head(self, spec: SiteSpec, title: str, meta: dict, charset: str) -> str:
        if spec.charset == "gbk" or charset != "utf-8":
            charset_tag = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        else:
            charset_tag = '<meta charset="utf-8">'
        metas = "\n".join(f'<meta name="{k}" content="{escape(str(v))}">' for k, v in meta.items())
        return (f"<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n{charset_tag}\n"
                f"<meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge,chrome=1\">\n"
                f"<title>{escape(title)}</title>\n{metas}\n<style>{CSS}</style>\n</head>\n")

    def _nav(self, spec: SiteSpec) -> str:
        root = self.root(spec)
        today = local_now(self.env.now)
        items = "".join(f'<li><a href="{self.column_path(spec, c)}">{c.name}</a></li>' for c in spec.columns)
        date_line = f"今天是{today.year}年{today.month}月{today.day}日 星期{WEEKDAYS[today.weekday()]}"
        if spec.template == "trs":
            return (f'<body>\n<div class="topbar"><div class="w1200"><span class="today">{date_line}</span></div></div>\n'
                    f'<div class="header"><div class="w1200"><a href="{root}" class="logo">'
                    f'<img src="{root}images/logo.png" alt="{escape(spec.name)}"></a>'
                    f'<h1>{escape(spec.name)}</h1></div></div>\n'
                    f'<div class="nav"><ul class="w1200"><li><a href="{root}">首页</a></li>{items}</ul></div>\n')
        return (f'<body>\n<div id="header"><div class="top-date">{date_line}</div>'
                f'<div class="logo"><a href="{root}"><img src="{root}images/logo.png" alt="{escape(spec.name)}"></a>'
                f'<span class="site-name">{escape(spec.name)}</span></div></div>\n'
                f'<div id="menu"><ul><li><a href="{root}index.html">首页</a></li>{items}</ul></div>\n')

    def _footer(self, spec: SiteSpec) -> str:
        root, out = self.root(spec), self.env.outside_url
        lines = [
            f'<p><a href="{root}">网站首页</a> | <a href="{root}zt/index.html">专题专栏</a></p>',
            f"<p>主办单位：{escape(spec.owner)}　承办单位：{escape(spec.owner)}{escape(spec.office)}"
            f"　联系电话：{spec.voice.area_code}-8700{h64(spec.id, 'tel') % 10000:04d}</p>",
        ]
        if "footer_missing" not in self.env.problems_of(spec.id):
            lines.append(
                f'<p>网站标识码：{spec.code}　<a href="{out}/beian/miit/" target="_blank">{spec.icp}</a>　'
                f'<a href="{out}/beian/gongan/?recordcode={spec.gongan}" target="_blank">'
                f'<img src="{root}images/ga.png" alt="">浙公网安备 {spec.gongan}号</a></p>')
            lines.append(
                f'<p><span id="_ideConac"><a href="{out}/conac/sitename?method=show&amp;id={spec.conac}" '
                f'target="_blank"><img src="{out}/conac/image/red.png" alt="党政机关" title="党政机关"></a></span></p>')
        inner = "\n".join(lines)
        if spec.template == "trs":
            return f'<div class="footer"><div class="w1200">\n{inner}\n</div></div>\n</body>\n</html>\n'
        return f'<div id="footer">\n{inner}\n</div>\n</body>\n</html>\n'

    def _encode(self, spec: SiteSpec, page: str, last_modified: datetime) -> Response:
        return html(page, self.last_modified(spec, last_modified), charset=spec.charset)

    def _site_meta(self, spec: SiteSpec) -> dict:
        return {"SiteName": spec.name, "SiteDomain": spec.domain, "SiteIDCode": spec.code}

    def _item(self, spec: SiteSpec, col: ColumnSpec, k: int, date_first: bool = False) -> str:
        title = escape(self.title(spec, col, k))
        day = f"{self.pub(spec, col, k):%Y-%m-%d}"
        link = f'<a href="{self.article_path(spec, col, k)}" title="{title}" target="_blank">{title}</a>'
        if date_first:
            return f'<li><span class="bt_time">{day}</span>{link}</li>'
        return f'<li>{link}<span class="date">{day}</span></li>'

    # --- homepage, column lists, topic page -------------------------------------------------------

    def homepage(self, spec: SiteSpec) -> Response:
        root, problems = self.root(spec), self.env.problems_of(spec.id)
        latest = self.latest(spec, 8)
        parts = [self._head(spec, spec.name, {**self._site_meta(spec), "Keywords": spec.voice.region,
                                              "Description": f"{spec.name}是{spec.owner}主办的政务公开与政务服务平台。"},
                            spec.charset),
                 self._nav(spec),
                 f'<div class="main w1200">\n<div class="banner"><img src="{root}images/banner.png" alt=""></div>\n',
                 '<div class="box latest"><h3>最新信息</h3><ul>',
                 "".join(self._item(spec, col, k) for _, col, k in latest), "</ul></div>\n"]
        for col in spec.columns:
            more = self.column_path(spec, col)
            parts.append(f'<div class="box col-{col.key}"><h3><a href="{more}">{col.name}</a>'
                         f'<a class="more" href="{more}">更多&gt;&gt;</a></h3><ul>')
            parts.append("".join(self._item(spec, col, k) for k in range(min(6, col.count))))
            parts.append("</ul></div>\n")
        topic = T.TOPICS[h64(spec.id, "zt") % len(T.TOPICS)]
        parts.append(f'<div class="box zt"><h3>专题专栏</h3><ul><li><a href="{root}zt/index.html">'
                     f'{local_now(self.env.now).year}年{topic}专题</a></li>')
        if "dead_link" in problems:
            parts.append(f'<li><a href="{self.dead_link_path(spec)}">乡村振兴专题（2019）</a></li>')
        parts.append("</ul></div>\n")
        if "hostile_pages" in problems:
            links = "".join(f'<li><a href="{path}">测试页面{i}</a></li>'
                            for i, path in enumerate(self.hostile_paths(spec).values(), 1))
            parts.append(f'<div class="box special"><h3>网站测试</h3><ul>{links}</ul></div>\n')
        friends = [s for s in self.specs[:5] if s is not spec][:4]
        links = "".join(f'<li><a href="{self.url(self.root(s))}" target="_blank">{escape(s.name)}</a></li>' for s in friends)
        if "hijacked_link" in spec.defaults or "hijacked_link" in problems:
            links += f'<li><a href="{self.friend_url(spec)}" target="_blank">{spec.voice.region}史志网</a></li>'
        parts.append(f'<div class="yqlj"><h3>友情链接</h3><ul>{links}</ul></div>\n')
        if "dark_link" in problems:
            parts.append(f'<div style="display:none"><a href="{self.dark_link_url(spec)}">澳门葡京娱乐场</a></div>\n')
        parts.append("</div>\n")
        parts.append(self._footer(spec))
        newest = latest[0][0] if latest else pub_time(self.env.now, 1.0)
        return self._encode(spec, "".join(parts), newest)

    def column_page(self, spec: SiteSpec, col: ColumnSpec, page: int) -> Response:
        total = self.pages_of(col)
        ks = range(page * PAGE_SIZE, min(col.count, (page + 1) * PAGE_SIZE))
        trs = spec.template == "trs"
        items = "".join(self._item(spec, col, k, date_first=not trs) for k in ks)
        home, here = self.root(spec), self.column_path(spec, col)

        def name(p: int) -> str:
            return "index.html" if p == 0 else f"index_{p}.html"

        pager = [f"共{col.count}条 {total}页 "]
        if page > 0:
            pager.append(f'<a href="{name(0)}">首页</a> <a href="{name(page - 1)}">上一页</a> ')
        for p in range(total):
            pager.append(f'<span class="current">{p + 1}</span> ' if p == page else f'<a href="{name(p)}">{p + 1}</a> ')
        if page < total - 1:
            pager.append(f'<a href="{name(page + 1)}">下一页</a> <a href="{name(total - 1)}">尾页</a>')
        pager = "".join(pager)
        if trs:
            body = (f'<div class="main w1200"><div class="position">当前位置：<a href="{home}">首页</a> &gt; '
                    f'<a href="{here}">{col.name}</a></div>\n<div class="list-box"><h2 class="list-title">{col.name}</h2>\n'
                    f'<ul class="list">{items}</ul>\n<div class="page">{pager}</div>\n'
                    f'<script>createPageHTML({total}, {page}, "index", "html");</script></div></div>\n')
        else:
            body = (f'<div id="container"><div class="bt-position">您当前的位置：<a href="{home}">首页</a> &gt; '
                    f'<a href="{here}">{col.name}</a></div>\n<div class="lm_name">{col.name}</div>\n'
                    f'<div id="{col.colid}" class="default_pgContainer"><ul class="lm_list">{items}</ul></div>\n'
                    f'<div class="default_pgPanel">{pager}</div></div>\n')
        meta = {**self._site_meta(spec), "ColumnName": col.name, "ColumnType": COLUMN_TYPES[col.key]}
        newest = self.pub(spec, col, ks[0]) if len(ks) else pub_time(self.env.now, 1.0)
        page_html = (self._head(spec, f"{col.name} - {spec.name}", meta, spec.charset) + self._nav(spec)
                     + body + self._footer(spec))
        return self._encode(spec, page_html, newest)

    def interaction_page(self, spec: SiteSpec) -> Response:
        rows = interaction.board_rows(self.env, spec.id, "interaction_unanswered" in self.env.problems_of(spec.id))
        page_html = (self._head(spec, f"{interaction.NAME} - {spec.name}", self._site_meta(spec), spec.charset)
                     + self._nav(spec) + interaction.board_html(self.root(spec), rows) + self._footer(spec))
        return self._encode(spec, page_html, rows[0]["asked"])

    def topic_page(self, spec: SiteSpec) -> Response:
        topic = T.TOPICS[h64(spec.id, "zt") % len(T.TOPICS)]
        items = "".join(f'<li><a href="{self.column_path(spec, c)}">{c.name}</a></li>' for c in spec.columns)
        body = (f'<div class="main w1200"><h2>{local_now(self.env.now).year}年{topic}专题</h2>'
                f"<p>本专题集中发布{escape(spec.voice.region)}{topic}工作的政策文件、工作动态和典型经验。</p>"
                f'<ul>{items}</ul></div>\n')
        page_html = (self._head(spec, f"{topic}专题 - {spec.name}", self._site_meta(spec), spec.charset)
                     + self._nav(spec) + body + self._footer(spec))
        return self._encode(spec, page_html, pub_time(self.env.now, 30.0))

    # --- articles ----------------------------------------------------------------------------------

    def _blocks_html(self, spec: SiteSpec, article: T.Article, image: str) -> str:
        trs = spec.template == "trs"
        out = []
        if image:
            out.append(f'<p style="text-align:center;"><img src="{image}" alt="" width="600" border="0"></p>')
        for kind, value in article.blocks:
            if kind == "p":
                out.append(f"<p>　　{escape(value)}</p>" if trs else f'<p style="text-indent:2em;">{escape(value)}</p>')
            elif kind == "h":
                out.append(f"<p><strong>{escape(value)}</strong></p>")
            elif kind == "marker":
                out.append(f'<p style="text-align:left;"><strong>{escape(value)}</strong></p>')
            elif kind == "sign":
                out.append('<p style="text-align:right;">' + "<br>".join(escape(x) for x in value.split("\n")) + "</p>")
            elif kind == "table":
                head, *rows = value
                cells = ["<tr>" + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr>"]
                cells += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
                out.append('<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;">'
                           + "".join(cells) + "</table>")
        return "\n".join(out)

    def article_page(self, spec: SiteSpec, col: ColumnSpec, k: int) -> Response:
        article, _ = self.article(spec, col, k)
        pub = self.pub(spec, col, k)
        path = self.article_path(spec, col, k)
        image = ""
        if article.image:
            image = path.rsplit("/", 1)[0] + f"/W0{pub:%Y%m%d}{self.artid(spec, col, k)}.png"
        meta = {**self._site_meta(spec), "ColumnName": col.name, "ColumnType": COLUMN_TYPES[col.key],
                "ArticleTitle": article.title, "PubDate": f"{pub:%Y-%m-%d %H:%M}", "ContentSource": article.source,
                "Keywords": article.keywords, "Author": article.author, "Description": T.summary(article),
                "Url": self.url(path)}
        if spec.template == "hanweb":
            meta = {"Maketime": f"{pub:%Y-%m-%d %H:%M:%S}", **meta}
        body = self._blocks_html(spec, article, image)
        files = "".join(f'<li><a href="{escape(self.attachment_path(spec, col, k, a["n"], a["ext"]))}" '
                        f'target="_blank">附件{a["n"]}：{escape(a["label"])}</a></li>' for a in article.attachments)
        files = f'<div class="fj"><p>附件：</p><ul>{files}</ul></div>' if files else ""
        title, home, here = escape(article.title), self.root(spec), self.column_path(spec, col)
        wrong = spec.charset == "gbk" and (col.key, k) == WRONG_CHARSET_SLOT
        if spec.template == "trs":
            main = (f'<div class="main w1200"><div class="position">当前位置：<a href="{home}">首页</a> &gt; '
                    f'<a href="{here}">{col.name}</a> &gt; 正文</div>\n<div class="article">\n'
                    f'<h2 class="article-title">{title}</h2>\n<div class="article-infos">'
                    f'<span>发布时间：{pub:%Y-%m-%d %H:%M}</span>　<span>来源：{escape(article.source)}</span>　'
                    f'<span class="article-zoom">字体：[<a href="javascript:void(0);">大</a> '
                    f'<a href="javascript:void(0);">中</a> <a href="javascript:void(0);">小</a>]</span></div>\n'
                    f'<div class="article-body"><div class="TRS_Editor">\n{body}\n</div></div>\n{files}\n'
                    f'<div class="article-func"><a href="javascript:window.print()">【打印本页】</a> '
                    f'<a href="javascript:window.close()">【关闭窗口】</a></div>\n</div></div>\n')
        else:
            main = (f'<div id="container"><div class="bt-position">您当前的位置：<a href="{home}">首页</a> &gt; '
                    f'<a href="{here}">{col.name}</a></div>\n<div class="con">\n<p class="con-title">{title}</p>\n'
                    f'<div class="small-title"><span>发布时间：{pub:%Y-%m-%d}</span>　<span>浏览次数：'
                    f'<script language="javascript" src="{home}module/visitcount/articlehits.jsp?colid={col.colid}'
                    f'&amp;artid={self.artid(spec, col, k)}"></script></span>　'
                    f'<span>信息来源：{escape(article.source)}</span></div>\n'
                    f'<div class="main-txt" id="zoom"><!--<$[信息内容]>begin--><meta name="ContentStart">\n{body}\n'
                    f'<meta name="ContentEnd"><!--<$[信息内容]>end--></div>\n{files}\n</div></div>\n')
        charset = "gb2312" if wrong else spec.charset
        page_html = (self._head(spec, f"{article.title} - {spec.name}", meta, charset) + self._nav(spec) + main
                     + self._footer(spec))
        if wrong:
            return html(page_html, self.last_modified(spec, pub), charset="utf-8", declared="gb2312")
        return self._encode(spec, page_html, pub)

    def attachment(self, spec: SiteSpec, filename: str, rest: str = "") -> Response:
        """An attachment by file name (Hanweb) or by path (TRS: ``rest`` must be its exact path)."""
        m = self.ATTACH_RE.fullmatch(filename)
        found = self.decode_artid(spec, int(m.group(2))) if m else None
        if not found:
            return not_found()
        col, k = found
        article, _ = self.article(spec, col, k)
        wanted = next((a for a in article.attachments if a["n"] == int(m.group(3)) and a["ext"] == m.group(4)), None)
        if wanted is None:
            return not_found()
        expected = self.attachment_path(spec, col, k, wanted["n"], wanted["ext"])
        if not expected.endswith("filename=" + filename) and expected != self.root(spec) + rest:
            return not_found()
        pub = self.pub(spec, col, k)
        if wanted["ext"] == "xlsx":
            body = xlsx_bytes(wanted["title"], wanted["rows"], pub)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            lines = [wanted["title"]] + ["  ".join(row) for row in wanted["rows"]] + [spec.owner]
            body, ctype = pdf_bytes(lines, pub), "application/pdf"
        disposition = f"attachment; filename*=UTF-8''{quote(wanted['label'])}"
        return Response(200, body, ctype, headers={"Content-Disposition": disposition},
                        last_modified=self.last_modified(spec, pub))

    # --- hostile inputs ----------------------------------------------------------------------------

    def hostile(self, spec: SiteSpec, name: str) -> Response:
        when = pub_time(self.env.now, 3.0)
        article, _ = self.article(spec, spec.columns[0], 0)
        page = (self._head(spec, article.title, self._site_meta(spec), "utf-8") + self._nav(spec)
                + '<div class="TRS_Editor">' + self._blocks_html(spec, article, "") + "</div>" + self._footer(spec))
        if name == "truncated.html":
            body = page.encode("utf-8")
            return Response(200, body, "text/html; charset=utf-8", last_modified=when, truncate_at=len(body) // 2)
        if name == "unclosed.html":
            cut = page.encode("utf-8")[: len(page) // 3]
            return Response(200, cut.decode("utf-8", "ignore").encode("utf-8") + b'<div class="TRS_Editor"><p><a href="',
                            "text/html; charset=utf-8", last_modified=when)
        if name == "binary.html":
            r = rng(self.env.seed, spec.id, "binary")
            return Response(200, bytes(r.randrange(256) for _ in range(65536)), "text/html; charset=utf-8",
                            last_modified=when)
        if name == "big.html":
            return Response(200, _big_page(self.env.seed), "text/html; charset=utf-8", last_modified=when)
        if name in ("loop-a.html", "loop-b.html"):
            other = "loop-b.html" if name == "loop-a.html" else "loop-a.html"
            return redirect(f"{self.root(spec)}hostile/{other}")
        return not_found()

    # --- registry, planted problems, landmarks -------------------------------------------------------

    def target(self, spec: SiteSpec) -> dict:
        emails = [f"{OFFICE_EMAIL[spec.office]}.{spec.id.replace('-', '')}@demo.gov.cn"]
        if spec.level in ("省", "市"):
            emails.append(f"xxgk.{spec.id.replace('-', '')}@demo.gov.cn")
        return {
            "id": spec.id, "name": spec.name, "platform": "website", "url": self.url(self.root(spec)),
            "account_id": "", "feed_url": "", "owner": spec.owner, "owner_level": spec.level,
            "office": f"{spec.owner}{spec.office}", "emails": emails, "operator_type": spec.operator_type,
            "operator_name": spec.operator_name,
            "operator_qualified": True if spec.operator_type == "outsourced" else None,
            "parent": spec.parent, "content_type": "text",
            "columns": [{"name": c.name, "url": self.url(self.column_path(spec, c)), "kind": c.kind}
                        for c in spec.columns]
            + [{"name": interaction.NAME, "url": self.url(self.root(spec) + interaction.PATH), "kind": "interaction"}],
            "tags": ["demo", spec.template, spec.charset],
        }

    def planted(self, spec: SiteSpec) -> list[dict]:
        problems = self.env.problems_of(spec.id)
        home = self.url(self.root(spec))
        out = []

        def add(problem: str, rule: str, url: str, match: str, parent_url: str = "", **extra) -> None:
            out.append({"target_id": spec.id, "rule": rule, "url": url, "match": match,
                        "problem": problem, "parent_url": parent_url, **extra})

        def article_url(key: str, k: int) -> str:
            return self.url(self.article_path(spec, spec.column(key), k))

        if "timeout" in problems:
            add("timeout", "site.down_now", home, "")
        if "error_500" in problems:
            add("error_500", "site.down_now", home, "")
        if "interaction_unanswered" in problems:
            add("interaction_unanswered", "site.interaction_unanswered",
                self.url(self.root(spec) + interaction.PATH), "未回复")
        if "stale_column" in problems:
            col = spec.column(STALE_COLUMN)
            add("stale_column", "site.column_stale", self.url(self.column_path(spec, col)), col.name)
        if "banned_term" in problems:
            add("banned_term", "banned.cult", article_url("news", 1), "法轮功")
        if "secret_marker" in problems:
            add("secret_marker", "secret.marker", article_url("news", 2), "机密★1年")
        if "wrong_term" in problems:
            add("wrong_term", "expression.term", article_url("news", 3), "北朝鲜")
        if "typo" in problems:
            add("typo", "expression.typo", article_url("news", 4), "按装")
        if "privacy_leak" in problems:
            _, persons = self.article(spec, spec.column("notice"), 0)
            for p in persons:
                add("privacy_leak", "privacy.id_number", article_url("notice", 0), p["id"])
                add("privacy_leak", "privacy.mobile", article_url("notice", 0), p["mobile"])
        if "attachment_pii" in problems:
            col = spec.column("notice")
            article, persons = self.article(spec, col, 1)
            for a in article.attachments:
                url = self.url(self.attachment_path(spec, col, 1, a["n"], a["ext"]))
                for p in persons:
                    add("attachment_pii", "privacy.id_number", url, p["id"], article_url("notice", 1))
        if "dead_link" in problems:
            url = self.url(self.dead_link_path(spec))
            add("dead_link", "site.dead_link", url, url, home)
        if "dark_link" in problems:
            # one finding per page, listing its hidden links: the finding is on the homepage
            add("dark_link", "site.dark_link", home, home, home, link=self.dark_link_url(spec))
        if "hijacked_link" in problems:
            add("hijacked_link", "site.link_hijacked", self.friend_url(spec), self.friend_url(spec), home)
        if "footer_missing" in problems:
            add("footer_missing", "site.footer_missing", home, "")
        return out

    def landmarks(self) -> dict:
        """URLs tests reach for directly: the GBK and wrong-charset pages, clean traps, hostile pages."""
        out = {}
        gbk = next((s for s in self.specs if s.charset == "gbk"), None)
        if gbk:
            out["gbk_article"] = self.url(self.article_path(gbk, gbk.column("news"), 0))
            out["wrong_charset"] = self.url(self.article_path(gbk, gbk.column(WRONG_CHARSET_SLOT[0]), WRONG_CHARSET_SLOT[1]))
        clean = self.specs[0]
        out["masked_privacy"] = self.url(self.article_path(clean, clean.column("notice"), 0))
        out["masked_attachments"] = self.url(self.article_path(clean, clean.column("notice"), 1))
        out["condemn_gambling"] = self.url(self.article_path(clean, clean.column("news"), 5))
        out["condemn_saohuang"] = self.url(self.article_path(clean, clean.column("news"), 6))
        out["weather_warning"] = self.url(self.article_path(clean, clean.column("notice"), 3))
        hostile = self.by_id.get("site-03", clean)
        for name, path in self.hostile_paths(hostile).items():
            out[f"hostile_{name.replace('-a', '')}"] = self.url(path)
        return out


_BIG_CACHE: dict = {}


def _big_page(seed: int) -> bytes:
    """A 10 MB HTML page (cached: it is the same for every site of a seed)."""
    if seed not in _BIG_CACHE:
        r = rng(seed, "big")
        v = T.Voice("示范市", "市", "省", "示范市人民政府", "示范市人民政府办公室", "副市长", "")
        para = "".join(f"<p>{T.fill(t, r, v, datetime(2026, 1, 1))}</p>\n" for t in T.NEWS_BODY).encode("utf-8")
        head = b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>\xe5\xa4\xa7\xe9\xa1\xb5\xe9\x9d\xa2</title></head><body>\n'
        size = 10 * 1024 * 1024
        body = para * (size // len(para) + 1)
        _BIG_CACHE.clear()
        _BIG_CACHE[seed] = (head + body)[: size - 15] + b"</body></html>\n"
    return _BIG_CACHE[seed]
