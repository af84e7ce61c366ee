"""Rectification recheck (整改复查): fetch again the pages of open findings.

- Content findings (the text rules): the item's page is fetched, extracted and scanned again. A
  problem no longer there, or a page now deleted (HTTP 404/410, or a "该内容已被发布者删除" page),
  makes the finding 已整改 with the new snapshot as evidence. A problem still there leaves the
  finding as it is, with the recheck noted in its evidence and, once past the deadline, flagged
  overdue (a history entry the first time). New problems on the page are recorded as new findings.
- ``site.dead_link``: rectified when the link opens now, or when the page no longer carries it.
- ``site.dark_link``: rectified when the hidden link is gone from the page.
- Everything else (availability, staleness, registry …) is judged again by its own detector and is
  skipped here.

A failed fetch (timeout, 403/429/432, 5xx, a CAPTCHA page) is never evidence: the finding stays,
and the failure is reported. The same holds for anything the recheck cannot read: an attachment
(PDF/XLSX/DOCX …, an item of its own) is read again with the attachment reader, never the HTML
extractor, and a file the reader cannot open, or a page whose text comes out empty, leaves the
finding open with the reason in its evidence (``evidence.recheck``). A page or file whose bytes
have the same SHA-256 as the snapshot the finding was made from has not changed: the finding stays
open without being judged again.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from crawler.http import Fetched, fetch
from crawler.netguard import AddressPolicy, guarded_session
from govwatch import lifecycle
from govwatch.rules import is_content_rule
from govwatch.findings import ignore_predicate
from govwatch.interrupt import Interrupted, interruptible, interrupted_stats, reason_text
from govwatch.lifecycle import deadline_days, is_overdue
from govwatch.models import Finding, Item, Target, fmt_local, now
from govwatch.store import Store

log = logging.getLogger(__name__)

BY = "recheck"


@dataclass
class Outcome:
    finding_id: str
    target_id: str
    url: str
    result: str  # rectified, open, error, skipped
    note: str = ""
    overdue: bool = False


@dataclass
class RecheckStats:
    findings: int = 0
    pages: int = 0
    rectified: int = 0
    still_open: int = 0
    overdue: int = 0
    errors: int = 0
    skipped: int = 0
    new_findings: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.outcomes.append(o)
        if o.result == "rectified":
            self.rectified += 1
        elif o.result == "open":
            self.still_open += 1
            self.overdue += o.overdue
        elif o.result == "error":
            self.errors += 1
        else:
            self.skipped += 1

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "outcomes"}


class Fetcher:
    """requests with the crawl settings: timeout, size cap, user agent, TLS check per target."""

    def __init__(self, settings, session=None, policy: AddressPolicy | None = None):
        crawl = settings.crawl
        # only http(s), only addresses the registry's own entries justify (crawler.netguard)
        self.session = session or guarded_session(policy or AddressPolicy(), crawl.get("user_agent", "govwatch"))
        self.timeout = float(crawl.get("timeout", 15))
        self.max_bytes = int(crawl.get("max_page_bytes", 5 * 1024 * 1024))
        self.default_verify = bool(crawl.get("verify_tls", True))

    def verify_for(self, target: Target | None) -> bool:
        if target is None:
            return self.default_verify
        return bool((target.crawl or {}).get("verify_tls", self.default_verify))

    def get(self, url: str, target: Target | None) -> Fetched:
        return fetch(self.session, url, timeout=self.timeout, max_bytes=self.max_bytes,
                     verify=self.verify_for(target))


def _fail_reason(f: Fetched) -> str:
    return f.error or f"HTTP {f.status}"


_ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
}


def attachment_ext(item: Item, fetched: Fetched) -> str:
    """The attachment type to read ``item`` with, or "" for a page (HTML extractor).

    An item made from an attachment says so in ``meta.attachment``; otherwise the answer's content
    type or the file's own signature (a PDF or a ZIP-based Office file) is believed over the URL.
    """
    from crawler.attachments import READABLE

    ext = str((item.meta or {}).get("attachment") or "").lower().lstrip(".")
    if ext:
        return ext
    ctype = fetched.content_type.split(";", 1)[0].strip()
    if ctype in _ATTACHMENT_TYPES:
        return _ATTACHMENT_TYPES[ctype]
    body = fetched.body[:8]
    path = (fetched.final_url or fetched.url or item.url).split("?", 1)[0].split("#", 1)[0].lower()
    suffix = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if body.startswith(b"%PDF-"):
        return "pdf"
    if body.startswith(b"PK\x03\x04") and suffix in ("xlsx", "docx"):
        return suffix
    if suffix in READABLE and suffix not in ("txt", "csv") and "html" not in ctype:
        return suffix
    return ""


def _unchanged(body: bytes, findings: list[Finding]) -> list[Finding]:
    """The findings whose problem was found (or last seen by a recheck) in exactly these bytes."""
    from govwatch.store.base import snapshot_key

    sha = snapshot_key(body)
    same = []
    for f in findings:
        ev = f.evidence or {}
        last = ev.get("recheck") or {}
        if ev.get("snapshot") == sha or (last.get("result") == "still_there" and last.get("snapshot") == sha):
            same.append(f)
    return same


class Rechecker:
    def __init__(self, store: Store, settings, *, lexicon=None, session=None, at: datetime | None = None):
        self.store = store
        self.settings = settings
        self.at = at or now()
        self._lexicon = lexicon
        self.ignore = ignore_predicate(store)
        self.targets = {t.id: t for t in store.list_targets()}
        policy = AddressPolicy.for_targets(self.targets.values(), extra=settings.crawl.get("trusted_hosts") or ())
        self.fetcher = Fetcher(settings, session, policy)
        self.stats = RecheckStats()

    # helpers -------------------------------------------------------------------
    @property
    def lexicon(self):
        if self._lexicon is None:
            from scanner.lexicon import load_lexicon

            self._lexicon = load_lexicon(self.settings.lexicon_dirs, cache_dir=self.settings.var_path / "cache")
        return self._lexicon

    def _evidence(self, fetched: Fetched) -> dict:
        sha = self.store.put_snapshot(fetched.body)
        return {"snapshot": sha, "fetched_at": self.at.isoformat(), "url": fetched.final_url or fetched.url,
                "http_status": fetched.status}

    def _rectify(self, f: Finding, note: str, evidence: dict) -> None:
        lifecycle.rectify(self.store, f.id, note, self.at, evidence, by=BY)
        self.stats.add(Outcome(f.id, f.target_id, f.url, "rectified", note))

    def _still_there(self, f: Finding, note: str, evidence: dict | None) -> None:
        late = is_overdue(f, self.at)
        previous = (f.evidence or {}).get("recheck") or {}
        if late and not previous.get("overdue"):
            lifecycle.annotate(self.store, f, BY, f"复查仍存在该问题，已超过整改时限（{fmt_local(f.deadline)}）",
                               self.at)
        recheck = {"at": self.at.isoformat(), "result": "still_there", "overdue": late}
        if evidence:
            recheck.update(snapshot=evidence["snapshot"], url=evidence["url"], http_status=evidence["http_status"])
        self.store.update_finding(f.id, last_seen_at=self.at, evidence={**(f.evidence or {}), "recheck": recheck})
        self.stats.add(Outcome(f.id, f.target_id, f.url, "open", note, overdue=late))

    def _error(self, findings: list[Finding], reason: str, evidence: dict | None = None) -> None:
        """The recheck could not judge: the finding stays as it is, and says why in its evidence."""
        for f in findings:
            recheck = {"at": self.at.isoformat(), "result": "error", "reason": reason}
            if evidence:
                recheck.update(snapshot=evidence["snapshot"], url=evidence["url"],
                               http_status=evidence["http_status"])
            current = self.store.get_finding(f.id) or f
            self.store.update_finding(f.id, evidence={**(current.evidence or {}), "recheck": recheck})
            self.stats.add(Outcome(f.id, f.target_id, f.url, "error", f"复查未能完成：{reason}"))

    # content findings -------------------------------------------------------------
    def content(self, item: Item, findings: list[Finding]) -> None:
        target = self.targets.get(item.target_id)
        fetched = self.fetcher.get(item.url, target)
        self.stats.pages += 1
        if fetched.gone:
            evidence = self._evidence(fetched)
            self.store.set_item_state(item.id, "deleted", at=self.at)
            for f in findings:
                self._rectify(f, f"复查时页面已删除（HTTP {fetched.status}）", evidence)
            return
        if not fetched.ok:
            self._error(findings, _fail_reason(fetched))
            return
        same = _unchanged(fetched.body, findings)
        if same:
            # the very bytes the problem was found in: nothing to judge again
            evidence = self._evidence(fetched)
            for f in same:
                self._still_there(f, "复查时内容未变化（SHA-256 与原快照相同）", evidence)
            findings = [f for f in findings if f not in same]
            if not findings:
                return
        ext = attachment_ext(item, fetched)
        if ext:
            self._content_attachment(item, findings, fetched, ext)
        else:
            self._content_page(item, findings, fetched)

    def _content_page(self, item: Item, findings: list[Finding], fetched: Fetched) -> None:
        from crawler.extract import extract_page

        page = extract_page(fetched.body, item.url, fetched.headers)
        if page.state == "blocked":
            self._error(findings, "页面要求验证（环境异常/验证码）")
            return
        evidence = self._evidence(fetched)
        if page.state == "deleted":
            self.store.set_item_state(item.id, "deleted", at=self.at)
            for f in findings:
                self._rectify(f, "复查时信息已删除", evidence)
            return
        if not (page.text or "").strip() and (item.text or "").strip():
            self._error(findings, "复查时未能从页面提取正文，无法判断是否已整改", evidence)
            return
        self._judge(item, findings, self._refreshed_item(item, page, evidence["snapshot"]), evidence)

    def _content_attachment(self, item: Item, findings: list[Finding], fetched: Fetched, ext: str) -> None:
        from crawler.attachments import AttachmentError, read_attachment_notes

        evidence = self._evidence(fetched)
        try:
            text, unread = read_attachment_notes(fetched.body, ext)
        except AttachmentError as exc:
            self._error(findings, f"复查时附件无法读取（{exc}）", evidence)
            return
        if not text.strip() and (item.text or "").strip():
            self._error(findings, f"复查时未能从 {ext} 附件读出文字，无法判断是否已整改", evidence)
            return
        fresh = Item(
            id=item.id, target_id=item.target_id, url=item.url, platform=item.platform, column=item.column,
            title=item.title, published_at=item.published_at, published_at_source=item.published_at_source,
            text=text, meta={**{k: v for k, v in (item.meta or {}).items() if k != "unread"}, "attachment": ext,
                             **({"unread": unread} if unread else {})}, first_seen_at=item.first_seen_at,
            state="live", snapshot=evidence["snapshot"], parent_url=item.parent_url)
        self._judge(item, findings, fresh, evidence)

    def _judge(self, item: Item, findings: list[Finding], fresh: Item, evidence: dict) -> None:
        from crawler.ingest import Ingestor
        from govwatch.lifecycle import record_hits

        # scanned exactly as a crawl scans it (scanner.content.scan_document through the Ingestor)
        hits = Ingestor(self.store, self.lexicon, thresholds=self.settings.thresholds).scan_item(fresh)
        present = {Finding.from_hit(h, target_id=item.target_id, item=fresh).id: h for h in hits}
        unread = (fresh.meta or {}).get("unread")  # pages of an attachment left unread: absence proves nothing
        for f in findings:
            if f.id in present:
                self._still_there(f, "复查仍存在该问题", evidence)
            elif unread:
                self._error([f], f"附件有部分内容未读取（{'；'.join(unread)}），无法判断是否已整改", evidence)
            else:
                self._rectify(f, "复查未再发现该问题", evidence)
        # the page as it is now: the store keeps the fresh text, and problems new on it are recorded
        self.store.upsert_items([fresh], at=self.at)
        new_pairs = [(fresh, item.target_id, h) for fid, h in present.items()
                     if self.store.get_finding(fid) is None and not self.ignore(fresh, h)]
        if new_pairs:
            self.stats.new_findings += record_hits(self.store, new_pairs, at=self.at,
                                                   deadline_days=deadline_days(self.settings)).findings_new
        version = getattr(self.lexicon, "version", "")
        if version:
            self.store.mark_scanned([fresh.id], version)

    def _refreshed_item(self, item: Item, page, snapshot: str) -> Item:
        links = [{k: link.get(k) for k in ("url", "text", "hidden", "area")} for link in page.links]
        meta = {**(item.meta or {}), **{k: v for k, v in (page.meta or {}).items()
                                        if k in ("articletitle", "pubdate", "contentsource", "columnname",
                                                 "siteidcode", "sitename")}}
        return Item(
            id=item.id, target_id=item.target_id, url=item.url, platform=item.platform, column=item.column,
            title=page.title or item.title, published_at=page.published_at or item.published_at,
            published_at_source=page.published_at_source if page.published_at else item.published_at_source,
            source=page.source, author=page.author, text=page.text, links=links,
            attachments=page.attachments, images=page.images, meta=meta, first_seen_at=item.first_seen_at,
            state="live", snapshot=snapshot, parent_url=item.parent_url)

    # page findings ------------------------------------------------------------------
    def _page_links(self, url: str, target: Target | None) -> tuple[Fetched, dict | None, list[dict]]:
        from crawler.extract import extract_page

        fetched = self.fetcher.get(url, target)
        self.stats.pages += 1
        if not fetched.ok:
            return fetched, None, []
        page = extract_page(fetched.body, url, fetched.headers)
        if page.state == "blocked":
            fetched.error = "页面要求验证（环境异常/验证码）"
            return fetched, None, []
        return fetched, self._evidence(fetched), page.links

    def dead_links(self, page_url: str, findings: list[Finding]) -> None:
        target = self.targets.get(findings[0].target_id)
        remaining = []
        for f in findings:
            link = self.fetcher.get(f.match, target)
            self.stats.pages += 1
            if link.ok:
                self._rectify(f, f"复查时链接已可正常打开（HTTP {link.status}）", self._evidence(link))
            else:
                remaining.append((f, link))
        if not remaining:
            return
        fetched, evidence, links = self._page_links(page_url, target)
        if fetched.gone:
            evidence = self._evidence(fetched)
            for f, _ in remaining:
                self._rectify(f, f"复查时所在页面已删除（HTTP {fetched.status}）", evidence)
            return
        if evidence is None:
            self._error([f for f, _ in remaining], _fail_reason(fetched))
            return
        on_page = {link.get("url") for link in links}
        for f, link in remaining:
            if f.match not in on_page:
                self._rectify(f, "复查时失效链接已从页面删除", evidence)
            else:
                self._still_there(f, f"复查时链接仍无法打开（{_fail_reason(link)}）", evidence)

    def dark_links(self, page_url: str, findings: list[Finding]) -> None:
        target = self.targets.get(findings[0].target_id)
        fetched, evidence, links = self._page_links(page_url, target)
        if fetched.gone:
            evidence = self._evidence(fetched)
            for f in findings:
                self._rectify(f, f"复查时页面已删除（HTTP {fetched.status}）", evidence)
            return
        if evidence is None:
            self._error(findings, _fail_reason(fetched))
            return
        hidden = {link.get("url") for link in links if link.get("hidden")}
        present = {link.get("url") for link in links}
        for f in findings:
            if f.match == page_url:  # one finding per page: the suspect links are listed in its detail
                listed = set(re.findall(r"https?://[^\s（）；]+", f.detail)) - {page_url}
                if listed & hidden:
                    self._still_there(f, "复查时隐藏链接仍在页面上", evidence)
                elif listed & present:
                    self._still_there(f, "复查时该外部链接仍在页面上（已不再隐藏），请人工核实", evidence)
                else:
                    self._rectify(f, "复查时隐藏链接已从页面删除", evidence)
            elif f.match in hidden:
                self._still_there(f, "复查时隐藏链接仍在页面上", evidence)
            elif f.match in present:
                self._still_there(f, "复查时该外部链接仍在页面上（已不再隐藏），请人工核实", evidence)
            else:
                self._rectify(f, "复查时隐藏链接已从页面删除", evidence)

    # the run --------------------------------------------------------------------------
    def run(self, target_id: str | None = None) -> RecheckStats:
        open_findings = lifecycle.open_findings(self.store, target_id=target_id)
        self.stats.findings = len(open_findings)
        by_item: dict[str, list[Finding]] = defaultdict(list)
        dead: dict[str, list[Finding]] = defaultdict(list)
        dark: dict[str, list[Finding]] = defaultdict(list)
        for f in open_findings:
            if is_content_rule(f.rule) and f.item_id and f.url:
                by_item[f.item_id].append(f)
            elif f.rule == "site.dead_link" and f.url and f.match.startswith(("http://", "https://")):
                dead[f.url].append(f)
            elif f.rule == "site.dark_link" and f.url and f.match:
                dark[f.url].append(f)
            else:
                self.stats.add(Outcome(f.id, f.target_id, f.url, "skipped", "该类问题由其他检查复核"))
        del open_findings
        for item_id, findings in by_item.items():
            item = self.store.get_item(item_id)
            if item is None:
                self._error(findings, "信息记录不存在")
                continue
            # problems found in an attachment are judged on the attachment, not on this page
            here = [f for f in findings if f.url == item.url]
            for f in findings:
                if f.url != item.url:
                    self.stats.add(Outcome(f.id, f.target_id, f.url, "skipped", "附件中的问题暂不复查"))
            if here:
                self._guard(self.content, item, here)
        for url, findings in dead.items():
            self._guard(self.dead_links, url, findings)
        for url, findings in dark.items():
            self._guard(self.dark_links, url, findings)
        return self.stats

    def _guard(self, fn, key, findings: list[Finding]) -> None:
        """One bad page never stops the recheck of the others."""
        try:
            fn(key, findings)
        except Exception as exc:  # noqa: BLE001 - reported per finding, the run goes on
            log.exception("recheck of %s failed", getattr(key, "url", key))
            self._error(findings, f"处理出错：{exc.__class__.__name__}: {exc}")


def recheck(store: Store, settings, *, target_id: str | None = None, at: datetime | None = None,
            lexicon=None, session=None) -> RecheckStats:
    """Recheck every open finding (of one target, when given); records a ``recheck`` run."""
    run = store.start_run("recheck", at=at)
    checker = None
    try:
        with interruptible():
            checker = Rechecker(store, settings, lexicon=lexicon, session=session, at=at)
            stats = checker.run(target_id)
    except Interrupted as exc:
        # findings already rechecked keep their outcome (each judged on a page fetched now); the
        # others are untouched and wait for the next recheck
        done = checker.stats.as_dict() if checker else {}
        store.finish_run(run, ok=False, stats=interrupted_stats(exc.reason, **done), error=f"复查被中断：{exc.reason}")
        raise Interrupted(exc.reason, f"复查被中断（{reason_text(exc.reason)}）：已复查 {done.get('findings', 0)} 个问题中的 "
                                      f"{len(checker.stats.outcomes) if checker else 0} 个，其余问题保持原状，"
                                      f"下次复查补全。") from None
    except Exception as exc:
        store.finish_run(run, ok=False, error=f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        if checker is not None and session is None:  # ours, not a caller's
            checker.fetcher.session.close()
    store.finish_run(run, ok=True, stats={"status": "completed", **stats.as_dict()})
    return stats
