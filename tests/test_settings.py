"""The settings table: units and help for every key, sources, generated example and reference, and
the thresholds the judgments read from it."""
import json
import tomllib
from datetime import timedelta
from pathlib import Path

from govwatch.cli import main
from govwatch.models import UTC, Column, SiteReport, Target, column_kind, discovered_column_kind
from govwatch.settings import DEFAULTS, SPECS, TABLE, describe, load_settings, render_example_toml, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def _leaves(d: dict, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict) and v and f"{prefix}{k}" not in SPECS:
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_every_setting_has_a_unit_and_one_line_of_help():
    assert len(SPECS) == len(TABLE)
    for s in TABLE:
        assert s.unit.strip(), s.key
        assert s.help.strip() and "\n" not in s.help, s.key
    assert sorted(_leaves(DEFAULTS)) == sorted(SPECS)
    assert DEFAULTS["crawl"]["max_delay"] == 60.0
    assert DEFAULTS["thresholds"]["column_stale_days"] == {"news": 14, "notice": 180, "policy": 180, "overview": 365}


def test_committed_example_and_reference_are_generated_from_the_table():
    example = (ROOT / "deploy" / "govwatch.example.toml").read_text(encoding="utf-8")
    assert example == render_example_toml(), "run: python -m govwatch.settings > deploy/govwatch.example.toml"
    reference = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert reference == render_markdown(), "run: python -m govwatch.settings --markdown > docs/settings.md"
    parsed = tomllib.loads(example)
    for s in TABLE:  # every key is in the example, with its default unless an example value is given
        node = parsed
        for part in s.key.split("."):
            node = node[part]
        assert node == (s.example if s.example is not None else s.default), s.key
        assert s.help in example


def test_sources_default_file_and_environment(tmp_path):
    cfg = tmp_path / "govwatch.toml"
    cfg.write_text("[thresholds.column_stale_days]\nnotice = 90\n[thresholds.by_platform.weibo]\n"
                   "account_stale_days = 3\n", encoding="utf-8")
    s = load_settings(cfg, env={"GOVWATCH_SMTP__HOST": "mail.example", "GOVWATCH_PROGRESS": "1",
                                "GOVWATCH_THRESHOLDS__COLUMN_STALE_DAYS__POLICY": "200"})
    rows = {r["key"]: r for r in describe(s)}
    assert rows["thresholds.column_stale_days.notice"]["value"] == 90
    assert rows["thresholds.column_stale_days.notice"]["source"] == "file"
    assert rows["thresholds.column_stale_days.policy"] == {**rows["thresholds.column_stale_days.policy"],
                                                           "value": 200, "source": "environment"}
    assert rows["thresholds.by_platform"]["source"] == "file"
    assert rows["smtp.host"]["value"] == "mail.example" and rows["smtp.host"]["source"] == "environment"
    assert rows["smtp.port"]["source"] == "default" and rows["smtp.port"]["default"] == 25
    assert s.data["thresholds"]["column_stale_days"]["news"] == 14  # untouched siblings keep defaults


def test_settings_command_table_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "govwatch.toml").write_text("[crawl]\ntimeout = 30\n", encoding="utf-8")
    monkeypatch.setenv("GOVWATCH_SMTP__PASSWORD", "s3cret")
    assert main(["settings", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["key"]: r for r in data["settings"]}
    assert len(rows) == len(TABLE)
    assert rows["crawl.timeout"] == {"key": "crawl.timeout", "default": 15, "value": 30, "source": "file",
                                     "unit": "秒", "help": SPECS["crawl.timeout"].help}
    assert rows["smtp.password"]["value"] == "******" and rows["smtp.password"]["source"] == "environment"
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out
    line = next(ln for ln in out.splitlines() if ln.startswith("crawl.timeout "))
    assert "15" in line and "30" in line and "配置文件" in line and "秒" in line


def test_column_kind_is_inferred_in_one_place():
    from crawler.sitecrawl import classify_column
    from govwatch.registry import infer_column_kind
    from scanner.timeline import guess_column_kind

    assert column_kind("通知公告") == "notice" and column_kind("政策解读") == "policy"
    assert column_kind("领导信箱") == "interaction" and column_kind("图片新闻") == "news"
    assert column_kind("机构职能") == "overview" and column_kind("专题专栏") == ""
    assert infer_column_kind("专题专栏") == "news"  # a registered column defaults to news
    for label in ("工作动态", "通知公告", "政策文件", "机构概况", "政务咨询", "专题"):
        assert classify_column(label) == discovered_column_kind(label)
        assert infer_column_kind(label) == (column_kind(label) or "news")
        assert guess_column_kind(label) == ("" if column_kind(label) == "interaction" else column_kind(label))
    assert classify_column("首页") == "" and classify_column("一个很长很长的新闻标题不是栏目名称啊") == ""


# ----------------------------------------------------------------------------- thresholds in use

NOW = __import__("datetime").datetime(2026, 11, 20, tzinfo=UTC)


def test_site_thresholds_come_from_settings():
    from scanner.site import check_site

    target = Target(id="s", name="示范", url="http://www.demo.gov.cn/")
    footer = "网站标识码：3301000001 浙ICP备12345678号-1 浙公网安备 33010602000001号 党政机关"
    asked = [{"title": "路灯不亮", "url": "http://www.demo.gov.cn/m/1", "answered": False,
              "asked_at": NOW - timedelta(days=60)}]
    report = SiteReport(target_id="s", homepage_url="http://www.demo.gov.cn/", fetched_at=NOW, homepage_ok=True,
                        homepage_ms=2500, footer_text=footer, interaction=asked)
    assert check_site(report, target) == []
    hits = check_site(report, target, thresholds={"slow_ms": 2000, "interaction_unanswered_days": 45})
    assert sorted(h.rule for h in hits) == ["site.interaction_unanswered", "site.slow"]
    assert "超过 45 天未回复" in next(h.detail for h in hits if h.rule == "site.interaction_unanswered")


def test_content_thresholds_come_from_settings():
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon

    lexicon = load_lexicon()
    title = "今天的天气很好！！"  # stacked marks: score 2
    assert not [h for h in scan_document(lexicon, title=title) if h.rule == "title.clickbait"]
    hits = [h for h in scan_document(lexicon, title=title, thresholds={"clickbait_score": 2})
            if h.rule == "title.clickbait"]
    assert hits and "达到 2 即报" in hits[0].detail
    text = "好消息🎉🎉🎉"
    assert not [h for h in scan_document(lexicon, text=text) if h.rule == "tone.vulgar"]
    assert [h for h in scan_document(lexicon, text=text, thresholds={"emoji_text_count": 3}) if h.rule == "tone.vulgar"]


def test_availability_window_and_probe_count_come_from_settings():
    from govwatch.models import Check
    from scanner.availability import judge_availability

    checks = [Check(target_id="t", url="http://x/", at=NOW - timedelta(hours=i), ok=i % 2 == 0) for i in range(10, 0, -1)]
    assert [h.rule for h in judge_availability("http://x/", checks, NOW)[0]] == []  # fewer than 20 probes
    hits, _ = judge_availability("http://x/", checks, NOW, min_probes=10, window_days=1)
    assert [h.rule for h in hits] == ["site.unreachable"] and "近 1 天" in hits[0].detail


def test_export_staleness_honours_per_platform_overrides(tmp_path):
    """evidence.update_state words the timeline's verdict, judged with the timeline's threshold
    lookup: per-platform overrides apply, to the requirement too."""
    from types import SimpleNamespace

    from govwatch.evidence import update_state
    from scanner.timeline import ThresholdBook, judge_target

    cfg = tmp_path / "govwatch.toml"
    cfg.write_text("[thresholds.by_platform.weibo]\naccount_stale_days = 3\n", encoding="utf-8")
    settings = load_settings(cfg, env={})
    book = ThresholdBook(settings.data["thresholds"])
    at = NOW

    def state(target, days, *columns):
        states = [SimpleNamespace(column=c, last_published_at=at - timedelta(days=days), items=1)
                  for c in columns or ("",)]
        return update_state(settings, target, judge_target(target, states, at, book), book)

    weibo = Target(id="wb", name="微博", platform="weibo", last_crawl_ok_at=at)
    wechat = Target(id="wx", name="公众号", platform="wechat", last_crawl_ok_at=at)
    req, verdict, days = state(weibo, 5)
    assert days == 5 and verdict.startswith("更新不及时") and req.startswith("每3天")
    assert state(wechat, 5)[1] == "正常"
    ruled = Target(id="wx2", name="公众号", platform="wechat", last_crawl_ok_at=at, rules={"account_stale_days": 2})
    assert state(ruled, 3)[1].startswith("更新不及时")
    site = Target(id="s", name="站", platform="website", last_crawl_ok_at=at,
                  columns=[Column(name="通知公告", kind="notice")])
    assert state(site, 3, "首页", "通知公告")[1] == "正常"


def test_clickbait_points_come_from_settings():
    from scanner.clickbait import score_title

    assert score_title("今天发布！！……", []) == (3, ["连续标点“！！”+2", "悬念省略号+1"])
    score, signals = score_title("今天发布！！……", [], {"punctuation": 1, "ellipsis": 0})
    assert score == 1 and signals[0] == "连续标点“！！”+1"
