"""The finding lifecycle: triage, severity overrides, ignore rules, deadlines, overdue (govwatch.findings)
and the ``govwatch findings`` command."""
import json
from datetime import datetime, timedelta

import pytest

from crawler.ingest import record_hits
from govwatch.findings import (
    FindingError, IgnoreRule, add_ignore_rule, count_overdue, deadline_days, is_overdue, list_findings,
    list_ignore_rules, make_ignore_predicate, overdue, override_severity, parse_status, set_status,
    status_at,
)
from govwatch.models import UTC, Hit, Item, Target
from govwatch.settings import load_settings

T0 = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)


def seed(store, at=T0, deadlines=None):
    store.upsert_targets([
        Target(id="site-a", name="示范市人民政府", url="http://a.gov.cn/", owner="示范市政府办"),
        Target(id="site-b", name="示范市教育局", url="http://jy.a.gov.cn/", owner="示范市教育局"),
    ])
    a1 = Item(target_id="site-a", url="http://a.gov.cn/art/1.html", title="关于北朝鲜的报道", text="北朝鲜……")
    a2 = Item(target_id="site-a", url="http://a.gov.cn/zt/2.html", title="专题", text="联系电话 13812345678")
    b1 = Item(target_id="site-b", url="http://jy.a.gov.cn/art/3.html", title="通知", text="机密★")
    store.upsert_items([a1, a2, b1], at=at)
    hits = [
        (a1, "site-a", Hit("expression.term", "不规范表述", "high", match="北朝鲜", suggestion="朝鲜")),
        (a2, "site-a", Hit("privacy.mobile", "个人信息", "medium", match="13812345678")),
        (b1, "site-b", Hit("secret.marker", "涉密标识", "veto", match="机密★")),
    ]
    record_hits(store, hits, at=at, deadline_days=deadlines)
    return {f.rule: f for f in store.list_findings()}


def test_status_names_in_chinese_and_english():
    assert parse_status("已确认") == "confirmed"
    assert parse_status("整改中") == "rectifying"
    assert parse_status("已整改") == "rectified"
    assert parse_status("已销号") == "closed" and parse_status("销号") == "closed"
    assert parse_status("误报") == "false_positive"
    assert parse_status("FALSE_POSITIVE") == "false_positive"
    with pytest.raises(FindingError, match="无法识别"):
        parse_status("处理好了吧")


def test_set_status_keeps_every_change_in_history(store):
    f = seed(store)["expression.term"]
    set_status(store, f.id, "已确认", by="张三", note="核实属实", at=T0 + timedelta(hours=1))
    set_status(store, f.id, "整改中", by="李四", at=T0 + timedelta(hours=2))
    got = set_status(store, f.id, "rectified", by="李四", note="已改为朝鲜", at=T0 + timedelta(hours=3))
    assert got.status == "rectified"
    steps = [(e["by"], e["from"], e["to"], e["note"]) for e in store.get_finding(f.id).history]
    assert steps == [
        ("system", "", "open", "发现问题"),
        ("张三", "open", "confirmed", "核实属实"),
        ("李四", "confirmed", "rectifying", ""),
        ("李四", "rectifying", "rectified", "已改为朝鲜"),
    ]
    # the lifecycle refuses jumps it does not allow, and says what is allowed
    with pytest.raises(FindingError, match="不能从“已整改”改为“误报”"):
        set_status(store, f.id, "误报", by="张三")
    with pytest.raises(FindingError, match="已经是"):
        set_status(store, f.id, "已整改", by="张三")
    with pytest.raises(FindingError, match="问题不存在"):
        set_status(store, "nope", "已确认", by="张三")
    g = store.get_finding(f.id)
    assert status_at(g, T0 + timedelta(minutes=90)) == "confirmed"
    assert status_at(g, T0 + timedelta(days=1)) == "rectified"


def test_severity_override_records_who_and_why_and_moves_the_deadline(store):
    settings = load_settings()
    f = seed(store, deadlines=deadline_days(settings))["privacy.mobile"]
    assert f.deadline == T0 + timedelta(days=5)
    got = override_severity(store, f.id, "单项否决", by="王五", why="公示名单批量泄露身份信息",
                            at=T0 + timedelta(hours=1), settings=settings)
    assert got.effective_severity == "veto" and got.severity == "medium"
    assert got.deadline == T0 + timedelta(days=1)
    last = got.history[-1]
    assert last["by"] == "王五" and last["from"] == last["to"] == "open"
    assert "一般" in last["note"] and "单项否决" in last["note"] and "公示名单批量泄露身份信息" in last["note"]
    # filters use the effective severity
    assert [x.id for x in list_findings(store, severity="单项否决", target="site-a")] == [f.id]
    with pytest.raises(FindingError, match="理由"):
        override_severity(store, f.id, "low", by="王五", why="")
    # back to what the scanner said: the override is cleared
    back = override_severity(store, f.id, "medium", by="王五", why="复核后恢复", settings=settings)
    assert back.severity_override == "" and back.effective_severity == "medium"


def test_history_status_and_override_survive_a_rescan(store):
    f = seed(store)["expression.term"]
    set_status(store, f.id, "confirmed", by="张三", note="属实", at=T0 + timedelta(hours=1))
    override_severity(store, f.id, "veto", by="张三", why="涉外表述", at=T0 + timedelta(hours=2))
    before = store.get_finding(f.id)
    # the next crawl finds the same problem again
    item = store.get_item(f.item_id)
    later = T0 + timedelta(days=1)
    record_hits(store, [(item, "site-a", Hit("expression.term", "不规范表述", "high", match="北朝鲜",
                                              suggestion="朝鲜"))], at=later)
    after = store.get_finding(f.id)
    assert after.history == before.history and len(after.history) == 3
    assert after.status == "confirmed"
    assert after.severity_override == "veto" and after.effective_severity == "veto"
    assert after.first_seen_at == T0 and after.last_seen_at == later
    assert after.deadline == before.deadline


def test_list_filters(store):
    found = seed(store)
    set_status(store, found["secret.marker"].id, "confirmed", by="张三")
    assert {f.rule for f in list_findings(store, status="待处理")} == {"expression.term", "privacy.mobile"}
    assert {f.rule for f in list_findings(store, status=["已确认", "open"])} == set(found)
    assert {f.rule for f in list_findings(store, owner="示范市教育局")} == {"secret.marker"}
    assert list_findings(store, owner="不存在的单位") == []
    assert {f.rule for f in list_findings(store, target="site-a", severity=["high"])} == {"expression.term"}
    assert list_findings(store, since=T0 + timedelta(days=1)) == []
    assert len(list_findings(store, since=T0 - timedelta(days=1))) == 3
    with pytest.raises(FindingError):
        list_findings(store, severity="很严重")


def test_deadlines_come_from_settings_and_overdue_lists_open_late_findings(store, monkeypatch):
    monkeypatch.setenv("GOVWATCH_DEADLINES_DAYS__VETO", "2")
    settings = load_settings()
    assert deadline_days(settings)["veto"] == 2 and deadline_days(settings)["high"] == 3
    found = seed(store, deadlines=deadline_days(settings))
    assert found["secret.marker"].deadline == T0 + timedelta(days=2)
    assert found["expression.term"].deadline == T0 + timedelta(days=3)
    assert overdue(store, T0 + timedelta(days=1)) == []
    late = overdue(store, T0 + timedelta(days=4))
    assert [f.rule for f in late] == ["secret.marker", "expression.term"]  # most serious first
    # rectified findings are never overdue
    set_status(store, found["secret.marker"].id, "已整改", by="张三")
    assert [f.rule for f in overdue(store, T0 + timedelta(days=4))] == ["expression.term"]
    assert is_overdue(store.get_finding(found["privacy.mobile"].id), T0 + timedelta(days=6))
    assert [f.rule for f in overdue(store, T0 + timedelta(days=6), target_ids=["site-b"])] == []


def test_overdue_is_what_is_overdue_says_of_each_open_finding_and_a_limit_keeps_the_order(store):
    """The store answers the overdue question from its index; the answer is the one ``is_overdue``
    gives finding by finding, in the same order, and the duty page's first N are the list's first N."""
    from govwatch.models import Finding

    store.upsert_targets([Target(id="site-a", name="示范市人民政府", url="http://a.gov.cn/")])
    severities = ["veto", "high", "medium", "low", "info", "custom"]
    findings = [Finding(target_id="site-a", rule="expression.term", severity=severities[n % 6], match=f"词{n}",
                        url=f"http://a.gov.cn/{n}", deadline=T0 + timedelta(hours=(n * 7) % 30))
                for n in range(40)]
    store.upsert_findings(findings, at=T0)
    for n, status in ((1, "rectified"), (2, "closed"), (3, "false_positive"), (4, "confirmed"), (5, "rectifying")):
        set_status(store, findings[n].id, status, by="张三")
    override_severity(store, findings[8].id, "veto", by="张三", why="升级")
    store.update_finding(findings[8].id, deadline=T0 + timedelta(hours=2))
    for hours in (0, 2, 15, 31):
        at = T0 + timedelta(hours=hours)
        expected = sorted((f for f in store.list_findings() if is_overdue(f, at)),
                          key=lambda f: (["veto", "high", "medium", "low", "info"].index(f.effective_severity)
                                         if f.effective_severity != "custom" else 9, f.deadline, f.id))
        assert [f.id for f in overdue(store, at)] == [f.id for f in expected]
        assert count_overdue(store, at) == len(expected)
        for limit in (0, 1, 5, 13, len(expected), len(expected) + 3):
            assert [f.id for f in overdue(store, at, limit=limit)] == [f.id for f in expected[:limit]]
    assert findings[8].id in [f.id for f in overdue(store, T0 + timedelta(hours=3), limit=3)]  # now a veto, 2 h
    assert overdue(store, T0 + timedelta(hours=31), target_ids=[]) == []


def test_ignore_predicate_matching():
    item = Item(target_id="site-a", url="http://a.gov.cn/zt/2024/1.html")
    other = Item(target_id="site-b", url="http://a.gov.cn/zt/2024/1.html")
    mobile = Hit("privacy.mobile", "个人信息", "medium", match="13812345678")
    term = Hit("expression.term", "不规范表述", "high", match="北 朝鲜")
    pred = make_ignore_predicate([
        {"url_pattern": "http://a.gov.cn/zt/*", "target_id": "site-a", "rule": "privacy."},
        {"term": "北朝鲜", "rule": "expression.term"},
    ])
    assert pred(item, mobile)
    assert not pred(other, mobile)  # another target
    assert not pred(Item(target_id="site-a", url="http://a.gov.cn/art/1.html"), mobile)  # another URL
    assert pred(other, term)  # the term rule is not limited to a target; spacing is normalised
    assert not pred(item, Hit("expression.term", "不规范表述", "high", match="朝鲜"))
    assert not pred(item, Hit("privacyx.mobile", "?", "low", match="1"))
    # a prefix without wildcards, and page-level hits without an item
    prefix = make_ignore_predicate([IgnoreRule(url_pattern="http://a.gov.cn/old/")])
    dead = Hit("site.dead_link", "链接不可用", "low", match="http://x", url="http://a.gov.cn/old/list.html")
    assert prefix(None, dead, target_id="site-a")
    assert not prefix(None, Hit("site.dead_link", "链接不可用", "low", url="http://a.gov.cn/new/"))
    assert not make_ignore_predicate([])  # falsy: the Ingestor skips filtering


def test_add_ignore_rule_needs_who_and_why_and_marks_matching_findings(store):
    found = seed(store)
    with pytest.raises(FindingError, match="操作人"):
        add_ignore_rule(store, term="北朝鲜", by="", why="x")
    with pytest.raises(FindingError, match="网址模式"):
        add_ignore_rule(store, by="张三", why="x")
    with pytest.raises(FindingError, match="监测对象不存在"):
        add_ignore_rule(store, target_id="nope", term="x", by="张三", why="x")
    rule, marked = add_ignore_rule(store, target_id="site-a", url_pattern="http://a.gov.cn/zt/*",
                                   by="张三", why="专题页为公开的办事电话", at=T0 + timedelta(hours=1))
    assert marked == [found["privacy.mobile"].id]
    f = store.get_finding(found["privacy.mobile"].id)
    assert f.status == "false_positive"
    assert f.history[-1]["by"] == "张三" and "专题页为公开的办事电话" in f.history[-1]["note"]
    saved = list_ignore_rules(store)
    assert [(r.id, r.by, r.why, r.url_pattern) for r in saved] == [
        (rule.id, "张三", "专题页为公开的办事电话", "http://a.gov.cn/zt/*")]
    _, marked = add_ignore_rule(store, term="机密★", by="张三", why="测试", apply_to_existing=False)
    assert marked == [] and store.get_finding(found["secret.marker"].id).status == "open"


# --------------------------------------------------------------------------- the command

def cli(capsys, *args):
    from govwatch.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_store():
    from govwatch.store import open_store

    store = open_store(settings=load_settings())
    found = seed(store, at=datetime.now(UTC) - timedelta(days=10))
    yield store, found
    store.close()


def test_cli_list_set_show_severity_overdue(capsys, cli_store):
    store, found = cli_store
    code, out, _ = cli(capsys, "findings", "list")
    assert code == 0 and "共 3 个问题" in out and "示范市人民政府" in out
    code, out, _ = cli(capsys, "findings", "list", "--status", "待处理", "--owner", "示范市政府办", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["rule"] for r in rows} == {"expression.term", "privacy.mobile"}
    assert all(r["status_label"] == "待处理" and r["overdue"] for r in rows)

    fid = found["expression.term"].id
    code, out, _ = cli(capsys, "findings", "set", fid, "已确认", "--by", "张三", "--note", "属实")
    assert code == 0 and "待处理 → 已确认" in out
    code, out, _ = cli(capsys, "findings", "set", fid, "整改中")  # --by defaults to the login name
    assert code == 0
    assert store.get_finding(fid).history[-1]["by"]
    code, _, err = cli(capsys, "findings", "set", fid, "误报", "--by", "张三")
    assert code == 2 and "不能从“整改中”改为“误报”" in err

    code, out, _ = cli(capsys, "findings", "severity", fid, "单项否决", "--by", "王五", "--why", "涉外表述错误")
    assert code == 0 and "单项否决" in out
    assert store.get_finding(fid).effective_severity == "veto"
    code, out, _ = cli(capsys, "findings", "show", fid)
    assert code == 0 and "张三" in out and "王五" in out and "涉外表述错误" in out and "已确认 → 整改中" in out

    code, out, _ = cli(capsys, "findings", "overdue", "--format", "json")
    late = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["id"] for r in late} == {f.id for f in found.values()}
    assert late[0]["effective_severity"] == "veto"
    code, out, _ = cli(capsys, "findings", "list", "--severity", "超级严重")
    assert code == 2


def test_cli_overdue_follows_a_changed_deadline_table(capsys, cli_store, monkeypatch):
    store, found = cli_store  # first seen 10 days ago: every one is late under the default table
    code, out, _ = cli(capsys, "findings", "overdue", "--format", "json")
    assert code == 0 and len(out.splitlines()) == 3
    monkeypatch.setenv("GOVWATCH_DEADLINES_DAYS__MEDIUM", "30")
    code, out, err = cli(capsys, "findings", "overdue", "--format", "json")
    assert code == 0 and "1 个未完成问题的整改时限已按新期限重新计算" in err
    assert {json.loads(line)["rule"] for line in out.splitlines()} == {"secret.marker", "expression.term"}
    mobile = store.get_finding(found["privacy.mobile"].id)
    assert mobile.deadline == mobile.first_seen_at + timedelta(days=30)
    code, out, err = cli(capsys, "findings", "show", mobile.id)
    assert code == 0 and "已超期" not in out and err == ""


def test_cli_ignore_rules(capsys, cli_store):
    store, found = cli_store
    code, _, err = cli(capsys, "findings", "ignore", "--term", "北朝鲜", "--by", "张三")
    assert code == 2 and "--why" in err  # argparse: why is required
    code, _, _ = cli(capsys, "findings", "ignore", "--term", "x", "--url-pattern", "y", "--by", "a", "--why", "b")
    assert code == 2  # one of the two, not both
    code, out, _ = cli(capsys, "findings", "ignore", "--term", "北朝鲜", "--target", "site-a",
                       "--rule", "expression.term", "--by", "张三", "--why", "引用历史文献原文")
    assert code == 0 and "已将 1 个" in out
    assert store.get_finding(found["expression.term"].id).status == "false_positive"
    code, out, _ = cli(capsys, "findings", "ignores", "--format", "json")
    rules = [json.loads(line) for line in out.splitlines()]
    assert [(r["term"], r["target_id"], r["by"], r["why"]) for r in rules] == [
        ("北朝鲜", "site-a", "张三", "引用历史文献原文")]
    code, out, _ = cli(capsys, "findings", "unignore", rules[0]["id"])
    assert code == 0 and store.list_ignore_rules() == []
    code, _, err = cli(capsys, "findings", "unignore", rules[0]["id"])
    assert code == 2 and "不存在" in err


def test_owner_filter_includes_the_units_below(store):
    """`findings list --owner 县政府办` shows the county's departments too, as the console and the
    monthly export count them."""
    from govwatch.findings import list_findings
    from govwatch.models import Finding, Target

    store.upsert_targets([
        Target(id="county", name="示范县政府网站", platform="website", url="http://www.sfx.gov.cn/", owner="示范县政府办"),
        Target(id="edu", name="示范县教育局网站", platform="website", url="http://jyj.sfx.gov.cn/", owner="示范县教育局",
               parent="示范县政府办"),
        Target(id="other", name="邻县网站", platform="website", url="http://www.lx.gov.cn/", owner="邻县政府办"),
    ])
    store.upsert_findings([Finding(target_id=t, rule="site.footer_missing", match=t) for t in ("county", "edu", "other")])
    assert {f.target_id for f in list_findings(store, owner="示范县政府办")} == {"county", "edu"}
    assert {f.target_id for f in list_findings(store, owner="示范县教育局")} == {"edu"}
