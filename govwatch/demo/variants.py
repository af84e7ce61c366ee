"""Farm variants: small government sites, one per way real CMSs page their column lists, carrying
the things that made false alarms on real sites (issue 12).

Served under ``/v/<id>/`` when the farm is built with ``variants=True``. Every variant has two
columns found from its navigation, 要闻 (a two-character column title) and 通知公告, paged
``PAGE_SIZE`` items a page, and the same furniture:

* a homepage box per column (``<h3><a>要闻</a></h3>`` then the newest items) and a "栏目更新" box of
  dated column links (要闻 2026-11-27);
* a hover drop-down menu (政务新媒体 → the official Weibo and WeChat accounts, ``display:none`` until
  hovered) and a hidden "相关网站" block of .gov.cn portals;
* the registration links every footer carries (ICP 备案 beian.miit.gov.cn, 公安备案 beian.gov.cn,
  党政机关网站标识 bszs.conac.cn, 政府网站找错, 无障碍) both in the visible footer (through the farm's
  outside host) and in a hidden mobile footer (real host names; hidden links are never fetched);
* article pages with an off-site ``<link rel="canonical">`` (another domain);
* a server that answers every HEAD with 501 (GET works);

and one planted problem each on ``var-trs-numbered`` (a hidden casino link on the homepage: the one
dark link) and ``var-query`` (a homepage link to a page that answers 404: the one dead link).

Pagination families (``FAMILIES``):

==================  ===========================================================================
var-trs-numbered    numbered links in a window (1 2 3 … 尾页) to ``index_N.html``, N from 1
var-trs-script      no links: only TRS's ``createPageHTML(7, 0, "index", "html")``
var-shtml-count     ``var countPage = 7`` + ``createPageHTML(countPage, currentPage, "index", "shtml")``
var-list            numbered links to ``list_N.html`` (N from 2) and 共 N 页 text
var-query           ``list.jsp?cid=…&page=N`` numbered window and 末页
var-pagenum         a page-number form (跳转到 [ ] 页, field ``pageNum``) and 共 N 页 text
var-curpage         下一页/尾页 links to ``index.jsp?curpage=N`` and 页次：1/N text
var-slash           numbered links to ``/N.html``
var-hanweb          Hanweb jpage: records in ``<datastore>`` CDATA, the rest from
                    ``/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=`` + the
                    ``nextgroup`` parameters (answer: XML datastore with ``<totalrecord>``)
==================  ===========================================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from govwatch.demo.util import h64, local_now, pub_time
from govwatch.demo.web import Response, html, not_found

PAGE_SIZE = 5
COLUMNS = (("yw", "要闻", "news", 33), ("tzgg", "通知公告", "notice", 12))
FAMILIES = ("trs-numbered", "trs-script", "shtml-count", "list", "query", "pagenum", "curpage", "slash", "hanweb")
HANWEB_GROUP = 3  # jpage groupSize: pages of records per proxy answer (and embedded in the page)
TOPICS = ("优化营商环境", "安全生产", "乡村振兴", "民生实事", "生态环境保护", "数字政府建设", "防汛防台",
          "政务公开", "就业创业", "城市更新", "医疗保障", "教育发展")
WINDOW = 2  # numbered links shown on each side of the current page


@dataclass(frozen=True)
class Variant:
    id: str
    family: str
    name: str
    region: str


def build_variants() -> list[Variant]:
    regions = ("东湖区", "西岭县", "南溪县", "北塘区", "清河县", "白石县", "桃源县", "龙泉区", "金水县")
    return [Variant(f"var-{family}", family, f"{regions[i]}人民政府", regions[i])
            for i, family in enumerate(FAMILIES)]


class Variants:
    """Routing and rendering of the variant sites of one farm (``env``: seed, now, base/outside URLs)."""

    def __init__(self, env):
        self.env = env
        self.specs = build_variants()
        self.by_id = {v.id: v for v in self.specs}

    # --- index math -----------------------------------------------------------------------------
    @staticmethod
    def root(v: Variant) -> str:
        return f"/v/{v.id}/"

    def pub(self, v: Variant, col: str, k: int) -> datetime:
        return pub_time(self.env.now, 0.4 + k * (1.3 if col == "yw" else 4.1) + (h64(v.id, col, k) % 10) / 40)

    @staticmethod
    def pages(count: int) -> int:
        return -(-count // PAGE_SIZE)

    def article_path(self, v: Variant, col: str, k: int) -> str:
        pub = self.pub(v, col, k)
        aid = 5000 + (0 if col == "yw" else 1000) + k
        if v.family == "hanweb":
            return f"{self.root(v)}art/{pub.year}/{pub.month}/{pub.day}/art_{self.colid(col)}_{aid}.html"
        return f"{self.root(v)}{col}/{pub:%Y%m}/t{pub:%Y%m%d}_{aid}.html"

    @staticmethod
    def colid(col: str) -> int:
        return 4100 if col == "yw" else 4101

    def column_path(self, v: Variant, col: str, page: int = 1) -> str:
        """The URL path of list page ``page`` (1 = the column's own page)."""
        base = f"{self.root(v)}{col}/"
        f = v.family
        if f in ("trs-numbered", "trs-script"):
            return base + ("index.html" if page == 1 else f"index_{page - 1}.html")
        if f == "shtml-count":
            return base + ("index.shtml" if page == 1 else f"index_{page - 1}.shtml")
        if f == "list":
            return base + ("list.html" if page == 1 else f"list_{page}.html")
        if f == "query":
            return base + "list.jsp?" + urlencode([("cid", self.colid(col))] + ([("page", page)] if page > 1 else []))
        if f == "pagenum":
            return base + "list.do?" + urlencode([("cid", self.colid(col))] + ([("pageNum", page)] if page > 1 else []))
        if f == "curpage":
            return base + "index.jsp" + (f"?curpage={page}" if page > 1 else "")
        if f == "slash":
            return base if page == 1 else base + f"{page}.html"
        return f"{self.root(v)}col/col{self.colid(col)}/index.html"  # hanweb: one page, the rest by proxy

    def title(self, v: Variant, col: str, k: int) -> str:
        topic = TOPICS[h64(v.id, col, k, "t") % len(TOPICS)]
        if col == "yw":
            return f"{v.region}召开{topic}工作推进会（第{k + 1}期）"
        return f"关于做好{topic}有关工作的通知（{v.region}第{k + 1}号）"

    def articles(self, v: Variant) -> list[str]:
        """Every article URL of a variant: what a crawl should reach."""
        return [self.env.base_url + self.article_path(v, col, k) for col, _, _, count in COLUMNS for k in range(count)]

    # --- routing --------------------------------------------------------------------------------
    def route(self, v: Variant, rest: str, query: dict) -> Response:
        if rest in ("", "index.html"):
            return self.homepage(v)
        if rest == "robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8",
                            last_modified=pub_time(self.env.now, 300.0))
        if v.family == "hanweb" and rest == "module/web/jpage/dataproxy.jsp":
            return self.hanweb_proxy(v, query)
        for col, _name, _kind, count in COLUMNS:
            for k in range(count):
                if self.root(v) + rest == self.article_path(v, col, k):
                    return self.article(v, col, k)
            for page in range(1, self.pages(count) + 1):
                path = self.column_path(v, col, page)
                want, _, want_query = path.partition("?")
                if self.root(v) + rest == want and _query_matches(want_query, query):
                    return self.list_page(v, col, page)
        return not_found()

    # --- page parts -----------------------------------------------------------------------------
    def _head(self, title: str) -> str:
        return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                "<style>body{margin:0;font:14px/1.8 SimSun,sans-serif;color:#333;background:#fff}"
                ".nav li{display:inline-block;margin:0 16px;position:relative}.nav li .sub{display:none;position:absolute}"
                ".nav li:hover .sub{display:block}.m-footer{display:none}"
                "@media (max-width:768px){.m-footer{display:block}.footer{display:none}}</style></head>\n")

    def _nav(self, v: Variant) -> str:
        root = self.root(v)
        cols = "".join(f'<li><a href="{escape(self.column_path(v, col))}">{name}</a></li>' for col, name, _, _ in COLUMNS)
        return (f'<body><div class="header"><h1>{escape(v.name)}</h1><span class="today">今天是'
                f'{local_now(self.env.now):%Y年%m月%d日}</span></div>\n'
                f'<div class="nav"><ul><li><a href="{root}">首页</a></li>{cols}'
                '<li class="has-sub"><a href="javascript:;">政务新媒体</a><div class="sub" style="display:none">'
                f'<a href="https://weibo.com/u/{h64(v.id, "wb") % 10 ** 10}">{escape(v.region)}发布（微博）</a>'
                f'<a href="https://mp.weixin.qq.com/mp/profile_ext?__biz={h64(v.id, "wx") % 10 ** 9}">微信公众号</a>'
                "</div></li></ul></div>\n")

    def _footer(self, v: Variant) -> str:
        out = self.env.outside_url
        code = f"33{h64(v.id, 'code') % 10 ** 8:08d}"
        visible = (f'<div class="footer"><p>主办单位：{escape(v.name)}办公室　网站标识码：{code}</p>'
                   f'<p><a href="{out}/beian/miit/" target="_blank">浙ICP备{h64(v.id, "icp") % 10 ** 8:08d}号</a>　'
                   f'<a href="{out}/beian/gongan/?recordcode=3301{code}" target="_blank">浙公网安备 3301{code}号</a></p>'
                   f'<p><span id="_ideConac"><a href="{out}/conac/sitename?method=show&amp;id={code}">'
                   '<img src="/favicon.png" alt="党政机关" title="党政机关"></a></span></p></div>\n')
        mobile = ('<div class="m-footer"><p>'
                  f'<a href="https://beian.miit.gov.cn/" target="_blank">浙ICP备{h64(v.id, "icp") % 10 ** 8:08d}号</a>'
                  f'<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=3301{code}">浙公网安备</a>'
                  f'<a href="https://bszs.conac.cn/sitename?method=show&amp;id={code}">党政机关网站标识</a>'
                  f'<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={code}">政府网站找错</a>'
                  '<a href="https://wza.accessible-service.example.com/">无障碍浏览</a></p></div>\n')
        return visible + mobile + "</body></html>\n"

    def _item(self, v: Variant, col: str, k: int) -> str:
        title = escape(self.title(v, col, k))
        return (f'<li><a href="{escape(self.article_path(v, col, k))}" title="{title}" target="_blank">{title}</a>'
                f'<span class="date">{self.pub(v, col, k):%Y-%m-%d}</span></li>')

    # --- pages ----------------------------------------------------------------------------------
    def homepage(self, v: Variant) -> Response:
        parts = [self._head(v.name), self._nav(v), '<div class="main">']
        for col, name, _, count in COLUMNS:
            more = escape(self.column_path(v, col))
            parts.append(f'<div class="box"><h3><a href="{more}">{name}</a><a class="more" href="{more}">更多</a></h3>'
                         f'<ul>{"".join(self._item(v, col, k) for k in range(min(6, count)))}</ul></div>\n')
        updates = "".join(f'<li><a href="{escape(self.column_path(v, col))}">{name}</a>'
                          f'<span>{self.pub(v, col, 0):%Y-%m-%d}</span></li>' for col, name, _, _ in COLUMNS)
        parts.append(f'<div class="box updates"><h3>栏目更新</h3><ul>{updates}</ul></div>\n')
        parts.append('<div class="related" style="display:none"><h3>相关网站</h3>'
                     '<a href="http://www.zj.gov.cn/">浙江省人民政府</a><a href="https://www.gov.cn/">中国政府网</a></div>\n')
        if v.family == "query":  # planted: a link to a page that is gone
            parts.append(f'<div class="box"><h3>专题专栏</h3><ul><li><a href="{self.root(v)}zt/2018/old.html">'
                         "2018年专题（已归档）</a></li></ul></div>\n")
        if v.family == "trs-numbered":  # planted: the one dark link
            parts.append(f'<div style="position:absolute;left:-9999px;top:-9999px"><a href="{self.casino_url(v)}">'
                         "澳门葡京娱乐场</a></div>\n")
        parts.append("</div>\n")
        parts.append(self._footer(v))
        return html("".join(parts), self.pub(v, "yw", 0))

    def casino_url(self, v: Variant) -> str:
        return f"{self.env.outside_url}/casino/index.html?from={v.id}"

    def dead_url(self, v: Variant) -> str:
        return f"{self.env.base_url}{self.root(v)}zt/2018/old.html"

    def list_page(self, v: Variant, col: str, page: int) -> Response:
        name, count = next((n, c) for c_, n, _, c in COLUMNS if c_ == col), next(c for c_, _, _, c in COLUMNS if c_ == col)
        total = self.pages(count)
        if v.family == "hanweb":
            return self.hanweb_page(v, col, name, count)
        ks = range((page - 1) * PAGE_SIZE, min(count, page * PAGE_SIZE))
        items = "".join(self._item(v, col, k) for k in ks)
        pager = self._pager(v, col, page, total, count)
        body = (f'<div class="main"><div class="position">当前位置：<a href="{self.root(v)}">首页</a> &gt; {name}</div>'
                f'<ul class="list">{items}</ul>\n<div class="page">{pager}</div></div>\n')
        return html(self._head(f"{name} - {v.name}") + self._nav(v) + body + self._footer(v),
                    self.pub(v, col, ks[0]))

    def _pager(self, v: Variant, col: str, page: int, total: int, count: int) -> str:
        f = v.family

        def link(p: int, label: str) -> str:
            return f'<a href="{escape(self.column_path(v, col, p))}">{label}</a> '

        def window(last_label: str) -> str:
            out = []
            if page > 1:
                out.append(link(1, "首页") + link(page - 1, "上一页"))
            lo, hi = max(1, page - WINDOW), min(total, page + WINDOW)
            if lo > 1:
                out.append("… ")
            for p in range(lo, hi + 1):
                out.append(f'<span class="current">{p}</span> ' if p == page else link(p, str(p)))
            if hi < total:
                out.append("… ")
            if page < total:
                out.append(link(page + 1, "下一页") + link(total, last_label))
            return "".join(out)

        if f == "trs-numbered":
            return window("尾页")
        if f == "trs-script":
            return f'<script type="text/javascript">createPageHTML({total}, {page - 1}, "index", "html");</script>'
        if f == "shtml-count":
            return (f'<script>var countPage = {total};var currentPage = {page - 1};'
                    'createPageHTML(countPage, currentPage, "index", "shtml");</script>')
        if f == "list":
            return f"共{count}条记录 共 {total} 页 " + "".join(
                f'<span class="current">{p}</span> ' if p == page else link(p, str(p)) for p in range(1, total + 1))
        if f == "query":
            return window("末页")
        if f == "pagenum":
            return (f'<span>共 {total} 页 当前第 {page} 页</span>'
                    f'<form action="list.do" method="get"><input type="hidden" name="cid" value="{self.colid(col)}">'
                    '跳转到<input type="text" name="pageNum" size="3">页<input type="submit" value="GO"></form>')
        if f == "curpage":
            out = f"页次：{page}/{total} "
            if page < total:
                out += link(page + 1, "下一页") + link(total, "尾页")
            return out
        if f == "slash":
            return "".join(f'<span class="current">{p}</span> ' if p == page else link(p, str(p))
                           for p in range(1, total + 1))
        return ""

    # --- Hanweb jpage -----------------------------------------------------------------------------
    def _records(self, v: Variant, col: str, start: int, end: int) -> str:
        """Records ``start``…``end`` (1-based, inclusive), as Hanweb's datastore carries them."""
        out = []
        for k in range(start - 1, end):
            title = escape(self.title(v, col, k))
            out.append(f"<record><![CDATA[\n<li><a href='{self.article_path(v, col, k)}' title='{title}' "
                       f"target='_blank'>{title}</a><span class='bt_time'>{self.pub(v, col, k):%Y-%m-%d}</span></li>\n]]></record>")
        return "".join(out)

    def _proxy_params(self, v: Variant, col: str) -> str:
        return urlencode([("col", 1), ("appid", 1), ("webid", 3), ("path", self.root(v)), ("columnid", self.colid(col)),
                          ("sourceContentType", 1), ("unitid", 41618), ("webname", v.name), ("permissiontype", 0)])

    def hanweb_page(self, v: Variant, col: str, name: str, count: int) -> Response:
        span = PAGE_SIZE * HANWEB_GROUP
        proxy = f"/module/web/jpage/dataproxy.jsp?page=1&{self._proxy_params(v, col)}"
        store = (f'<div id="div41618"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{self.root(v)}'
                 f'{proxy[1:]}"></a>]]></nextgroup><recordset>{self._records(v, col, 1, min(span, count))}'
                 "</recordset></datastore></script></div>\n")
        init = ("<script>$(document).ready(function(){$('#div41618').jpage({dataStore:dataStore,"
                f"proxyUrl:'{self.root(v)}module/web/jpage/dataproxy.jsp',perPage:{PAGE_SIZE},"
                f"totalRecord:{count},groupSize:{HANWEB_GROUP},barPosition:'bottom',ajaxParam:{{'style':'2'}},"
                "showMode:'full',allSearch:true});});</script>\n")
        body = (f'<div id="container"><div class="bt-position">您当前的位置：<a href="{self.root(v)}">首页</a> &gt; {name}</div>'
                f'<div class="lm_name">{name}</div>\n{store}{init}</div>\n')
        return html(self._head(f"{name} - {v.name}") + self._nav(v) + body + self._footer(v), self.pub(v, col, 0))

    def hanweb_proxy(self, v: Variant, query: dict) -> Response:
        col = next((c for c, *_ in COLUMNS if str(self.colid(c)) == query.get("columnid")), None)
        if col is None:
            return not_found()
        count = next(c for c_, _, _, c in COLUMNS if c_ == col)
        try:
            start = max(1, int(query.get("startrecord", "1")))
            end = min(count, int(query.get("endrecord", str(start + PAGE_SIZE * HANWEB_GROUP - 1))))
        except ValueError:
            return not_found()
        body = (f"<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>{count}</totalrecord>"
                f"<totalpage>{self.pages(count)}</totalpage><recordset>{self._records(v, col, start, end)}"
                "</recordset></datastore>")
        return Response(200, body.encode("utf-8"), "text/xml; charset=utf-8", last_modified=self.pub(v, col, 0))

    # --- articles -----------------------------------------------------------------------------
    def article(self, v: Variant, col: str, k: int) -> Response:
        title, pub = self.title(v, col, k), self.pub(v, col, k)
        topic = TOPICS[h64(v.id, col, k, "t") % len(TOPICS)]
        paras = [f"{pub:%m月%d日}，{v.region}召开{topic}专题会议，听取各乡镇（街道）和有关部门工作情况汇报，"
                 f"研究部署下一阶段重点任务。会议指出，要坚持问题导向，压实工作责任，确保各项任务按期完成。",
                 f"会议强调，各地各部门要进一步提高政治站位，细化工作举措，加强统筹协调，形成工作合力，"
                 f"以{topic}的实际成效回应群众关切。本期编号{v.id}-{col}-{k}。"]
        canonical = f"https://www.govnews-mirror.example.com/{v.id}/{col}/{k}.html"
        page = (self._head(f"{title} - {v.name}").replace(
            "</head>", f'<link rel="canonical" href="{canonical}"><meta name="ArticleTitle" content="{escape(title)}">'
                       f'<meta name="PubDate" content="{pub:%Y-%m-%d %H:%M}"><meta name="ContentSource" content="{escape(v.name)}">'
                       "</head>")
            + self._nav(v)
            + f'<div class="article"><h2 class="title">{escape(title)}</h2>'
              f'<div class="info">发布时间：{pub:%Y-%m-%d %H:%M}　来源：{escape(v.name)}办公室</div>'
              f'<div class="TRS_Editor">{"".join(f"<p>{escape(p)}</p>" for p in paras)}</div></div>\n'
            + self._footer(v))
        return html(page, pub)

    def targets(self) -> list[dict]:
        return [{"id": v.id, "name": v.name, "platform": "website", "url": self.env.base_url + self.root(v),
                 "owner": v.name, "owner_level": "县", "office": f"{v.name}办公室", "emails": [],
                 "tags": ["demo", "variant", v.family]} for v in self.specs]

    def planted(self) -> list[dict]:
        out = []
        for v in self.specs:
            home = self.env.base_url + self.root(v)
            if v.family == "trs-numbered":
                out.append({"target_id": v.id, "rule": "site.dark_link", "url": home, "match": home,
                            "problem": "dark_link", "parent_url": home, "link": self.casino_url(v)})
            if v.family == "query":
                out.append({"target_id": v.id, "rule": "site.dead_link", "url": self.dead_url(v),
                            "match": self.dead_url(v), "problem": "dead_link", "parent_url": home})
        return out


def _query_matches(want: str, query: dict) -> bool:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(want)) == {k: v for k, v in query.items()}
