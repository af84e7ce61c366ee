"""List-page pagination as government CMSs print it.

``paginate(html, url)`` reads one list page and returns the URLs of the column's other list pages
it can name, in page order, and the page count when the page states it. Families understood:

* numbered page links ("1 2 3 … 10", 尾页/末页/最后一页, 下一页) whose URLs share a pattern with the
  page number in one place: ``index_N.html`` (TRS, N from 1 for the second page), ``index_N.shtml``,
  ``list_N.html``, ``?page=N``, ``pageNum=N``, ``curpage=N``, ``/N.html`` …; the pattern is learnt
  from the links themselves (number shown vs number in the URL), so pages hidden behind "…" are
  filled in;
* a ``<select>`` of page numbers whose option values are page URLs;
* the page count printed as text (共 N 页, 第 1/N 页, 页次：1/N) or set in a script
  (``createPageHTML(N, cur, "index", "html")`` and TRS's newer ``createPageHTML('div', N, cur,
  'index', 'shtml', count)``, ``countPage = N``); with no link pattern, TRS's ``index_N.ext``;
* a page-number form ("跳转到 [ ] 页"): its action and the name of its number field;
* Hanweb (大汉) ``jpage`` lists: the first records are embedded as
  ``<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?…">]]></nextgroup>
  <recordset><record><![CDATA[…]]></record>…</recordset></datastore>`` and the rest come from the
  data proxy, asked with ``startrecord``/``endrecord``/``perpage`` plus the parameters of
  ``nextgroup`` (``webid``, ``columnid``, ``unitid`` …); ``totalRecord``/``perPage``/``groupSize`` come
  from the ``jpage({…})`` call, ``<totalrecord>`` from a proxy answer.

Pure: no network, bounded input (callers pass decoded HTML; at most the first 2 MB is read), and
only linear-time regular expressions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

MAX_HTML = 2 * 1024 * 1024
MAX_PAGES = 10000  # a printed page count beyond this is not believed

_NEXT_TEXT = re.compile(r"^(?:下一页|下页|后一页|下一頁|next|next page|›|»|>|>>)$", re.I)
_LAST_TEXT = re.compile(r"^(?:尾页|末页|最后一页|最末页|尾頁|last|last page|>\|)$", re.I)
_NUMBER_LABEL = re.compile(r"^\[?\s*(\d{1,4})\s*\]?$")
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^()]{0,200})\)")
_COUNT_PAGE = re.compile(r"\b(?:countPage|totalPage|totalpage|pageCount|pagecount|page_count|totalPages)\s*[=:]\s*[\"']?(\d{1,5})\b")
_TEXT_TOTAL = (
    re.compile(r"共\s*(\d{1,5})\s*页"),
    re.compile(r"第?\s*\d{1,5}\s*/\s*(\d{1,5})\s*页"),
    re.compile(r"页次\s*[:：]?\s*\d{1,5}\s*/\s*(\d{1,5})"),
)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']{1,2000})["']""", re.I)
_JPAGE_OPT = re.compile(r"\b(totalRecord|perPage|groupSize|proxyUrl)\s*:\s*[\"']?([^,\"'}\s]{1,300})", re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d{1,7})\s*</totalrecord>", re.I)
_FORM_HINT = re.compile(r"跳转|转到|转至|GO|前往|到第|页", re.I)


@dataclass
class Paging:
    urls: list[str] = field(default_factory=list)  # the column's other list pages, in page order
    total: int | None = None  # page count, when printed
    family: str = ""  # how the pages were found (for logs and tests)


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _int(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 10 ** 7 else None


def _same_page(a: str, b: str) -> bool:
    return a.split("#")[0].rstrip("/") == b.split("#")[0].rstrip("/")


def hanweb_records(html: str) -> list[str]:
    """The HTML fragments of a Hanweb ``<datastore>`` (embedded in a page or a proxy answer)."""
    if "<record" not in html[:MAX_HTML] and "<RECORD" not in html[:MAX_HTML]:
        return []
    return [m.group(1) for m in _RECORD.finditer(html[:MAX_HTML])]


def _hanweb(html: str, url: str) -> Paging | None:
    group = _NEXTGROUP.search(html)
    href = _HREF.search(group.group(1)) if group else None
    if href is not None:
        proxy = urlsplit(urljoin(url, unescape(href.group(1))))
    elif "dataproxy" in url and "<recordset" in html.lower():
        proxy = urlsplit(url)  # a proxy answer without <nextgroup>: continue with its own parameters
    else:
        return None
    if proxy.scheme not in ("http", "https"):
        return None
    params = [(k, v) for k, v in parse_qsl(proxy.query, keep_blank_values=True)
              if k.lower() not in ("startrecord", "endrecord", "perpage", "page")]
    opts = {k.lower(): v for k, v in _JPAGE_OPT.findall(html)}
    per_page = _int(opts.get("perpage")) or 15
    group_size = _int(opts.get("groupsize")) or 3
    total = _int(opts.get("totalrecord"))
    m = _TOTAL_RECORD.search(html)
    if m:
        total = _int(m.group(1))
    embedded = len(hanweb_records(html))
    span = per_page * group_size
    # a proxy answer carries the records it was asked for: continue after them
    asked = dict(parse_qsl(urlsplit(url).query))
    start = (_int(asked.get("endrecord")) or embedded or span) + 1 if "dataproxy" in url else (embedded or span) + 1
    if total is None or total < start:
        return Paging([], None if total is None else -(-total // per_page), "hanweb")
    base = urlunsplit((proxy.scheme, proxy.netloc, proxy.path, "", ""))
    urls = []
    while start <= total and len(urls) < MAX_PAGES:
        end = min(start + span - 1, total)
        query = urlencode([("startrecord", start), ("endrecord", end), ("perpage", per_page), *params])
        urls.append(f"{base}?{query}")
        start = end + 1
    return Paging(urls, -(-total // per_page), "hanweb")


def _templates(url: str, label: int) -> list[tuple[str, int, int]]:
    """(template with {} for one digit run, offset = URL number − page number, position)."""
    out = []
    parts = urlsplit(url)
    head = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    tail = url[len(head):]
    for m in re.finditer(r"\d+", tail):
        value = int(m.group())
        if len(m.group()) > 6:
            continue
        template = head + tail[:m.start()].replace("{", "{{").replace("}", "}}") + "{}" + \
            tail[m.end():].replace("{", "{{").replace("}", "}}")
        out.append((template, value - label, m.start()))
    return out


def _template_number(template: str, url: str) -> int | None:
    before, _, after = template.partition("{}")
    before, after = before.replace("{{", "{").replace("}}", "}"), after.replace("{{", "{").replace("}}", "}")
    if url.startswith(before) and url.endswith(after) and len(url) > len(before) + len(after):
        middle = url[len(before):len(url) - len(after)]
        return int(middle) if middle.isdigit() and len(middle) <= 6 else None
    return None


def _text_total(text: str, html: str) -> tuple[int | None, tuple[str, str, int] | None]:
    """The printed page count, and a TRS script's (name, ext, current) when there is one."""
    total = None
    trs = None
    script_words: list[str] = []
    for m in _CREATE_PAGE.finditer(html):
        args = [a.strip().strip("\"'") for a in m.group(1).split(",")]
        numbers = [int(a) for a in args if a.isdigit()]
        words = [a for a in args if a and not a.isdigit() and re.fullmatch(r"[\w.-]{1,40}", a)
                 and not re.search(r"page|count", a, re.I)]
        if words and len(words) >= 3:
            words = words[1:]  # the newer form starts with the target div id
        script_words = script_words or words
        if len(numbers) < 2:
            continue  # createPageHTML(countPage, currentPage, …): the numbers are variables
        name, ext = (words + ["index", "html"])[:2]
        total, trs = numbers[0], (name, ext, numbers[1])
        break
    if total is None:
        m = _COUNT_PAGE.search(html)
        if m:
            total = int(m.group(1))
            current = re.search(r"\bcurrentPage\s*=\s*(\d{1,5})", html)
            name = re.search(r"\b(?:prePage|pageName)\s*=\s*[\"']([\w-]{1,40})[\"']", html)
            ext = re.search(r"\b(?:pageExt|ext)\s*=\s*[\"'](s?html?)[\"']", html)
            if name or script_words:
                words = script_words + ["index", "html"]
                trs = (name.group(1) if name else words[0], ext.group(1) if ext else words[1],
                       int(current.group(1)) if current else 0)
    if total is None:
        for pattern in _TEXT_TOTAL:
            m = pattern.search(text)
            if m:
                total = int(m.group(1))
                break
    if total is not None and not 0 < total <= MAX_PAGES:
        return None, None
    return total, trs


def _form(root, url: str) -> str | None:
    """A page-number form: its action with the number field as ``{}`` (hidden fields kept)."""
    for form in root.iter("form"):
        text = _clean(form.text_content())
        inputs = [i for i in form.iter("input") if (i.get("type") or "text").lower() in ("text", "number", "")]
        if len(inputs) != 1 or not _FORM_HINT.search(text + " " + " ".join(
                (i.get("value") or "") for i in form.iter("input"))):
            continue
        name = inputs[0].get("name")
        if not name or not re.search(r"page|pg|curr|num|p$", name, re.I) or \
                (form.get("method") or "get").lower() != "get":
            continue
        action = urljoin(url, form.get("action") or url)
        parts = urlsplit(action)
        if parts.scheme not in ("http", "https"):
            continue
        hidden = [(i.get("name"), i.get("value") or "") for i in form.iter("input")
                  if (i.get("type") or "").lower() == "hidden" and i.get("name")]
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name] + hidden
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        encoded = urlencode(query + [(name, "PAGENUMBER")]).replace("{", "%7B").replace("}", "%7D")
        return (base + "?" + encoded).replace("PAGENUMBER", "{}")
    return None


def _parse(html: str):
    """The page's element tree (lxml, like ``crawler.extract.parse_html``), or None."""
    import lxml.html
    from lxml import etree

    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8", huge_tree=False))
    except (etree.ParserError, ValueError):
        return None


def paginate(html: str, url: str, root=None) -> Paging:
    """The other list pages of the column whose page ``url`` is ``html`` (see the module docstring)."""
    html = html[:MAX_HTML]
    hanweb = _hanweb(html, url)
    if hanweb is not None:
        return hanweb
    if root is None:
        root = _parse(html)
    if root is None:
        return Paging()

    numbered: list[tuple[int, str]] = []
    nexts: list[str] = []
    lasts: list[str] = []
    for el in root.iter("a", "option"):
        is_option = el.tag == "option"
        href = (el.get("value") if is_option else el.get("href")) or ""
        href = href.strip()
        if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
            continue
        absolute = urljoin(url, href)
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        label = _clean(el.text_content()) or _clean(el.get("title"))
        m = _NUMBER_LABEL.match(label)
        if m and (is_option or len(label) <= 6):
            numbered.append((int(m.group(1)), absolute))
        elif not is_option and _NEXT_TEXT.match(label):
            nexts.append(absolute)
        elif not is_option and _LAST_TEXT.match(label):
            lasts.append(absolute)
    body = root.find("body")
    text = _clean((body if body is not None else root).text_content())[:MAX_HTML]
    total, trs = _text_total(text, html)

    # the URL pattern: the digit run that moves with the page number, the same way in most links
    votes: dict[tuple[str, int], int] = {}
    voters: set[str] = set()
    for label, link in numbered:
        if _same_page(link, url):
            continue
        for template, offset, _pos in _templates(link, label):
            # page N is at N, N−1 (index_1.html is page 2, pageNo=0 is page 1) or N+1 in its URL;
            # anything else is not a pager
            if abs(offset) <= 1:
                votes[(template, offset)] = votes.get((template, offset), 0) + 1
                voters.add(link)
    best = None
    others = len(voters)
    # a pager's links share one pattern: with two or more numbered links, at least two must agree
    if votes and (max(votes.values()) >= 2 or others <= 1):
        top = max(votes.values())
        candidates = [k for k, v in votes.items() if v == top]
        # ties (one numbered link): the digit run nearest the end, whose offset is smallest
        best = min(candidates, key=lambda k: (abs(k[1]), -k[0].index("{}")))
    urls: list[str] = []
    family = ""

    def add(candidate: str) -> None:
        if candidate and not _same_page(candidate, url) and candidate not in urls and len(urls) < MAX_PAGES:
            urls.append(candidate)

    if best is not None:
        template, offset = best
        highest = max(label for label, _ in numbered)
        for link in lasts:
            number = _template_number(template, link)
            if number is not None:
                highest = max(highest, number - offset)
        if total:
            highest = max(highest, total)
        # a linked page keeps its own URL (TRS page 1 is index.html, not index_0.html); page 1 is
        # where the column starts: never guessed
        by_label = dict(numbered)
        for page in range(1, min(highest, MAX_PAGES) + 1):
            if page in by_label:
                add(by_label[page])
            elif page > 1 and page + offset >= 0:
                add(template.format(page + offset))
        family = "numbered"
    elif trs is not None and total:
        name, ext, current = trs
        for number in range(current + 1, total):
            add(urljoin(url, f"{name}.{ext}" if number == 0 else f"{name}_{number}.{ext}"))
        family = "trs"
    else:
        template = _form(root, url)
        if template and total:
            for page in range(2, total + 1):
                add(template.format(page))
            family = "form"
    for link in (*nexts, *lasts):
        add(link)
    if not family and urls:
        family = "next"
    return Paging(urls, total, family)


__all__ = ["Paging", "paginate", "hanweb_records"]
