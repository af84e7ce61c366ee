"""The rule catalogue: every rule id any family produces is declared in it, each declaration names a
judging function and a test file that exist, texts render from the live thresholds, and a threshold
changed in govwatch.toml changes the alert and export wording."""
import importlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from govwatch import rules as catalogue
from govwatch.models import UTC, Check, Column, Finding, Hit, SiteReport, Target
from govwatch.settings import SPECS, load_settings
from govwatch.store import ColumnState

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _produced_by_every_family() -> set[str]:
    """Run each rule family on cases made to trigger it; the rule ids they produce."""
    from crawler.accounts import AccountResult, _gone_hit
    from scanner.availability import judge_availability
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon
    from scanner.registry_rules import check_registry
    from scanner.site import check_site
    from scanner.timeline import judge_new_items, judge_reprints, judge_target

    produced: set[str] = set()
    lexicon = load_lexicon()
    # content: one term of every built-in lexicon category, then the rules that are code
    for entry in {e.category.id: e for e in lexicon.entries if e.kind not in ("leaders", "fallen")}.values():
        term = entry.term if hasattr(entry, "term") else entry.text
        produced |= {h.rule for h in scan_document(lexicon, title="通知", text=f"本站消息：{term}。")}
    text = ("联系人身份证号 110101199003074514，银行卡 6222021234567890128，手机 13912345678。"
            "加微信 abc12345 领取福利。机密★1年。丁薜祥副总理指出。详见地图。"
            "好消息🎉🎉🎉🎉🎉 转载自某自媒体公众号。")
    produced |= {h.rule for h in scan_document(lexicon, title="震惊！！万万没想到……🎉🎉", text=text,
                                               source="某某自媒体", is_reprint=True,
                                               links=[{"url": "http://www.taobao.com/x", "text": "淘宝"}])}
    # site pages
    target = Target(id="s", name="示范", url="http://www.demo.com.cn/")
    report = SiteReport(
        target_id="s", homepage_url="http://www.demo.com.cn/", fetched_at=NOW, homepage_ok=True, homepage_ms=9000,
        footer_text="", homepage_text="示范 在线百家乐 注册送彩金",
        links=[{"url": "http://bad.example/x", "hidden": True, "how": "display:none"}],
        link_status={"http://www.demo.com.cn/gone": {"status": 404, "homepage": True, "text": "失效"}},
        outbound_pages={"http://friend.example/": "在线百家乐 注册送彩金"},
        meta_missing=["http://www.demo.com.cn/a.html"],
        interaction=[{"title": "路灯", "url": "http://www.demo.com.cn/m/1", "answered": False,
                      "asked_at": NOW - timedelta(days=120)}])
    scan = lambda t: scan_document(lexicon, text=t)  # noqa: E731
    produced |= {h.rule for h in check_site(report, target, scan=scan)}
    calm = SiteReport(target_id="s", homepage_url=target.url, fetched_at=NOW, homepage_ok=True, homepage_text="政务")
    produced |= {h.rule for h in check_site(calm, target, homepage_change=0.95, change_history=[0.1, 0.12, 0.09])}
    # availability
    checks = [Check(target_id="s", url=target.url, at=NOW - timedelta(hours=i), ok=False,
                    tls_expires_at=NOW + timedelta(days=3)) for i in range(30, 0, -1)]
    produced |= {h.rule for h in judge_availability(target.url, checks, NOW)[0]}
    # timeliness: a stale website with stale, empty and undated columns; stale, empty and zombie accounts
    site = Target(id="w", name="站", url="http://www.w.gov.cn/", last_crawl_ok_at=NOW,
                  columns=[Column(name="通知公告", kind="notice"), Column(name="空栏目", kind="news"),
                           Column(name="无日期", kind="news")])
    states = [ColumnState("w", "首页", NOW - timedelta(days=40), 3), ColumnState("w", "通知公告", NOW - timedelta(days=400), 2),
              ColumnState("w", "无日期", None, 4)]
    produced |= {h.rule for h in judge_target(site, states, NOW).hits}
    for days, tid in ((10, "a1"), (20, "a2"), (400, "a3"), (None, "a4")):
        acc = Target(id=tid, name="号", platform="wechat", last_crawl_ok_at=NOW)
        st = [ColumnState(tid, "", NOW - timedelta(days=days), 1)] if days else []
        produced |= {h.rule for h in judge_target(acc, st, NOW).hits}
    from govwatch.models import Item
    acc = Target(id="a1", name="号", platform="wechat", last_crawl_ok_at=NOW)
    future = Item(target_id="a1", url="https://x/1", title="未来", published_at=NOW + timedelta(days=2), first_seen_at=NOW)
    old = Item(target_id="a1", url="https://x/2", title="补发", published_at=NOW - timedelta(days=20), first_seen_at=NOW)
    produced |= {h.rule for _, h in judge_new_items(acc, [future, old], NOW, crawled_since=NOW - timedelta(days=30))}
    up = Item(target_id="up", url="http://up/1", title="市政府召开常务会议研究部署重点工作", published_at=NOW - timedelta(hours=40))
    late = Item(target_id="a1", url="https://x/3", title="市政府召开常务会议研究部署重点工作", published_at=NOW - timedelta(hours=2))
    sub = Target(id="a1", name="号", platform="wechat", rules={"reprint_from": ["up"]})
    produced |= {h.rule for h in judge_reprints(sub, [up], [late], NOW)}
    # registry
    twins = [Target(id=f"t{i}", name=f"号{i}", platform="wechat", owner="某局") for i in range(2)]
    twins.append(Target(id="o", name="外包号", platform="weibo", owner="某办", operator_type="outsourced"))
    produced |= {h.rule for _, h in check_registry(twins)}
    # account collectors
    gone = SimpleNamespace(target=Target(id="g", name="号", platform="weibo"), gone_reason="该账号已注销", gone_url="")
    produced.add(_gone_hit(gone).rule)
    assert AccountResult  # the collector result type the hit is built from
    return produced


def test_every_rule_id_any_family_produces_is_in_the_catalogue():
    produced = _produced_by_every_family()
    missing = sorted(r for r in produced if r not in catalogue.RULES)
    assert not missing, f"rule ids produced but not declared in govwatch/rules.py: {missing}"
    families = {r.split(".", 1)[0] for r in produced}
    assert {"banned", "expression", "privacy", "ads", "secret", "title", "tone", "source", "link", "site", "account",
            "timeline", "registry", "offtopic"} <= families, families
    # the cases reach far: most declared rules are produced here (the rest by their own test files)
    assert len(produced) >= 0.8 * len([r for r in catalogue.RULES_LIST if r.audience == "office"]), \
        sorted(set(catalogue.RULES) - produced)


def test_every_declaration_points_at_a_function_and_a_test_that_exist():
    for r in [*catalogue.RULES_LIST, *catalogue.FAMILIES.values()]:
        module, _, func = r.judge.partition(":")
        assert hasattr(importlib.import_module(module), func), r.judge
        assert (ROOT / r.test).is_file(), r.test
    for r in catalogue.RULES_LIST:
        assert r.label and r.basis and r.measure, r.id
        assert r.severity in ("veto", "high", "medium", "low", "info"), r.id
        assert r.case_type in catalogue.CASE_TYPES, r.id
        for key in r.thresholds:
            assert key in SPECS, (r.id, key)
        catalogue.basis_text(r.id), catalogue.measure_text(r.id)  # every placeholder is a declared threshold
        for name in (r.lexicon.split(", ") if r.lexicon else ()):
            assert (ROOT / "lexicons" / name).is_file(), (r.id, name)


def test_every_threshold_setting_belongs_to_a_rule():
    """A threshold nobody's rule names is either dead or undocumented where it matters."""
    used = {k for r in catalogue.RULES_LIST for k in r.thresholds}
    overrides = {"thresholds.by_platform", "thresholds.by_content_type"}
    assert sorted(k for k in SPECS if k.startswith("thresholds.") and k not in used | overrides) == []


def test_lexicon_headers_agree_with_the_catalogue():
    from scanner.lexicon import load_lexicon

    lexicon = load_lexicon()
    for entry in lexicon.entries:
        cat = entry.category
        if cat.id in catalogue.AUXILIARY_CATEGORIES:
            continue
        assert cat.id in catalogue.RULES, f"lexicon category {cat.id} is not declared in govwatch/rules.py"
        if entry.kind in ("leaders", "fallen"):
            continue
        assert (cat.label, cat.severity) == (catalogue.label(cat.id), catalogue.severity(cat.id)), cat.id


def test_unknown_lexicon_category_takes_its_family():
    r = catalogue.rule("banned.local_rumor")
    assert r.basis == catalogue.FAMILIES["banned"].basis and r.measure == catalogue.FAMILIES["banned"].measure


def test_rules_command_json_and_table(capsys, tmp_path, monkeypatch):
    from govwatch.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "govwatch.toml").write_text("[thresholds.column_stale_days]\nnotice = 90\n", encoding="utf-8")
    assert main(["rules", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(catalogue.RULES)
    col = rows["site.column_stale"]
    assert col["label"] == "栏目不更新" and col["severity"] == "medium" and "通知公告类 90 天" in col["basis"]
    assert col["thresholds"]["thresholds.column_stale_days.notice"] == 90 and col["measure"]
    assert col["judge"] == "scanner.timeline:judge_target" and col["test"] == "tests/test_timeline.py"
    assert main(["rules"]) == 0
    assert "site.dark_link" in capsys.readouterr().out


def test_committed_rule_reference_is_current():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue.render_markdown(), \
        "run: python -m govwatch.rules > docs/rules.md"


def test_alert_wording_follows_the_settings(tmp_path):
    """The 通知公告 limit in an alert is the configured one (it once said 3 个月 with a 180-day setting)."""
    from govwatch.alerts.compose import availability_message, finding_message

    target = Target(id="w", name="示范网站", url="http://www.w.gov.cn/", emails=["o@w.gov.cn"])
    f = Finding(id="f1", target_id="w", rule="site.column_stale", category="栏目不更新", severity="medium",
                url="http://www.w.gov.cn/tzgg/", match="通知公告")
    default = finding_message(target, [f], thresholds=load_settings(env={}).thresholds).text
    assert "通知公告类 180 天" in default and "3 个月" not in default
    cfg = tmp_path / "govwatch.toml"
    cfg.write_text("[thresholds]\nunreachable_share = 0.1\n[thresholds.column_stale_days]\nnotice = 90\n",
                   encoding="utf-8")
    settings = load_settings(cfg, env={})
    assert "通知公告类 90 天" in finding_message(target, [f], thresholds=settings.thresholds).text
    down = availability_message(target, "down", NOW, NOW, thresholds=settings.thresholds).text
    assert "不可访问比例 ≥10%" in down
    # per-target rules resolve too
    ruled = Target(id="w", name="示范网站", url="http://www.w.gov.cn/", rules={"column_stale_days": {"notice": 60}})
    assert "通知公告类 60 天" in finding_message(ruled, [f], thresholds=settings.thresholds).text


@pytest.mark.parametrize("slow_ms, expected", [(3000, "3 秒"), (5000, "5 秒")])
def test_export_wording_follows_the_settings(tmp_path, slow_ms, expected):
    from govwatch.lifecycle import record_hits
    from govwatch.evidence import export_month
    from govwatch.store.sqlite import SqliteStore

    cfg = tmp_path / "govwatch.toml"
    cfg.write_text(f"var_dir = '{tmp_path / 'var'}'\n[thresholds]\nslow_ms = {slow_ms}\n", encoding="utf-8")
    settings = load_settings(cfg, env={})
    store = SqliteStore(tmp_path / "g.db", snapshot_dir=tmp_path / "snaps")
    store.upsert_targets([Target(id="w", name="示范网站", owner="示范办", url="http://www.w.gov.cn/")])
    at = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)
    record_hits(store, [(None, "w", Hit("site.slow", "首页访问慢", "low", match="9000ms", detail="慢"))], at=at)
    zipped = export_month(store, settings, "2026-10", tmp_path / "out")
    store.close()
    ws = load_workbook(zipped.parent / "govwatch-2026-10" / "问题清单.xlsx")["问题清单"]
    measures = [row[4] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
    assert measures == [f"优化网站性能，首页打开时间控制在 {expected}以内"]


def test_console_shows_basis_and_measure_with_the_settings_in_force(tmp_path, monkeypatch):
    """The finding page's 依据 and 整改措施 come from the catalogue with the thresholds in force."""
    from argon2 import PasswordHasher
    from starlette.testclient import TestClient

    from govwatch.console.app import create_app
    from govwatch.console.users import add_user
    from govwatch.store.sqlite import SqliteStore

    monkeypatch.setattr("govwatch.console.users._HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    store = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    store.upsert_targets([Target(id="w", name="示范网站", owner="示范办", url="http://www.w.gov.cn/")])
    hit = Hit("site.slow", "首页访问慢", "low", match="9000ms", detail="慢", url="http://www.w.gov.cn/")
    from govwatch.lifecycle import record_hits
    fid = record_hits(store, [(None, "w", hit)], at=NOW).new_findings[0].id
    add_user(store, "admin", "admin", "a-long-enough-passphrase")
    cfg = tmp_path / "govwatch.toml"
    cfg.write_text(f"var_dir = '{tmp_path / 'var'}'\n[thresholds]\nslow_ms = 5000\n[console]\nhosts = ['testserver']\n",
                   encoding="utf-8")
    client = TestClient(create_app(load_settings(cfg, env={}), store), follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"name": "admin", "password": "a-long-enough-passphrase",
                                       "csrf": token}).status_code == 303
    d = client.get(f"/api/findings/{fid}").json()
    store.close()
    assert "首页打开时间超过 5 秒" in d["basis"] and d["measure"] == "优化网站性能，首页打开时间控制在 5 秒以内"


def test_hit_init_takes_its_fields_in_order_with_their_defaults():
    """Hit writes its own __init__ (speed): it must match the declared fields exactly."""
    import dataclasses
    import inspect

    from govwatch.models import Hit

    params = list(inspect.signature(Hit.__init__).parameters.values())[1:]
    declared = dataclasses.fields(Hit)
    assert [p.name for p in params] == [f.name for f in declared]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
                                           for f in declared]
    hit = Hit("a.b", "标签", "high", match="x", start=1, end=2)
    assert dataclasses.replace(hit, severity="info") == Hit("a.b", "标签", "info", match="x", start=1, end=2)
    assert hash(hit) == hash(Hit("a.b", "标签", "high", match="x", start=1, end=2))
    with __import__("pytest").raises(dataclasses.FrozenInstanceError):
        hit.severity = "low"
