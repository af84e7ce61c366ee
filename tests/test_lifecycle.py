"""The finding lifecycle is the one place a status changes: statuses and deadlines are defined once,
and recording, automatic rectification and reopening behave as the crawler, detection and probe
expect."""
import re
from datetime import datetime, timedelta
from pathlib import Path

from govwatch import lifecycle
from govwatch.models import UTC, FINDING_STATUS_LABELS, Finding, Hit, Item
from govwatch.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SOURCES = [p for d in ("govwatch", "crawler", "scanner", "scheduler") for p in (ROOT / d).rglob("*.py")]


def _offenders(pattern: str, allowed: tuple[str, ...]) -> list[str]:
    rx = re.compile(pattern)
    out = []
    for path in SOURCES:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(allowed):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if rx.search(line):
                out.append(f"{rel}:{n}: {line.strip()}")
    return out


def test_every_status_change_goes_through_the_lifecycle():
    assert _offenders(r"\.transition_finding\(", ("govwatch/lifecycle.py", "govwatch/store/")) == []


def test_open_statuses_and_deadlines_are_defined_once():
    assert _offenders(r"\(\s*\"open\",\s*\"confirmed\",\s*\"rectifying\"\s*\)", ("govwatch/lifecycle.py",)) == []
    assert _offenders(r"\{\s*\"veto\":\s*1,\s*\"high\":\s*3", ()) == []
    assert set(lifecycle.STATUS_LABELS) == set(lifecycle.STATUSES) == set(FINDING_STATUS_LABELS)
    assert set(lifecycle.OPEN_STATUSES) | {"rectified", "closed", "false_positive"} == set(lifecycle.STATUSES)


def test_deadlines_follow_the_settings(tmp_path):
    cfg = tmp_path / "govwatch.toml"
    cfg.write_text("[deadlines_days]\nhigh = 2\n", encoding="utf-8")
    days = lifecycle.deadline_days(load_settings(cfg, env={}))
    assert days["high"] == 2 and days["veto"] == 1
    f = Finding(id="x", target_id="t", rule="privacy.id_number", severity="high")
    assert lifecycle.with_deadline(f, T0, days).deadline == T0 + timedelta(days=2)
    assert lifecycle.deadline_for("veto", T0) == T0 + timedelta(days=1)


def test_a_partial_deadline_table_is_merged_over_the_defaults_in_one_place():
    from govwatch.settings import Settings

    only_veto = Settings(data={"deadlines_days": {"veto": 2}})
    days = lifecycle.deadline_days(only_veto)
    assert days == {"veto": 2, "high": 3, "medium": 5, "low": 5, "info": 5}
    high = Finding(id="x", target_id="t", rule="privacy.id_number", severity="high")
    assert lifecycle.with_deadline(high, T0, {"veto": 2}).deadline == T0 + timedelta(days=3)
    veto = Finding(id="y", target_id="t", rule="account.stale_veto", severity="veto")
    assert lifecycle.with_deadline(veto, T0, {"medium": 9}).deadline == T0 + timedelta(days=1)
    assert lifecycle.deadline_for("high", T0, settings=only_veto) == T0 + timedelta(days=3)
    # negative: a severity the user did set wins
    assert lifecycle.deadline_for("veto", T0, settings=only_veto) == T0 + timedelta(days=2)
    # nobody else reads the settings table: they all go through lifecycle.deadline_days
    assert _offenders(r"deadlines_days\b", ("govwatch/lifecycle.py", "govwatch/settings.py")) == []


def test_stored_deadlines_follow_a_changed_deadline_table(store, tmp_path):
    """A changed ``deadlines_days``: open findings of the severities whose days changed get their
    deadline recomputed from the first sighting; done findings and other severities keep theirs."""
    def settings(text):
        cfg = tmp_path / "govwatch.toml"
        cfg.write_text(text, encoding="utf-8")
        return load_settings(cfg, env={})

    hits = [(None, "site-a", Hit("banned.cult", "邪教", "veto", match=f"词{n}", url=f"http://a/{n}")) for n in range(3)]
    hits.append((None, "site-a", Hit("expression.term", "不规范表述", "high", match="高", url="http://a/h")))
    lifecycle.record_hits(store, hits, at=T0)
    ids = {f.match: f.id for f in store.list_findings()}
    lifecycle.transition(store, ids["词1"], "closed", by="张三", at=T0 + timedelta(hours=1))
    lifecycle.transition(store, ids["词2"], "rectifying", by="张三", at=T0 + timedelta(hours=1))
    store.update_finding(ids["高"], deadline=T0 + timedelta(days=9))  # set by hand: high's days do not change

    first = settings("")
    assert lifecycle.follow_deadline_settings(store, first) == 0  # first time: recorded as it stands
    assert lifecycle.follow_deadline_settings(store, first) == 0
    late = lifecycle.overdue_filter(T0 + timedelta(days=2))
    assert {f.match for f in store.list_findings(late)} == {"词0", "词2"}

    longer = settings("[deadlines_days]\nveto = 4\n")
    assert lifecycle.follow_deadline_settings(store, longer) == 2
    got = {f.match: f for f in store.list_findings()}
    assert got["词0"].deadline == got["词2"].deadline == T0 + timedelta(days=4)
    assert got["词1"].deadline == T0 + timedelta(days=1)  # closed: judged against the old table
    assert got["高"].deadline == T0 + timedelta(days=9)
    assert store.list_findings(late) == []
    assert {f.match for f in store.list_findings(lifecycle.overdue_filter(T0 + timedelta(days=5)))} == {"词0", "词2"}
    assert lifecycle.follow_deadline_settings(store, longer) == 0  # recorded: nothing more to do
    # a severity raised by a person counts under its new severity
    store.update_finding(ids["高"], severity_override="veto")
    assert lifecycle.follow_deadline_settings(store, settings("[deadlines_days]\nveto = 2\n")) == 3
    assert store.get_finding(ids["高"]).deadline == T0 + timedelta(days=2)


def test_record_rectify_reopen_with_history(store):
    hit = Hit("account.gone", "账号已注销或不存在", "high", match="该账号已注销", url="https://x/u/1")
    stats = lifecycle.record_hits(store, [(None, "wb", hit)], at=T0)
    assert stats.findings_new == 1 and stats.new_findings[0].status == "open"
    fid = stats.new_findings[0].id
    assert lifecycle.rectify_rule(store, "wb", "account.gone", "账号恢复访问", T0 + timedelta(hours=1), {"url": "u"}) == 1
    assert store.get_finding(fid).status == "rectified"
    store.update_finding(fid, alerted_at=T0)
    again = lifecycle.reopen_or_record(store, [(None, "wb", hit)], T0 + timedelta(days=1))
    f = store.get_finding(fid)
    assert f.status == "open" and f.alerted_at is None and [x.id for x in again.new_findings] == [fid]
    assert [(e["from"], e["to"], e["by"]) for e in f.history][-2:] == [("open", "rectified", "system"),
                                                                       ("rectified", "open", "system")]
    assert lifecycle.status_at(f, T0 + timedelta(hours=2)) == "rectified"
    assert lifecycle.last_change(f)["note"] == "复查再次发现该问题"


def test_a_rescan_that_no_longer_finds_a_problem_proposes_rectified(store):
    item = Item(target_id="t", url="http://t.gov.cn/a.html", title="标题", snapshot="ab" * 32)
    hit = Hit("expression.typo", "错别字", "medium", match="按装", suggestion="安装")
    fid = lifecycle.record_hits(store, [(item, "t", hit)], at=T0).new_findings[0].id
    assert lifecycle.propose_rectified(store, item, {fid}, T0) == 0
    assert lifecycle.propose_rectified(store, item, set(), T0 + timedelta(hours=1)) == 1
    f = store.get_finding(fid)
    assert f.status == "rectified" and f.history[-1]["note"] == "复查未再发现该问题"
