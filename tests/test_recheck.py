"""Rectification recheck against the site farm: a planted problem is found through the Ingestor, the
page is fixed, ``govwatch recheck`` marks the finding 已整改 with the new page as evidence, and the
month's export lists it so."""
from datetime import timedelta

import pytest
import requests
from openpyxl import load_workbook

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.ingest import Ingestor, record_hits
from govwatch.demo.farm import Farm
from govwatch.findings import deadline_days, ignore_predicate, set_status
from govwatch.models import TZ, Hit, Item, Target, now
from govwatch.recheck import Fetcher, recheck
from govwatch.settings import load_settings
from govwatch.store import FindingFilter, open_store
from scanner.lexicon import load_lexicon


@pytest.fixture
def farm():
    with Farm(seed=7, sites=4) as f:
        yield f


@pytest.fixture
def env(farm):
    settings = load_settings()
    store = open_store(settings=settings)
    store.upsert_targets([Target.from_dict(row) for row in farm.targets()])
    yield store, settings
    store.close()


def crawl_page(store, target_id: str, url: str, **item) -> Item:
    """What a crawl does with one article: fetch, keep the snapshot, extract."""
    resp = requests.get(url, timeout=10)
    page = extract_page(resp.content, url, dict(resp.headers))
    return Item(target_id=target_id, url=url, title=page.title, published_at=page.published_at,
                published_at_source=page.published_at_source, source=page.source, text=page.text,
                links=[{k: link.get(k) for k in ("url", "text", "hidden", "area")} for link in page.links],
                snapshot=store.put_snapshot(resp.content), meta=dict(page.meta), **item)


def ingest(store, settings, items):
    ingestor = Ingestor(store, load_lexicon(settings.lexicon_dirs), deadline_days(settings),
                        ignore=ignore_predicate(store))
    return ingestor.ingest(items)


def planted(farm, target_id, rule):
    return next(p for p in farm.planted() if p["target_id"] == target_id and p["rule"] == rule)


def cli(capsys, *args):
    from govwatch.cli import main

    code = main(list(args))
    return code, capsys.readouterr()


def test_fixed_page_is_rectified_with_new_evidence_and_exported_as_such(farm, env, capsys, tmp_path):
    store, settings = env
    term = planted(farm, "site-04", "expression.term")
    secret = planted(farm, "site-04", "secret.marker")
    stats = ingest(store, settings, [crawl_page(store, "site-04", term["url"]),
                                     crawl_page(store, "site-04", secret["url"])])
    assert stats.findings_new >= 2
    found = {f.rule: f for f in store.list_findings(FindingFilter(target_id="site-04"))}
    f = found["expression.term"]
    assert f.match == "北朝鲜" and f.status == "open"
    first_snapshot = f.evidence["snapshot"]
    assert "北朝鲜" in decode_html(store.get_snapshot(first_snapshot))[0]
    set_status(store, f.id, "已确认", by="张三", note="属实")

    farm.set_problem("site-04", "wrong_term", on=False)
    code, out = cli(capsys, "recheck")
    assert code == 0, out.err
    assert "已整改 1 个" in out.out and "仍存在 1 个" in out.out and "新发现问题 0 个" in out.out

    got = store.get_finding(f.id)
    assert got.status == "rectified"
    last = got.history[-1]
    assert (last["by"], last["from"], last["to"], last["note"]) == ("recheck", "confirmed", "rectified", "复查未再发现该问题")
    new_snapshot = last["evidence"]["snapshot"]
    assert new_snapshot != first_snapshot and last["evidence"]["http_status"] == 200
    fixed_page = decode_html(store.get_snapshot(new_snapshot))[0]
    assert "北朝鲜" not in fixed_page and "朝鲜" in fixed_page
    assert got.evidence["snapshot"] == first_snapshot  # the problem's own evidence is kept
    assert [e["to"] for e in got.history] == ["open", "confirmed", "rectified"]
    # the store holds the page as it is now
    assert store.get_item(f.item_id).snapshot == new_snapshot
    # the secret marker is still on the page: it stays open, the recheck noted
    s = store.get_finding(found["secret.marker"].id)
    assert s.status == "open" and s.evidence["recheck"]["result"] == "still_there"

    from govwatch.evidence import export_month

    first = got.first_seen_at.astimezone(TZ)
    month = f"{first.year:04d}-{first.month:02d}"
    folder = export_month(store, settings, month, tmp_path).with_suffix("")
    wb = load_workbook(folder / "问题清单.xlsx")
    listing = [r for r in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
    row = next(r for r in listing if "北朝鲜" in r[3])
    assert row[1] == "示范市教育局网站" and row[2] == "示范市教育局" and row[6] == "已整改"
    assert any("机密" in r[3] and r[6].startswith("待处理") for r in listing)
    case = next(r for r in wb["问题案例汇总"].iter_rows(min_row=2, values_only=True) if "北朝鲜" in r[2])
    assert case[3].startswith("已整改") and f"snapshots/{new_snapshot}.html" in case[3]
    assert "北朝鲜" not in (folder / f"snapshots/{new_snapshot}.html").read_text(encoding="utf-8").split("</div>", 1)[1]
    assert (folder / f"snapshots/{first_snapshot}.html").is_file()

    # 销号 after the office confirms; the export says so
    set_status(store, f.id, "已销号", by="李四", note="复核通过")
    folder = export_month(store, settings, month, tmp_path).with_suffix("")
    listing = [r for r in load_workbook(folder / "问题清单.xlsx")["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert next(r for r in listing if "北朝鲜" in r[3])[6] == "已销号"


def test_still_there_past_deadline_is_flagged_overdue_once(farm, env):
    store, settings = env
    banned = planted(farm, "site-03", "banned.cult")
    ingest(store, settings, [crawl_page(store, "site-03", banned["url"])])
    f = next(x for x in store.list_findings() if x.rule == "banned.cult")
    assert f.deadline == f.first_seen_at + timedelta(days=1)  # veto: 1 day

    stats = recheck(store, settings)
    assert (stats.rectified, stats.still_open, stats.overdue) == (0, 1, 0)
    assert store.get_finding(f.id).history == f.history  # nothing to say yet

    later = now() + timedelta(days=3)
    for _ in range(2):
        stats = recheck(store, settings, at=later)
        assert (stats.still_open, stats.overdue) == (1, 1)
    got = store.get_finding(f.id)
    assert got.status == "open" and got.evidence["recheck"]["overdue"] is True
    flagged = [e for e in got.history if "已超过整改时限" in e["note"]]
    assert len(flagged) == 1 and flagged[0]["by"] == "recheck"
    assert store.list_runs("recheck")[0].stats["overdue"] == 1


def test_deleted_pages_are_rectified(farm, env):
    store, settings = env
    # an article that has since been removed from the site (the farm answers 404)
    gone = Item(target_id="site-04", url=f"{farm.base_url}/s/site-04/art/2019/1/1/art_1_1.html",
                title="旧闻", text="北朝鲜代表团来访。")
    # a WeChat article deleted by its publisher (HTTP 200, "该内容已被发布者删除")
    store.upsert_targets([Target(id="wx-demo", name="示范发布", platform="wechat", owner="示范市政府办")])
    wechat = Item(target_id="wx-demo", platform="wechat", url=farm.special_urls()["wechat_deleted"],
                  title="推文", text="北朝鲜代表团来访。")
    ingest(store, settings, [gone, wechat])
    ids = {f.target_id: f.id for f in store.list_findings() if f.rule == "expression.term"}
    assert set(ids) == {"site-04", "wx-demo"}

    stats = recheck(store, settings)
    assert stats.rectified == 2
    a, b = store.get_finding(ids["site-04"]), store.get_finding(ids["wx-demo"])
    assert a.status == b.status == "rectified"
    assert a.history[-1]["note"] == "复查时页面已删除（HTTP 404）" and a.history[-1]["evidence"]["http_status"] == 404
    assert b.history[-1]["note"] == "复查时信息已删除"
    assert "该内容已被发布者删除" in decode_html(store.get_snapshot(b.history[-1]["evidence"]["snapshot"]))[0]
    assert store.get_item(gone.id).state == "deleted" and store.get_item(wechat.id).state == "deleted"


def test_dark_and_dead_links(farm, env):
    store, settings = env
    dead = planted(farm, "site-03", "site.dead_link")
    dark = planted(farm, "site-03", "site.dark_link")
    record_hits(store, [
        (None, "site-03", Hit("site.dead_link", "链接不可用", "high", match=dead["match"], url=dead["parent_url"])),
        (None, "site-03", Hit("site.dark_link", "暗链（隐藏外链）", "veto", match=dark["match"], url=dark["parent_url"],
                              detail=f"页面 {dark['parent_url']} 含1 个隐藏的外部链接，疑似暗链：{dark['link']}（“澳门葡京娱乐场”，display:none 隐藏）")),
        (None, "site-03", Hit("site.footer_missing", "网站标识缺失", "medium", match="ICP备案号", url=dead["parent_url"])),
    ])
    by_rule = {f.rule: f.id for f in store.list_findings()}

    stats = recheck(store, settings, target_id="site-03")
    assert (stats.rectified, stats.still_open, stats.skipped) == (0, 2, 1)

    farm.set_problem("site-03", "dark_link", on=False)
    stats = recheck(store, settings, target_id="site-03")
    assert (stats.rectified, stats.still_open) == (1, 1)
    got = store.get_finding(by_rule["site.dark_link"])
    assert got.status == "rectified" and got.history[-1]["note"] == "复查时隐藏链接已从页面删除"
    assert dark["link"] not in decode_html(store.get_snapshot(got.history[-1]["evidence"]["snapshot"]))[0]

    farm.set_problem("site-03", "dead_link", on=False)
    stats = recheck(store, settings, target_id="site-03")
    assert stats.rectified == 1
    got = store.get_finding(by_rule["site.dead_link"])
    assert got.status == "rectified" and got.history[-1]["note"] == "复查时失效链接已从页面删除"
    assert store.get_finding(by_rule["site.footer_missing"]).status == "open"  # judged elsewhere


def test_a_failed_fetch_is_never_evidence(farm, env, capsys):
    store, settings = env
    term = planted(farm, "site-04", "expression.term")
    ingest(store, settings, [crawl_page(store, "site-04", term["url"])])
    f = next(x for x in store.list_findings() if x.rule == "expression.term")
    farm.set_problem("site-04", "wrong_term", on=False)
    farm.set_problem("site-04", "error_500", on=True)
    code, out = cli(capsys, "recheck", "--target", "site-04")
    assert "复查失败 1 个" in out.out and "HTTP 500" in out.out
    assert store.get_finding(f.id).status == "open"
    farm.set_problem("site-04", "error_500", on=False)
    assert recheck(store, settings, target_id="site-04").rectified == 1
    code, out = cli(capsys, "recheck", "--target", "nope")
    assert code == 2 and "监测对象不存在" in out.err


def test_tls_verification_follows_the_target():
    settings = load_settings()
    fetcher = Fetcher(settings)
    assert fetcher.verify_for(Target(id="a", name="a")) is True
    assert fetcher.verify_for(Target(id="b", name="b", crawl={"verify_tls": False})) is False
    settings.data["crawl"]["verify_tls"] = False
    assert Fetcher(settings).verify_for(Target(id="c", name="c")) is False


# ---------------------------------------------------------------- attachments and unreadable pages (issue 20)

def crawl_attachment(store, target_id: str, url: str, parent_url: str) -> Item:
    """What a crawl does with an attachment: read it with the attachment reader, keep the bytes."""
    from crawler.attachments import attachment_text
    from crawler.pipelines import item_from_attachment

    resp = requests.get(url, timeout=10)
    ext = "pdf" if url.endswith(".pdf") else "xlsx"
    data = {"target_id": target_id, "platform": "website", "url": url, "title": url.rsplit("=", 1)[-1],
            "text": attachment_text(resp.content, ext), "ext": ext, "parent_url": parent_url}
    return item_from_attachment(data, store.put_snapshot(resp.content))


def _attachment_findings(farm, store, settings):
    rows = [p for p in farm.planted() if p["problem"] == "attachment_pii"]
    urls = sorted({p["url"] for p in rows})
    assert len(urls) == 2 and len(rows) == 6
    ingest(store, settings, [crawl_attachment(store, "site-04", u, rows[0]["parent_url"]) for u in urls])
    found = [f for f in store.list_findings(FindingFilter(target_id="site-04")) if f.rule == "privacy.id_number"]
    assert len(found) == 6 and {f.url for f in found} == set(urls)
    return found


def test_unchanged_attachment_stays_open_and_a_fixed_one_is_read_as_an_attachment(farm, env, capsys):
    store, settings = env
    found = _attachment_findings(farm, store, settings)
    stats = recheck(store, settings, target_id="site-04")
    assert stats.rectified == 0 and stats.errors == 0 and stats.still_open == 6
    for f in found:
        got = store.get_finding(f.id)
        assert got.status == "open"
        assert got.evidence["recheck"]["result"] == "still_there"
        assert got.evidence["recheck"]["snapshot"] == f.evidence["snapshot"]  # same SHA-256: nothing changed
    # the office masks the ID numbers: the new files are read with the attachment reader and judged
    farm.set_problem("site-04", "attachment_pii", on=False)
    stats = recheck(store, settings, target_id="site-04")
    assert stats.rectified == 6 and stats.errors == 0
    for f in found:
        got = store.get_finding(f.id)
        assert got.status == "rectified" and got.history[-1]["note"] == "复查未再发现该问题"
        assert got.history[-1]["evidence"]["snapshot"] != f.evidence["snapshot"]
        assert store.get_item(f.item_id).meta["attachment"] in ("pdf", "xlsx")


def test_changed_attachment_with_the_problem_still_there_stays_open(farm, env):
    """Bytes differ (a new export of the same table) but the ID numbers are still in it."""
    store, settings = env
    found = _attachment_findings(farm, store, settings)
    for f in found:  # pretend the finding was made from an older copy of the file
        store.update_finding(f.id, evidence={"snapshot": "0" * 64})
    stats = recheck(store, settings, target_id="site-04")
    assert stats.rectified == 0 and stats.still_open == 6
    assert {store.get_finding(f.id).evidence["recheck"]["result"] for f in found} == {"still_there"}


class _Resp:
    def __init__(self, body: bytes, ctype: str, url: str, status: int = 200):
        self.body, self.status_code, self.url = body, status, url
        self.headers = {"Content-Type": ctype}

    def iter_content(self, size):
        yield self.body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Session:
    """Answers every URL with the same bytes (a damaged file, an empty page)."""

    def __init__(self, body: bytes, ctype: str):
        self.body, self.ctype, self.headers = body, ctype, {}

    def get(self, url, **kw):
        return _Resp(self.body, self.ctype, url)


def test_an_attachment_that_cannot_be_read_is_never_rectified(farm, env):
    store, settings = env
    found = _attachment_findings(farm, store, settings)
    stats = recheck(store, settings, target_id="site-04",
                    session=_Session(b"%PDF-1.4 broken beyond repair", "application/pdf"))
    assert stats.rectified == 0 and stats.errors == 6
    for f in found:
        got = store.get_finding(f.id)
        assert got.status == "open"
        assert got.evidence["recheck"]["result"] == "error" and "附件无法读取" in got.evidence["recheck"]["reason"]
        assert got.evidence["snapshot"] == f.evidence["snapshot"]  # the problem's own evidence is kept


def test_an_attachment_read_only_in_part_is_never_rectified(farm, env):
    """The new file lacks the ID numbers in what was read, but a page of it was left unread (over
    the inflation bound): the recheck cannot tell, so the findings stay open with the reason."""
    from govwatch.demo.hostile import pdf_bytes

    store, settings = env
    found = _attachment_findings(farm, store, settings)
    partial = pdf_bytes(["Name list (numbers masked)", "Sign here .......... " * 2000])
    stats = recheck(store, settings, target_id="site-04", session=_Session(partial, "application/pdf"))
    assert stats.rectified == 0 and stats.errors == 6
    pdf_findings = [f for f in found if store.get_item(f.item_id).meta["attachment"] == "pdf"]
    assert pdf_findings
    for f in pdf_findings:
        got = store.get_finding(f.id)
        assert got.status == "open" and "第 2 页未读取" in got.evidence["recheck"]["reason"]
    # negative: the same file read in full (no unread page) is rectified
    whole = pdf_bytes(["Name list (numbers masked)", "page two"])
    stats = recheck(store, settings, target_id="site-04", session=_Session(whole, "application/pdf"))
    assert stats.rectified == len(pdf_findings)


def test_an_attachment_url_answered_with_html_is_not_read_as_a_page(farm, env):
    """A server answering the attachment URL with an HTML shell: read as the attachment it is, it fails."""
    store, settings = env
    found = _attachment_findings(farm, store, settings)
    html = "<html><body><div id='zoom'>文件下载</div></body></html>".encode()
    stats = recheck(store, settings, target_id="site-04", session=_Session(html, "text/html; charset=utf-8"))
    assert stats.rectified == 0 and stats.errors == 6
    assert all(store.get_finding(f.id).status == "open" for f in found)


def test_a_page_whose_text_comes_out_empty_is_not_rectified(farm, env):
    store, settings = env
    term = planted(farm, "site-04", "expression.term")
    ingest(store, settings, [crawl_page(store, "site-04", term["url"])])
    f = next(x for x in store.list_findings() if x.rule == "expression.term")
    stats = recheck(store, settings, target_id="site-04",
                    session=_Session(b"<html><body><script>load()</script></body></html>", "text/html"))
    assert stats.rectified == 0
    got = store.get_finding(f.id)
    assert got.status == "open" and "未能从页面提取正文" in got.evidence["recheck"]["reason"]


def test_attachment_type_detection():
    from crawler.http import Fetched
    from govwatch.recheck import attachment_ext

    page = Item(target_id="t", url="http://a.gov.cn/x.html")
    assert attachment_ext(page, Fetched("http://a.gov.cn/x.html", 200, b"<html>", {"content-type": "text/html"})) == ""
    assert attachment_ext(page, Fetched("http://a.gov.cn/d?f=1", 200, b"%PDF-1.7", {})) == "pdf"
    att = Item(target_id="t", url="http://a.gov.cn/d.jsp?f=P1.xlsx", meta={"attachment": "xlsx"})
    assert attachment_ext(att, Fetched(att.url, 200, b"<html>", {"content-type": "text/html"})) == "xlsx"
    assert attachment_ext(page, Fetched("http://a.gov.cn/f.docx", 200, b"PK\x03\x04..", {})) == "docx"
