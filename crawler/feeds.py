"""RSS 2.0, RSS 1.0 (RDF), Atom and JSON Feed documents, as a pure parser.

These are what the feed bridges users run produce for WeChat, Douyin, Toutiao and others (RSSHub,
wewe-rss, we-mp-rss). Every entry gives title, link, id, publication time (aware; a time without
a zone is Asia/Shanghai), content (HTML as given), summary, plain text, author, images, links and
enclosures.

A feed is untrusted input, parsed within the ``[parse]`` bounds (crawler/bounds.py): at most
``max_feed_bytes`` of it (an XML feed cut there keeps the entries before the cut, the cut one
dropped; a JSON Feed over it is refused), at most ``max_feed_entries`` entries built (the caller
may ask for fewer), and the XML parser resolves no entity, loads no DTD, touches no network and
keeps libxml2's default size limits (no ``huge_tree``). A document type declaration in the
prolog is removed before parsing, so neither an internal subset (billion laughs) nor an external
one (``SYSTEM "file:///…"``) is ever read, whatever the libxml2 version's own guards.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from itertools import islice

from lxml import etree

from crawler.bounds import limits
from crawler.dates import parse_date_match
from govwatch.models import TZ

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MEDIA = "http://search.yahoo.com/mrss/"
KINDS = ("rss", "atom", "json", "rdf")

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")


def _parser() -> etree.XMLParser:
    # one per document: a parser keeps its error log, and lxml parsers are not shared across threads
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           attribute_defaults=False, huge_tree=False, recover=True,
                           remove_comments=True, remove_pis=True)


def strip_doctype(body: bytes) -> bytes:
    """``body`` without the document type declaration of its prolog (with its internal subset:
    quoted strings and comments inside it skipped, so a ``]>`` in an entity value does not end it).
    One linear pass; a declaration left unterminated takes the rest of the document with it."""
    i = body.find(b"<!DOCTYPE")
    if i < 0 or _ELEMENT_START.search(body, 0, i):
        return body
    j, n, subset = i + 9, len(body), False
    while j < n:
        c = body[j]
        if c in (0x22, 0x27):  # a quoted literal
            k = body.find(bytes((c,)), j + 1)
            if k < 0:
                return body[:i]
            j = k + 1
            continue
        if subset and body.startswith(b"<!--", j):
            k = body.find(b"-->", j + 4)
            if k < 0:
                return body[:i]
            j = k + 3
            continue
        if c == 0x5B:  # [
            subset = True
        elif c == 0x5D:  # ]
            subset = False
        elif c == 0x3E and not subset:  # >
            return body[:i] + body[j + 1:]
        j += 1
    return body[:i]


class FeedError(ValueError):
    """The document is not a feed (Chinese message for the collector error)."""


@dataclass
class FeedEntry:
    title: str = ""
    link: str = ""
    id: str = ""
    published: datetime | None = None
    published_raw: str = ""
    updated: datetime | None = None
    content: str = ""  # HTML (or text) as the feed gives it
    summary: str = ""
    text: str = ""  # plain text of content, else of summary
    author: str = ""
    images: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    enclosures: list[dict] = field(default_factory=list)  # url, type, length


@dataclass
class Feed:
    kind: str
    title: str = ""
    link: str = ""
    description: str = ""
    updated: datetime | None = None
    entries: list[FeedEntry] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers

def parse_feed_date(value: str | None, now: datetime | None = None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 / RFC 3339 (Atom, JSON Feed) or any Chinese form, as an aware datetime."""
    if not value:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text[:1].isdigit():
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
            return dt if dt.tzinfo else dt.replace(tzinfo=TZ)
        except ValueError:
            pass
    if text[:1].isalpha() and "," in text[:5] or re.match(r"^\d{1,2} [A-Z][a-z]{2} \d{4}", text):
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            dt = None
        if dt is not None:
            return dt if dt.tzinfo else dt.replace(tzinfo=TZ)
    match = parse_date_match(text, now)
    return match.value if match else None


def html_to_text(content: str, base_url: str = "") -> tuple[str, list[dict], list[dict]]:
    """Plain text, links and images of an HTML fragment (a feed's content or summary)."""
    if not content:
        return "", [], []
    if "<" not in content and "&" not in content:
        return " ".join(content.split()), [], []
    from crawler.page import collect_images, collect_links, element_text, Page, parse_html

    root = parse_html(f"<html><body>{content}</body></html>")
    if root is None:
        return "", [], []
    body = root.find("body")
    body = body if body is not None else root
    page = Page(root, base_url)
    links = collect_links(page, body)
    for link in links:
        link["area"] = "body"
    return element_text(body), links, collect_images(page, body)


def _text(el) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def _child(el, *names):
    for name in names:
        found = el.find(name)
        if found is not None:
            return found
    return None


def _finish(entry: FeedEntry) -> FeedEntry:
    source = entry.content or entry.summary
    text, links, images = html_to_text(source, entry.link)
    entry.text = text
    entry.links = links
    entry.images = images + [i for i in entry.images if i not in images]
    entry.title = " ".join(entry.title.split())
    return entry


# --------------------------------------------------------------------------- formats

def _rss(channel, items, now, cap: int) -> Feed:
    feed = Feed(kind="rss", title=_text(_child(channel, "title")), link=_text(_child(channel, "link")),
                description=_text(_child(channel, "description")))
    feed.updated = parse_feed_date(_text(_child(channel, "lastBuildDate", "pubDate")), now)
    for item in islice(items, cap):
        guid = _child(item, "guid")
        link = _text(_child(item, "link"))
        if not link and guid is not None and guid.get("isPermaLink", "true") != "false":
            link = _text(guid)
        raw = _text(_child(item, "pubDate", f"{{{DC}}}date", "published", "updated"))
        entry = FeedEntry(
            title=_text(_child(item, "title")), link=link, id=_text(guid) or link,
            published=parse_feed_date(raw, now), published_raw=raw,
            content=_text(_child(item, f"{{{CONTENT}}}encoded")),
            summary=_text(_child(item, "description")),
            author=_text(_child(item, f"{{{DC}}}creator", "author")),
        )
        for enc in item.findall("enclosure"):
            entry.enclosures.append({"url": enc.get("url", ""), "type": enc.get("type", ""),
                                     "length": enc.get("length", "")})
            if enc.get("type", "").startswith("image/") and enc.get("url"):
                entry.images.append({"url": enc.get("url"), "alt": ""})
        for media in item.findall(f"{{{MEDIA}}}content") + item.findall(f"{{{MEDIA}}}thumbnail"):
            if media.get("url"):
                entry.images.append({"url": media.get("url"), "alt": ""})
        feed.entries.append(_finish(entry))
    return feed


def _atom_link(el) -> str:
    links = el.findall(f"{{{ATOM}}}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return links[0].get("href", "") if links else ""


def _atom_content(el) -> str:
    if el is None:
        return ""
    if el.get("type") == "xhtml":
        div = el.find("{http://www.w3.org/1999/xhtml}div")
        scope = div if div is not None else el
        inner = (scope.text or "") + "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in scope)
        return re.sub(r"\s?xmlns(:\w+)?=\"[^\"]*\"", "", inner).strip()
    return (el.text or "").strip() if len(el) == 0 else _text(el)


def _atom(root, now, cap: int) -> Feed:
    a = f"{{{ATOM}}}"
    feed = Feed(kind="atom", title=_text(root.find(a + "title")), link=_atom_link(root),
                description=_text(root.find(a + "subtitle")),
                updated=parse_feed_date(_text(root.find(a + "updated")), now))
    for item in islice(root.iterfind(a + "entry"), cap):
        raw = _text(_child(item, a + "published", a + "issued", a + "updated", f"{{{DC}}}date"))
        author = item.find(f"{a}author/{a}name")
        if author is None:
            author = root.find(f"{a}author/{a}name")
        entry = FeedEntry(
            title=_text(item.find(a + "title")), link=_atom_link(item), id=_text(item.find(a + "id")),
            published=parse_feed_date(raw, now), published_raw=raw,
            updated=parse_feed_date(_text(item.find(a + "updated")), now),
            content=_atom_content(item.find(a + "content")),
            summary=_atom_content(item.find(a + "summary")),
            author=_text(author) or _text(item.find(f"{{{DC}}}creator")),
        )
        entry.id = entry.id or entry.link
        for link in item.findall(a + "link"):
            if link.get("rel") == "enclosure" and link.get("href"):
                entry.enclosures.append({"url": link.get("href"), "type": link.get("type", ""),
                                         "length": link.get("length", "")})
        feed.entries.append(_finish(entry))
    return feed


def _rdf(root, now, cap: int) -> Feed:
    r = f"{{{RSS1}}}"
    channel = root.find(r + "channel")
    feed = Feed(kind="rdf", title=_text(channel.find(r + "title")) if channel is not None else "",
                link=_text(channel.find(r + "link")) if channel is not None else "")
    for item in islice(root.iterfind(r + "item"), cap):
        raw = _text(item.find(f"{{{DC}}}date"))
        link = _text(item.find(r + "link")) or item.get(f"{{{RDF}}}about", "")
        entry = FeedEntry(title=_text(item.find(r + "title")), link=link, id=link,
                          published=parse_feed_date(raw, now), published_raw=raw,
                          content=_text(item.find(f"{{{CONTENT}}}encoded")),
                          summary=_text(item.find(r + "description")),
                          author=_text(item.find(f"{{{DC}}}creator")))
        feed.entries.append(_finish(entry))
    return feed


def _authors(obj: dict) -> str:
    authors = obj.get("authors")
    if isinstance(authors, list):
        names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
        if names:
            return "、".join(names)
    author = obj.get("author")
    if isinstance(author, dict):
        return str(author.get("name") or "")
    return str(author or "")


def _json_feed(data: dict, now, cap: int) -> Feed:
    feed = Feed(kind="json", title=str(data.get("title") or ""), link=str(data.get("home_page_url") or ""),
                description=str(data.get("description") or ""))
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed 缺少 items")
    for item in islice((i for i in items if isinstance(i, dict)), cap):
        raw = str(item.get("date_published") or item.get("date_modified") or "")
        link = str(item.get("url") or item.get("external_url") or "")
        entry = FeedEntry(
            title=str(item.get("title") or ""), link=link, id=str(item.get("id") or link),
            published=parse_feed_date(raw, now), published_raw=raw,
            updated=parse_feed_date(str(item.get("date_modified") or ""), now),
            content=str(item.get("content_html") or item.get("content_text") or ""),
            summary=str(item.get("summary") or ""), author=_authors(item) or _authors(data),
        )
        if item.get("image"):
            entry.images.append({"url": str(item["image"]), "alt": ""})
        for att in item.get("attachments") or []:
            if isinstance(att, dict) and att.get("url"):
                entry.enclosures.append({"url": str(att["url"]), "type": str(att.get("mime_type") or ""),
                                         "length": str(att.get("size_in_bytes") or "")})
        feed.entries.append(_finish(entry))
    return feed


# --------------------------------------------------------------------------- entry point

def parse_feed(body: bytes | str, url: str = "", now: datetime | None = None,
               max_entries: int | None = None) -> Feed:
    """Parse an RSS 2.0 / RSS 1.0 / Atom / JSON Feed document; raise :class:`FeedError` otherwise.

    ``now`` reads relative or year-less dates (some bridges pass the platform's "3小时前" through).
    ``max_entries``: build at most this many entries (never more than ``parse.max_feed_entries``);
    the document is read up to ``parse.max_feed_bytes``.
    """
    lim = limits()
    cap = max(0, min(int(max_entries), lim.max_feed_entries) if max_entries is not None else lim.max_feed_entries)
    if isinstance(body, str):
        body = _XML_DECL.sub("", body, count=1).encode("utf-8")
    cut = len(body) > lim.max_feed_bytes
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    head = body.lstrip()[:1]
    if head == b"{":
        if cut:
            raise FeedError(f"JSON Feed 超过 {lim.max_feed_bytes} 字节，未解析")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FeedError(f"JSON Feed 无法解析：{exc}") from None
        if not isinstance(data, dict) or ("items" not in data and "version" not in data):
            raise FeedError("不是 JSON Feed（缺少 version 或 items）")
        return _json_feed(data, now, cap)
    if cut:
        body = body[:lim.max_feed_bytes]
    if not body.strip():
        raise FeedError("订阅源内容为空")
    try:
        root = etree.fromstring(strip_doctype(body), _parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"订阅源不是有效的 XML：{exc}") from None
    if root is None:
        raise FeedError("订阅源不是有效的 XML")
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "rss" or tag.endswith("}rss"):
        channel = root.find("channel")
        if channel is None:
            raise FeedError("RSS 缺少 channel")
        items = channel.findall("item") or root.findall("item")
        feed = _rss(channel, items, now, cap + cut)
    elif tag == f"{{{ATOM}}}feed":
        feed = _atom(root, now, cap + cut)
    elif tag == f"{{{RDF}}}RDF":
        feed = _rdf(root, now, cap + cut)
    elif tag.lower() in ("html", "{http://www.w3.org/1999/xhtml}html"):
        raise FeedError("订阅源返回的是网页而不是 RSS/Atom（桥接服务可能出错或需要登录）")
    else:
        raise FeedError(f"无法识别的订阅源格式（根元素 {tag or '未知'}）")
    if cut and feed.entries:
        # cap + 1 were asked for: either the last one built is the one the cut went through, or
        # it is one past the cap; both go
        feed.entries.pop()
    return feed
