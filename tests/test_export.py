"""Monthly evidence export: every sheet and header, rows against the store,
offline snapshots, manifest hashes, the zip, the owner filter and formula neutralisation."""
import hashlib
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from openpyxl import load_workbook

from crawler.ingest import record_hits
from govwatch.evidence import ExportError, export_month, month_bounds, previous_month, safe_cell
from govwatch.findings import set_status
from govwatch.models import UTC, Check, Column, Hit, Item, Target
from govwatch.settings import load_settings

# Headers exactly as the national forms list them, and those govwatch/evidence/ defines for the rest.
EXPECTED = {
    "问题清单": ["序号", "政府网站/政务新媒体名称", "主办单位", "存在问题", "整改措施", "整改时限", "整改状态"],
    "错敏信息明细": ["错敏词", "推荐修改", "修改说明", "所在上下文", "所在文章链接", "所在文章标题", "快照",
                 "网站名称", "网站标识码", "发布时间", "问题类型", "问题级别", "内容类型", "父页面地址"],
    "问题案例汇总": ["责任主体", "问题类型", "问题描述", "处置情况"],
    "内容运营情况汇总": ["单位名称", "官方网站", "官方公众账号", "应用程序（含小程序）", "内容运营团队属性",
                   "内容运营业务是否存在外包或转包", "外包或转包单位性质", "违规问题及清理整顿情况"],
    "可用性统计": ["序号", "网站名称", "主办单位", "网址", "监测次数", "正常次数", "无法访问次数", "无法访问比例",
              "最高7日无法访问比例", "平均响应时间（毫秒）", "证书到期时间", "判定"],
    "更新情况": ["序号", "名称", "平台", "主办单位", "网址或账号", "最近更新时间", "未更新天数", "本月发布数",
             "更新要求", "更新状态"],
    "僵尸空壳账号": ["序号", "账号名称", "平台", "主办单位", "账号或网址", "最近发布时间", "未更新天数", "判定",
               "粉丝数", "整改状态", "处置建议"],
    "单位汇总": ["单位名称", "级别", "上级单位", "本单位监测对象数", "监测对象数（含下级）", "本单位问题数",
             "问题数（含下级）", "单项否决（含下级）", "已整改或销号（含下级）", "未完成整改（含下级）",
             "超期（含下级）"],
}

OCT = datetime(2026, 10, 1, tzinfo=UTC)  # 08:00 on 1 October in Shanghai
LATE = datetime(2026, 10, 31, 4, tzinfo=UTC)  # a good crawl on the month's last day: its verdicts are known
PAGE = (b"<html><head><title>t</title><script>document.write('x')</script>"
        b"<link rel='stylesheet' href='http://cdn.example.com/a.css'><base href='http://evil.example.com/'>"
        b"<style>body{background:url(http://cdn.example.com/bg.png)} @import 'http://cdn.example.com/b.css';</style>"
        b"</head><body onload=\"steal()\"><h1>%s</h1><p onclick='x()'>%s</p>"
        b"<img src='http://cdn.example.com/p.png'><iframe src='http://ads.example.com/'></iframe>"
        b"<a href='javascript:alert(1)'>a</a></body></html>")


def page(title: str, text: str) -> bytes:
    return PAGE % (title.encode("utf-8"), text.encode("utf-8"))


def build_store(store):
    store.upsert_targets([
        Target(id="site-a", name="示范市人民政府", url="http://a.gov.cn/", owner="示范市政府办",
               columns=[Column("要闻", "http://a.gov.cn/yw/", "news")], last_crawl_ok_at=LATE),
        Target(id="wx-a", name="示范发布", platform="wechat", account_id="sfb", owner="示范市政府办",
               operator_type="outsourced", operator_name="某文化传媒公司", operator_qualified=False,
               followers=1200, last_crawl_ok_at=LATE),
        Target(id="app-a", name="示范通", platform="app", url="http://app.a.gov.cn/", owner="示范市政府办"),
        Target(id="site-b", name="示范市教育局", url="http://jy.a.gov.cn/", owner="示范市教育局",
               last_crawl_ok_at=LATE),
    ])
    snap1 = store.put_snapshot(page("=HYPERLINK(\"http://evil\",\"点我\")", "北朝鲜 @SUM(A1)"))
    snap_fixed = store.put_snapshot(page("通知", "朝鲜"))
    snap_b = store.put_snapshot(page("招生", "机密★"))
    a1 = Item(target_id="site-a", url="http://a.gov.cn/art/1.html", title="=HYPERLINK(\"http://evil\",\"点我\")",
              text="北朝鲜 @SUM(A1)", snapshot=snap1, published_at=OCT + timedelta(days=2), column="要闻",
              meta={"siteidcode": "1234000001"}, parent_url="http://a.gov.cn/yw/")
    a_old = Item(target_id="site-a", url="http://a.gov.cn/art/old.html", title="旧稿", text="按装",
                 published_at=OCT - timedelta(days=40))
    wx_old = Item(target_id="wx-a", platform="wechat", url="https://mp.weixin.qq.com/s/abc", title="推文",
                  text="……", published_at=OCT - timedelta(days=120))
    b1 = Item(target_id="site-b", url="http://jy.a.gov.cn/art/9.html", title="招生", text="机密★",
              snapshot=snap_b, published_at=OCT + timedelta(days=5))
    store.upsert_items([a1, a_old, wx_old, b1], at=OCT - timedelta(days=40))

    sept = OCT - timedelta(days=20)
    record_hits(store, [
        (a_old, "site-a", Hit("expression.typo", "错别字", "medium", match="按装", suggestion="安装")),
        (a_old, "site-a", Hit("tone.vulgar", "低俗用语", "low", match="卖萌")),
    ], at=sept)
    found = {f.rule: f for f in store.list_findings()}
    set_status(store, found["tone.vulgar"].id, "已整改", by="张三", at=sept + timedelta(days=2))  # closed before October

    at = OCT + timedelta(days=3)
    record_hits(store, [
        (a1, "site-a", Hit("expression.term", "不规范表述", "high", match="北朝鲜", suggestion="朝鲜",
                           snippet="=cmd|' /C calc'!A0 北朝鲜")),
        (a1, "site-a", Hit("title.clickbait", "标题党", "medium", match="+震惊", detail="-标题含“震惊”")),
        (b1, "site-b", Hit("secret.marker", "涉密标识", "veto", match="机密★", snippet="机密★")),
        (None, "site-a", Hit("site.dead_link", "链接不可用", "high", match="http://a.gov.cn/dead.html",
                             detail="首页链接“办事”无法打开（HTTP 404）", url="http://a.gov.cn/")),
        (None, "site-a", Hit("site.footer_missing", "网站标识缺失", "medium", match="ICP备案号",
                             url="http://a.gov.cn/")),
    ], at=at)
    found = {f.rule: f for f in store.list_findings()}
    term = found["expression.term"]
    set_status(store, term.id, "已确认", by="张三", note="属实", at=at + timedelta(hours=1))
    store.transition_finding(term.id, "rectified", by="recheck", note="复查未再发现该问题", at=at + timedelta(days=1),
                             evidence={"snapshot": snap_fixed, "fetched_at": (at + timedelta(days=1)).isoformat(),
                                       "url": term.url})
    set_status(store, found["site.footer_missing"].id, "误报", by="张三", note="页脚为图片", at=at + timedelta(hours=2))
    # next month: not in October's package
    record_hits(store, [(a1, "site-a", Hit("privacy.mobile", "个人信息", "medium", match="13812345678"))],
                at=datetime(2026, 11, 2, tzinfo=UTC))

    checks = []
    for day in range(10):
        for k in range(4):
            t = OCT + timedelta(days=day, hours=6 * k)
            ok = not (day == 3 and k < 2)  # 2 failures of 40
            checks.append(Check("site-a", "http://a.gov.cn/", t, ok, 200 if ok else None, 800 if ok else None,
                                "" if ok else "超时"))
    checks.append(Check("site-a", "http://a.gov.cn/", OCT - timedelta(days=3), False, None, None, "超时"))
    store.record_checks(checks)
    return {f.rule: f for f in store.list_findings()}, snap1, snap_fixed


def rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_month_bounds_and_previous_month():
    start, end = month_bounds("2026-12")
    assert start.isoformat() == "2026-12-01T00:00:00+08:00" and end.isoformat() == "2027-01-01T00:00:00+08:00"
    assert previous_month(datetime(2027, 1, 1, 0, 30, tzinfo=UTC)) == "2026-12"
    with pytest.raises(ExportError):
        month_bounds("2026-13")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")"])
def test_formula_like_values_become_text(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("正常文本=1") == "正常文本=1" and safe_cell(-1) == -1
    assert safe_cell("a\x00b\x1bc") == "abc"  # control characters Excel refuses


def test_export_every_sheet_header_and_rows(store, tmp_path):
    found, snap1, snap_fixed = build_store(store)
    zip_path = export_month(store, load_settings(), "2026-10", tmp_path)
    folder = tmp_path / "govwatch-2026-10"
    assert zip_path == tmp_path / "govwatch-2026-10.zip" and folder.is_dir()

    wb = load_workbook(folder / "问题清单.xlsx")
    assert wb.sheetnames == list(EXPECTED)
    for name, headers in EXPECTED.items():
        assert rows(wb[name])[0] == headers, name
    # nothing in the workbook is a formula
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)

    # 问题清单: October's findings (new in October, or open when it began); not the one closed in
    # September, not the false positive, not November's
    listing = rows(wb["问题清单"])[1:]
    by_problem = {r[3]: r for r in listing}
    assert [r[0] for r in listing] == list(range(1, len(listing) + 1))
    assert len(listing) == 5
    term_row = next(r for r in listing if "北朝鲜" in r[3])
    assert term_row[1:3] == ["示范市人民政府", "示范市政府办"]
    assert term_row[3].startswith("【不规范表述·严重】")
    assert term_row[4].startswith("修改为“朝鲜”") and "复查未再发现该问题" in term_row[4]
    assert term_row[5] == found["expression.term"].deadline.astimezone(
        __import__("govwatch.models", fromlist=["TZ"]).TZ).strftime("%Y-%m-%d")
    assert term_row[6] == "已整改"
    old = next(r for r in listing if "按装" in r[3])
    assert old[6] == "待处理（已超期）"  # carried over from September, past its deadline
    assert next(r for r in listing if "机密★" in r[3])[6] == "待处理（已超期）"
    assert not any("卖萌" in p or "ICP" in p or "13812345678" in p for p in by_problem)

    # 错敏信息明细: content findings only, with their evidence snapshot
    detail = {r[0]: r for r in rows(wb["错敏信息明细"])[1:]}
    assert set(detail) == {"北朝鲜", "'+震惊", "按装", "机密★"}
    d = detail["北朝鲜"]
    assert d[1] == "朝鲜" and d[3] == "'=cmd|' /C calc'!A0 北朝鲜"  # formula injection arrives inert
    assert d[4] == "http://a.gov.cn/art/1.html" and d[5] == "'=HYPERLINK(\"http://evil\",\"点我\")"
    assert d[6] == f"snapshots/{snap1}.html" and (folder / d[6]).is_file()
    assert d[7:14] == ["示范市人民政府", "1234000001", "2026-10-03 08:00", "不规范表述", "严重", "图文",
                       "http://a.gov.cn/yw/"]
    assert detail["'+震惊"][2] == "'-标题含“震惊”"
    assert detail["按装"][6] is None  # that item has no snapshot

    cases = rows(wb["问题案例汇总"])[1:]
    types = {r[2].split("】")[0]: r[1] for r in cases}
    assert types == {"【不规范表述·严重": "权威信息发布编辑差错", "【标题党·一般": "标题党",
                     "【错别字·一般": "权威信息发布编辑差错", "【涉密标识·单项否决": "其他"}
    fixed = next(r for r in cases if "北朝鲜" in r[2])
    assert fixed[0] == "示范市政府办（示范市人民政府）"
    assert fixed[3].startswith("已整改（2026-10-05，复查未再发现该问题）")
    assert f"snapshots/{snap_fixed}.html" in fixed[3] and (folder / f"snapshots/{snap_fixed}.html").is_file()

    ops = {r[0]: r for r in rows(wb["内容运营情况汇总"])[1:]}
    assert set(ops) == {"示范市政府办", "示范市教育局"}
    gov = ops["示范市政府办"]
    assert gov[1] == "示范市人民政府（http://a.gov.cn/）" and gov[2] == "示范发布（微信）" and gov[3] == "示范通（移动客户端）"
    assert gov[5] == "是" and "某文化传媒公司（不具备新闻信息服务资质" in gov[6]
    assert gov[7].startswith("本月涉及问题4个，已整改或销号1个，未完成整改3个（超期3个）")
    assert ops["示范市教育局"][5] == "否"

    avail = {r[1]: r for r in rows(wb["可用性统计"])[1:]}
    assert set(avail) == {"示范市人民政府", "示范市教育局"}
    a = avail["示范市人民政府"]
    assert a[4:8] == [40, 38, 2, "5.00%"]  # the September probe is not counted
    assert a[8] == "7.41%"  # worst week: 2 of the 27 probes of 1–7 October (Shanghai days)
    assert a[9] == 800 and a[11].startswith("单项否决")
    assert avail["示范市教育局"][11] == "无监测数据"

    updates = {r[1]: r for r in rows(wb["更新情况"])[1:]}
    assert set(updates) == {"示范市人民政府", "示范发布", "示范通", "示范市教育局"}
    assert updates["示范市人民政府"][5:8] == ["2026-10-03 08:00", 28, 1]
    assert updates["示范市人民政府"][9] == "单项否决（首页 28 天未更新；1 个栏目不更新）"
    assert updates["示范市教育局"][9] == "单项否决（首页 25 天未更新）"
    assert updates["示范发布"][6] == 150 and updates["示范发布"][9] == "疑似僵尸（150 天未更新）"
    assert updates["示范通"][8:] == ["不适用", "不作更新判断（移动客户端、小程序不采集发布信息）"]

    zombies = rows(wb["僵尸空壳账号"])[1:]
    assert [(r[1], r[7], r[8], r[9]) for r in zombies] == [("示范发布", "疑似僵尸（150 天未更新）", 1200, "未建立问题")]


def test_snapshots_are_offline_and_raw_bytes_verifiable(store, tmp_path):
    _, snap1, _ = build_store(store)
    export_month(store, load_settings(), "2026-10", tmp_path)
    folder = tmp_path / "govwatch-2026-10"
    html = (folder / f"snapshots/{snap1}.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    assert not doc.xpath("//script|//iframe|//link|//base|//object|//embed|//meta[@http-equiv='refresh']")
    for el in doc.iter(lxml.etree.Element):
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            if name in ("src", "srcset", "poster", "background", "action", "formaction", "data"):
                assert value.startswith("data:"), (el.tag, name, value)
            assert "javascript:" not in value.lower()
    styles = " ".join(doc.xpath("//style/text()") + doc.xpath("//@style"))
    assert "http" not in styles and "@import" not in styles
    assert doc.xpath("//img/@data-govwatch-src") == ["http://cdn.example.com/p.png"]  # kept, inert
    assert "北朝鲜" in html and "govwatch-evidence-banner" in html
    assert "采集时间：2026-10-04 08:00（北京时间）" in html and "原网址：http://a.gov.cn/art/1.html" in html
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp and "default-src 'none'" in csp[0]
    raw = folder / f"snapshots/raw/{snap1}.raw"
    assert sha256(raw) == snap1 and raw.read_bytes() == store.get_snapshot(snap1)


def test_manifest_hashes_every_file_and_the_zip_holds_the_same_bytes(store, tmp_path):
    build_store(store)
    zip_path = export_month(store, load_settings(), "2026-10", tmp_path)
    folder = tmp_path / "govwatch-2026-10"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    assert {"问题清单.xlsx", "findings.jsonl", "说明.txt"} <= on_disk
    for rel, entry in listed.items():
        assert sha256(folder / rel) == entry["sha256"] and (folder / rel).stat().st_size == entry["bytes"], rel
    assert manifest["month"] == "2026-10" and manifest["counts"]["findings"] == 5
    assert manifest["counts"]["by_status"] == {"rectified": 1, "open": 4}
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        assert names == {f"govwatch-2026-10/{p}" for p in on_disk | {"manifest.json"}}
        for rel, entry in listed.items():
            assert hashlib.sha256(zf.read(f"govwatch-2026-10/{rel}")).hexdigest() == entry["sha256"]
    # a tampered file no longer matches
    (folder / "说明.txt").write_text("改过", encoding="utf-8")
    assert sha256(folder / "说明.txt") != listed["说明.txt"]["sha256"]


def test_history_survives_a_rescan_and_is_in_the_package(store, tmp_path):
    found, _, _ = build_store(store)
    term = found["expression.term"]
    before = store.get_finding(term.id).history
    assert [e["to"] for e in before] == ["open", "confirmed", "rectified"]
    # a rescan that sees the same hit again (e.g. an old copy of the page) keeps every decision
    item = store.get_item(term.item_id)
    record_hits(store, [(item, "site-a", Hit("expression.term", "不规范表述", "high", match="北朝鲜"))],
                at=OCT + timedelta(days=6))
    after = store.get_finding(term.id)
    assert after.history == before and after.status == "rectified"
    export_month(store, load_settings(), "2026-10", tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "govwatch-2026-10" / "findings.jsonl").read_text("utf-8").splitlines()]
    record = next(x for x in lines if x["id"] == term.id)
    assert record["history"] == before and record["status"] == "rectified"
    fixed = [e["evidence"]["snapshot"] for e in record["history"] if e["to"] == "rectified"]
    assert record["rectified_snapshot"] == f"snapshots/{fixed[0]}.html"
    assert (tmp_path / "govwatch-2026-10" / record["rectified_snapshot"]).is_file()


def test_owner_gets_only_its_own_targets(store, tmp_path):
    build_store(store)
    zip_path = export_month(store, load_settings(), "2026-10", tmp_path, owner="示范市教育局")
    assert zip_path.name == "govwatch-2026-10-示范市教育局.zip"
    wb = load_workbook(tmp_path / "govwatch-2026-10-示范市教育局" / "问题清单.xlsx")
    assert [r[1] for r in rows(wb["问题清单"])[1:]] == ["示范市教育局"]
    assert [r[0] for r in rows(wb["错敏信息明细"])[1:]] == ["机密★"]
    assert [r[0] for r in rows(wb["内容运营情况汇总"])[1:]] == ["示范市教育局"]
    assert [r[1] for r in rows(wb["更新情况"])[1:]] == ["示范市教育局"]
    assert rows(wb["僵尸空壳账号"])[1:] == []
    snaps = {p.name for p in (tmp_path / "govwatch-2026-10-示范市教育局" / "snapshots").glob("*.html")}
    assert len(snaps) == 1
    with pytest.raises(ExportError, match="没有主办单位"):
        export_month(store, load_settings(), "2026-10", tmp_path, owner="不存在的单位")


def test_export_command(tmp_path, capsys):
    from govwatch.cli import main
    from govwatch.store import open_store

    store = open_store(settings=load_settings())
    build_store(store)
    store.close()
    assert main(["export", "--month", "2026-10", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "问题 5 个" in out and str(tmp_path / "out" / "govwatch-2026-10.zip") in out
    assert zipfile.is_zipfile(tmp_path / "out" / "govwatch-2026-10.zip")
    assert main(["export", "--month", "2026/10"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    # re-exporting replaces the package
    assert main(["export", "--month", "2026-10", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["govwatch-2026-10", "govwatch-2026-10.zip"]


def test_update_state_words_the_timeline_verdict_at_every_boundary():
    """The export's 更新情况 words the nightly detection's verdict (scanner.timeline.judge_target),
    never judging again: the same status at every boundary of the day convention."""
    from types import SimpleNamespace

    from govwatch.evidence import update_state
    from scanner.timeline import ThresholdBook, judge_target

    settings = load_settings(env={})
    book = ThresholdBook(settings.data["thresholds"])

    def state(days):
        return [SimpleNamespace(column="首页", last_published_at=OCT - timedelta(days=days), items=3)]

    account = Target(id="wx", name="公众号", platform="wechat", last_crawl_ok_at=OCT)
    expected = {5: ("正常", "正常"), 7: ("即将超期", "即将超期"), 8: ("超期", "更新不及时"),
                14: ("超期", "更新不及时"), 15: ("单项否决", "单项否决"), 90: ("单项否决", "单项否决"),
                91: ("僵尸候选", "疑似僵尸"), 365: ("僵尸候选", "疑似僵尸"), 366: ("僵尸", "僵尸账号")}
    for days, (status, word) in expected.items():
        verdict = judge_target(account, state(days), OCT, book)
        requirement, got, n = update_state(settings, account, verdict, book)
        assert verdict.status == status and n == days and got.startswith(word), (days, got)
    assert requirement == "每7天至少更新1次，14天未更新单项否决"
    site = Target(id="s", name="网站", platform="website", last_crawl_ok_at=OCT)
    assert update_state(settings, site, judge_target(site, state(14), OCT, book), book)[1].startswith("即将超期")
    assert update_state(settings, site, judge_target(site, state(15), OCT, book), book)[1] == "单项否决（首页 15 天未更新）"
    gone = Target(id="g", name="号", platform="weibo", status="gone", last_crawl_ok_at=OCT)
    assert update_state(settings, gone, judge_target(gone, state(400), OCT, book), book)[1] == "账号已注销或不存在"


def test_update_sheet_dates_a_site_by_its_homepage_like_zombies(store, tmp_path):
    """A site whose only fresh item is in a minor column is 单项否决 in both the nightly detection
    (govwatch zombies) and the export's 更新情况, with the same date and days."""
    from datetime import date

    from govwatch.detection import end_of_day, run_detection

    month_end = end_of_day(date(2026, 10, 31))
    crawled = month_end - timedelta(hours=2)
    store.upsert_targets([
        Target(id="site-h", name="示范县人民政府", url="http://h.gov.cn/", owner="示范县政府办",
               columns=[Column("通知公告", "http://h.gov.cn/tzgg/", "notice")], last_crawl_ok_at=crawled),
        Target(id="site-ok", name="示范县教育局", url="http://e.gov.cn/", owner="示范县教育局",
               columns=[Column("通知公告", "http://e.gov.cn/tzgg/", "notice")], last_crawl_ok_at=crawled)])
    store.upsert_items([
        Item(target_id="site-h", url="http://h.gov.cn/1.html", title="首页旧闻", column="首页",
             published_at=month_end - timedelta(days=20)),
        Item(target_id="site-h", url="http://h.gov.cn/tzgg/2.html", title="栏目新稿", column="通知公告",
             published_at=month_end - timedelta(days=1)),
        # negative: a site whose homepage itself is fresh stays 正常 in both
        Item(target_id="site-ok", url="http://e.gov.cn/1.html", title="首页新闻", column="首页",
             published_at=month_end - timedelta(days=2)),
        Item(target_id="site-ok", url="http://e.gov.cn/tzgg/2.html", title="通知", column="通知公告",
             published_at=month_end - timedelta(days=3)),
    ], at=month_end - timedelta(days=1))
    settings = load_settings(env={})
    nightly = {r["id"]: r for r in run_detection(store, settings, month_end, record=False).rows}
    export_month(store, settings, "2026-10", tmp_path)
    wb = load_workbook(tmp_path / "govwatch-2026-10" / "问题清单.xlsx")
    updates = {r[1]: r for r in rows(wb["更新情况"])[1:]}
    stale, fresh = updates["示范县人民政府"], updates["示范县教育局"]
    assert nightly["site-h"]["days_since"] == stale[6] == 20
    assert stale[5] == (month_end - timedelta(days=20)).astimezone(
        __import__("govwatch.models", fromlist=["TZ"]).TZ).strftime("%Y-%m-%d %H:%M")
    assert stale[9] == "单项否决（首页 20 天未更新）" and nightly["site-h"]["status"] == "单项否决"
    assert nightly["site-ok"]["days_since"] == fresh[6] == 2 and fresh[9] == "正常"
    assert stale[7] == 2 and fresh[7] == 2  # 本月发布数 still counts every column


# ---------------------------------------------------------------- roll-up (issue 20)

def test_owner_includes_the_units_below_it_and_the_workbook_rolls_up(store, tmp_path):
    build_store(store)
    # the education bureau and a county below the city office; a county school below the bureau
    store.upsert_targets([
        Target(id="site-b", name="示范市教育局", url="http://jy.a.gov.cn/", owner="示范市教育局",
               owner_level="部门", parent="示范市政府办", last_crawl_ok_at=OCT),
        Target(id="site-c", name="示范县人民政府", url="http://xian.a.gov.cn/", owner="示范县政府办",
               owner_level="县", parent="示范市政府办", last_crawl_ok_at=OCT),
        Target(id="wx-d", name="示范一中", platform="wechat", account_id="yz", owner="示范一中",
               parent="示范市教育局", last_crawl_ok_at=OCT),
        Target(id="site-x", name="邻市政府", url="http://b.gov.cn/", owner="邻市政府办", last_crawl_ok_at=OCT),
    ])
    export_month(store, load_settings(), "2026-10", tmp_path, owner="示范市教育局")
    wb = load_workbook(tmp_path / "govwatch-2026-10-示范市教育局" / "问题清单.xlsx")
    assert sorted(r[1] for r in rows(wb["更新情况"])[1:]) == ["示范一中", "示范市教育局"]
    summary = rows(wb["单位汇总"])[1:]
    assert [(r[0], r[3], r[4]) for r in summary] == [("示范市教育局", 1, 2), ("\u3000示范一中", 1, 1)]
    assert summary[0][5] == summary[0][6] == 1  # the bureau's 机密★ finding, nothing below

    export_month(store, load_settings(), "2026-10", tmp_path, owner="示范市政府办")
    wb = load_workbook(tmp_path / "govwatch-2026-10-示范市政府办" / "问题清单.xlsx")
    names = sorted(r[1] for r in rows(wb["更新情况"])[1:])
    assert names == sorted(["示范市人民政府", "示范发布", "示范通", "示范市教育局", "示范县人民政府", "示范一中"])
    assert "邻市政府" not in names  # a unit outside the chain stays out
    summary = {r[0].strip("\u3000"): r for r in rows(wb["单位汇总"])[1:]}
    assert list(summary) == ["示范市政府办", "示范县政府办", "示范市教育局", "示范一中"]
    top = summary["示范市政府办"]
    assert top[3] == 3 and top[4] == 6
    assert top[6] == top[5] + summary["示范市教育局"][6] + summary["示范县政府办"][6]
    assert top[7] >= summary["示范市教育局"][7]

    # the whole export lists every root, the neighbour too
    export_month(store, load_settings(), "2026-10", tmp_path)
    wb = load_workbook(tmp_path / "govwatch-2026-10" / "问题清单.xlsx")
    roots = [r[0] for r in rows(wb["单位汇总"])[1:] if not r[0].startswith("\u3000")]
    assert roots == ["示范市政府办", "邻市政府办"] or sorted(roots) == sorted(["示范市政府办", "邻市政府办"])


def test_update_sheet_says_unknown_where_zombies_does(tmp_path, capsys):
    """A target whose last good crawl is older than ``crawl_max_age_hours``, or whose collector is
    failing, is 未知 with the collector's reason in both `govwatch zombies --as-of` and the export's
    更新情况 — never an official-form veto the system cannot know; a healthy stale site and account
    stay 单项否决 in both."""
    from datetime import date

    from govwatch.cli import main
    from govwatch.detection import end_of_day
    from govwatch.store import open_store

    month_end = end_of_day(date(2026, 10, 31))
    fresh, old = month_end - timedelta(hours=2), month_end - timedelta(hours=80)  # the setting: 72 hours
    store = open_store(settings=load_settings())
    store.upsert_targets([
        Target(id="site-old", name="采集过旧的网站", url="http://old.gov.cn/", owner="甲", last_crawl_ok_at=old),
        Target(id="site-fail", name="采集失败的网站", url="http://fail.gov.cn/", owner="甲", last_crawl_ok_at=fresh,
               consecutive_failures=2, error_kind="blocked", last_crawl_error="出现验证码"),
        Target(id="site-stale", name="不更新的网站", url="http://stale.gov.cn/", owner="甲", last_crawl_ok_at=fresh),
        Target(id="wx-old", name="采集过旧的号", platform="wechat", account_id="o", owner="甲", last_crawl_ok_at=old),
        Target(id="wx-stale", name="不更新的号", platform="wechat", account_id="s", owner="甲", last_crawl_ok_at=fresh),
    ])
    for tid, column, days in [("site-old", "首页", 20), ("site-fail", "首页", 20), ("site-stale", "首页", 20),
                              ("wx-old", "", 400), ("wx-stale", "", 20)]:
        store.upsert_items([Item(target_id=tid, url=f"http://x/{tid}", title=tid, column=column,
                                 published_at=month_end - timedelta(days=days))], at=month_end - timedelta(days=days))
    store.close()

    assert main(["zombies", "--as-of", "2026-10-31", "--format", "json", "--dry-run"]) == 0
    nightly = {r["name"]: r for r in json.loads(capsys.readouterr().out)["targets"]}
    assert main(["export", "--month", "2026-10", "--out", str(tmp_path / "out")]) == 0
    wb = load_workbook(tmp_path / "out" / "govwatch-2026-10" / "问题清单.xlsx")
    updates = {r[1]: r[9] for r in rows(wb["更新情况"])[1:]}

    for name in ("采集过旧的网站", "采集过旧的号"):
        assert nightly[name]["status"] == "未知" and "已超过 72 小时" in nightly[name]["reason"]
        assert updates[name] == f"未知（{nightly[name]['reason']}）", updates[name]
    assert nightly["采集失败的网站"]["status"] == "未知" and "出现验证码" in nightly["采集失败的网站"]["reason"]
    assert updates["采集失败的网站"] == f"未知（{nightly['采集失败的网站']['reason']}）"
    assert "单项否决" not in "".join(updates[n] for n in ("采集过旧的网站", "采集过旧的号", "采集失败的网站"))
    # an account whose collector stopped is not listed as a zombie it may not be
    assert [r[1] for r in rows(wb["僵尸空壳账号"])[1:]] == []

    # negative: healthy collectors, stale targets: 单项否决 in both
    assert nightly["不更新的网站"]["status"] == "单项否决" and updates["不更新的网站"] == "单项否决（首页 20 天未更新）"
    assert nightly["不更新的号"]["status"] == "单项否决" and updates["不更新的号"] == "单项否决（20 天未更新）"
