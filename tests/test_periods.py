"""Sensitive periods (敏感时期): declaring them on the command line, and the settings in force
inside and outside the range, at Beijing day boundaries."""
from datetime import date, datetime, timedelta

import pytest

from govwatch.cli import main
from govwatch.models import TZ, UTC
from govwatch.periods import (
    Period, PeriodError, active_periods, effective_settings, make_period, settings_at, urgent_severities,
)
from govwatch.settings import load_settings
from govwatch.store import open_store


def _period(name="全国两会", start="2027-03-03", end="2027-03-12", **kw):
    return make_period(name, start, end, **kw)


# ----------------------------------------------------------------------------- the command line

def test_add_list_remove(tmp_path, capsys):
    lex = tmp_path / "两会词库"
    lex.mkdir()
    assert main(["periods", "add", "全国两会", "--from", "2027-03-03", "--to", "2027-03-12", "--probe-minutes", "5",
                 "--set", "thresholds.homepage_stale_days=3", "--set", "thresholds.column_warn_ratio=0.5",
                 "--lexicon-dir", str(lex), "--by", "王五"]) == 0
    out = capsys.readouterr().out
    assert "已声明敏感时期“全国两会”：2027-03-03至2027-03-12" in out
    assert "每 5 分钟" in out and "thresholds.homepage_stale_days = 3" in out and "单项否决问题立即提醒" in out
    stored = open_store().get_period("全国两会")
    assert stored["overrides"] == {"thresholds.homepage_stale_days": 3, "thresholds.column_warn_ratio": 0.5}
    assert stored["lexicon_dirs"] == [str(lex.resolve())] and stored["created_by"] == "王五"
    assert stored["probe_minutes"] == 5 and stored["created_at"]

    assert main(["periods", "add", "防汛", "--from", "2020-07-01", "--to", "2020-07-02"]) == 0
    capsys.readouterr()
    assert main(["periods", "list"]) == 0
    out = capsys.readouterr().out
    assert "全国两会" in out and "未开始" in out and "homepage_stale_days=3" in out and "防汛" in out
    assert "已结束" in out and "共 2 个敏感时期" in out
    assert out.index("防汛") < out.index("全国两会")

    assert main(["periods", "remove", "防汛"]) == 0
    assert "已删除敏感时期“防汛”" in capsys.readouterr().out
    assert main(["periods", "remove", "防汛"]) == 2
    assert "没有名为“防汛”的敏感时期" in capsys.readouterr().err
    assert [p["name"] for p in open_store().list_periods()] == ["全国两会"]


def test_list_json_and_active_today(capsys):
    today = datetime.now(TZ).date()
    assert main(["periods", "add", "抗震救灾", "--from", today.isoformat(), "--to", today.isoformat()]) == 0
    capsys.readouterr()
    assert main(["periods", "list"]) == 0
    assert "生效中" in capsys.readouterr().out
    assert main(["periods", "list", "--format", "json"]) == 0
    assert '"name": "抗震救灾"' in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["--from", "2027-3-3", "--to", "2027-03-12"], ["开始日期", "--from", "YYYY-MM-DD"]),
    (["--from", "2027-02-30", "--to", "2027-03-12"], ["开始日期", "不是有效的日期"]),
    (["--from", "2027-03-03", "--to", "明天"], ["结束日期", "--to"]),
    (["--from", "2027-03-12", "--to", "2027-03-03"], ["结束日期 --to 2027-03-03 早于开始日期 --from 2027-03-12"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "thresholds.no_such_key=3"],
     ["--set", "设置项未知", "thresholds.no_such_key"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "crawl.timeout=3"], ["--set", "设置项未知", "crawl.timeout"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "thresholds.homepage_stale_days=三天"],
     ["--set thresholds.homepage_stale_days 的值应为数字"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "thresholds.homepage_stale_days"], ["--set", "thresholds.设置项=数值"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "thresholds.dark_link_blocklist=3"], ["不是数值阈值"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--set", "thresholds.slow_ms=-5"], ["非负数字"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--probe-minutes", "0"], ["--probe-minutes"]),
    (["--from", "2027-03-03", "--to", "2027-03-12", "--lexicon-dir", "/nonexistent/词库"], ["--lexicon-dir", "不存在"]),
])
def test_add_rejects_with_the_field_named(argv, words, capsys):
    assert main(["periods", "add", "全国两会", *argv]) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err, (w, err)
    assert "未声明敏感时期" in err
    assert open_store().list_periods() == []


def test_add_refuses_a_taken_name(capsys):
    assert main(["periods", "add", "全国两会", "--from", "2027-03-03", "--to", "2027-03-12"]) == 0
    assert main(["periods", "add", "全国两会", "--from", "2027-04-01", "--to", "2027-04-02"]) == 2
    assert "已有名为“全国两会”的敏感时期" in capsys.readouterr().err
    assert open_store().get_period("全国两会")["start"] == "2027-03-03"


def test_missing_dates_are_argparse_errors_in_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["periods", "add", "全国两会", "--to", "2027-03-12"])
    assert "缺少必需的参数" in capsys.readouterr().err


# ----------------------------------------------------------------------------- in force

def _beijing(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def test_active_inclusive_at_beijing_day_boundaries():
    p = _period(start="2027-03-03", end="2027-03-12")
    assert active_periods([p], _beijing(2027, 3, 3, 0, 0, 0)) == [p]
    assert active_periods([p], _beijing(2027, 3, 2, 23, 59, 59)) == []
    assert active_periods([p], _beijing(2027, 3, 12, 23, 59, 59)) == [p]
    assert active_periods([p], _beijing(2027, 3, 13, 0, 0, 0)) == []
    # 2027-03-02 16:30 UTC is already 3 March 00:30 in Beijing; 12 March 16:00 UTC is the 13th there
    assert active_periods([p], datetime(2027, 3, 2, 16, 30, tzinfo=UTC)) == [p]
    assert active_periods([p], datetime(2027, 3, 2, 15, 59, tzinfo=UTC)) == []
    assert active_periods([p], datetime(2027, 3, 12, 15, 59, tzinfo=UTC)) == [p]
    assert active_periods([p], datetime(2027, 3, 12, 16, 0, tzinfo=UTC)) == []
    # stored dicts work the same
    assert [q.name for q in active_periods([p.to_dict()], _beijing(2027, 3, 5))] == ["全国两会"]


def test_effective_settings_inside_and_outside(tmp_path):
    lex = tmp_path / "lex"
    lex.mkdir()
    settings = load_settings()
    base_dirs = list(settings.lexicon_dirs)
    p = _period(probe_minutes=5, sets=["thresholds.homepage_stale_days=3",
                                       "thresholds.column_stale_days.news=7"], lexicon_dirs=[str(lex)])
    outside = effective_settings(settings, active_periods([p], _beijing(2027, 3, 13)))
    assert outside is settings and outside.active_periods == []
    assert outside.schedule["probe_minutes"] == 30 and outside.thresholds["homepage_stale_days"] == 14

    inside = effective_settings(settings, active_periods([p], _beijing(2027, 3, 12, 23)))
    assert inside.thresholds["homepage_stale_days"] == 3
    assert inside.thresholds["column_stale_days"]["news"] == 7
    assert inside.thresholds["column_stale_days"]["notice"] == 180  # untouched neighbours stay
    assert inside.lexicon_dirs == [*base_dirs, str(lex.resolve())]
    assert inside.schedule["probe_minutes"] == 5
    assert [q.name for q in inside.active_periods] == ["全国两会"]
    # the configured settings are not changed
    assert settings.thresholds["homepage_stale_days"] == 14 and settings.schedule["probe_minutes"] == 30
    assert settings.lexicon_dirs == base_dirs


def test_default_probe_interval_and_overlapping_periods(monkeypatch):
    monkeypatch.setenv("GOVWATCH_PERIODS__PROBE_MINUTES", "12")
    settings = load_settings()
    a = _period("甲", "2027-03-01", "2027-03-10", sets=["thresholds.slow_ms=2000"])
    b = _period("乙", "2027-03-05", "2027-03-06", probe_minutes=20, sets=["thresholds.slow_ms=1500"])
    only_a = effective_settings(settings, active_periods([a, b], _beijing(2027, 3, 2)))
    assert only_a.schedule["probe_minutes"] == 12 and only_a.thresholds["slow_ms"] == 2000
    both = effective_settings(settings, active_periods([b, a], _beijing(2027, 3, 5)))
    # the shortest interval; the later-starting period's threshold wins
    assert both.schedule["probe_minutes"] == 12 and both.thresholds["slow_ms"] == 1500
    assert [p.name for p in both.active_periods] == ["甲", "乙"]
    # a period never makes probing slower than configured
    monkeypatch.setenv("GOVWATCH_SCHEDULE__PROBE_MINUTES", "8")
    assert effective_settings(load_settings(), [a]).schedule["probe_minutes"] == 8


def test_settings_at_reads_the_store_and_urgent_severities():
    store = open_store()
    settings = load_settings()
    store.put_period(_period().to_dict())
    assert settings_at(settings, store, _beijing(2027, 3, 4)).schedule["probe_minutes"] == 10
    assert settings_at(settings, store, _beijing(2027, 3, 14)) is settings
    assert urgent_severities(settings, []) == frozenset()
    assert urgent_severities(settings, [_period()]) == {"veto"}


def test_period_round_trips_and_its_line():
    p = _period(sets=["thresholds.reprint_similarity=0.9"])
    back = Period.from_dict(p.to_dict())
    assert back == p and back.start == date(2027, 3, 3) and back.created_at.tzinfo is not None
    assert p.line == "敏感时期：全国两会（2027-03-03至2027-03-12）"
    assert p.created_at > datetime.now(UTC) - timedelta(minutes=5)


def test_blank_name_refused():
    with pytest.raises(PeriodError, match="名称"):
        _period(name="  ")


def test_scan_uses_the_active_periods_lexicon_only_inside_it(tmp_path, capsys):
    from govwatch.models import Item, Target
    from govwatch.store import FindingFilter

    store = open_store()
    store.upsert_targets([Target(id="s", name="示范网站", url="http://www.demo.gov.cn/")])
    store.upsert_items([Item(target_id="s", url="http://www.demo.gov.cn/art/1.html", title="工作动态",
                             text="会议期间宣传了示范特产金丝贡枣。", published_at=datetime(2026, 11, 20, tzinfo=UTC))])
    lex = tmp_path / "两会词库"
    lex.mkdir()
    (lex / "local.txt").write_text("# category: ads.local\n# label: 商业广告\n# severity: high\n金丝贡枣\n",
                                   encoding="utf-8")
    # a period that is over: its lexicon is not loaded
    assert main(["periods", "add", "往年两会", "--from", "2020-03-03", "--to", "2020-03-12",
                 "--lexicon-dir", str(lex)]) == 0
    assert main(["scan"]) == 0
    assert store.list_findings(FindingFilter(target_id="s")) == []
    today = datetime.now(TZ).date().isoformat()
    assert main(["periods", "add", "今年两会", "--from", today, "--to", today, "--lexicon-dir", str(lex)]) == 0
    capsys.readouterr()
    assert main(["scan", "--rescan"]) == 0
    captured = capsys.readouterr()
    assert f"敏感时期：今年两会（{today}至{today}）" in captured.err
    assert [f.match for f in store.list_findings(FindingFilter(target_id="s"))] == ["金丝贡枣"]
