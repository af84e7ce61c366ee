"""Page parsing shared by every extractor (pure): bounded HTML parsing, meta tags, hidden-element
rules, the page walk with its areas (nav, footer, friend links, side), links, attachments and
images, and the constants the extractors share. ``crawler.extract`` (articles, lists) and
``crawler.wechat`` build on it; it imports neither."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler import bounds
from crawler.encoding import decode_html

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
