"""Registry files (govwatch.registry) and registry checks (scanner.registry_rules)."""
from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from govwatch.models import Contact, Maintenance, Target
from govwatch.registry import (
    EXPORT_HEADERS, RegistryError, derive_id, export_targets, load_targets, read_registry, target_rows,
)
from scanner.registry_rules import check_registry

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_FILES = ["targets.yaml", "targets.csv", "targets.xlsx"]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def registry(targets: list[Target]) -> list[dict]:
    return [t.registry_dict() for t in targets]


HEADER = ["名称", "平台", "网址或账号ID", "主办单位", "联系邮箱"]


def good_row(n: int) -> list[str]:
    return [f"示范账号{n}", "微博", f"57000000{n:02d}", f"示范单位{n}", f"office{n}@shifan.gov.cn"]


# ---------------------------------------------------------------------------- example files

@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_file_loads(name):
    targets = {t.id: t for t in load_targets(EXAMPLES / name)}
    assert len(targets) == 7
    portal = targets["sfs-portal"]
    assert portal.name == "示范市人民政府门户网站" and portal.platform == "website"
    assert portal.parent == "示范省人民政府" and portal.owner_level == "市"
    assert [(c.name, c.kind, c.max_gap_days) for c in portal.columns][2:4] == [
        ("通知公告", "notice", 90), ("政策文件", "policy", 90)]
    assert [c.role for c in portal.contacts] == ["负责人", "联系人", "联系人"]
    assert portal.contacts[2].channels == ["webhook"]
    assert targets["sfx-portal"].parent == "示范市人民政府"
    assert targets["sfx-wsjk-site"].maintenance == Maintenance("升级改版", date(2026, 12, 31))
    assert targets["sfx-wsjk-site"].parent == "示范县人民政府"
    wechat = targets["sfs-jyj-wechat"]
    assert wechat.feed_url.endswith(".atom") and wechat.operator_type == "subsidiary"
    assert targets["sfs-gaj-weibo"].account_id == "5712345678"
    douyin = targets["sfs-wlj-douyin"]
    assert (douyin.operator_type, douyin.operator_qualified, douyin.content_type) == ("outsourced", False, "video")
    assert douyin.rules == {"account.stale": {"days": 7}}


def test_example_files_hold_the_same_registry():
    yaml_targets, csv_targets, xlsx_targets = (registry(load_targets(EXAMPLES / n)) for n in EXAMPLE_FILES)
    assert yaml_targets == csv_targets == xlsx_targets


@pytest.mark.parametrize("source", EXAMPLE_FILES)
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_round_trip(tmp_path, source, fmt):
    original = load_targets(EXAMPLES / source)
    out = tmp_path / f"exported.{fmt}"
    export_targets(original, out)
    assert registry(load_targets(out)) == registry(original)


def test_round_trip_keeps_awkward_values(tmp_path):
    target = Target(
        id="odd-1", name="=HYPERLINK(\"http://evil.example\")", platform="app", account_id="@gov",
        owner="-示范单位", office="+科室", feed_url="https://rss.example.gov.cn/app.xml",
        operator_qualified=True, enabled=False, tags=["a", "b"], crawl={"verify_tls": False},
        contacts=[Contact(name="值班室", role="联系人", channels=[]), Contact(name="张三", role="负责人")],
    )
    target.contacts.sort(key=lambda c: c.role != "负责人")
    for fmt in ("xlsx", "csv", "yaml"):
        out = tmp_path / f"odd.{fmt}"
        export_targets([target], out)
        assert registry(load_targets(out)) == registry([target]), fmt


def test_exported_xlsx_has_the_chinese_headers(tmp_path):
    out = tmp_path / "out.xlsx"
    export_targets(load_targets(EXAMPLES / "targets.yaml"), out)
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == list(EXPORT_HEADERS)
    assert EXPORT_HEADERS[:3] == ("编号", "名称", "平台")


# ---------------------------------------------------------------------------- headers and values

def test_office_statistics_sheet_with_chinese_headers(tmp_path):
    path = write_xlsx(tmp_path / "统计表.xlsx", [
        ["示范市政务新媒体统计表"],
        ["序号", "单位名称", "平台类型", "账号名称", "网址或账号ID", "责任科室", "联系邮箱（多个用分号隔开）",
         "运营主体", "是否外包", "外包单位", "外包单位资质", "内容类型", "栏目", "上级单位", "层级",
         "维护状态", "维护截止日期", "负责人", "负责人电话", "联系人", "标签", "是否启用", "备注"],
        [1, "示范市人民政府", "政府网站", "示范市人民政府网", "www.shifan.gov.cn", "信息科",
         "a@shifan.gov.cn，b@shifan.gov.cn；c@shifan.gov.cn、d@shifan.gov.cn e@shifan.gov.cn",
         "自营", "否", None, None, None, "动态要闻|http://www.shifan.gov.cn/dt/;通知公告|http://www.shifan.gov.cn/tz/|通知公告|60",
         "示范省人民政府", "市级", None, None, "王五", 13800000003, "赵六|zhao@shifan.gov.cn", "重点、门户", "是", "无"],
        [2, "示范市交通运输局", "微信公众号", "示范交通", "gh_0123456789ab", "宣传科", "jt@shifan.gov.cn",
         "示范快讯传媒有限公司", "是", None, "是", "图文", None, "示范市人民政府", "部门",
         "临时关停", datetime(2026, 11, 30), None, None, None, None, "否", None],
        [3, "示范市交通运输局", "新浪微博", "示范交通发布", "https://weibo.com/u/6000000001", "宣传科",
         "jt@shifan.gov.cn", "外包", None, "示范快讯传媒有限公司", None, "视频", None, None, None,
         None, None, None, None, None, None, None, None],
    ])
    result = read_registry(path)
    assert result.ignored_headers == ["序号", "备注"]
    site, wechat, weibo = result.targets
    assert site.platform == "website" and site.url == "http://www.shifan.gov.cn" and site.account_id == ""
    assert site.emails == [f"{x}@shifan.gov.cn" for x in "abcde"]
    assert [(c.name, c.kind, c.max_gap_days) for c in site.columns] == [("动态要闻", "news", None),
                                                                      ("通知公告", "notice", 60)]
    assert (site.owner, site.owner_level, site.parent) == ("示范市人民政府", "市", "示范省人民政府")
    assert [(c.role, c.name, c.phone, c.email) for c in site.contacts] == [
        ("负责人", "王五", "13800000003", ""), ("联系人", "赵六", "", "zhao@shifan.gov.cn")]
    assert site.tags == ["重点", "门户"] and site.enabled and site.operator_type == "self"
    assert site.id == derive_id("website", "示范市人民政府网", "示范市人民政府")

    assert wechat.platform == "wechat" and wechat.account_id == "gh_0123456789ab" and wechat.url == ""
    assert (wechat.operator_type, wechat.operator_name, wechat.operator_qualified) == (
        "outsourced", "示范快讯传媒有限公司", True)
    assert wechat.maintenance == Maintenance("临时关停", date(2026, 11, 30)) and not wechat.enabled

    assert weibo.platform == "weibo" and weibo.url == "https://weibo.com/u/6000000001" and weibo.account_id == ""
    assert (weibo.operator_type, weibo.operator_qualified, weibo.content_type) == ("outsourced", None, "video")


def test_english_field_names(tmp_path):
    path = write_csv(tmp_path / "en.csv", [
        ["id", "name", "platform", "url", "account_id", "owner", "emails", "operator_type", "enabled",
         "maintenance", "maintenance_until"],
        ["w1", "Demo site", "website", "https://www.demo.gov.cn/", "", "Demo city", "a@demo.gov.cn", "self",
         "true", "升级改版", "2026/1/5"],
        ["k1", "Demo account", "kuaishou", "", "ks123", "Demo city", "", "outsourced", "no", "", ""],
    ])
    site, account = load_targets(path)
    assert (site.id, site.url, site.maintenance) == ("w1", "https://www.demo.gov.cn/", Maintenance("升级改版", date(2026, 1, 5)))
    assert (account.id, account.account_id, account.operator_type, account.enabled) == ("k1", "ks123", "outsourced", False)


def test_derived_id_is_stable_and_differs_by_owner():
    assert derive_id("wechat", "示范教育", "示范市教育局") == derive_id("wechat", "示范教育", "示范市教育局")
    assert derive_id("wechat", "示范教育", "示范市教育局") != derive_id("wechat", "示范教育", "示范县教育局")
    assert derive_id("wechat", "示范教育", "示范市教育局").startswith("wechat-")


def test_gbk_csv_as_saved_by_excel_on_chinese_windows(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [HEADER, good_row(1), ["示范县政府网", "网站", "http://www.sfx.gov.cn/",
                                                                    "示范县人民政府", "xxk@sfx.gov.cn"]], "gbk")
    path.read_bytes().decode("gbk")  # really GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    account, site = load_targets(path)
    assert (account.name, account.owner, account.account_id) == ("示范账号1", "示范单位1", "5700000001")
    assert (site.name, site.platform, site.url) == ("示范县政府网", "website", "http://www.sfx.gov.cn/")


def test_utf8_csv_with_and_without_bom(tmp_path):
    for encoding in ("utf-8", "utf-8-sig"):
        path = write_csv(tmp_path / f"{encoding}.csv", [HEADER, good_row(1)], encoding)
        assert [t.name for t in load_targets(path)] == ["示范账号1"]


def test_formula_cells_are_neutralised_and_restored(tmp_path):
    target = Target(id="f1", name="=1+2", platform="weibo", account_id="5700000009", owner="@单位",
                    office="-宣传科", tags=["+1"])
    xlsx, csv_path = tmp_path / "f.xlsx", tmp_path / "f.csv"
    export_targets([target], xlsx)
    export_targets([target], csv_path)
    sheet = openpyxl.load_workbook(xlsx).active
    cells = {header.value: cell for header, cell in zip(sheet[1], sheet[2])}
    assert cells["名称"].value == "'=1+2" and cells["名称"].data_type == "s"
    assert cells["主办单位"].value == "'@单位" and cells["责任科室"].value == "'-宣传科"
    assert "'=1+2" in csv_path.read_text(encoding="utf-8-sig")
    for path in (xlsx, csv_path):
        (loaded,) = load_targets(path)
        assert (loaded.name, loaded.owner, loaded.office, loaded.tags) == ("=1+2", "@单位", "-宣传科", ["+1"])


def test_a_quote_that_is_not_a_neutralisation_is_kept(tmp_path):
    path = write_csv(tmp_path / "q.csv", [HEADER, ["'示范'账号", "微博", "5700000001", "示范单位", ""]])
    assert load_targets(path)[0].name == "'示范'账号"


# ---------------------------------------------------------------------------- errors

def test_one_bad_row_imports_nothing_and_names_file_row_and_header(tmp_path):
    rows = [HEADER, good_row(1), good_row(2), good_row(3), good_row(4)]
    rows[3][4] = "office3@@shifan"  # spreadsheet row 4 (header is row 1)
    path = write_csv(tmp_path / "bad-email.csv", rows)
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    message = str(err.value)
    assert "bad-email.csv" in message and "第4行" in message and "“联系邮箱”" in message
    assert "office3@@shifan" in message
    assert [(p.row, p.field) for p in err.value.problems] == [(4, "联系邮箱")]


def test_xlsx_bad_row_is_numbered_as_excel_shows_it(tmp_path):
    sheet_rows = [HEADER, good_row(1), good_row(2)]
    sheet_rows[2][1] = "脸书"
    path = write_xlsx(tmp_path / "bad.xlsx", [["示范市政务新媒体统计表"], [], *sheet_rows])
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(5, "平台")]
    assert "第5行 “平台”" in str(err.value) and "脸书" in str(err.value)


def test_every_bad_row_is_listed(tmp_path):
    rows = [HEADER] + [good_row(n) for n in range(1, 7)]
    rows[2][1] = "脸书"                    # row 3: unknown platform
    rows[5][0] = ""                       # row 6: no name
    rows[6][4] = "x@shifan.gov.cn、not-an-email"  # row 7: one bad email among two
    with pytest.raises(RegistryError) as err:
        load_targets(write_csv(tmp_path / "bad.csv", rows))
    assert [(p.row, p.field) for p in err.value.problems] == [(3, "平台"), (6, "名称"), (7, "联系邮箱")]
    message = str(err.value)
    assert "3 行存在错误" in message
    assert all(f"第{n}行" in message for n in (3, 6, 7))


@pytest.mark.parametrize("header, value, words", [
    ("是否启用", "也许", "是”或“否"),
    ("维护截止", "2026-13-01", "日期格式不正确"),
    ("订阅源", "ftp://rss.shifan.gov.cn/x.xml", "网址格式不正确"),
    ("栏目", "动态|http://x.gov.cn/|新闻联播", "栏目类型"),
    ("负责人", "张三|12ab", "无法识别"),
    ("层级", "乡镇", "单位级别"),
    ("编号", "编号 1", "编号"),
])
def test_value_validation(tmp_path, header, value, words):
    path = write_csv(tmp_path / "v.csv", [HEADER + [header, "维护状态"], good_row(1) + [value, "升级改版"]])
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, header)
    assert words in problem.message


def test_address_account_or_feed_is_required(tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER, ["示范账号", "微博", "", "示范单位", ""]])
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "网址或账号ID")]
    assert "至少填写一项" in str(err.value)


def test_website_address_must_be_a_url(tmp_path):
    path = write_csv(tmp_path / "w.csv", [HEADER, ["示范网站", "网站", "示范网站首页", "示范单位", ""]])
    with pytest.raises(RegistryError, match="网址格式不正确"):
        load_targets(path)


def test_maintenance_end_without_state(tmp_path):
    path = write_csv(tmp_path / "m.csv", [HEADER + ["维护截止"], good_row(1) + ["2026-12-31"]])
    with pytest.raises(RegistryError, match="没有填写维护状态"):
        load_targets(path)


def test_outsourced_flag_contradicting_operator(tmp_path):
    path = write_csv(tmp_path / "o.csv", [HEADER + ["运营主体", "是否外包"], good_row(1) + ["自营", "是"]])
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    assert err.value.problems[0].field == "是否外包"


def test_duplicate_ids(tmp_path):
    rows = [["编号"] + HEADER, ["a1"] + good_row(1), ["a2"] + good_row(2), ["a1"] + good_row(3)]
    with pytest.raises(RegistryError) as err:
        load_targets(write_csv(tmp_path / "dup.csv", rows))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (4, "编号") and "第2行" in problem.message


def test_duplicate_derived_ids(tmp_path):
    rows = [HEADER, good_row(1), good_row(2), good_row(1)]
    with pytest.raises(RegistryError) as err:
        load_targets(write_csv(tmp_path / "dup.csv", rows))
    assert [(p.row, p.field) for p in err.value.problems] == [(4, "名称")]


def test_missing_platform_column(tmp_path):
    path = write_csv(tmp_path / "h.csv", [["名称", "主办单位"], ["示范网站", "示范单位"]])
    with pytest.raises(RegistryError, match="缺少必填列“平台”"):
        load_targets(path)


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(RegistryError, match="另存为 .xlsx"):
        load_targets(path)


def test_yaml_errors_name_entry_line_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "targets:\n"
        "  - name: 示范网站\n"            # line 2
        "    platform: website\n"
        "    url: https://www.shifan.gov.cn/\n"
        "  - name: 示范公安\n"            # line 5
        "    platform: weibo\n"
        "    account_id: '5712345678'\n"
        "    emails: [ok@shifan.gov.cn, broken]\n"  # line 8
        "    colour: red\n",             # line 9
        encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    assert [(p.row, p.field, p.line) for p in err.value.problems] == [(2, "emails", 8), (2, "colour", 9)]
    message = str(err.value)
    assert "bad.yaml" in message and "第2个条目（第8行） “emails”" in message


def test_yaml_syntax_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("targets:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="YAML 格式错误"):
        load_targets(path)


def test_target_rows_show_status():
    active = Target(id="a", name="甲", platform="wechat", account_id="gh_1", owner="示范单位")
    closed = Target(id="b", name="乙", platform="website", url="http://b.gov.cn/",
                    maintenance=Maintenance("临时关停", date(2026, 12, 31)))
    off = Target(id="c", name="丙", platform="weibo", account_id="1", enabled=False)
    at = datetime(2026, 6, 1, 12, 0).astimezone()
    assert [row[-1] for row in target_rows([active, closed, off], at)] == ["启用", "临时关停（至2026-12-31）", "停用"]
    assert target_rows([active], at)[0][:3] == ["a", "甲", "微信"]


# ---------------------------------------------------------------------------- registry rules

def account(id: str, platform: str = "wechat", owner: str = "示范市教育局", **kw) -> Target:
    return Target(id=id, name=f"账号{id}", platform=platform, account_id=id, owner=owner, **kw)


def rules_of(targets: list[Target]) -> list[tuple[str, str]]:
    return [(target_id, hit.rule) for target_id, hit in check_registry(targets)]


def test_duplicate_account_flags_every_account_of_the_owner():
    hits = check_registry([account("a"), account("b"), account("c", platform="weibo")])
    assert [(t, h.rule, h.severity, h.category) for t, h in hits] == [
        ("a", "registry.duplicate_account", "low", "管理底数不清"),
        ("b", "registry.duplicate_account", "low", "管理底数不清"),
    ]
    assert "一个单位同一平台多个账号" in hits[0][1].detail and "账号a" in hits[0][1].detail


def test_duplicate_account_negatives():
    assert rules_of([account("a"), account("b", owner="示范市公安局")]) == []
    assert rules_of([account("a"), account("b", enabled=False)]) == []
    assert rules_of([account("a", platform="website"), account("b", platform="website")]) == []
    assert rules_of([account("a", owner=""), account("b", owner="")]) == []


def test_outsourced_unqualified():
    hits = check_registry([
        account("unknown", operator_type="outsourced", operator_name="某传媒公司"),
        account("no", platform="douyin", operator_type="outsourced", operator_qualified=False),
        account("yes", platform="weibo", operator_type="outsourced", operator_qualified=True),
        account("self", platform="toutiao", operator_qualified=False),
        account("off", platform="kuaishou", operator_type="outsourced", enabled=False),
    ])
    assert [(t, h.rule, h.severity, h.category) for t, h in hits] == [
        ("unknown", "registry.outsourced_unqualified", "high", "违规外包"),
        ("no", "registry.outsourced_unqualified", "high", "违规外包"),
    ]
    assert "某传媒公司" in hits[0][1].detail and "未登记" in hits[0][1].detail
    assert "不具备" in hits[1][1].detail


def test_example_registry_findings():
    found = rules_of(load_targets(EXAMPLES / "targets.xlsx"))
    assert found == [("sfs-jyj-wechat", "registry.duplicate_account"),
                     ("sfs-jyj-zk-wechat", "registry.duplicate_account"),
                     ("sfs-wlj-douyin", "registry.outsourced_unqualified")]


def test_every_accepted_header_is_documented():
    from govwatch.registry import HEADERS
    doc = (EXAMPLES.parent / "docs" / "registry.md").read_text(encoding="utf-8")
    assert [h for headers in HEADERS.values() for h in headers if h not in doc] == []


def test_yaml_maintenance_mapping_is_validated(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("- {name: 示范网站, platform: website, url: 'https://www.shifan.gov.cn/',\n"
                    "   maintenance: {kind: 临时关停, until: 2026-02-30}}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_targets(path)
    assert [(p.row, p.field, p.line) for p in err.value.problems] == [(1, "maintenance", 2)]
    assert "2026-02-30" in err.value.problems[0].message
