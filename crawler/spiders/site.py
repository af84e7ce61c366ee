"""Website spider: homepage → columns → paginated list pages → article pages.

Columns come from the registry, otherwise from the homepage navigation. Incremental: list pages
every run; an article only when it is new or its list entry changed, and then with a conditional
request (ETag / Last-Modified) so an unchanged page costs a 304. Everything the site checks need
beyond the items (homepage timing, footer, links, hidden links, errors) goes into one SiteReport
per target, judged when the spider closes.
"""
from __future__ import annotations

import scrapy
from scrapy.exceptions import IgnoreRequest, StopDownload

from crawler.sitecrawl import (
    classify_column, error_kind, footer_text, interaction_rows, looks_binary, own_text, same_site,
    suspect_links, visible_text,
)
from govwatch.models import HOMEPAGE_COLUMN, SiteReport, Target, now
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")
XML_TYPES = ("text/xml", "application/xml")  # Hanweb's data proxy answers with its datastore
LINK_OK = range(200, 400)
STANDARD_META = ("articletitle", "pubdate", "contentsource")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, targets: list[Target] | None = None, signatures: dict | None = None,
                 revalidate: bool = False, max_links: int = 60, hooks: dict | None = None,
                 ocr_backlog: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.hooks = hooks or {}  # lexicon, on_findings, ignore: read by the pipeline
        self.targets = {t.id: t for t in (targets or [])}
        # target_id -> {url: (content_hash, validator, title)} of what is already stored
        self.signatures = signatures or {}
        self.revalidate = revalidate
        self.max_links = max_links
        self.reports: dict[str, SiteReport] = {}
        self.listings: dict[tuple[str, str], list] = {}  # (target, column) -> [latest, entries]
        self.column_urls: dict[str, set[str]] = {}  # target -> its column list pages (never articles)
        self.list_seen: dict[tuple[str, str], set[str]] = {}  # (target, column) -> list pages requested
        self.pages_fetched = 0
        self.crawl_stats = None  # set by the pipeline when the spider closes
        # how the crawl ended (set by the pipeline): completed or interrupted, Scrapy's close reason,
        # the sites judged; sites whose pages raised an error are judged by no one (incomplete)
        self.outcome = ""
        self.close_reason = ""
        self.interrupted = ""
        self.incomplete: dict[str, str] = {}
        self.sites_judged: list[str] = []
        # OCR (crawler/ocr.py): images of articles and image attachments are read by the pipeline;
        # images a previous crawl left for lack of budget come back from the store
        self.ocr = self.hooks.get("ocr") or {}
        self.ocr_backlog = ocr_backlog or {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._stream_stop, signal=scrapy.signals.headers_received)
        return spider

    @staticmethod
    def _stream_stop(headers, body_length, request, spider):
        """A link checked by GET needs its status only: the body is never downloaded."""
        if request.meta.get("link_stream"):
            raise StopDownload(fail=False)

    # ---------------------------------------------------------------- helpers
    def _crawl_opt(self, target: Target, name: str):
        return target.crawl.get(name, self.settings.get("GOVWATCH_CRAWL", {}).get(name))

    def _meta(self, target: Target, **extra) -> dict:
        # 4xx/5xx reach the callbacks through HTTPERROR_ALLOW_ALL; "handle_httpstatus_all" in meta
        # would also switch off redirects
        meta = {"target_id": target.id, **extra}
        if self._crawl_opt(target, "obey_robots") is False:
            meta["dont_obey_robotstxt"] = True
        return meta

    def _record_error(self, target_id: str, url: str, kind: str, status=None, error: str = "") -> None:
        self.reports[target_id].errors.append({"url": url, "kind": kind, "status": status, "error": error})

    # ---------------------------------------------------------------- start
    async def start(self):
        for t in self.targets.values():
            self.reports[t.id] = SiteReport(target_id=t.id, homepage_url=t.url, fetched_at=now())
            yield scrapy.Request(t.url, callback=self.parse_home, errback=self.on_error, dont_filter=True,
                                 meta=self._meta(t, page="home"))
            for entry in self.ocr_backlog.get(t.id, []):
                yield self._document_request(t, entry["url"], entry.get("ext") or "png", entry.get("title", ""),
                                             entry.get("column", ""), entry.get("parent_url", ""),
                                             entry.get("published_at"))

    # ---------------------------------------------------------------- homepage
    def parse_home(self, response):
        from crawler.encoding import decode_html
        from crawler.extract import extract_list_page
        from crawler.page import collect_links, Page, parse_html

        target = self.targets[response.meta["target_id"]]
        report = self.reports[target.id]
        report.homepage_status = response.status
        report.homepage_ms = int(response.meta.get("download_latency", 0) * 1000)
        self.pages_fetched += 1
        if response.status >= 400 or not self._is_html(response):
            report.homepage_error = f"HTTP {response.status}" if response.status >= 400 else "首页不是网页"
            self._record_error(target.id, response.url, "http" if response.status >= 400 else "content",
                               response.status, report.homepage_error)
            return
        report.homepage_ok = True
        headers = self._headers(response)
        # the homepage is judged on its links, footer and own text: no article extraction needed
        root = parse_html(decode_html(response.body, headers.get("Content-Type"))[0])
        links = collect_links(Page(root, response.url)) if root is not None else []
        suspects = suspect_links(root, response.url)
        report.hidden_links += [{**link, "page": response.url} for link in suspects]
        # what a visitor reads: the hidden links' text is the dark-link finding's, not a defacement
        text = own_text(root, target.url)
        for link in suspects:
            if len(link["text"]) >= 2:
                text = text.replace(link["text"], " ")
        report.homepage_text = text
        report.footer_text = footer_text(root)
        report.links = links
        report.homepage_snapshot = ""  # filled by the pipeline, which owns the store
        yield {"_snapshot_for": target.id, "body": response.body}

        columns = [(c.name, c.url, c.kind) for c in target.columns if c.url]
        if not columns:
            columns = self._discover_columns(target, links)
            report.columns = [{"name": n, "url": u, "kind": k, "discovered": True} for n, u, k in columns]
        column_urls = self.column_urls[target.id] = {u for _, u, _ in columns}
        # column list pages always load (dont_filter): a homepage link must never shadow one
        for name, url, kind in columns:
            self.listings.setdefault((target.id, name), [None, 0])
            self.list_seen.setdefault((target.id, name), set()).add(url)
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error, dont_filter=True,
                                 meta=self._meta(target, page="list", column=name, kind=kind, list_page=1))

        entries = [e for e in extract_list_page(response.body, response.url, headers)
                   if same_site(e["url"], target.url)]
        # a dated column link on the homepage (要闻 2026-11-27) is evidence of the homepage's
        # freshness; only articles are followed
        listing = [e for e in entries if e["url"] not in column_urls]
        report.homepage_items = [{"url": e["url"], "title": e["title"], "published_at": e["date"]}
                                 for e in entries]
        self._fold_listing(target.id, HOMEPAGE_COLUMN, entries)
        yield from self._follow_articles(target, HOMEPAGE_COLUMN, listing, response.url)
        yield from self._check_links(target, links, response.url, homepage=True)

    def _discover_columns(self, target: Target, links: list[dict]) -> list[tuple[str, str, str]]:
        found, seen = [], set()
        for link in links:
            if link.get("area") != "nav" or link.get("hidden") or not same_site(link["url"], target.url):
                continue
            kind = classify_column(link.get("text", ""))
            if kind and link["url"] not in seen and link["url"].rstrip("/") != target.url.rstrip("/"):
                seen.add(link["url"])
                found.append((link["text"], link["url"], kind))
        return found

    # ---------------------------------------------------------------- lists
    def parse_list(self, response):
        from crawler.attachments import READABLE
        from crawler.encoding import decode_html
        from crawler.extract import extract_list_page
        from crawler.page import attachment_ext
        from crawler.pagination import paginate

        target = self.targets[response.meta["target_id"]]
        column = response.meta["column"]
        report = self.reports[target.id]
        self.pages_fetched += 1
        report.list_pages += 1
        if response.status >= 400:
            self._record_error(target.id, response.url, "http", response.status,
                               f"栏目“{column}”列表页 HTTP {response.status}")
            return
        proxy = response.meta.get("hanweb_proxy", False)
        if not self._is_html(response) and not (proxy and self._content_type(response).startswith(XML_TYPES)):
            self._record_error(target.id, response.url, "content", response.status,
                               f"栏目“{column}”列表页不是网页（{self._content_type(response) or '无类型'}）")
            return
        headers = self._headers(response)
        if response.meta.get("kind") == "interaction":
            self._interaction_board(target, column, response, headers)
            return
        columns = self.column_urls.get(target.id, set())
        listing = [e for e in extract_list_page(response.body, response.url, headers)
                   if same_site(e["url"], target.url) and e["url"] not in columns]
        page_no = response.meta["list_page"]
        if not listing and page_no == 1:
            # 机构概况-style columns are one page of content, not a list: the page is the column's item
            yield from self._single_page_column(target, column, response)
            return
        self._fold_listing(target.id, column, listing)
        yield from self._follow_articles(target, column, listing, response.url)

        known = self.signatures.get(target.id, {})
        if known and listing and not self.revalidate and all(
                e["url"] in known or (attachment_ext(e["url"]) not in ("", *READABLE)) for e in listing):
            return  # incremental: everything from here on was seen by an earlier crawl
        cap = int(self._crawl_opt(target, "list_pages") or 1)
        seen = self.list_seen.setdefault((target.id, column), {response.url})
        seen.add(response.url)
        if len(seen) >= cap:
            return
        paging = paginate(decode_html(response.body, headers.get("Content-Type"))[0], response.url)
        following = [u for u in paging.urls if u not in seen and same_site(u, target.url)]
        # a first crawl asks for every page at once; later crawls walk on one page at a time, so
        # they stop at the first page that holds nothing new
        for url in following[: (cap - len(seen)) if not known else 1]:
            seen.add(url)
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error,
                                 meta=self._meta(target, page="list", column=column, list_page=page_no + 1,
                                                 kind=response.meta.get("kind"),
                                                 hanweb_proxy=paging.family == "hanweb"))

    def _interaction_board(self, target: Target, column: str, response, headers: dict) -> None:
        """A 政务咨询 board: its messages and their status are what count, not article pages."""
        from crawler.encoding import decode_html
        from crawler.page import parse_html

        root = parse_html(decode_html(response.body, headers.get("Content-Type"))[0])
        rows = interaction_rows(root, response.url)
        self.reports[target.id].interaction += [{**r, "column": column} for r in rows]
        self._fold_listing(target.id, column, [{"url": r["url"], "title": r["title"], "date": r["asked_at"]}
                                               for r in rows])

    def _single_page_column(self, target: Target, column: str, response):
        from crawler.extract import extract_page

        page = extract_page(response.body, response.url, self._headers(response))
        if page.kind != "article" or len(page.text) < 50:
            return  # a list page with no entries: the column is empty
        self._fold_listing(target.id, column, [{"url": response.url, "title": page.title,
                                                "date": page.published_at}])
        yield {"target_id": target.id, "platform": target.platform, "url": response.url, "column": column,
               "parent_url": target.url, "page": page, "body": response.body,
               "validator": self._validator(response), "list_date": None}

    def _fold_listing(self, target_id: str, column: str, listing: list[dict]) -> None:
        entry = self.listings.setdefault((target_id, column), [None, 0])
        entry[1] += len(listing)
        dates = [e["date"] for e in listing if e.get("date")]
        if dates and (entry[0] is None or max(dates) > entry[0]):
            entry[0] = max(dates)

    def _follow_articles(self, target: Target, column: str, listing: list[dict], parent: str):
        from crawler.attachments import READABLE
        from crawler.page import attachment_ext

        known = self.signatures.get(target.id, {})
        limit = int(self._crawl_opt(target, "max_pages_per_target") or 500)
        # the newest date listed below each entry: an entry above later-dated ones was put on top
        newer_below, newest = [], None
        for entry in reversed(listing):
            newer_below.append(newest)
            if entry.get("date") and (newest is None or entry["date"] > newest):
                newest = entry["date"]
        newer_below.reverse()
        for entry, below in zip(listing, newer_below):
            url = entry["url"]
            stored = known.get(url)
            ext = attachment_ext(url)
            if ext:  # a list entry that is a file (政策文件 lists link PDFs): read as an attachment
                if ext in READABLE and (not stored or self.revalidate) \
                        and self.reports[target.id].article_pages < limit:
                    self.reports[target.id].article_pages += 1
                    yield scrapy.Request(url, callback=self.parse_attachment, errback=self.on_attachment_error,
                                         meta=self._meta(target, page="attachment", ext=ext, column=column,
                                                         title=entry.get("title") or url.rsplit("/", 1)[-1],
                                                         parent=parent, published_at=entry.get("date")))
                continue
            headers = {}
            if stored:
                _hash, validator, title = stored
                if not self.revalidate and title and title == entry.get("title"):
                    continue  # list entry unchanged: the article is not fetched again
                if validator.startswith("etag:"):
                    headers["If-None-Match"] = validator[5:]
                elif validator.startswith("lm:"):
                    headers["If-Modified-Since"] = validator[3:]
            if self.reports[target.id].article_pages >= limit:
                return
            self.reports[target.id].article_pages += 1
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error, headers=headers,
                                 meta=self._meta(target, page="article", column=column, parent=parent,
                                                 list_title=entry.get("title", ""), list_date=entry.get("date"),
                                                 newer_below=below))

    # ---------------------------------------------------------------- articles
    def parse_article(self, response):
        from crawler.extract import extract_page

        target = self.targets[response.meta["target_id"]]
        self.pages_fetched += 1
        if response.status == 304:
            return  # unchanged since the last crawl
        if response.status >= 400:
            self._record_error(target.id, response.url, "http", response.status, f"HTTP {response.status}")
            return
        if not self._is_html(response):
            self._record_error(target.id, response.url, "content", response.status,
                               f"不是网页（{self._content_type(response)}）")
            return
        page = extract_page(response.body, response.url, self._headers(response))
        report = self.reports[target.id]
        from_column = response.meta.get("column") not in (None, "", HOMEPAGE_COLUMN)
        if from_column and page.kind == "article" and not all(page.meta.get(k) for k in STANDARD_META):
            report.meta_missing.append(response.url)
        if any(link.get("hidden") and not same_site(link["url"], target.url) for link in page.links) \
                or b"<marquee" in response.body[:2_000_000].lower():
            from crawler.encoding import decode_html
            from crawler.page import parse_html
            root = parse_html(decode_html(response.body, self._content_type(response))[0])
            report.hidden_links += [{**link, "page": response.url} for link in suspect_links(root, response.url)
                                    if not same_site(link["url"], target.url)]
        yield {
            "target_id": target.id, "platform": target.platform, "url": response.url,
            "column": response.meta.get("column", ""), "parent_url": response.meta.get("parent", ""),
            "page": page, "body": response.body, "validator": self._validator(response),
            "list_date": response.meta.get("list_date"), "newer_below": response.meta.get("newer_below"),
        }
        yield from self._follow_attachments(target, page, response)

    # ---------------------------------------------------------------- attachments
    def _attachment_hosts(self, target: Target) -> set[str]:
        """Hosts attachments may come from: the target's own (site, columns), those its registry entry
        lists (``crawl.attachment_hosts``) and the ``crawl.attachment_hosts`` setting."""
        from crawler.netguard import host_of

        hosts = {host_of(target.url)} | {host_of(c.url) for c in target.columns if c.url}
        listed = list(target.crawl.get("attachment_hosts") or [])
        listed += list(self.settings.get("GOVWATCH_CRAWL", {}).get("attachment_hosts") or [])
        return {h for h in hosts if h} | {str(h).lower() for h in listed if h}

    def _follow_attachments(self, target: Target, page, response):
        from crawler.documents import readable
        from crawler.netguard import host_of

        known = self.signatures.get(target.id, {})
        allowed = self._attachment_hosts(target)
        published_at = page.published_at or response.meta.get("list_date")
        column = response.meta.get("column", "")
        for att in page.attachments:
            url = att["url"]
            if not readable(att["ext"], self.ocr) or (url in known and not self.revalidate):
                continue
            if not url.lower().startswith(("http://", "https://")) or host_of(url) not in allowed:
                self._record_error(target.id, url, "refused", None,
                                   f"附件不在本网站或登记的附件域名下，未采集（{url[:80]}）")
                continue
            yield self._document_request(target, url, att["ext"], att.get("text") or url.rsplit("/", 1)[-1],
                                         column, response.url, published_at)
        yield from self._follow_images(target, page, response.url, column, published_at, known)

    def _follow_images(self, target: Target, page, parent: str, column: str, published_at, known: dict):
        """Images in an article's body, on the site's own hosts, are read like image attachments
        (a 公示 published as a photograph); Scrapy's duplicate filter fetches a shared image once."""
        from crawler.page import attachment_ext

        if not self.ocr.get("enabled") or not self.ocr.get("available"):
            return
        for image in page.images:
            url = image["url"]
            if not same_site(url, target.url) or (url in known and not self.revalidate):
                continue
            ext = attachment_ext(url) or "png"
            yield self._document_request(target, url, ext if ext in ("jpg", "jpeg", "png", "gif", "bmp", "webp")
                                         else "png", image.get("alt") or url.rsplit("/", 1)[-1], column, parent,
                                         published_at, image=True)

    def _document_request(self, target: Target, url: str, ext: str, title: str, column: str, parent: str,
                          published_at, image: bool = False):
        return scrapy.Request(url, callback=self.parse_attachment, errback=self.on_attachment_error,
                              meta=self._meta(target, page="attachment", ext=ext, title=title, column=column,
                                              parent=parent, published_at=published_at, image=image))

    async def parse_attachment(self, response):
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.threads import deferToThread

        from crawler.attachments import AttachmentError, read_attachment_notes
        from crawler.documents import needs_pipeline_reading

        target = self.targets[response.meta["target_id"]]
        report = self.reports[target.id]
        meta = response.meta
        self.pages_fetched += 1
        if response.status >= 400:
            report.link_status[response.url] = {"status": response.status, "error": "", "page": meta["parent"],
                                                "text": meta["title"], "homepage": False}
            return
        data = {"target_id": target.id, "platform": target.platform, "url": response.url,
                "column": meta.get("column", ""), "parent_url": meta["parent"], "title": meta["title"],
                "published_at": meta.get("published_at"), "ext": meta["ext"], "body": response.body,
                "validator": self._validator(response), "image": meta.get("image", False)}
        if needs_pipeline_reading(meta["ext"], self.ocr):
            # images, scanned PDFs and old Word files are read by the pipeline, off the reactor thread
            yield {"kind": "document", **data}
            return
        try:
            # read in the worker process (time and memory limits), waited for on a thread so that
            # the other sites keep crawling meanwhile
            text, notes = await maybe_deferred_to_future(
                deferToThread(read_attachment_notes, response.body, meta["ext"]))
        except AttachmentError as exc:
            self._record_error(target.id, response.url, "attachment", response.status, str(exc))
            return
        yield {"kind": "attachment", "target_id": target.id, "platform": target.platform, "url": response.url,
               "column": meta.get("column", ""), "parent_url": meta["parent"], "title": meta["title"],
               "published_at": meta.get("published_at"), "text": text, "ext": meta["ext"],
               "body": response.body, "validator": self._validator(response), "notes": notes}

    def on_attachment_error(self, failure):
        request = failure.request
        kind, message = error_kind(failure)
        report = self.reports.get(request.meta.get("target_id"))
        if report is not None and kind == "refused":
            self._record_error(request.meta["target_id"], request.url, "refused", None, message)
        elif report is not None:
            report.link_status[request.url] = {"status": None, "error": message, "page": request.meta["parent"],
                                               "text": request.meta["title"], "homepage": False}

    # ---------------------------------------------------------------- links
    def _check_links(self, target: Target, links: list[dict], page_url: str, homepage: bool):
        """Bounded HEAD checks of a page's links; friend links are fetched to see what they serve."""
        report = self.reports[target.id]
        checked = 0
        for link in links:
            url = link["url"]
            if url in report.link_status or not url.startswith(("http://", "https://")) or link.get("hidden"):
                continue
            if checked >= self.max_links:
                break
            checked += 1
            report.link_status[url] = {"status": None, "error": "", "page": page_url,
                                       "text": link.get("text", ""), "homepage": homepage, "pending": True}
            outside = not same_site(url, target.url)
            friend = link.get("area") == "friend" and outside
            yield scrapy.Request(url, method="GET" if friend else "HEAD", callback=self.parse_link,
                                 errback=self.on_link_error, dont_filter=True,
                                 meta={"target_id": target.id, "link": url, "friend": friend,
                                       "dont_obey_robotstxt": True,
                                       "download_timeout": 10, "max_retry_times": 0})

    def parse_link(self, response):
        report = self.reports[response.meta["target_id"]]
        url = response.meta["link"]
        status = response.status
        if status not in LINK_OK and response.request.method == "HEAD":
            # 405, 501, 403, 400 …: many servers answer HEAD badly; only a GET is evidence
            yield self._link_get(response.request)
            return
        entry = report.link_status[url]
        entry.update(status=status, pending=False, error="", method=response.request.method)
        if response.meta.get("friend") and status < 400 and self._is_html(response):
            from crawler.encoding import decode_html
            from crawler.page import parse_html
            html = decode_html(response.body, self._content_type(response))[0]
            report.outbound_pages[url] = visible_text(parse_html(html))[:20000]

    @staticmethod
    def _link_get(request):
        """The GET that confirms a failed HEAD, streamed: the status is read, the body is not."""
        return request.replace(method="GET", meta={**request.meta, "link_stream": True})

    def on_link_error(self, failure):
        from crawler.netguard import refused_failure

        request = failure.request
        if request.method == "HEAD":  # a reset or a hang-up on HEAD: ask again with GET
            yield self._link_get(request)
            return
        report = self.reports[request.meta["target_id"]]
        if refused_failure(failure):
            # not fetched by policy (internal address): nothing is known about the link, so it is
            # not judged (a dead-link finding needs an answer, or a failure to get one)
            report.link_status.pop(request.meta["link"], None)
            return
        entry = report.link_status[request.meta["link"]]
        entry.update(error=error_kind(failure)[1], pending=False, method=request.method)

    # ---------------------------------------------------------------- errors
    def on_error(self, failure):
        request = failure.request
        target_id = request.meta.get("target_id")
        if target_id not in self.reports:
            return
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            kind, message = "robots", "robots.txt 禁止抓取"
        else:
            kind, message = error_kind(failure)
        self._record_error(target_id, request.url, kind, None, message)
        if request.meta.get("page") == "home":
            self.reports[target_id].homepage_error = message

    # ---------------------------------------------------------------- response helpers
    @staticmethod
    def _content_type(response) -> str:
        return (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()

    def _is_html(self, response) -> bool:
        ctype = self._content_type(response).split(";")[0].strip()
        if not ctype.startswith(HTML_TYPES) and ctype not in HTML_TYPES:
            return False
        return not looks_binary(response.body)

    @staticmethod
    def _headers(response) -> dict:
        return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}

    @staticmethod
    def _validator(response) -> str:
        etag = response.headers.get(b"ETag")
        if etag:
            return "etag:" + etag.decode("latin-1")
        lm = response.headers.get(b"Last-Modified")
        return "lm:" + lm.decode("latin-1") if lm else ""


__all__ = ["SiteSpider", "HOMEPAGE_COLUMN"]
