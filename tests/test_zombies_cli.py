"""govwatch zombies: table, JSON and XLSX reports; findings recorded through the CLI."""
import json
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from govwatch.cli import main
from govwatch.models import TZ, Column, Item, Target
from govwatch.settings import load_settings
from govwatch.store import FindingFilter, open_store

AS_OF = "2026-11-15"
END = datetime(2026, 11, 15, 23, 59, tzinfo=TZ)


def day(n: int) -> datetime:
    return datetime.combine(datetime(2026, 11, 15).date() - timedelta(days=n), time(10, 0), TZ)


@pytest.fixture
def store():
    s = open_store(settings=load_settings())
    crawled = END - timedelta(hours=3)
    s.upsert_targets([
        Target(id="wx-ok", name="示范发布", platform="wechat", owner="示范市政府办", owner_level="市",
               parent="示范省政府办公厅", last_crawl_ok_at=crawled),
        Target(id="wx-old", name="=HYPERLINK(\"http://evil\")", platform="wechat", owner="示范县政府办",
               owner_level="县", parent="示范市政府办", last_crawl_ok_at=crawled),
        Target(id="wb-zombie", name="示范县教育", platform="weibo", owner="示范县教育局", owner_level="部门",
               parent="示范县政府办", last_crawl_ok_at=crawled),
        Target(id="wb-empty", name="-空壳号", platform="weibo", owner="示范县教育局", last_crawl_ok_at=crawled),
        Target(id="wb-fail", name="@被限流的号", platform="weibo", owner="示范市政府办", last_crawl_ok_at=crawled,
               consecutive_failures=3, error_kind="rate_limited", last_crawl_error="HTTP 432"),
        Target(id="site", name="示范市人民政府", platform="website", url="http://www.demo.gov.cn/",
               owner="示范市政府办", last_crawl_ok_at=crawled,
               columns=[Column("动态要闻", "http://www.demo.gov.cn/dt/", "news")]),
    ])
    for tid, n, column in [("wx-ok", 1, ""), ("wx-old", 20, ""), ("wb-zombie", 400, ""), ("wb-fail", 60, ""),
                           ("site", 2, "首页"), ("site", 3, "动态要闻")]:
        s.upsert_items([Item(target_id=tid, url=f"http://x/{tid}/{n}", title=f"{tid}-{n}", column=column,
                             published_at=day(n))], at=day(n) + timedelta(hours=1))
    yield s
    s.close()


def run_json(capsys, *extra):
    assert main(["zombies", "--as-of", AS_OF, "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_report_statuses_and_recorded_findings(store, capsys):
    report = run_json(capsys)
    rows = {r["id"]: r for r in report["targets"]}
    assert {k: v["status"] for k, v in rows.items()} == {
        "wx-ok": "正常", "wx-old": "单项否决", "wb-zombie": "僵尸", "wb-empty": "空壳", "wb-fail": "未知",
        "site": "正常"}
    assert rows["wx-old"]["days_since"] == 20 and rows["wx-old"]["last_update"] == "2026-10-26 10:00"
    assert "HTTP 432" in rows["wb-fail"]["reason"]
    assert rows["wx-ok"]["month_posts"] == 1
    assert report["month"] == "2026-11" and report["period"] == {"start": "2026-11-01", "end": "2026-11-15"}
    assert report["as_of_local"] == "2026-11-15 23:59"
    units = {u["unit"]: u for u in report["units"]}
    assert units["示范省政府办公厅"]["targets"] == 6 and units["示范省政府办公厅"]["depth"] == 0
    assert units["示范县教育局"]["僵尸"] == 1 and units["示范县教育局"]["空壳"] == 1
    rules = sorted(f.rule for f in store.list_findings())
    assert rules == ["account.empty", "account.stale", "account.stale", "account.stale_veto", "account.stale_veto",
                     "account.zombie"]
    assert store.list_runs("zombies")[0].ok is True
    # the same night again changes nothing
    again = run_json(capsys)
    assert again["stats"]["findings_new"] == 0 and again["stats"]["findings_unchanged"] == 6


def test_dry_run_records_nothing(store, capsys):
    report = run_json(capsys, "--dry-run")
    assert len(report["targets"]) == 6
    assert store.list_findings() == [] and store.list_runs("zombies") == []


def test_table_is_chinese_and_aligned(store, capsys):
    assert main(["zombies", "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "更新情况（统计月份 2026-11" in out and "按单位汇总" in out
    for header in ("名称", "最近更新", "未更新天数", "状态", "本月发布", "本月超标天数", "僵尸候选"):
        assert header in out
    assert "共 6 个监测对象" in out and "新发现问题 6 个" in out
    assert "示范县教育" in out and "  示范市政府办" in out  # children indented under their parent


def test_xlsx_report_with_formula_neutralisation(store, tmp_path, capsys):
    out = tmp_path / "更新情况.xlsx"
    assert main(["zombies", "--as-of", AS_OF, "--format", "xlsx", "--out", str(out)]) == 0
    assert "已导出 6 个监测对象" in capsys.readouterr().out
    wb = load_workbook(out)
    assert wb.sheetnames == ["更新情况", "僵尸空壳账号", "单位汇总", "说明"]
    ws = wb["更新情况"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["编号", "名称", "平台"] and "未更新天数" in headers and "状态" in headers
    by_id = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    name = headers.index("名称")
    assert by_id["wx-old"][name] == "'=HYPERLINK(\"http://evil\")"
    assert by_id["wb-empty"][name] == "'-空壳号" and by_id["wb-fail"][name] == "'@被限流的号"
    assert by_id["wx-old"][headers.index("未更新天数")] == 20  # numbers stay numbers
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    zombies = {row[0] for row in wb["僵尸空壳账号"].iter_rows(min_row=2, values_only=True)}
    assert zombies == {"wb-zombie", "wb-empty"}
    units = [row for row in wb["单位汇总"].iter_rows(min_row=2, values_only=True)]
    assert units[0][0] == "示范省政府办公厅" and units[0][4] == 6


def test_bad_date_is_a_chinese_error(store, capsys):
    assert main(["zombies", "--as-of", "2026-13-01"]) == 2
    assert "日期格式不正确" in capsys.readouterr().err


def test_revival_through_the_cli(store, capsys):
    run_json(capsys)
    store.upsert_items([Item(target_id="wx-old", url="http://x/wx-old/new", title="恢复更新", published_at=END)],
                       at=END)
    store.update_target_state("wx-old", last_crawl_ok_at=END)
    assert main(["zombies", "--as-of", "2026-11-16", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stats"]["rectified"] == 2
    assert {r["id"]: r["status"] for r in report["targets"]}["wx-old"] == "正常"
    done = store.list_findings(FindingFilter(target_id="wx-old"))
    assert {f.status for f in done} == {"rectified"}
    assert {f.evidence["rectified"]["url"] for f in done} == {"http://x/wx-old/new"}


# ---------------------------------------------------------------- issue 20: metrics and same-row dates

def test_an_account_never_collected_is_not_a_month_out_of_standard(store, capsys):
    store.upsert_targets([
        Target(id="wx-new", name="新登记账号", platform="wechat", owner="示范市政府办"),  # never collected
        Target(id="wx-stopped", name="采集中断账号", platform="wechat", owner="示范市政府办",
               last_crawl_ok_at=datetime(2026, 11, 5, 9, 0, tzinfo=TZ)),
    ])
    store.upsert_items([Item(target_id="wx-stopped", url="http://x/stop/1", title="停更前", published_at=day(14))],
                       at=day(14))
    rows = {r["id"]: r for r in run_json(capsys, "--dry-run")["targets"]}
    assert rows["wx-new"]["status"] == "未知" and rows["wx-new"]["month_days_out"] is None
    assert rows["wx-new"]["month_posts"] is None
    # last post on the 1st, last good crawl on the 5th: days out only while observed (the 5th, 1 day
    # past the 7-day limit would begin on the 9th) — none, not the 9th…15th we never saw
    assert rows["wx-stopped"]["month_days_out"] == 0
    # negatives: an empty account that is collected is out of standard every day of the month; a
    # stale one is counted as before
    assert rows["wb-empty"]["month_days_out"] == 15
    assert rows["wx-old"]["month_days_out"] == 13  # last post 26 Oct, 7-day limit: out from 3 Nov


def test_a_website_row_shows_the_homepage_days_its_status_is_judged_on(capsys):
    s = open_store(settings=load_settings())
    try:
        s.upsert_targets([Target(id="portal", name="示范门户", platform="website", url="http://www.p.gov.cn/",
                                 owner="示范市政府办", last_crawl_ok_at=END - timedelta(hours=3),
                                 columns=[Column("通知公告", "http://www.p.gov.cn/tz/", "notice")])])
        s.upsert_items([Item(target_id="portal", url="http://www.p.gov.cn/1", title="首页旧闻", column="首页",
                             published_at=day(20)),
                        Item(target_id="portal", url="http://www.p.gov.cn/2", title="昨天的公告", column="通知公告",
                             published_at=day(1))], at=day(1))
    finally:
        s.close()
    row = next(r for r in run_json(capsys, "--dry-run")["targets"] if r["id"] == "portal")
    assert row["status"] == "单项否决" and "首页 20 天未更新" in row["reason"]
    assert row["days_since"] == 20 and row["last_update"] == "2026-10-26 10:00" and row["limit_days"] == 14
