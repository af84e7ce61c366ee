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
from datetime import datetime
from urllib.parse import urlsplit


from crawler.dates import date_from_url, find_dates
from crawler.page import (  # noqa: F401
    BLOCK_TAGS, CMS_CONTAINERS, Extracted, META_AUTHOR_NAMES, META_SOURCE_NAMES, MIN_CONTAINER_TEXT, POST_CONTAINERS, Page, SKIP_TAGS, _AUTHOR_RE, _BLOCKED_PHRASES, _BOILERPLATE_LINE, _DELETED_PHRASES, _EDITOR_RE, _EDIT_NOTE, _LABEL_STOP, _SOURCE_RE, _TRAILING_FURNITURE, _class_id, _decode, _linear_text, _link_kind_ok, _tag, clean_text, collect_attachments, collect_images, collect_links, element_text, parse_html,
)
from crawler.pubtime import (  # noqa: F401
    extract_date, neighbourhood_marks,
)


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
