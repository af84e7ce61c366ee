"""One contract, every backend: SQLite always, MongoDB through mongomock, and a real server when
GOVWATCH_TEST_MONGO_URI is set."""
from datetime import date, datetime, timedelta

import pytest

from govwatch.models import UTC, Alert, Check, Column, Finding, Item, Maintenance, Target
from govwatch.store import FindingFilter, StoreError
from govwatch.store.base import TransitionError

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def target(tid="site-a", **kw):
    base = dict(id=tid, name="示范市人民政府", platform="website", url="http://example.gov.cn/",
                owner="示范市政府办", office="信息科", emails=["a@example.gov.cn"],
                columns=[Column("动态要闻", "http://example.gov.cn/news/", "news")])
    base.update(kw)
    return Target(**base)


def item(n, tid="site-a", column="动态要闻", days_ago=0, text="正文", **kw):
    return Item(target_id=tid, url=f"http://example.gov.cn/art/{n}.html", title=f"标题{n}",
                column=column, published_at=T0 - timedelta(days=days_ago), text=text, **kw)


def test_targets_upsert_is_idempotent_and_keeps_derived_state(store):
    assert store.upsert_targets([target(), target("site-b")]) == (2, 0)
    store.update_target_state("site-a", status="live", last_crawl_error="网络错误")
    assert store.upsert_targets([target(name="新名称", maintenance=Maintenance("升级改版", date(2026, 12, 1)))]) == (0, 1)
    got = store.get_target("site-a")
    assert got.name == "新名称"
    assert got.status == "live" and got.last_crawl_error == "网络错误"
    assert got.maintenance.kind == "升级改版" and got.maintenance.until == date(2026, 12, 1)
    assert got.columns[0].name == "动态要闻"
    assert [t.id for t in store.list_targets()] == ["site-a", "site-b"]
    with pytest.raises(StoreError):
        store.update_target_state("missing", status="x")


def test_disabled_targets_are_filtered(store):
    store.upsert_targets([target(), target("site-b", enabled=False)])
    assert [t.id for t in store.list_targets(enabled_only=True)] == ["site-a"]


def test_item_upsert_new_changed_unchanged(store):
    store.upsert_targets([target()])
    r = store.upsert_items([item(1), item(2)], at=T0)
    assert sorted(r.new) == sorted([item(1).id, item(2).id]) and not r.changed
    store.mark_scanned([item(1).id, item(2).id], "v1")
    r = store.upsert_items([item(1), item(2, text="改过的正文")], at=T0 + timedelta(hours=1))
    assert r.new == [] and r.changed == [item(2).id] and r.unchanged == 1
    assert store.count_items() == 2
    one = store.get_item(item(1).id)
    assert one.first_seen_at == T0 and one.last_seen_at == T0 + timedelta(hours=1)
    assert one.scanned_with == "v1"
    # a changed item must be scanned again
    assert [i.id for i in store.iter_items(not_scanned_with="v1")] == [item(2).id]
    assert store.get_item(item(2).id).text == "改过的正文"


def test_ingest_maintains_publication_times(store):
    store.upsert_targets([target()])
    store.upsert_items([item(1, days_ago=5), item(2, days_ago=3, column="通知公告")])
    assert store.get_target("site-a").last_published_at == T0 - timedelta(days=3)
    store.upsert_items([item(3, days_ago=30)])  # an older item never moves the date back
    assert store.get_target("site-a").last_published_at == T0 - timedelta(days=3)
    states = {c.column: c for c in store.column_states("site-a")}
    assert states["动态要闻"].last_published_at == T0 - timedelta(days=5)
    assert states["动态要闻"].items == 2 and states["通知公告"].items == 1
    store.upsert_items([item(1, days_ago=5)])  # unchanged re-crawl does not count twice
    assert {c.column: c.items for c in store.column_states("site-a")}["动态要闻"] == 2


def test_a_month_only_date_counts_from_its_month_end_for_staleness(store):
    from govwatch.models import TZ

    store.upsert_targets([target()])
    def dated(n, published, seen):
        return Item(target_id="site-a", url=f"http://example.gov.cn/art/{n}.html", title=f"标题{n}",
                    column="动态要闻", published_at=published, published_at_precision="month", first_seen_at=seen)

    october = dated(1, datetime(2026, 10, 1, tzinfo=TZ), T0)
    store.upsert_items([october])
    assert store.get_target("site-a").last_published_at == datetime(2026, 10, 31, 23, 59, 59, tzinfo=TZ)
    assert store.get_item(october.id).published_at == datetime(2026, 10, 1, tzinfo=TZ)  # stored as stated
    # the current month: never later than the item was first seen
    store.upsert_items([dated(2, datetime(2026, 11, 1, tzinfo=TZ), T0 + timedelta(days=3))])
    states = {c.column: c for c in store.column_states("site-a")}
    assert states["动态要闻"].last_published_at == T0 + timedelta(days=3)


def test_item_roundtrip_fields(store):
    store.upsert_targets([target()])
    it = item(1, links=[{"url": "http://x.gov.cn", "text": "链接"}], meta={"validator": "etag1"},
              source="新华社", published_at_source="meta")
    store.upsert_items([it])
    got = store.get_item(it.id)
    assert got.links == it.links and got.source == "新华社" and got.published_at == it.published_at
    assert store.item_signatures("site-a") == {it.url: (it.content_hash, "etag1", "标题1")}
    store.set_item_state(it.id, "deleted")
    assert store.get_item(it.id).state == "deleted"


def test_item_keeps_the_precision_of_its_time(store):
    store.upsert_targets([target()])
    month = item(1, published_at_precision="month")
    store.upsert_items([month, item(2)])
    assert store.get_item(month.id).published_at_precision == "month"
    assert store.get_item(item(2).id).published_at_precision == ""
    assert {i.published_at_precision for i in store.iter_items("site-a")} == {"month", ""}


def test_sqlite_database_from_before_the_precision_column_gains_it(tmp_path):
    import sqlite3

    from govwatch.store.sqlite import SqliteStore

    path = tmp_path / "old.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE items DROP COLUMN published_at_precision")
    db.commit()
    db.close()
    store = SqliteStore(path)
    store.upsert_targets([target()])
    store.upsert_items([item(1, published_at_precision="day")])
    assert store.get_item(item(1).id).published_at_precision == "day"
    store.close()


def test_a_read_only_store_reads_and_changes_nothing(tmp_path):
    """``open_store(read_only=True)`` (govwatch check): a missing SQLite database is an error and
    nothing is created; an existing one is read, a write is refused, the file stays as it was, and
    an old database is not migrated. MongoDB creates no index."""
    import hashlib
    import sqlite3

    import mongomock
    import mongomock.gridfs

    from govwatch.settings import load_settings
    from govwatch.store import open_store
    from govwatch.store.mongo import MongoStore
    from govwatch.store.sqlite import SqliteStore

    settings = load_settings(env={"GOVWATCH_VAR_DIR": str(tmp_path / "var"),
                                  "GOVWATCH_DB": f"sqlite:///{tmp_path / 'var' / 'govwatch.db'}"})
    with pytest.raises(StoreError, match="不存在"):
        open_store(settings=settings, read_only=True)
    assert not (tmp_path / "var").exists()

    path = tmp_path / "var" / "govwatch.db"
    store = SqliteStore(path)
    store.upsert_targets([target()])
    db = sqlite3.connect(path)  # an old database: the read-only open must not migrate it
    db.execute("ALTER TABLE items DROP COLUMN published_at_precision")
    db.commit()
    db.close()
    store.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    ro = open_store(settings=settings, read_only=True)
    assert [t.id for t in ro.list_targets()] == ["site-a"]
    with pytest.raises(StoreError):
        ro.put_meta("k", "v")
    with pytest.raises(StoreError):
        ro.upsert_targets([target("site-b")])
    ro.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in path.parent.iterdir()) == ["govwatch.db"]

    mongomock.gridfs.enable_gridfs_integration()
    client = mongomock.MongoClient(tz_aware=True)
    MongoStore(client=client, db_name="ro", read_only=True)
    assert "targets" not in client["ro"].list_collection_names()
    MongoStore(client=client, db_name="rw")
    assert len(client["rw"]["targets"].index_information()) > 1  # negative: a normal open indexes


def test_sqlite_database_from_before_the_deadline_column_is_migrated(tmp_path):
    """An old database (findings without the indexed ``deadline`` column) opens: the column is added
    and filled from each finding's document, every finding is kept as it was, overdue ones are found."""
    import sqlite3

    from govwatch.store.sqlite import SqliteStore

    path = tmp_path / "old.db"
    store = SqliteStore(path)
    findings = [finding(f"词{n}", severity="high" if n % 2 else "veto",
                        deadline=T0 + timedelta(days=n) if n != 3 else None) for n in range(6)]
    store.upsert_findings(findings, at=T0)
    store.transition_finding(findings[1].id, "rectified", by="system", at=T0 + timedelta(hours=2))
    store.close()
    db = sqlite3.connect(path)
    before = db.execute("SELECT id, target_id, item_id, rule, severity, status, first_seen_at, last_seen_at, data "
                        "FROM findings ORDER BY id").fetchall()
    db.execute("DROP INDEX findings_overdue")
    db.execute("ALTER TABLE findings DROP COLUMN deadline")
    db.commit()
    assert "deadline" not in {row[1] for row in db.execute("PRAGMA table_info(findings)")}
    db.close()

    store = SqliteStore(path)
    db = sqlite3.connect(path)
    after = db.execute("SELECT id, target_id, item_id, rule, severity, status, first_seen_at, last_seen_at, data "
                       "FROM findings ORDER BY id").fetchall()
    assert after == before  # nothing lost, nothing rewritten
    assert db.execute("SELECT count(*) FROM findings WHERE deadline IS NULL").fetchone()[0] == 1
    assert "findings_overdue" in {row[1] for row in db.execute("PRAGMA index_list(findings)")}
    db.close()
    got = store.list_findings(FindingFilter(status=["open"], deadline_before=T0 + timedelta(days=3),
                                            by_deadline=True))
    assert [f.match for f in got] == ["词0", "词2"]  # 词1 rectified, 词3 has no deadline
    assert {f.id: f.deadline for f in store.list_findings()} == {f.id: f.deadline for f in findings}
    store.close()
    SqliteStore(path).close()  # opening again migrates nothing more


def test_iter_items_pages_through_everything(store):
    store.upsert_targets([target()])
    store.upsert_items([item(n) for n in range(25)])
    assert len({i.id for i in store.iter_items(batch=7)}) == 25
    assert len(list(store.iter_items(target_id="nobody"))) == 0


def finding(match="法轮功", **kw):
    fields = dict(target_id="site-a", rule="banned.cult", category="邪教", severity="veto",
                  item_id="i1", url="http://example.gov.cn/art/1.html", match=match)
    return Finding(**(fields | kw))


def test_finding_upsert_keeps_status_and_history(store):
    store.upsert_findings([finding()], at=T0)
    f = store.get_finding(finding().id)
    assert f.status == "open" and len(f.history) == 1 and f.first_seen_at == T0
    store.transition_finding(f.id, "confirmed", by="值班员", note="属实", at=T0 + timedelta(hours=1))
    store.upsert_findings([finding(snippet="新的上下文")], at=T0 + timedelta(days=1))  # rescan
    f = store.get_finding(f.id)
    assert f.status == "confirmed" and f.snippet == "新的上下文"
    assert [h["to"] for h in f.history] == ["open", "confirmed"]
    assert f.history[1]["by"] == "值班员" and f.history[1]["note"] == "属实"
    assert f.first_seen_at == T0 and f.last_seen_at == T0 + timedelta(days=1)
    assert len(store.list_findings()) == 1


def test_rescan_never_reopens_false_positive(store):
    store.upsert_findings([finding()])
    store.transition_finding(finding().id, "false_positive", by="张三")
    store.upsert_findings([finding()])
    assert store.get_finding(finding().id).status == "false_positive"


def test_invalid_transition_is_refused(store):
    store.upsert_findings([finding()])
    store.transition_finding(finding().id, "rectified", evidence={"snapshot": "abc"})
    with pytest.raises(TransitionError):
        store.transition_finding(finding().id, "false_positive")
    assert store.get_finding(finding().id).evidence["rectified"] == {"snapshot": "abc"}
    with pytest.raises(StoreError):
        store.transition_finding("nope", "closed")


def test_severity_override_survives_rescan_and_filters(store):
    store.upsert_findings([finding(), finding("赌博", severity="high")])
    store.update_finding(finding().id, severity_override="low")
    store.upsert_findings([finding()])
    assert store.get_finding(finding().id).effective_severity == "low"
    assert [f.match for f in store.list_findings(FindingFilter(severity=["low"]))] == ["法轮功"]


def test_list_findings_filters(store):
    store.upsert_findings([finding()], at=T0)
    store.upsert_findings([Finding(target_id="site-b", rule="site.dead_link", severity="low",
                                   url="http://b/x", match="http://b/y")], at=T0 + timedelta(days=2))
    assert len(store.list_findings(FindingFilter(target_id="site-b"))) == 1
    assert len(store.list_findings(FindingFilter(target_ids=["site-a", "site-b"]))) == 2
    assert len(store.list_findings(FindingFilter(rule_prefix="site."))) == 1
    assert len(store.list_findings(FindingFilter(since=T0 + timedelta(days=1)))) == 1
    assert len(store.list_findings(FindingFilter(until=T0 + timedelta(days=1)))) == 1
    assert len(store.list_findings(FindingFilter(status=["open"], item_id="i1"))) == 1


def test_checks(store):
    store.record_checks([Check("site-a", "http://x", T0 + timedelta(minutes=30 * k), k % 2 == 0,
                               200 if k % 2 == 0 else None, 120, "" if k % 2 == 0 else "超时") for k in range(4)])
    got = store.list_checks("site-a", since=T0 + timedelta(minutes=45))
    assert [c.ok for c in got] == [True, False] and got[1].error == "超时"


def test_alert_outbox_dedup_and_due(store):
    a = Alert(dedup_key="f1", channel="email", to="a@x.gov.cn", subject="主题", body="正文")
    assert store.enqueue_alerts([a]) == 1
    assert store.enqueue_alerts([Alert(dedup_key="f1", channel="email", to="a@x.gov.cn",
                                       subject="主题", body="正文")]) == 0
    assert store.enqueue_alerts([Alert(dedup_key="f1", channel="email", to="b@x.gov.cn",
                                       subject="主题", body="正文")]) == 1
    due = store.due_alerts(datetime.now(UTC) + timedelta(seconds=1))
    assert len(due) == 2
    store.update_alert(a.id, attempts=1, next_attempt_at=datetime.now(UTC) + timedelta(hours=1),
                       last_error="拒绝")
    assert [x.to for x in store.due_alerts(datetime.now(UTC) + timedelta(seconds=1))] == ["b@x.gov.cn"]
    store.update_alert(a.id, status="sent", sent_at=datetime.now(UTC))
    assert [x.id for x in store.list_alerts(status="sent")] == [a.id]


def test_runs(store):
    run = store.start_run("crawl", at=T0)
    store.finish_run(run, ok=True, stats={"items": 3}, at=T0 + timedelta(minutes=1))
    got = store.list_runs("crawl")[0]
    assert got.ok is True and got.stats == {"items": 3} and got.finished_at == T0 + timedelta(minutes=1)


def test_snapshots_roundtrip_and_dedupe(store):
    raw = "<html>快照</html>".encode()
    key = store.put_snapshot(raw)
    assert store.put_snapshot(raw) == key and len(key) == 64
    assert store.get_snapshot(key) == raw
    assert store.get_snapshot("0" * 64) is None


def test_publication_times(store):
    store.upsert_targets([target(), target("site-b")])
    store.upsert_items([item(1, days_ago=1), item(2, days_ago=40), item(3, tid="site-b", days_ago=2)])
    got = store.publication_times(["site-a", "site-b", "site-c"], T0 - timedelta(days=10), T0)
    assert got == {"site-a": [T0 - timedelta(days=1)], "site-b": [T0 - timedelta(days=2)], "site-c": []}


def test_ignore_rules(store):
    rid = store.add_ignore_rule({"target_id": "site-a", "term": "黄色预警", "by": "李四", "why": "气象预警"})
    assert store.add_ignore_rule({"target_id": "site-a", "term": "黄色预警", "by": "李四", "why": "再次"}) == rid
    rules = store.list_ignore_rules()
    assert len(rules) == 1 and rules[0]["why"] == "再次"
    assert store.delete_ignore_rule(rid) and store.list_ignore_rules() == []


def test_alert_log(store):
    store.log_alert_event({"event": "sent", "to": "a@x.gov.cn", "at": "2026-11-01T01:00:00+00:00"})
    store.log_alert_event({"event": "suppressed", "to": "b@x.gov.cn", "at": "2026-11-01T02:00:00+00:00"})
    assert [e["event"] for e in store.list_alert_log()] == ["suppressed", "sent"]


def test_single_instance_lock(store):
    assert store.try_lock("scheduler", "host:1", 60, at=T0)
    assert not store.try_lock("scheduler", "host:2", 60, at=T0 + timedelta(seconds=30))
    assert store.try_lock("scheduler", "host:1", 60, at=T0 + timedelta(seconds=30))  # refresh
    assert store.try_lock("scheduler", "host:2", 60, at=T0 + timedelta(seconds=200))  # holder died
    store.release_lock("scheduler", "host:2")
    assert store.try_lock("scheduler", "host:3", 60, at=T0 + timedelta(seconds=201))


def test_column_listing_folds_in(store):
    store.upsert_targets([target()])
    store.record_column_listing("site-a", "首页", T0 - timedelta(days=2), 20)
    store.record_column_listing("site-a", "首页", T0 - timedelta(days=9), 15)  # never moves back
    store.record_column_listing("site-a", "机构概况", None, 0)
    states = {c.column: c for c in store.column_states("site-a")}
    assert states["首页"].last_published_at == T0 - timedelta(days=2) and states["首页"].items == 20
    assert states["机构概况"].last_published_at is None and states["机构概况"].items == 0


def test_rescan_keeps_the_first_evidence(store):
    store.upsert_findings([finding(evidence={"snapshot": "a" * 64})], at=T0)
    store.upsert_findings([finding(evidence={"snapshot": "b" * 64})], at=T0 + timedelta(days=1))
    got = store.get_finding(finding().id)
    assert got.evidence["snapshot"] == "a" * 64 and got.evidence["latest_snapshot"] == "b" * 64


def test_target_summaries_and_batch_reads(store):
    ok = T0 - timedelta(hours=3)
    store.upsert_targets([target(), target("wx", platform="wechat", content_type="video", rules={"account_stale_days": 3}),
                          target("off", enabled=False)])
    store.update_target_state("wx", last_crawl_ok_at=ok, consecutive_failures=2, error_kind="blocked")
    store.upsert_items([item(1, days_ago=2)])
    got = {s.id: s for s in store.target_summaries()}
    assert set(got) == {"site-a", "wx"}
    assert got["site-a"].platform == "website" and got["site-a"].content_type == "text"
    assert got["site-a"].has_rules is False and got["site-a"].last_published_at == T0 - timedelta(days=2)
    assert got["site-a"].consecutive_failures == 0 and got["site-a"].error_kind == ""
    assert got["site-a"].columns == [("动态要闻", "news", None)] and got["wx"].columns == [("动态要闻", "news", None)]
    wx = got["wx"]
    assert (wx.content_type, wx.has_rules, wx.last_crawl_ok_at, wx.consecutive_failures, wx.error_kind) == \
        ("video", True, ok, 2, "blocked")
    assert len(store.target_summaries(enabled_only=False)) == 3
    assert [t.id for t in store.get_targets(["wx", "site-a", "nobody"])] == ["site-a", "wx"]
    store.upsert_items([item(2, tid="wx", column="")])
    assert {c.target_id for c in store.column_states(target_ids=["wx"])} == {"wx"}
    assert {c.target_id for c in store.column_states(target_ids=[])} == set()


def test_findings_filtered_by_last_sighting(store):
    store.upsert_findings([finding("a")], at=T0)
    store.upsert_findings([finding("b")], at=T0)
    store.upsert_findings([finding("b")], at=T0 + timedelta(days=40))
    got = store.list_findings(FindingFilter(seen_since=T0 + timedelta(days=30)))
    assert [f.match for f in got] == ["b"]


def test_findings_paged_newest_first_with_a_total(store):
    store.upsert_findings([finding(f"词{n}", severity="high" if n % 2 else "low") for n in range(7)], at=T0)
    for n in range(7):  # distinct first sightings
        store.update_finding(finding(f"词{n}").id, first_seen_at=T0 + timedelta(hours=n))
    page = store.list_findings(FindingFilter(newest_first=True, limit=3, offset=2))
    assert [f.match for f in page] == ["词4", "词3", "词2"]
    assert [f.match for f in store.list_findings(FindingFilter(offset=5))] == ["词5", "词6"]
    assert store.count_findings() == 7
    assert store.count_findings(FindingFilter(severity=["high"])) == 3
    assert store.count_findings(FindingFilter(target_ids=[])) == 0


def test_findings_past_their_deadline(store):
    """``deadline_before``: findings whose deadline is strictly before an instant, however the
    instant is expressed (Asia/Shanghai or UTC), in deadline order; no deadline never matches."""
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 2026-11-11 00:00 in Beijing
    open_ = ["open", "confirmed", "rectifying"]
    store.upsert_findings([
        finding("早", deadline=at - timedelta(days=2)),
        finding("临界", deadline=at),  # exactly at the deadline: not yet overdue
        finding("差一秒", deadline=at - timedelta(seconds=1), severity="high"),
        finding("未到", deadline=at + timedelta(hours=1)),
        finding("已销号", deadline=at - timedelta(days=5)),
        finding("无时限"),
        finding("他站", target_id="site-b", deadline=at - timedelta(days=1)),
    ], at=T0)
    store.transition_finding(finding("已销号").id, "closed", by="张三")
    store.transition_finding(finding("差一秒").id, "confirmed", by="张三")

    def late(when, **kw):
        return [f.match for f in store.list_findings(FindingFilter(status=open_, deadline_before=when,
                                                                   by_deadline=True, **kw))]

    assert late(at) == ["早", "他站", "差一秒"]
    shanghai = at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert shanghai.hour == 0 and late(shanghai) == late(at)
    assert store.count_findings(FindingFilter(status=open_, deadline_before=shanghai)) == 3
    assert late(at, severity=["veto"]) == ["早", "他站"]
    assert late(at, severity=["veto"], limit=1) == ["早"]
    assert late(at, target_ids=["site-a"]) == ["早", "差一秒"]
    assert late(at + timedelta(milliseconds=1)) == ["早", "他站", "差一秒", "临界"]
    # the closed one is past its deadline too, but not open
    assert [f.match for f in store.list_findings(FindingFilter(status=["closed"], deadline_before=at))] == ["已销号"]
    # a moved deadline moves the finding in or out
    store.update_finding(finding("早").id, deadline=at + timedelta(days=1))
    assert late(at) == ["他站", "差一秒"]


def test_many_deadlines_set_at_once_and_meta_values(store):
    store.upsert_findings([finding("甲", deadline=T0), finding("乙", deadline=T0), finding("丙")], at=T0)
    store.transition_finding(finding("乙").id, "confirmed", by="张三", note="属实")
    before = {f.id: f for f in store.list_findings()}
    moved = {finding("甲").id: T0 + timedelta(days=3), finding("乙").id: T0 - timedelta(days=1), "no-such-id": T0}
    assert store.set_deadlines(moved) == 2
    assert store.set_deadlines({}) == 0
    after = {f.id: f for f in store.list_findings()}
    assert after[finding("甲").id].deadline == T0 + timedelta(days=3)
    assert after[finding("乙").id].deadline == T0 - timedelta(days=1)
    assert after[finding("丙").id].deadline is None
    for fid, f in after.items():  # nothing else changed
        assert {k: v for k, v in f.to_dict().items() if k != "deadline"} == \
            {k: v for k, v in before[fid].to_dict().items() if k != "deadline"}
    late = store.list_findings(FindingFilter(status=["open", "confirmed"], deadline_before=T0, by_deadline=True))
    assert [f.match for f in late] == ["乙"]  # the index follows the new deadlines
    assert store.get_meta("deadlines_days") is None
    store.put_meta("deadlines_days", '{"veto": 1}')
    store.put_meta("deadlines_days", '{"veto": 2}')
    assert store.get_meta("deadlines_days") == '{"veto": 2}'


def test_users_kept_and_updated(store):
    assert store.get_user("张三") is None and store.list_users() == []
    store.put_user({"name": "张三", "role": "office", "owners": ["示范市政府办"], "password_hash": "h1",
                    "disabled": False})
    store.put_user({"name": "admin", "role": "admin", "owners": [], "password_hash": "h0", "disabled": False})
    assert [u["name"] for u in store.list_users()] == ["admin", "张三"]
    got = store.update_user("张三", disabled=True, password_hash="h2")
    assert got["disabled"] is True and got["owners"] == ["示范市政府办"]
    assert store.get_user("张三")["password_hash"] == "h2"
    with pytest.raises(StoreError):
        store.update_user("李四", disabled=True)


def test_sessions_expire_and_are_deleted(store):
    now_ = datetime.now(UTC)
    store.create_session({"id": "s1", "user": "张三", "csrf": "c1", "expires_at": now_ + timedelta(hours=1)})
    store.create_session({"id": "s2", "user": "张三", "csrf": "c2", "expires_at": now_ + timedelta(hours=1)})
    store.create_session({"id": "s3", "user": "李四", "csrf": "c3", "expires_at": now_ + timedelta(hours=1)})
    got = store.get_session("s1")
    assert got["user"] == "张三" and got["csrf"] == "c1"
    assert abs((got["expires_at"] - (now_ + timedelta(hours=1))).total_seconds()) < 1
    assert store.get_session("s1", at=now_ + timedelta(hours=2)) is None  # expired
    store.extend_session("s1", now_ + timedelta(hours=3))
    assert store.get_session("s1", at=now_ + timedelta(hours=2))["user"] == "张三"
    # the session with its user in one call (the console's every request); a gone account: None
    store.put_user({"name": "张三", "role": "duty", "owners": [], "password_hash": "h", "disabled": False})
    session, user = store.get_session_user("s1", at=now_ + timedelta(hours=2))
    assert session == store.get_session("s1", at=now_ + timedelta(hours=2)) and user == store.get_user("张三")
    assert store.get_session_user("s3") == (store.get_session("s3"), None)
    assert store.get_session_user("s1", at=now_ + timedelta(hours=4)) is None  # expired
    store.delete_session("s1")
    assert store.get_session("s1") is None and store.get_session("nope") is None
    assert store.get_session_user("s1") is None and store.get_session_user("nope") is None
    assert store.delete_user_sessions("张三") == 1
    assert store.get_session("s2") is None and store.get_session("s3")["user"] == "李四"


def test_audit_trail(store):
    store.log_audit({"user": "张三", "action": "login", "at": "2026-11-01T08:00:00+00:00"})
    store.log_audit({"user": "李四", "action": "triage", "finding_id": "f1", "at": "2026-11-01T09:00:00+00:00"})
    store.log_audit({"user": "张三", "action": "logout"})
    assert [e["action"] for e in store.list_audit()] == ["logout", "triage", "login"]
    assert [e["action"] for e in store.list_audit(user="张三")] == ["logout", "login"]
    assert store.list_audit(limit=1)[0]["action"] == "logout" and store.list_audit()[0]["at"]
def test_ocr_cache_and_backlog(store):
    assert store.get_ocr("f" * 64) is None
    result = {"text": "张三 13912345678", "lines": [{"text": "张三", "box": [1, 2, 3, 4], "score": 0.9,
                                                    "start": 0, "end": 2}], "width": 800, "height": 600, "page": 0}
    store.put_ocr("f" * 64, result, at=T0)
    assert store.get_ocr("f" * 64) == result
    store.add_ocr_backlog("site-a", [{"url": "http://a/1.png", "parent_url": "http://a/p"},
                                     {"url": "http://a/2.png", "parent_url": "http://a/p"}], at=T0)
    store.add_ocr_backlog("site-a", [{"url": "http://a/1.png", "parent_url": "http://a/q"}], at=T0)  # once per URL
    store.add_ocr_backlog("site-b", [{"url": "http://b/1.png", "parent_url": "http://b/p"}], at=T0)
    taken = store.take_ocr_backlog("site-a", limit=10)
    assert sorted(e["url"] for e in taken) == ["http://a/1.png", "http://a/2.png"]
    assert store.take_ocr_backlog("site-a") == [] and len(store.take_ocr_backlog("site-b")) == 1


def test_sensitive_periods_kept_by_name(store):
    from govwatch.periods import make_period

    congress = make_period("全国两会", "2027-03-03", "2027-03-12", probe_minutes=5,
                           sets=["thresholds.homepage_stale_days=3"], created_by="王五", at=T0)
    flood = make_period("防汛", "2027-01-05", "2027-01-06", created_by="李四", at=T0)
    assert store.put_period(congress.to_dict())
    assert store.put_period(flood.to_dict())
    # a name is declared once: a second declaration under the same name stores nothing
    assert not store.put_period(make_period("全国两会", "2027-04-01", "2027-04-02", at=T0).to_dict())
    assert [p["name"] for p in store.list_periods()] == ["防汛", "全国两会"]  # by start day
    got = store.get_period("全国两会")
    assert got == congress.to_dict()
    assert got["overrides"] == {"thresholds.homepage_stale_days": 3} and got["end"] == "2027-03-12"
    assert store.get_period("没有") is None
    assert store.delete_period("防汛") and not store.delete_period("防汛")
    assert [p["name"] for p in store.list_periods()] == ["全国两会"]


def test_column_states_before_a_horizon_from_the_live_items(store):
    """What nightly detection rebuilds for a past day (govwatch zombies --as-of, the monthly
    export): every live item counted, the newest publication not after the horizon."""
    store.upsert_items([item(1, days_ago=10), item(2, days_ago=3), item(3, days_ago=-2),
                        item(4, column="首页", days_ago=5), item(5, column="首页", days_ago=1),
                        item(6, column="", days_ago=7), item(8, column="通知公告", days_ago=-5),
                        item(9, tid="site-b", days_ago=0)], at=T0)
    undated = item(7, column="")
    undated.published_at = None
    store.upsert_items([undated], at=T0)
    gone = item(10, column="首页", days_ago=0)
    store.upsert_items([gone], at=T0)
    store.set_item_state(gone.id, "gone", at=T0)
    horizon = T0 - timedelta(days=2)
    got = {c.column: (c.items, c.last_published_at) for c in store.column_states_before("site-a", horizon)}
    assert got == {"动态要闻": (3, T0 - timedelta(days=3)), "首页": (2, T0 - timedelta(days=5)),
                   "": (2, T0 - timedelta(days=7)), "通知公告": (1, None)}
    assert all(c.target_id == "site-a" for c in store.column_states_before("site-a", horizon))
    assert store.column_states_before("nobody", horizon) == []
