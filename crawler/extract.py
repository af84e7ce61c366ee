"""Extraction from article and list pages of Chinese government and news websites (pure functions).

``extract_page`` returns an :class:`Extracted`: title, publication time and where it came from,
来源, author, body text, links (absolute, with area and a hidden flag for dark-link detection),
attachments, images and meta tags. Field order: government meta tags
(``ArticleTitle``, ``PubDate``, ``ContentSource`` …) → visible labels near the title (发布时间,
来源, 作者 …) → script variables → the date in the URL → the body text. The body comes from a
known CMS container (``div.TRS_Editor``, ``#zoom``, ``#UCAP-CONTENT`` …) when the page has one,
otherwise from a paragraph-scoring pass over the page, with trafilatura as the last resort.

WeChat article pages are routed to :func:`crawler.wechat.parse_wechat`.
``extract_list_page`` and ``find_pagination`` read column (list) pages.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler import bounds
from crawler.dates import DateMatch, date_from_url, find_dates, parse_date_match, url_date_match
from crawler.encoding import decode_html
from govwatch.models import TZ

ATTACHMENT_EXTS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "zip", "rar", "7z", "ofd",
                   "ppt", "pptx", "csv", "txt", "jpg", "jpeg", "png")
KINDS = ("article", "list", "wechat")
STATES = ("live", "deleted", "blocked")

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption", "html",
})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed",
                       "select", "option", "textarea", "button", "svg", "canvas", "audio", "video",
                       "head", "title", "meta", "link", "map", "input"})

# Body containers of the CMSs that government and news sites run, most specific first.
CMS_CONTAINERS = [
    "//*[@id='js_content']",                                  # WeChat
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",  # TRS
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//*[@id='UCAP-CONTENT']",                                # 开普云 UCAP
    "//*[@id='zoom']", "//*[@id='Zoom']", "//*[@id='ozoom']",  # Hanweb 大汉, gov.cn
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')]",  # gov.cn
    "//*[@id='vsb_content']", "//*[starts-with(@id, 'vsb_content')]",  # VSB 博达
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' wp_articlecontent ')]",  # WebPlus
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article_content ')]",
    "//*[@id='article_content']", "//*[@id='articleContent']", "//*[@id='ArticleContent']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' xxgk_content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' view ') and contains(@class, 'TRS')]",
    "//*[@id='p-detail']", "//*[@id='detail']",                # Xinhua
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' rm_txt_con ')]",  # People's Daily
    "//*[@id='rwb_zw']",
    "//*[@id='Cnt-Main-Article-QQ']",                          # Tencent
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' news_txt ')]",  # The Paper
    "//*[@id='artibody']", "//*[@id='article_body']",          # Sina and others
]
# Forum threads and blog posts: the first post's message container (replies come after it).
POST_CONTAINERS = [
    "//*[starts-with(@id, 'postmessage_')]",                  # Discuz!
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' t_msgfont ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' postbody ')]"
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' content ')]",  # phpBB 3
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' d_post_content ')]",  # post bars
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' bbs-content ')]",  # 天涯-style
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",  # WordPress
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' postcontent ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-body ')]",  # Blogger
]
# A container must hold at least this many characters of text to be trusted.
MIN_CONTAINER_TEXT = 20

META_DATE_NAMES = (
    "pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "publish_time",
    "article:published_time", "og:release_date", "og:published_time", "releasedate", "ptime",
    "firstpublishedtime", "dc.date.issued", "dc.date", "dcterms.created", "dcterms.date", "date",
    "weibo:article:create_at", "created", "sp.publishdate",
)
META_SOURCE_NAMES = ("contentsource", "source_name", "og:site_source", "mediaid")
META_AUTHOR_NAMES = ("author", "article:author", "dc.creator")

# Labels in front of a date, by preference (lower is better; an unlabelled date ranks 3).
_DATE_LABELS = [
    (1, r"发布时间|发布日期|发表时间|发表日期|发稿时间|发文日期|发文时间|上传时间|上传日期|公布日期|公开日期|publish(?:ed)?(?: ?date| ?time)?"),
    (4, r"成文日期|印发日期|生成日期|签发日期"),
    (5, r"更新时间|更新日期|修改时间|修改日期|updated?"),
    (2, r"时间|日期|date|time"),  # last: the specific labels above end with these words
]
_UNLABELLED = 3
_DATE_LABEL_RE = [(rank, re.compile(rf"(?:{words})\s*[:：]?\s*[\[【(（]?\s*$", re.I)) for rank, words in _DATE_LABELS]
_LABEL_STOP = r"(?:作者|记者|来源|出处|发布|时间|日期|编辑|责任编辑|浏览|点击|阅读|访问|字号|字体|打印|分享|关闭|索引号|文号)"
_VALUE = r"([^\s|｜:：,，;；<>【】\[\]()（）]{1,40})"
_SOURCE_RE = re.compile(r"(?:信息来源|文章来源|稿件来源|新闻来源|消息来源|来源|稿源|出处)\s*[:：]\s*" + _VALUE)
_AUTHOR_RE = re.compile(r"(?<![责任编审])(?:作者|记者|撰稿|撰文|文)\s*[:：]\s*" + _VALUE)
_EDITOR_RE = re.compile(r"(?:责任编辑|责编|编辑)\s*[:：]\s*" + _VALUE)
_JS_DATE_RE = re.compile(
    r"""["']?(?:pubtime|pubTime|publish_time|publishTime|pubDate|pubdate|publishDate|publish_date|ptime|"""
    r"""releaseTime|release_time|createTime|create_time|datePublished)["']?\s*[:=]\s*["']([^"'\n]{8,40})["']"""
)

_NAV_RE = re.compile(r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|menus|topnav|mainnav|subnav|"
                     r"topbar|top-bar|daohang|breadcrumbs?|crumbs?|dqwz)(?:[\s_-]|\d|$)", re.I)
_FOOTER_RE = re.compile(r"(?:^|[\s_-])(?:footer|foot|bottom|copyright|copy|banquan|dibu)(?:[\s_-]|\d|$)", re.I)
_FRIEND_RE = re.compile(r"(?:^|[\s_-])(?:yqlj|friendlinks?|friend-links?|friend_links?|flink|links?)(?:[\s_-]|\d|$)", re.I)
_SIDE_RE = re.compile(r"(?:^|[\s_-])(?:side|sidebar|aside|right|rightside|related|relate|xgxw|xgwz|"
                      r"recommend|hot|rank|comment|comments|share)(?:[\s_-]|\d|$)", re.I)

# Whole lines of page furniture that leak into bodies.
# Possessive \s*+: an alternative's trailing \s* next to the final one would retry a long run.
_BOILERPLATE_LINE = re.compile(
    r"^[【\[(（<《]?\s*+(?:分享到?|分享至|打印(?:本页|此页|文章|正文)?|关闭(?:窗口|本页|此页)?|返回顶部|返回首页|"
    r"返回列表|收藏(?:本文|本页)?|加入收藏|纠错|我要纠错|字号|字体|\[?大\]?\s*+\[?中\]?\s*+\[?小\]?|"
    r"放大|缩小|正常|默认|扫一扫.*|微信扫一扫.*|用微信扫描.*|上一篇.*|下一篇.*|责任编辑.*|责编.*|"
    r"编辑\s*+[:：].*|审核\s*+[:：].*|校对\s*+[:：].*|初审.*|终审.*|.*版权所有.*|.*未经.{0,6}授权.*|"
    r"推荐阅读|相关新闻|相关阅读|相关链接|相关文章|详细|点击进入.*|【\d+】.*|\d{1,3}\s*+|"
    r"(?:字号|字体)\s*+[:：].*|浏览次数\s*+[:：]?.*|阅读次数.*|点击数.*|访问量.*|"
    r"正文已结束.*|返回.{0,8}首页\s*+>*|图集|\+1|来源\s*+[:：]?|作者\s*+[:：]?)\s*+[】\])）>》]?$"
)
_EDIT_NOTE = re.compile(r"本帖最后由\s*\S{1,30}\s*于\s*[\d\-/: ]{8,20}\s*编辑$")  # Discuz! edit stamp
_TRAILING_FURNITURE = re.compile(r"(?:返回.{0,8}首页\s*>+|【\s*纠错\s*】|\[\s*打印\s*\]|\[\s*关闭\s*\])\s*$")

_DELETED_PHRASES = ("该内容已被发布者删除", "此内容因违规无法查看", "该信息已删除", "信息已被删除",
                    "文章已被删除", "您访问的页面不存在", "页面不存在", "页面已删除", "页面找不到",
                    "404 Not Found", "该页面已被删除")
_BLOCKED_PHRASES = ("环境异常", "完成验证后即可继续访问", "请输入验证码", "安全验证", "访问验证",
                    "访问过于频繁", "您的访问被拦截", "Access Denied", "访问被拒绝", "请开启JavaScript并刷新")

_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u2002\u2003\u2009\u200b\u3000\ufeff]+")


@dataclass
class Extracted:
    """What a page says about itself."""
    url: str = ""
    title: str = ""
    published_at: datetime | None = None
    published_at_source: str = "none"  # meta, text, url, js, none
    published_at_precision: str = ""  # second, minute, day, month ("" when no date)
    published_at_label: str = ""  # the label or meta name it came from (发布日期, pubdate …)
    written_at: datetime | None = None  # 成文日期 of a government document, when shown
    date_reason: str = ""  # why this time was chosen (Chinese, for users)
    date_candidates: list[dict] = field(default_factory=list)  # every candidate (for --explain)
    source: str = ""
    author: str = ""
    editor: str = ""
    text: str = ""
    links: list[dict] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    encoding: str = ""
    kind: str = "article"  # article, list, wechat
    state: str = "live"  # live, deleted, blocked
    canonical_url: str = ""

    def to_json_dict(self) -> dict:
        """Every field, JSON-ready (the publication time as ISO 8601 with its offset)."""
        return {
            "url": self.url, "canonical_url": self.canonical_url, "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_at_source": self.published_at_source,
            "published_at_precision": self.published_at_precision,
            "published_at_label": self.published_at_label,
            "written_at": self.written_at.isoformat() if self.written_at else None,
            "date_reason": self.date_reason, "date_candidates": self.date_candidates,
            "source": self.source, "author": self.author, "editor": self.editor, "text": self.text,
            "links": self.links, "attachments": self.attachments, "images": self.images,
            "meta": self.meta, "encoding": self.encoding, "kind": self.kind, "state": self.state,
        }


# --------------------------------------------------------------------------- parsing helpers

def clean_text(value: str | None) -> str:
    """Collapse whitespace (including full-width and non-breaking spaces) to single spaces."""
    return _WS.sub(" ", value or "").strip()


_HTML_PARSERS = threading.local()


def parse_html(text: str):
    """An lxml document for ``text``, or None when there is nothing to parse.

    Bounded (crawler.bounds): at most ``parse.max_html_chars`` characters are parsed, and elements
    nested deeper than ``parse.max_html_depth`` are flattened first, so that libxml2 never reaches
    its own depth limit (where it silently drops the rest of the page)."""
    limits = bounds.limits()
    text = (text or "")[:limits.max_html_chars]
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        return None
    text, _ = bounds.limit_depth(text, limits.max_html_depth)
    parser = getattr(_HTML_PARSERS, "parser", None)
    if parser is None:
        parser = _HTML_PARSERS.parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _decode(body: bytes | str, headers: dict | None) -> tuple[str, str]:
    if isinstance(body, str):
        return body, "unicode"
    content_type = None
    for key, value in (headers or {}).items():
        if str(key).lower() == "content-type":
            content_type = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return decode_html(body, content_type)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _class_id(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


def read_meta(root) -> dict[str, str]:
    """Meta tags by lower-cased ``name`` / ``property`` / ``itemprop`` (first non-empty value)."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property") or el.get("itemprop")
        content = el.get("content")
        if not name or content is None:
            continue
        key = name.strip().lower()
        value = clean_text(content)
        if value and not meta.get(key):
            meta[key] = value
        elif key not in meta:
            meta[key] = value
    return meta


_STYLE_HIDDEN = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|"
    r"(?:^|[;\s])(?:left|top|margin-left|margin-top|text-indent|right)\s*:\s*-\s*\d{3,}|"
    r"(?:^|[;\s])(?:width|height|font-size|max-height|max-width)\s*:\s*0(?:px|em|pt|%)?\s*(?:!important\s*)?(?:;|$)|"
    r"opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)",
    re.I,
)


_BRACE = re.compile(r"[{}]")


def _css_rules(css: str):
    """``(selectors, declarations)`` of each innermost ``selectors { declarations }`` in ``css``
    (as ``([^{}]+)\\{([^{}]*)\\}`` would find them), except the rules inside ``@media`` blocks
    (a footer hidden on phones only hides nothing from everyone).  One linear pass over the
    braces: that pattern retries from every character of a brace-less run, quadratic on a hostile
    ``<style>``, and so did matching whole ``@media`` blocks with a pattern."""
    depth, media_depth = 0, None
    last, open_at, prelude = 0, None, ""
    for m in _BRACE.finditer(css):
        pos = m.start()
        if m.group() == "{":
            prelude = css[last:pos]
            if media_depth is None and "@media" in prelude.lower():
                media_depth = depth
            depth += 1
            open_at = pos
        else:
            if open_at is not None and media_depth is None and prelude:
                yield prelude, css[open_at + 1:pos]
            open_at = None
            depth = max(0, depth - 1)
            if media_depth is not None and depth <= media_depth:
                media_depth = None
        last = pos + 1


class _HiddenRules:
    """Class and id selectors that inline ``<style>`` blocks hide (``.x{display:none}``)."""

    def __init__(self, root):
        self.classes: set[str] = set()
        self.ids: set[str] = set()
        for style in root.iter("style"):
            css = style.text or ""
            for selectors, body in _css_rules(css):
                if not _STYLE_HIDDEN.search(body):
                    continue
                for selector in selectors.split(","):
                    selector = selector.strip()
                    m = re.fullmatch(r"(?:[a-z]+)?\.([\w-]+)", selector, re.I)
                    if m:
                        self.classes.add(m.group(1))
                    m = re.fullmatch(r"(?:[a-z]+)?#([\w-]+)", selector, re.I)
                    if m:
                        self.ids.add(m.group(1))

    def hides(self, el) -> bool:
        style = el.get("style")
        if style and _STYLE_HIDDEN.search(style):
            return True
        if el.get("hidden") is not None or (el.get("aria-hidden") == "true" and _tag(el) == "div"):
            return el.get("hidden") is not None
        if self.ids and el.get("id") in self.ids:
            return True
        if self.classes and (el.get("class") or "") and set((el.get("class") or "").split()) & self.classes:
            return True
        if _tag(el) in ("div", "span", "p") and (el.get("width") == "0" or el.get("height") == "0"):
            return True
        return False


def _is_hidden_inline(el) -> bool:
    style = el.get("style")
    return bool(style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I)) \
        or el.get("hidden") is not None


def element_text(root, skip_hidden: bool = True) -> str:
    """Visible text of ``root`` with one line per block element (whitespace collapsed)."""
    out: list[str] = []
    stack: list[tuple] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            if _tag(el) in BLOCK_TAGS:
                out.append("\n")
            if el is not root and el.tail:
                out.append(el.tail)
            continue
        tag = _tag(el)
        if not tag or tag in SKIP_TAGS or (skip_hidden and el is not root and _is_hidden_inline(el)):
            if el is not root and el.tail:
                out.append(el.tail)
            continue
        if tag in BLOCK_TAGS or tag == "br":
            out.append("\n")
        if el.text:
            out.append(el.text)
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    lines = (clean_text(line) for line in "".join(
        piece if piece == "\n" else _WS.sub(" ", piece) for piece in out).split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- the page walk

class Page:
    """One parsed page and what several extractors share."""

    def __init__(self, root, url: str):
        self.root = root
        self.url = url
        base = root.find(".//base")
        self.base = urljoin(url, base.get("href")) if base is not None and base.get("href") else url
        self.meta = read_meta(root)
        self.hidden_rules = _HiddenRules(root)
        # Keyed by the elements themselves: holding them keeps lxml's proxies (and ids) stable.
        self._area_cache: dict = {}
        self._hidden_cache: dict = {}
        self.body = root.find("body")
        if self.body is None:
            self.body = root

    def absolute(self, href: str) -> str:
        href = (href or "").strip()
        try:
            return urljoin(self.base, href) if self.base else href
        except ValueError:
            return href

    def area(self, el) -> str:
        """nav, footer, friend (友情链接 block), side (related lists) or body."""
        chain = []
        node = el
        result = "body"
        while node is not None and _tag(node) not in ("body", "html"):
            if node in self._area_cache:
                result = self._area_cache[node]
                break
            chain.append(node)
            node = node.getparent()
        for node in reversed(chain):
            result = self._own_area(node, result)
            self._area_cache[node] = result
        return result

    def _own_area(self, node, inherited: str) -> str:
        if inherited == "friend":
            return inherited
        tag = _tag(node)
        names = _class_id(node)
        if node.get("data-govwatch-friend") == "1" or (names and _FRIEND_RE.search(names)):
            return "friend"  # 友情链接 blocks usually sit inside the footer
        if inherited == "footer":
            return inherited
        if tag == "footer" or (names and _FOOTER_RE.search(names)):
            return "footer"
        if inherited == "nav":
            return inherited
        if tag in ("nav", "header") or (names and _NAV_RE.search(names)):
            return "nav"
        if inherited == "side":
            return inherited
        if tag == "aside" or (names and _SIDE_RE.search(names)):
            return "side"
        return inherited

    def hidden(self, el) -> bool:
        """Whether ``el`` or an ancestor is hidden by inline style, attribute or simple CSS rule."""
        chain = []
        node = el
        result = False
        while node is not None:
            if node in self._hidden_cache:
                result = self._hidden_cache[node]
                break
            chain.append(node)
            node = node.getparent()
        for node in reversed(chain):
            result = result or self.hidden_rules.hides(node)
            self._hidden_cache[node] = result
        return result

    def mark_friend_blocks(self) -> None:
        """Flag the blocks introduced by a 友情链接 heading so their links get area "friend"."""
        for text_node in self.root.xpath("//text()[contains(., '友情链接') or contains(., '友情連結')]"):
            parent = text_node.getparent()
            if parent is None or _tag(parent) in ("script", "style", "title"):
                continue
            block = parent
            for _ in range(4):
                if len(block.xpath(".//a[@href] | .//option[@value]")) >= 2:
                    block.set("data-govwatch-friend", "1")
                    break
                if block.getparent() is None:
                    break
                block = block.getparent()


# --------------------------------------------------------------------------- links, images

def _link_kind_ok(href: str) -> bool:
    low = href.strip().lower()
    return bool(low) and not low.startswith(("javascript:", "mailto:", "tel:", "#", "about:", "data:"))


def collect_links(page: Page, scope=None) -> list[dict]:
    """Every link in ``scope`` (default the whole page): absolute url, text, hidden, area."""
    page.mark_friend_blocks()
    scope = scope if scope is not None else page.root
    links: list[dict] = []
    seen: set[tuple[str, bool]] = set()
    for el in scope.iter("a", "area", "option"):
        tag = _tag(el)
        href = el.get("value") if tag == "option" else el.get("href")
        if not href or not _link_kind_ok(href):
            continue
        if tag == "option" and not re.match(r"^(?:https?:)?//|^/|^www\.", href.strip(), re.I):
            continue
        if tag == "option" and href.strip().lower().startswith("www."):
            href = "http://" + href.strip()
        url = page.absolute(href)
        hidden = page.hidden(el)
        key = (url, hidden)
        if key in seen:
            continue
        seen.add(key)
        text = clean_text(el.text_content()) if tag != "area" else clean_text(el.get("alt"))
        if not text:
            img = el.find(".//img")
            text = clean_text(el.get("title") or (img.get("alt") if img is not None else ""))
        area = page.area(el)
        if tag == "option":
            area = "friend"
        links.append({"url": url, "text": text, "hidden": hidden,
                      "area": "body" if area == "side" else area})
    return links


def attachment_ext(url: str, text: str = "") -> str:
    """The attachment extension of a link (pdf, docx …) or ""."""
    path = urlsplit(url).path.lower()
    m = re.search(r"\.([a-z0-9]{1,5})$", path)
    if m and m.group(1) in ATTACHMENT_EXTS and m.group(1) not in ("txt", "csv"):
        return m.group(1)
    if m and m.group(1) in ("txt", "csv") and "/" in path:
        return m.group(1)
    m = re.search(r"\.([a-z0-9]{1,5})\s*$", (text or "").lower())
    if m and m.group(1) in ATTACHMENT_EXTS:
        return m.group(1)
    return ""


def collect_attachments(links: list[dict]) -> list[dict]:
    out, seen = [], set()
    for link in links:
        ext = attachment_ext(link["url"], link["text"])
        if ext and link["url"] not in seen and link["area"] not in ("nav", "footer"):
            seen.add(link["url"])
            out.append({"url": link["url"], "text": link["text"], "ext": ext})
    return out


def collect_images(page: Page, scope) -> list[dict]:
    images, seen = [], set()
    if scope is None:
        return images
    for img in scope.iter("img"):
        src = ""
        for attr in ("data-src", "data-original", "original", "data-lazy-src", "data-url", "src"):
            value = (img.get(attr) or "").strip()
            if value and not value.lower().startswith(("data:", "javascript:")):
                src = value
                break
        if not src:
            continue
        if img.get("width") in ("1", "0") or img.get("height") in ("1", "0"):
            continue
        url = page.absolute(src)
        if url in seen:
            continue
        seen.add(url)
        images.append({"url": url, "alt": clean_text(img.get("alt") or img.get("title"))})
    return images


# --------------------------------------------------------------------------- title

# No leading \s*: a pattern that starts with one retries a whole space run from each of its spaces.
_TITLE_SEPARATORS = re.compile(r"_|\||｜|--|——|—|–|\s-\s|\s·\s|::")


def _split_head_title(head: str) -> str:
    """The article part of a ``<title>`` such as ``标题_栏目_站点`` or ``标题 - 站点``."""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(head) if p.strip()]
    if not parts:
        return head
    title = max(parts[:2], key=len) if len(parts) > 1 and len(parts[0]) < 6 else parts[0]
    m = re.fullmatch(r"(.{6,})-([^-]{1,12})", title)
    if m:  # 标题-栏目 without spaces: drop a short trailing section name
        title = m.group(1)
    return title.strip()


def _headings(root) -> list:
    found = list(root.iter("h1", "h2", "h3"))
    found += root.xpath("//*[contains(translate(@class, 'TITLE', 'title'), 'title') or "
                        "contains(translate(@id, 'TITLE', 'title'), 'title')]")
    return found


def extract_title(root, meta: dict[str, str]) -> tuple[str, object | None]:
    """The article title and the element that shows it (the anchor for nearby labels)."""
    head = clean_text(root.findtext(".//title"))
    meta_title = meta.get("articletitle") or meta.get("og:title") or meta.get("twitter:title") or ""
    best, best_el = "", None
    for el in _headings(root):
        if _tag(el) in ("title", "meta") or el.getparent() is None:
            continue
        text = clean_text(el.text_content())
        if not (4 <= len(text) <= 150):
            continue
        if meta_title and text == meta_title:
            return meta_title, el
        if head and text in head and len(text) > len(best):
            best, best_el = text, el
    if meta_title:
        return meta_title, best_el if best == meta_title else _find_text_element(root, meta_title)
    if best and (len(best) >= 6 or best == head):
        return best, best_el
    site_name = meta.get("sitename", "")
    for el in root.iter("h1"):
        text = clean_text(el.text_content())
        if 6 <= len(text) <= 150 and text != site_name and text not in site_name and len(text) > len(head) / 2:
            return text, el  # <title> holds only the site name
    title = _split_head_title(head) if head else ""
    if not title and best:
        title = best
    return title, _find_text_element(root, title) if title else None


def _find_text_element(root, text: str):
    """The body element whose text is ``text`` (prefers headings, then the first match)."""
    if not text:
        return None
    needle = text[:12].replace("'", "")
    candidates = []
    for node in root.xpath(f"//body//text()[contains(., '{needle}')]"):
        parent = node.getparent()
        if parent is not None and node.is_tail:
            parent = parent.getparent()
        if parent is None or _tag(parent) in ("script", "style", "title", "a", "option", "textarea"):
            continue
        # Climb while the element holds only part of the headline, never into an element much
        # larger than it (a layout table, <body>): its neighbourhood is where the date is.
        el = parent
        for _ in range(3):
            up = el.getparent()
            if clean_text(el.text_content()) == text or up is None or _tag(up) in ("body", "html", "form") \
                    or len(clean_text(up.text_content())) > 2 * len(text) + 40:
                break
            el = up
        candidates.append(el)
    if not candidates:
        return None
    for el in candidates:
        if _tag(el) in ("h1", "h2", "h3") or "title" in _class_id(el).lower():
            return el
    # a breadcrumb repeats the headline among other words: the first element that holds little
    # more than the headline, else the closest fit
    sizes = [len(element_text(el).replace("\n", "")) for el in candidates]
    for el, size in zip(candidates, sizes):
        if size <= 1.5 * len(text) + 20:
            return el
    return candidates[sizes.index(min(sizes))]


# --------------------------------------------------------------------------- linear text

def _linear_text(root, marks: tuple = (), skip=None) -> tuple[str, dict]:
    """Visible text of the whole page in reading order, and (start, end) offsets of ``marks``."""
    out: list[str] = []
    length = 0
    spans: dict = {}
    mark_ids = {id(m): m for m in marks if m is not None}
    stack: list[tuple] = [(root, False)]

    def emit(piece: str) -> None:
        nonlocal length
        out.append(piece)
        length += len(piece)

    while stack:
        el, closing = stack.pop()
        if closing:
            if _tag(el) in BLOCK_TAGS:
                emit("\n")
            if id(el) in mark_ids:
                spans[id(el)] = (spans[id(el)][0], length)
            if el is not root and el.tail:
                emit(_WS.sub(" ", el.tail))
            continue
        tag = _tag(el)
        if not tag or tag in SKIP_TAGS or (el is not root and _is_hidden_inline(el)) or (skip and skip(el)):
            if el is not root and el.tail:
                emit(_WS.sub(" ", el.tail))
            continue
        if id(el) in mark_ids:
            spans[id(el)] = (length, length)
        if tag in BLOCK_TAGS or tag == "br":
            emit("\n")
        if el.text:
            emit(_WS.sub(" ", el.text))
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    return "".join(out), spans


# --------------------------------------------------------------------------- dates
#
# Publication time: every source the page offers gives candidates, each with a kind, a
# confidence, a precision (second, minute, day, month) and a role (published, written = 成文日期,
# updated, other = 注册时间 and the like). The published candidate with the highest confidence
# wins; ties go to the one closest to the headline, then to the one found first. The order,
# highest first (DATE_CONFIDENCE):
#
#   meta        government and Open Graph meta tags (PubDate, article:published_time …)
#   jsonld      JSON-LD datePublished
#   headline    a publication label (发布时间, 发表于, 张贴 @, Posted on …) in the headline's
#               neighbourhood: the headline's highest ancestor within four levels (a wrapper of
#               one element alone is no level), never <body> nor a layout table of more than six
#               rows, with its three following and two preceding siblings; 600 characters after
#               the headline are read, 200 before; classes that look like sidebars (right, side)
#               are read too
#   time        <time class="published"> / itemprop=datePublished markup outside comments
#   near        an unlabelled date right after the headline (the first, within 200 characters
#               and before any 。: a byline, not the text's own dates; a day followed by a
#               weekday, the header's "今天是" clock, counts only right at the headline, as a
#               blog's date header),
#   window      the same read in the 400 characters after the headline past its neighbourhood
#               (for headlines whose byline sits beyond three siblings)
#   before      … or right before it (the last, within 200 characters)
#   js          script variables (pubtime, publishTime …)
#   label       a publication label anywhere outside navigation, footers and sidebars
#   weak_meta   generic meta names (date, dc.date, created)
#   url         the date in the URL (day, or month for /202311/)
#   updated     an update label (更新时间) in the headline's neighbourhood: some portals show no other
#   written     成文日期 / 印发日期 when nothing says when the page was published
#   text        last resort: the first full date of the main text outside navigation
#
# A winner with day precision takes the time of day of another published candidate (or of a
# date-valued title/datetime attribute) on the same day; one with minute precision takes the
# seconds of one in the same minute. Reply and comment times come after the post's in document
# order and are never read from comment markup; "本帖最后由 … 编辑" is an update.
# Times without an offset are Asia/Shanghai unless the page states its zone
# ("所有时间均为 UTC-05:00", "当前时区 GMT-5"); an offset written with the time is kept.

DATE_CONFIDENCE = {
    "meta": 0.95, "jsonld": 0.95, "headline": 0.92, "time": 0.9, "near": 0.8, "window": 0.74,
    "before": 0.72, "js": 0.7, "label": 0.6, "weak_meta": 0.55, "url": 0.4, "updated": 0.38,
    "written": 0.35, "text": 0.3, "attr": 0.0,
}
DATE_KIND_NAMES = {  # for users (govwatch extract --explain)
    "meta": "meta 标签", "jsonld": "JSON-LD", "headline": "标题附近的发布标注", "time": "<time> 发布标记",
    "near": "标题下方的日期", "window": "标题后 400 字内的日期", "before": "标题上方的日期",
    "updated": "标题附近的更新时间", "js": "脚本变量", "label": "页面中的发布标注",
    "weak_meta": "通用 meta 日期", "url": "网址中的日期", "written": "成文日期", "text": "正文中的第一个日期",
    "attr": "元素属性中的日期",
}
_WEAK_META = frozenset({"date", "dc.date", "created", "dcterms.date"})
# the neighbourhood of the headline
NEIGHBOUR_LEVELS = 4
NEIGHBOUR_AFTER = 3
NEIGHBOUR_BEFORE = 2
NEIGHBOUR_CHARS = 600
NEIGHBOUR_UNLABELLED = 200
NEIGHBOUR_MAX_ROWS = 6

# Labels right in front of a date (matched against the 24 characters before it), by role.
_ROLE_LABELS = [
    ("other", r"今天是|今天|今日|当前日期|现在是|现在时间|(?:会议|活动|报名|开始|结束|截止|考试|培训|开放|办理|受理|举办|比赛|演出|开幕|缴费|申报|办公|服务|营业|"
              r"出生|入学|毕业|成立|参加工作|入党)(?:时间|日期)|注册(?:时间|日期)?|加入(?:时间|日期)|最后登录|上次登录|登录时间|上次访问|在线时间|出生日期|生日|"
              r"截止(?:时间|日期)|报名时间|有效期至?|joined|registered|last\s+visit|member\s+since"),
    ("updated", r"更新时间|更新日期|修改时间|修改日期|最后修改|最后更新|本帖最后由\s*\S{1,20}\s*于|"
                r"更新于|last\s+(?:updated|modified)|updated?(?:\s+on)?|modified"),
    ("written", r"成文日期|成文时间|印发日期|签发日期|生成日期|制发日期"),
    ("published", r"发布时间|发布日期|发表时间|发表日期|发表于|发稿时间|发文日期|发文时间|上传时间|上传日期|"
                  r"公布日期|公开日期|发帖时间|张贴\s*@|张贴于|张贴时间|张贴|刊发时间|刊登日期|出版日期|"
                  r"发布于|刊发日期|见报日期|出版时间|(?:本帖|本文|该帖|此帖|此文)?由\s*\S{1,20}\s*于|"
                  r"(?:posted|published|written)\s+by\s+\S{1,30}\s+on|"
                  r"posted\s+on|posted\s+at|posted|published\s+on|published|"
                  r"publish(?:ed)?\s*(?:date|time)|release\s*date|pub\s*date"),
    ("generic", r"时间|日期|刊期|date|time"),
]
_ROLE_LABEL_RE = [(role, re.compile(rf"(?:{words})\s*[:：]?\s*[\[【(（]?(?:\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?)?\s*$",
                                     re.I)) for role, words in _ROLE_LABELS]
_PAGE_ZONE = re.compile(
    r"(?:所有时间均为|时间均为|当前时区|时区|all\s+times\s+are|time\s*zone)\s*[:：]?\s*(?:UTC|GMT)\s*"
    r"(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>[0-5]\d))?(?!\d)", re.I)
# "2018年10月20日 星期六" without a time is the page header's clock (今天是 …), not a date of the page
_CLOCK_RE = re.compile(r"\s*+(?:星期|周|礼拜)[一二三四五六日天]|\s*+,?\s*+(?:mon|tues|wednes|thurs|fri|satur|sun)day", re.I)
_COMMENT_RE = re.compile(r"comment|reply|replies|respond|discuss|pinglun", re.I)


def _label_role(text: str, start: int) -> tuple[str, str]:
    """(role, label) of the label right before ``text[start:]``: role published (a specific
    publication label), generic (时间 / 日期), written, updated, other, or unlabelled."""
    before = text[max(0, start - 24):start]
    for role, pattern in _ROLE_LABEL_RE:
        m = pattern.search(before)
        if m:
            return role, clean_text(re.sub(r"[\s:：\[【(（]+$", "", m.group(0)))
    return "unlabelled", ""


def _label_rank(text: str, match: DateMatch) -> int:
    """Compatibility: 1 publication label, 2 generic, 3 none, 4 成文, 5 update or other."""
    role = _label_role(text, match.start)[0]
    return {"published": 1, "generic": 2, "unlabelled": 3, "written": 4}.get(role, 5)


def _precision(match: DateMatch) -> str:
    return match.granularity


@dataclass
class DateCandidate:
    """One date the page offers for its publication time."""
    match: DateMatch
    kind: str  # a key of DATE_CONFIDENCE
    label: str = ""  # the label or meta name in front of it
    role: str = "published"  # published, written, updated, other
    distance: int = 0  # characters between it and the headline (headline neighbourhood only)

    @property
    def confidence(self) -> float:
        return DATE_CONFIDENCE[self.kind]

    @property
    def value(self) -> datetime:
        return self.match.value

    @property
    def precision(self) -> str:
        return self.match.granularity

    @property
    def source(self) -> str:
        """The coarse source reported as ``published_at_source``: meta, js, url or text."""
        if self.kind in ("meta", "jsonld", "weak_meta"):
            return "meta"
        if self.kind in ("js", "url"):
            return self.kind
        return "text"

    @property
    def day(self):
        return self.match.value.date()

    def to_dict(self) -> dict:
        return {"value": self.value.isoformat(), "kind": self.kind, "source": self.source,
                "confidence": self.confidence, "precision": self.precision, "label": self.label,
                "role": self.role, "text": self.match.text[:60]}


@dataclass
class DateDecision:
    """The chosen publication time, the 成文日期 when the page shows one, and why."""
    chosen: DateCandidate | None
    candidates: list[DateCandidate]
    written: DateCandidate | None = None
    refined: DateCandidate | None = None  # the winner by order, whose day ``chosen`` refines
    zone: str = ""  # the zone the page states, when it does

    @property
    def match(self) -> DateMatch | None:
        return self.chosen.match if self.chosen else None

    @property
    def source(self) -> str:
        return self.chosen.source if self.chosen else "none"

    def reason(self) -> str:
        """Why the winner won, for users (Chinese)."""
        if self.chosen is None:
            return "页面没有可用的发布时间"
        c = self.refined or self.chosen
        words = f"采用{DATE_KIND_NAMES[c.kind]}" + (f"“{c.label}”" if c.label else "") + \
            f"（置信度 {c.confidence:.2f}，精度：{_PRECISION_NAMES[c.precision]}）"
        better = [k for k, v in DATE_CONFIDENCE.items() if v > c.confidence and k != "attr"]
        if better:
            words += "；更优先的来源（" + "、".join(DATE_KIND_NAMES[k] for k in better) + "）均未给出发布时间"
        if self.refined is not None:
            words += (f"；{DATE_KIND_NAMES[self.chosen.kind]}在同一天给出了更精确的时刻，"
                      f"取其精度：{_PRECISION_NAMES[self.chosen.precision]}")
        if self.written is not None:
            words += f"；成文日期 {self.written.value.date().isoformat()} 另存，时效按发布日期判断"
        if self.zone:
            words += f"；页面声明时区 {self.zone}"
        return words


_PRECISION_NAMES = {"second": "秒", "minute": "分钟", "day": "日", "month": "月"}


def _page_zone(text: str):
    m = _PAGE_ZONE.search(text)
    if not m:
        return None, ""
    hours, minutes = int(m["hours"]), int(m["minutes"] or 0)
    if hours > 14:
        return None, ""
    sign = -1 if m["sign"] == "-" else 1
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return zone, f"UTC{m['sign']}{hours:02d}:{minutes:02d}"


def _meta_candidates(meta: dict[str, str], root, zone) -> list[DateCandidate]:
    out = []
    for name in META_DATE_NAMES:
        value = meta.get(name)
        if value:
            found = find_dates(value, zone=zone, compact=True)
            match = found[0] if found else parse_date_match(value)
            if match and not match.relative:
                out.append(DateCandidate(match, "weak_meta" if name in _WEAK_META else "meta", name))
    for script in root.xpath("//script[@type='application/ld+json']"):
        m = re.search(r'"datePublished"\s*:\s*"([^"]{6,40})"', (script.text or "")[:200_000])
        if m:
            found = find_dates(m.group(1), zone=zone)
            if found:
                out.append(DateCandidate(found[0], "jsonld", "datePublished"))
                break
    return out


def _in_comments(el) -> bool:
    node = el
    for _ in range(12):
        if node is None or _tag(node) in ("body", "html"):
            return False
        if _COMMENT_RE.search(_class_id(node)):
            return True
        node = node.getparent()
    return False


def _in_widget(el) -> bool:
    """Inside a sidebar widget (WordPress ``aside.widget``, ``#secondary`` …)."""
    node = el.getparent()
    while node is not None and _tag(node) not in ("body", "html"):
        if _tag(node) == "aside" or re.search(r"widget|sidebar|secondary", _class_id(node), re.I):
            return True
        node = node.getparent()
    return False


def _markup_candidates(page: Page, zone) -> list[DateCandidate]:
    """<time> and itemprop=datePublished markup, and date-valued title attributes (those only
    refine the time of a winner on the same day)."""
    out = []
    for el in page.root.xpath("//time | //*[@itemprop='datePublished'] | //span[@title] | //em[@title] | "
                              "//abbr[@title] | //font[@title]")[:300]:
        tag = _tag(el)
        raw = el.get("datetime") or el.get("content") or (el.get("title") if tag != "time" else "") or ""
        if tag == "time" and not raw:
            raw = clean_text(el.text_content())
        raw = clean_text(raw)
        if not raw or len(raw) > 40:
            continue
        found = find_dates(raw, zone=zone)
        if not found or len(found[0].text) < len(raw) - 3:
            continue
        names = _class_id(el).lower()
        comment = _in_comments(el)
        if (tag == "time" or el.get("itemprop") == "datePublished" or "published" in names) and \
                not comment and not _in_widget(el):
            if el.get("itemprop") == "datePublished" or el.get("pubdate") is not None or \
                    re.search(r"publish|entry-date|post-date|pubdate|posted", names) and "updated" not in names:
                out.append(DateCandidate(found[0], "time", "datetime"))
                continue
            if re.search(r"updated|modified", names):
                out.append(DateCandidate(found[0], "time", "datetime", role="updated"))
                continue
        out.append(DateCandidate(found[0], "attr", tag, role="other" if comment else "published"))
    return out


def _js_candidate(root, zone) -> DateCandidate | None:
    for script in root.iter("script"):
        code = script.text or ""
        if len(code) > 200_000:
            continue
        for m in _JS_DATE_RE.finditer(code):
            found = find_dates(m.group(1), compact=True, zone=zone)
            if found:
                return DateCandidate(found[0], "js", m.group(0).split(":")[0].split("=")[0].strip(" \"'"))
            if re.fullmatch(r"\d{10}|\d{13}", m.group(1)):
                match = parse_date_match(m.group(1))
                if match:
                    return DateCandidate(match, "js", "timestamp")
    return None


def _too_big(el) -> bool:
    """Whether ``el`` is too large to be the headline's neighbourhood (body, a form wrapping the
    page, a layout table of more than a few rows)."""
    tag = _tag(el)
    if tag in ("body", "html", "form") or el.getparent() is None:
        return True
    if tag in ("table", "tbody"):
        rows = sum(1 for _ in el.iterchildren("tr")) + sum(
            1 for part in el.iterchildren("tbody", "thead", "tfoot") for _ in part.iterchildren("tr"))
        return rows > NEIGHBOUR_MAX_ROWS
    return False


def _element_siblings(el, forward: bool, limit: int) -> list:
    out = []
    node = el.getnext() if forward else el.getprevious()
    while node is not None and len(out) < limit:
        if _tag(node) and _tag(node) not in SKIP_TAGS:
            out.append(node)
        node = node.getnext() if forward else node.getprevious()
    return out


def neighbourhood_marks(anchor) -> tuple:
    """The elements that bound the headline's neighbourhood, in document order: the headline's
    highest ancestor within NEIGHBOUR_LEVELS that is not too big, with its NEIGHBOUR_BEFORE
    preceding and NEIGHBOUR_AFTER following siblings."""
    node = anchor
    levels = 0
    while levels < NEIGHBOUR_LEVELS:
        parent = node.getparent()
        if parent is None or _too_big(parent):
            break
        if sum(1 for child in parent if _tag(child)) > 1:
            levels += 1  # a wrapper around this one element alone is not a level
        node = parent
    after = _element_siblings(node, True, NEIGHBOUR_AFTER)
    before = _element_siblings(node, False, NEIGHBOUR_BEFORE)
    return (*reversed(before), node, *after)


def _text_candidates(text: str, zone, kind_labelled: str, kind_plain: str | None, plain_limit: int,
                     last_plain: bool = False) -> list[DateCandidate]:
    """Candidates of a text window: every labelled date, and the first (or last) unlabelled one
    within ``plain_limit`` characters (of the start, or of the end with ``last_plain``)."""
    out, plain = [], []
    for match in find_dates(text, zone=zone, months=True):
        role, label = _label_role(text, match.start)
        distance = len(_WS.sub(" ", text[match.end:] if last_plain else text[:match.start]).strip())
        if match.granularity == "month" and role == "unlabelled" and not re.match(
                r"\s*(?:号|期|刊)", text[match.end:match.end + 2]) and not match.text.endswith(("号", "期", "刊")):
            continue  # 2019年10月， in running text is not a date of the page
        if role in ("published", "generic"):
            out.append(DateCandidate(match, kind_labelled, label, distance=distance))
        elif role in ("written", "updated", "other"):
            kind = {"written": "written", "updated": "updated"}.get(role, kind_labelled)
            out.append(DateCandidate(match, kind, label, role=role, distance=distance))
        elif kind_plain:
            plain.append(match)
    for match in (reversed(plain) if last_plain else plain):
        between = _WS.sub(" ", text[match.end:] if last_plain else text[:match.start])
        if match.granularity == "day" and _CLOCK_RE.match(text, match.end) and between.strip():
            continue  # the header's clock; a weekday right at the headline is a blog's date header
        # a byline is close and holds no sentence; a date after a 。 is one of the text's own
        if len(between) <= plain_limit and "。" not in between:
            out.append(DateCandidate(match, kind_plain, "", distance=len(between.strip())))
        break
    return out


def collect_date_candidates(page: Page, linear: str, title_span: tuple[int, int] | None,
                            region: tuple[int, int] | None, body_text: str, zone=None,
                            anchor=None) -> list[DateCandidate]:
    """Every publication-time candidate of the page, in order of discovery. ``title_span``: the
    headline's offsets in ``linear``; ``region``: those of its neighbourhood; ``anchor``: the
    headline element (when it sits in a "side"-classed column, that column is the content)."""
    candidates = _meta_candidates(page.meta, page.root, zone)
    markup = _markup_candidates(page, zone)
    candidates += [c for c in markup if c.kind == "time"]

    if title_span is not None:
        start, end = title_span
        region_start, region_end = region or (0, len(linear))
        after = linear[end:min(region_end, end + NEIGHBOUR_CHARS)]
        before = linear[max(region_start, start - NEIGHBOUR_UNLABELLED):start]
        own = linear[start:end]
        candidates += [c for c in _text_candidates(own, zone, "headline", None, 0)]
        candidates += _text_candidates(after, zone, "headline", "near", NEIGHBOUR_UNLABELLED)
        candidates += _text_candidates(before, zone, "headline", "before", NEIGHBOUR_UNLABELLED, last_plain=True)
        window = linear[end:end + 400]
        if len(window) > len(after):
            candidates += [c for c in _text_candidates(window, zone, "window", "window", NEIGHBOUR_UNLABELLED)
                           if c.role == "published"]

    js = _js_candidate(page.root, zone)
    if js:
        candidates.append(js)

    outside = ("nav", "footer", "friend") if anchor is not None and page.area(anchor) == "side" else \
        ("nav", "footer", "side", "friend")
    content = _linear_text(page.root, skip=lambda el: page.area(el) in outside)[0]
    labelled = [c for c in _text_candidates(content, zone, "label", None, 0) if c.role != "updated"]
    for role in ("published", "written"):
        firsts = [c for c in labelled if c.role == role]
        if role == "published":
            firsts.sort(key=lambda c: _label_role(content, c.match.start)[0] != "published")
        if firsts:
            candidates.append(firsts[0])

    url = url_date_match(page.url)
    if url:
        candidates.append(DateCandidate(DateMatch(url[0], False, 0, 0, page.url, precision=url[1]), "url", "URL"))

    for text in (body_text[:3000], content):
        found = [m for m in find_dates(text, zone=zone) if _label_role(text, m.start)[0]
                 not in ("updated", "other", "written")
                 and not (m.granularity == "day" and _CLOCK_RE.match(text, m.end))]
        if found:
            candidates.append(DateCandidate(found[0], "text", ""))
            break
    candidates += [c for c in markup if c.kind == "attr"]
    unique: dict = {}
    for c in candidates:
        unique.setdefault((c.kind, c.value, c.label, c.role), c)
    return list(unique.values())


def choose_date(candidates: list[DateCandidate]) -> DateDecision:
    """The publication time by DATE_CONFIDENCE (first found wins a tie), refined in precision by
    agreeing candidates; the 成文日期 is kept beside it."""
    published = [c for c in candidates if c.kind != "attr" and (c.role == "published" or c.kind == "updated")]
    written = next((c for c in candidates if c.role == "written"), None)
    if not published and written is not None:
        published = [written]
    decision = DateDecision(None, candidates, written=written)
    if not published:
        return decision
    best = max(published, key=lambda c: (c.confidence, -c.distance, -candidates.index(c)))
    decision.chosen = best
    pool = [c for c in candidates if (c.role == "published" or c.kind == "updated") and c is not best]
    pool.sort(key=lambda c: -c.confidence)  # stable: the first found among equals
    for other in pool:
        if best.precision == "day" and other.precision in ("minute", "second") and other.day == best.day:
            pass  # the day each states in its own zone: a stated offset is kept
        elif best.precision == "minute" and other.precision == "second" and \
                other.value.replace(second=0) == best.value.replace(second=0):
            pass
        else:
            continue
        decision.chosen, decision.refined = other, best
        break
    return decision


def extract_date(page: Page, linear: str, title_span: tuple[int, int] | None,
                 region: tuple[int, int] | None, body_text: str, anchor=None) -> DateDecision:
    """Publication time of an article page (see the section comment for the order)."""
    zone, zone_name = _page_zone(linear)
    if zone is not None and zone.utcoffset(None) == TZ.utcoffset(datetime(2020, 1, 1)):
        zone, zone_name = None, ""
    decision = choose_date(collect_date_candidates(page, linear, title_span, region, body_text, zone, anchor))
    decision.zone = zone_name
    return decision


# --------------------------------------------------------------------------- source, author

# A label glued to the end of a value when adjacent spans carry no separator
# (<span>来源：市政府办公室</span><span>浏览次数：…</span>).
_GLUED_LABEL = re.compile(r"(?:浏览次数|浏览量|浏览|点击数|点击量|点击|阅读数|阅读量|阅读|访问量|字号|字体|打印|分享|"
                          r"责任编辑|编辑|作者|记者|发布时间|发布日期|更新时间)$")


def _label_value(pattern: re.Pattern, text: str, last: bool = False) -> str:
    matches = list(pattern.finditer(text))
    if last:
        matches.reverse()
    for m in matches:
        value = _GLUED_LABEL.sub("", m.group(1).strip())
        if re.match(_LABEL_STOP, value) or re.fullmatch(r"[\d\-/.:年月日]+", value):
            continue
        return value
    return ""


def _strip_label(value: str) -> str:
    return re.sub(r"^(?:信息来源|文章来源|稿件来源|来源|作者|记者)\s*[:：]\s*", "", clean_text(value)).strip()


def _class_source(root) -> str:
    for el in root.xpath("//*[contains(@class, 'source') or contains(@id, 'source') or "
                         "@class='ly' or @id='ly' or contains(@class, 'laiyuan')]"):
        if _tag(el) in ("script", "style", "meta", "link", "body", "html"):
            continue
        value = _strip_label(el.text_content())
        if 2 <= len(value) <= 30 and not re.search(r"\d{4}[-年/]", value) and "：" not in value:
            return value
    return ""


def extract_source(page: Page, window: str, linear: str) -> str:
    meta = page.meta
    for name in META_SOURCE_NAMES:
        if meta.get(name):
            return _strip_label(meta[name])
    value = _label_value(_SOURCE_RE, window)
    if value:
        return value
    value = _class_source(page.root)
    if value:
        return value
    value = _label_value(_SOURCE_RE, linear)
    if value:
        return value
    if meta.get("source"):
        return _strip_label(meta["source"])
    return ""


def extract_author(page: Page, window: str) -> str:
    for name in META_AUTHOR_NAMES:
        value = clean_text(page.meta.get(name))
        if value and not value.isdigit() and len(value) <= 40:
            return _strip_label(value)
    return _label_value(_AUTHOR_RE, window)


# --------------------------------------------------------------------------- body

def _cms_container(root):
    for i, xpath in enumerate(CMS_CONTAINERS):
        for el in root.xpath(xpath):
            if len(clean_text(el.text_content())) >= MIN_CONTAINER_TEXT or el.find(".//img") is not None:
                return _inner_container(el, CMS_CONTAINERS[i + 1:])
    return None


def _inner_container(el, xpaths: list[str]):
    """A more specific container inside ``el`` holding most of its text (``.article-content``
    around ``#artibody`` and a side column), else ``el``."""
    size = len(clean_text(el.text_content()))
    for xpath in xpaths:
        for inner in el.xpath("." + xpath):
            if inner is not el and len(clean_text(inner.text_content())) >= max(MIN_CONTAINER_TEXT, size / 2):
                return inner
    return el


def _post_container(root):
    """The first post's message on forum and blog pages (threads show the opening post first)."""
    for xpath in POST_CONTAINERS:
        for el in root.xpath(xpath):
            if len(clean_text(el.text_content())) >= 10:
                return el
    return None


def _paragraph_units(page: Page):
    """(element, text) for every paragraph-like block outside navigation and footers."""
    for el in page.body.iter("p", "div", "td", "section", "article", "li", "pre", "font", "span", "blockquote"):
        tag = _tag(el)
        if tag in ("div", "td", "section", "article", "li", "span", "font", "blockquote"):
            # only the element's own text (text and tails of inline children), not nested blocks
            pieces = [el.text or ""]
            for child in el:
                if not _tag(child):
                    pieces.append(child.tail or "")
                    continue
                if _tag(child) not in BLOCK_TAGS and _tag(child) not in ("a", "script", "style"):
                    pieces.append(child.text_content() if _tag(child) not in SKIP_TAGS else "")
                pieces.append(child.tail or "")
            text = clean_text("".join(pieces))
        else:
            text = clean_text("".join(
                t for t in el.xpath(".//text()[not(ancestor::a) and not(ancestor::script) and not(ancestor::style)]")))
        if len(text) >= 10:
            yield el, text


def _link_density(el) -> float:
    total = len(clean_text(el.text_content())) or 1
    linked = sum(len(clean_text(a.text_content())) for a in el.iter("a"))
    return min(1.0, linked / total)


def _scored_container(page: Page):
    """The element holding the most article-like paragraphs (a Readability-style vote)."""
    scores: dict = {}
    elements: dict = {}
    for el, text in _paragraph_units(page):
        if page.area(el) in ("nav", "footer", "friend", "side") or page.hidden(el):
            continue
        score = 1 + text.count("，") + text.count("。") + text.count(",") + min(len(text) / 60, 5)
        container = el if _tag(el) != "p" and _tag(el) not in ("span", "font") else el.getparent()
        weight = 1.0
        node = container
        for _ in range(3):
            if node is None or _tag(node) in ("html",):
                break
            scores[id(node)] = scores.get(id(node), 0) + score * weight
            elements[id(node)] = node
            weight /= 2
            node = node.getparent()
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k] * (1 - _link_density(elements[k])))
    return elements[best]


def _trafilatura_text(html: str, url: str) -> str:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - trafilatura is a dependency
        return ""
    try:
        return trafilatura.extract(html, url=url or None, include_comments=False, include_tables=True,
                                   favor_precision=True) or ""
    except Exception:  # noqa: BLE001 - a third-party parser failing must not stop extraction
        return ""


def clean_body(text: str, title: str = "") -> str:
    """Drop page furniture lines (分享到, 打印, 关闭窗口, 责任编辑 …) and a repeated title."""
    lines = [line.strip() for line in text.split("\n")]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        if _BOILERPLATE_LINE.match(line):
            continue
        if title and line == title and not kept:
            continue
        if not kept and _EDIT_NOTE.match(line):
            continue
        if not kept and len(line) < 100 and re.search(r"(?:发布时间|发布日期|来源|作者|浏览次数|点击)\s*[:：]", line):
            continue
        line = _TRAILING_FURNITURE.sub("", line).rstrip()
        if line:
            kept.append(line)
    return "\n".join(kept)


def extract_body(page: Page, html: str, title: str) -> tuple[str, object | None]:
    """(body text, main element or None)."""
    container = _cms_container(page.root)
    if container is None:
        container = _post_container(page.root)
    if container is not None:
        text = clean_body(element_text(container), title)
        if text:
            return text, container
    scored = _scored_container(page)
    if scored is not None:
        text = clean_body(element_text(scored), title)
        if len(text) >= 80:
            return text, scored
    fallback = clean_body(_trafilatura_text(html, page.url), title)
    if fallback:
        return fallback, scored
    return (clean_body(element_text(scored), title) if scored is not None else ""), scored


# --------------------------------------------------------------------------- page state

def page_state(text: str, body_text: str) -> str:
    """deleted / blocked for short error and verification pages, else live."""
    if len(body_text) > 400:
        return "live"
    if any(p in text for p in _BLOCKED_PHRASES) and len(text) < 3000:
        return "blocked"
    if any(p in text for p in _DELETED_PHRASES) and len(text) < 3000:
        return "deleted"
    return "live"


def looks_like_wechat(url: str, html: str) -> bool:
    host = urlsplit(url or "").hostname or ""
    if host.endswith("mp.weixin.qq.com"):
        return True
    return "var msg_title" in html and "js_content" in html


# --------------------------------------------------------------------------- entry points

def extract_page(body: bytes | str, url: str = "", headers: dict | None = None,
                 now: datetime | None = None) -> Extracted:
    """Everything an article page says about itself (see the module docstring for the order)."""
    html, encoding = _decode(body, headers)
    if looks_like_wechat(url, html):
        from crawler.wechat import parse_wechat
        result = parse_wechat(html, url)
        result.encoding = encoding
        if result.published_at and not result.date_reason:
            result.date_reason = ("微信公众号文章：采用页面脚本中的发布时间" if result.published_at_source == "js"
                                  else "微信公众号文章：采用页面显示的发布时间")
        return result
    root = parse_html(html)
    if root is None:
        return Extracted(url=url, canonical_url=url, encoding=encoding, state="live")
    page = Page(root, url)
    meta = page.meta
    title, title_el = extract_title(root, meta)

    bounds = neighbourhood_marks(title_el) if title_el is not None else ()
    linear, spans = _linear_text(root, (title_el, *bounds))
    title_span = spans.get(id(title_el)) if title_el is not None else None
    region = None
    if title_span is not None:  # elements inside hidden blocks have no span
        shown = [spans[id(el)] for el in bounds if id(el) in spans] or [title_span]
        region = (min(start for start, _ in shown), max(end for _, end in shown))
    elif title:
        position = linear.find(title)
        if position >= 0:
            title_span = (position, position + len(title))
    window = linear[title_span[1]:title_span[1] + 400] if title_span else linear[:1500]

    text, main = extract_body(page, html, title)
    decision = extract_date(page, linear, title_span, region, text, title_el)

    links = collect_links(page)
    canonical = ""
    for link in root.xpath("//link[@rel='canonical']/@href"):
        canonical = page.absolute(link)
        break
    source = extract_source(page, window, linear)
    editor = _label_value(_EDITOR_RE, linear, last=True)
    result = Extracted(
        url=url,
        canonical_url=canonical or url,
        title=title,
        source=source,
        author=extract_author(page, window),
        editor=editor,
        text=text,
        links=links,
        attachments=collect_attachments(links),
        images=collect_images(page, main),
        meta=meta,
        encoding=encoding,
    )
    if decision.chosen is not None:
        result.published_at = decision.chosen.value
        result.published_at_source = decision.chosen.source
        result.published_at_precision = decision.chosen.precision
        result.published_at_label = (decision.refined or decision.chosen).label  # the winner's label
    if decision.written is not None:
        result.written_at = decision.written.value
    result.date_reason = decision.reason()
    result.date_candidates = [c.to_dict() for c in decision.candidates]
    result.state = page_state(linear, text)
    if _looks_like_list(page, text, main):
        result.kind = "list"
    return result


def _looks_like_list(page: Page, body_text: str, main) -> bool:
    """A column page: many dated links and hardly any text besides their titles and dates."""
    if main is not None and _cms_container(page.root) is not None:
        return False
    items = _list_items(page, now=None)
    if len(items) < 8:
        return False
    residual = body_text
    for item in items:
        residual = residual.replace(item["title"], "")
    residual = re.sub(r"\d{2,4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?|\d+\s*(?:分钟|小时|天)前|\s", "", residual)
    return len(residual) < 200


def _list_items(page: Page, now: datetime | None) -> list[dict]:
    items: list[dict] = []
    seen: set[str] = set()
    for a in page.body.iter("a"):
        href = a.get("href")
        if not href or not _link_kind_ok(href):
            continue
        title = clean_text(a.get("title") or "") or clean_text(a.text_content())
        text = clean_text(a.text_content())
        letters = len(re.sub(r"[\W\d_]", "", text))
        short = letters < 4  # 要闻, 通知: kept only as a dated row of their own (see _short_row_date)
        if letters == 0 or (short and _NOT_ENTRY.match(text)):
            continue
        url = page.absolute(href)
        if url in seen or page.area(a) in ("nav", "footer", "friend"):
            continue
        date = _short_row_date(a, text, now) if short else _date_beside(a, text, now)
        if date is None:
            date = date_from_url(url, now)
        if date is None:
            continue
        seen.add(url)
        items.append({"url": url, "title": title if len(title) >= len(text) else text, "date": date})
    return items


_NOT_ENTRY = re.compile(r"^(?:首页|网站首页|返回首页|更多|更多>+|more|详情|详细|查看|进入|登录|注册|上一页|下一页|尾页|末页|"
                        r"[<>»«›‹]+|\[?\d+\]?)$", re.I)
_TODAY_BANNER = re.compile(r"今天是|今日|星期|周[一二三四五六日天]")


def _short_row_date(a, text: str, now: datetime | None) -> datetime | None:
    """The date of a row holding a short link (要闻 2026-11-27): the link's own list item or table
    row, with nothing but a date beside it (a "today is …" banner does not count)."""
    parent = a.getparent()
    if parent is not None and _tag(parent) in ("span", "em", "strong", "b", "font", "h3", "h4"):
        parent = parent.getparent()
    if parent is None or _tag(parent) not in ("li", "td", "tr", "dd", "p", "div"):
        return None
    if len([x for x in parent.iter("a") if x.get("href")]) > 1:
        return None
    rest = clean_text(parent.text_content()).replace(text, " ", 1)
    if len(rest) > 30 or _TODAY_BANNER.search(rest):
        return None
    found = find_dates(rest, now, relative=True, yearless=True)
    return found[0].value if found else None


def _date_beside(a, text: str, now: datetime | None) -> datetime | None:
    """A date in the list item around link ``a`` (climbing while the item holds only this link)."""
    node = a
    href = a.get("href")
    for _ in range(4):
        parent = node.getparent()
        if parent is None or _tag(parent) in ("body", "html"):
            return None
        titled = {x.get("href") for x in parent.iter("a") if len(clean_text(x.text_content())) >= 4}
        if len(titled - {href}) > 0:
            # the parent holds other items: only text right beside this node counts
            beside = " ".join(clean_text(s.text_content()) for s in (node.getprevious(), node.getnext())
                              if s is not None and _tag(s) and _tag(s) != "a")
            beside += " " + clean_text(node.tail)
            found = find_dates(beside, now, relative=True, yearless=True)
            return found[0].value if found else None
        own = clean_text(parent.text_content()).replace(text, " ")
        found = find_dates(own, now, relative=True, yearless=True)
        if found:
            return found[0].value
        node = parent
    return None


def extract_list_page(body: bytes | str, url: str = "", headers: dict | None = None,
                      now: datetime | None = None) -> list[dict]:
    """Article links of a column (list) page with the date shown beside each (or in its URL).

    Returns ``[{"url", "title", "date"}]`` in page order; ``date`` is an aware datetime.
    Relative dates (3小时前) count from ``now`` (default the current time).
    """
    html, _ = _decode(body, headers)
    root = parse_html(html)
    items = _list_items(Page(root, url), now) if root is not None else []
    from crawler.pagination import hanweb_records

    records = hanweb_records(html)
    if records:  # Hanweb jpage: the entries are XML records (CDATA), not part of the page's DOM
        fragment = parse_html("<html><body><ul>" + "".join(records) + "</ul></body></html>")
        if fragment is not None:
            known = {i["url"] for i in items}
            items += [i for i in _list_items(Page(fragment, url), now) if i["url"] not in known]
    return items


def find_pagination(body: bytes | str, url: str = "", headers: dict | None = None) -> list[str]:
    """URLs of the column's other list pages (``crawler.pagination`` knows the CMS families)."""
    from crawler.pagination import paginate

    html, _ = _decode(body, headers)
    return paginate(html, url).urls
