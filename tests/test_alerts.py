"""Alerts against a real SMTP server on 127.0.0.1 (aiosmtpd): delivery, retries, crash safety,
dedup, text safety, and the policy (quiet hours, maintenance, muting, review, digest, roster)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from govwatch.alerts import (
    availability_alerts, collector_alerts, enqueue_digests, enqueue_for_findings, flush, release, sweep,
)
from govwatch.alerts.compose import header_safe
from govwatch.alerts.policy import next_send_time
from govwatch.alerts.roster import RosterError, load_roster, on_duty
from govwatch.alerts.smtp import build_message, valid_address
from govwatch.alerts.base import SendError
from govwatch.models import TZ, UTC, Alert, Contact, Finding, Maintenance, Target, fmt_local
from govwatch.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


# The real SMTP server (aiosmtpd on 127.0.0.1) is the `smtp` fixture in conftest.py.
from aiosmtpd.controller import Controller  # noqa: E402
from conftest import SmtpSink, free_port, respond, serve_http, stop_http  # noqa: E402


@pytest.fixture
def db(tmp_path):
    """The SQLite store the CLI also opens (conftest points GOVWATCH_DB there)."""
    from govwatch.store.sqlite import SqliteStore
    s = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    yield s
    s.close()


def make_settings(port: int = 25, **alerts):
    s = load_settings()
    s.data["smtp"].update(host="127.0.0.1", port=port, security="none", sender="govwatch@city.gov.cn")
    s.data["admin_emails"] = ["admin@city.gov.cn"]
    s.data["alerts"].update(alerts)
    return s


def site(tid: str = "city", **kw) -> Target:
    kw.setdefault("emails", [f"office@{tid}.gov.cn"])
    kw.setdefault("name", f"{tid}人民政府网站")
    kw.setdefault("url", f"https://www.{tid}.gov.cn/")
    return Target(id=tid, owner=f"{tid}人民政府办公室", office=f"{tid}政务公开科", **kw)


def finding(tid: str = "city", page: str = "a", rule: str = "banned.gambling", severity: str = "veto",
            match: str = "网络赌博", **kw) -> Finding:
    kw.setdefault("category", "淫秽色情赌博暴力恐怖")
    return Finding(target_id=tid, rule=rule, severity=severity, url=f"https://www.{tid}.gov.cn/{page}.html",
                   title=f"关于{page}的通知", match=match, snippet=f"……{match}……", deadline=T0 + timedelta(days=1),
                   evidence={"snapshot": "ab" * 32, "fetched_at": T0.isoformat()}, **kw)


def record(store, findings, at=T0):
    store.upsert_findings(findings, at=at)
    return [store.get_finding(f.id) for f in findings]


def drain(store, settings, start=T0, rounds=12, step=timedelta(hours=1)):
    at = start
    for _ in range(rounds):
        flush(store, settings, at=at)
        at += step
    return at


# Delivery --------------------------------------------------------------------------------

def test_refused_deliveries_arrive_exactly_once(store, smtp):
    settings = make_settings(smtp.port)
    store.upsert_targets([site()])
    fs = record(store, [finding(page=f"p{i}") for i in range(4)])
    out = enqueue_for_findings(store, settings, fs, T0)
    assert out.queued == 4
    smtp.refuse = 3
    drain(store, settings)
    alerts = store.list_alerts()
    assert Counter(smtp.ids()) == Counter({a.id: 1 for a in alerts})
    assert all(a.status == "sent" for a in alerts)
    assert sum(a.attempts for a in alerts) == 4 + 3
    events = Counter(e["event"] for e in store.list_alert_log(limit=1000))
    assert events["retry"] == 3 and events["sent"] == 4
    assert all(rcpt == ["office@city.gov.cn"] for rcpt, _ in smtp.messages)


def test_backoff_schedule_and_visible_failure(db, smtp, capsys):
    from govwatch.cli import main

    settings = make_settings(smtp.port, max_attempts=4, backoff_seconds=60, backoff_max_seconds=200)
    db.upsert_targets([site()])
    enqueue_for_findings(db, settings, record(db, [finding()]), T0)
    (alert,) = db.list_alerts()
    smtp.refuse = 10_000

    def state():
        return next(a for a in db.list_alerts() if a.id == alert.id)

    flush(db, settings, at=T0)
    assert (state().attempts, state().next_attempt_at) == (1, T0 + timedelta(seconds=60))
    flush(db, settings, at=T0 + timedelta(seconds=59))
    assert smtp.attempts == 1  # not due yet
    flush(db, settings, at=T0 + timedelta(seconds=60))
    assert (state().attempts, state().next_attempt_at) == (2, T0 + timedelta(seconds=180))
    flush(db, settings, at=T0 + timedelta(seconds=180))
    # 60 * 2**2 = 240 is capped at backoff_max_seconds = 200
    assert (state().attempts, state().next_attempt_at) == (3, T0 + timedelta(seconds=380))
    flush(db, settings, at=T0 + timedelta(seconds=380))
    a = state()
    assert a.status == "failed" and a.attempts == 4 and "451" in a.last_error
    notices = [x for x in db.list_alerts() if x.dedup_key.startswith("failed:")]
    assert [(n.dedup_key, n.to) for n in notices] == [(f"failed:{alert.id}", "admin@city.gov.cn")]
    drain(db, settings, start=T0 + timedelta(hours=1))  # the notice fails too: no notice about it
    assert len([x for x in db.list_alerts() if x.dedup_key.startswith("failed:")]) == 1
    capsys.readouterr()
    assert main(["alerts", "list", "--status", "failed"]) == 0
    out = capsys.readouterr().out
    assert alert.id in out and "发送失败" in out
    assert main(["alerts", "list"]) == 0
    assert "有 2 条提醒发送失败" in capsys.readouterr().out


def test_a_flush_killed_midway_loses_nothing(db, smtp, tmp_path):
    settings = make_settings(smtp.port)
    db.upsert_targets([site()])
    enqueue_for_findings(db, settings, record(db, [finding(page=f"p{i}") for i in range(20)]), T0)
    ids = {a.id for a in db.list_alerts()}
    assert len(ids) == 20
    smtp.delay = 0.15
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GOVWATCH_SMTP__PORT": str(smtp.port),
           "GOVWATCH_SMTP__HOST": "127.0.0.1", "GOVWATCH_SMTP__SENDER": "govwatch@city.gov.cn"}
    proc = subprocess.Popen([sys.executable, "-m", "govwatch", "alerts", "flush"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(smtp.messages) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(smtp.messages)
    assert 5 <= before < 20, (before, proc.returncode)
    smtp.delay = 0
    # restart: the dead flusher's claims and lock expire; everything still pending goes out
    later = datetime.now(UTC) + timedelta(days=1)
    result = flush(db, settings, at=later)
    assert result.sent >= 20 - before
    received = Counter(smtp.ids())
    assert set(received) == ids
    assert sum(received.values()) - len(ids) <= 1  # only the message in flight at the kill may repeat
    assert all(a.status == "sent" for a in db.list_alerts())


def test_same_finding_never_reaches_a_recipient_twice(store, smtp):
    settings = make_settings(smtp.port)
    store.upsert_targets([site(contacts=[Contact(name="王五", email="wangwu@city.gov.cn")])])
    (f,) = record(store, [finding()])
    assert enqueue_for_findings(store, settings, [f], T0).queued == 2
    assert enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0).queued == 0
    # a racing caller with a stale copy (alerted_at not yet set) is stopped by the dedup key
    store.update_finding(f.id, alerted_at=None)
    assert enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0 + timedelta(minutes=1)).queued == 0
    drain(store, settings, rounds=3)
    assert sorted(r for rcpt, _ in smtp.messages for r in rcpt) == ["office@city.gov.cn", "wangwu@city.gov.cn"]


# Text safety -----------------------------------------------------------------------------

def test_header_injection_through_crawled_text_is_impossible(store, smtp):
    settings = make_settings(smtp.port)
    store.upsert_targets([site(name="城市\r\nBcc: victim@evil.example")])
    f = finding(category="赌博\r\nBcc: attacker@evil.example\nX-Injected: yes")
    f.title = "通知\r\n\r\n<html>"
    enqueue_for_findings(store, settings, record(store, [f]), T0)
    flush(store, settings, at=T0)
    ((rcpt, msg),) = smtp.messages
    assert rcpt == ["office@city.gov.cn"]
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert "Bcc: attacker@evil.example" in msg["Subject"]  # harmless text on one line
    # and the message builder itself refuses what the policy would never produce
    raw = Alert(dedup_key="k", channel="email", to="a@city.gov.cn", subject="x\r\nBcc: b@evil.example", body="b")
    assert "\n" not in str(build_message(raw, "govwatch@city.gov.cn")["Subject"])
    assert not valid_address("a@city.gov.cn\r\nBcc: b@evil.example")
    assert not valid_address("a@city.gov.cn, b@evil.example")
    with pytest.raises(SendError) as err:
        build_message(Alert(dedup_key="k", channel="email", to="x@y.gov.cn\nBcc: z@e.x", subject="s", body="b"),
                      "govwatch@city.gov.cn")
    assert err.value.permanent
    assert header_safe("a\u2028b\x1b[31mc\u202e") == "a b [31mc"


def test_html_part_escapes_crawled_text(store, smtp):
    settings = make_settings(smtp.port)
    store.upsert_targets([site()])
    f = finding(match="<b>赌博</b>")
    f.title = '<img src=x onerror="alert(1)">通知'
    f.snippet = "<script>alert('x')</script>"
    f.url = "javascript:alert(1)"
    enqueue_for_findings(store, settings, record(store, [f]), T0)
    flush(store, settings, at=T0)
    ((_, msg),) = smtp.messages
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html and "<img" not in html and "<b>赌博" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://www.city.gov.cn/">' in html  # the target's own link is a link
    assert "<script>alert('x')</script>" in text  # plain text carries the evidence verbatim
    assert "检查规则：banned.gambling" in text and "七条底线" in text and "整改时限：2026-11-04 10:00" in text


# Policy ----------------------------------------------------------------------------------

def test_quiet_hours_defer_but_veto_ignores_them(store, smtp):
    settings = make_settings(smtp.port)
    contacts = [Contact(name="联系人甲", role="联系人", email="c@city.gov.cn", hours="08:00-22:00"),
                Contact(name="负责人乙", role="负责人", email="boss@city.gov.cn", hours="08:00-18:00"),
                Contact(name="机器人关", role="联系人", email="off@city.gov.cn", channels=[])]
    store.upsert_targets([site(contacts=contacts)])
    night = datetime(2026, 11, 3, 23, 30, tzinfo=TZ)
    high, veto = record(store, [finding(page="h", rule="privacy.id_number", severity="high", match="110101"),
                                finding(page="v")], at=night)
    enqueue_for_findings(store, settings, [high, veto], night)
    by = {(a.to, a.finding_ids[0]): a for a in store.list_alerts()}
    morning = datetime(2026, 11, 4, 8, 0, tzinfo=TZ)
    assert by[("office@city.gov.cn", high.id)].next_attempt_at == night  # office mailbox: any time
    assert by[("c@city.gov.cn", high.id)].next_attempt_at == morning  # contact: next window
    assert by[("c@city.gov.cn", veto.id)].next_attempt_at == night  # veto ignores quiet hours
    assert by[("boss@city.gov.cn", veto.id)].next_attempt_at == night  # the 负责人 gets veto only …
    assert ("boss@city.gov.cn", high.id) not in by
    assert not any(a.to == "off@city.gov.cn" for a in by.values())  # every channel switched off
    flush(store, settings, at=night)
    assert sorted(r[0] for r, _ in smtp.messages) == ["boss@city.gov.cn", "c@city.gov.cn",
                                                       "office@city.gov.cn", "office@city.gov.cn"]
    flush(store, settings, at=morning)
    assert len(smtp.to("c@city.gov.cn")) == 2
    # windows across midnight and several windows
    assert next_send_time("22:00-06:00", datetime(2026, 11, 3, 23, 0, tzinfo=TZ)) == datetime(2026, 11, 3, 23, 0, tzinfo=TZ)
    assert next_send_time("08:00-12:00,14:00-18:00", datetime(2026, 11, 3, 12, 30, tzinfo=TZ)) == \
        datetime(2026, 11, 3, 14, 0, tzinfo=TZ)


def test_maintenance_silences_availability_alerts_only(store):
    settings = make_settings()
    t = site(maintenance=Maintenance(kind="升级改版", until=date(2026, 11, 30)))
    store.upsert_targets([t])
    t = store.get_target("city")
    out = availability_alerts(store, settings, t, was_down=False, is_down=True, at=T0, down_since=T0)
    assert (out.queued, out.suppressed) == (0, 1)
    unreachable, banned = record(store, [finding(rule="site.unreachable", page="index", match=""),
                                         finding(page="b")])
    out = enqueue_for_findings(store, settings, [unreachable, banned], T0)
    assert out.suppressed == 1 and {a.finding_ids[0] for a in store.list_alerts()} == {banned.id}
    reasons = [e["reason"] for e in store.list_alert_log() if e["event"] == "suppressed"]
    assert len(reasons) == 2 and all("维护" in r for r in reasons)
    # after the maintenance: the outage that began during it gets no recovery notice; a new one alerts
    dec = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    out = availability_alerts(store, settings, t, was_down=True, is_down=False, at=dec, down_since=T0)
    assert (out.queued, out.suppressed) == (0, 1)
    out = availability_alerts(store, settings, t, was_down=False, is_down=True, at=dec, down_since=dec)
    assert out.queued == 1


def test_down_and_recovery_notices_reach_office_and_duty(store, smtp, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("start,end,name,email\n2026-11-03 08:00,2026-11-03 20:00,值班员甲,duty@city.gov.cn\n",
                      encoding="utf-8")
    settings = make_settings(smtp.port)
    settings.data["roster"] = str(roster)
    store.upsert_targets([site()])
    t = store.get_target("city")
    assert availability_alerts(store, settings, t, False, True, at=T0, down_since=T0, detail="HTTP 502").queued == 2
    assert availability_alerts(store, settings, t, False, True, at=T0 + timedelta(minutes=30), down_since=T0).queued == 0
    assert availability_alerts(store, settings, t, True, True, at=T0).queued == 0
    up = T0 + timedelta(hours=2, minutes=5)
    assert availability_alerts(store, settings, t, True, False, at=up, down_since=T0).queued == 2
    drain(store, settings, start=up, rounds=1)
    subjects = sorted(m["Subject"] for _, m in smtp.messages)
    assert subjects == ["【恢复连通】city人民政府网站"] * 2 + ["【网站无法访问】city人民政府网站"] * 2
    recovery = smtp.to("duty@city.gov.cn")[1] if "恢复" in smtp.to("duty@city.gov.cn")[1]["Subject"] \
        else smtp.to("duty@city.gov.cn")[0]
    assert "共约 2 小时 5 分钟" in recovery.get_body(("plain",)).get_content()


def test_repeats_per_page_and_rule_are_muted_for_n_days(store):
    settings = make_settings(mute_days=7)
    store.upsert_targets([site()])
    (f1,) = record(store, [finding(page="p", match="网络赌博")])
    assert enqueue_for_findings(store, settings, [f1], T0).queued == 1
    later = T0 + timedelta(days=2)
    f2, other_page = record(store, [finding(page="p", match="赌球"), finding(page="q", match="赌球")], at=later)
    out = enqueue_for_findings(store, settings, [f2, other_page], later)
    assert (out.queued, out.suppressed) == (1, 1)
    assert store.get_finding(f2.id).alerted_at == T0  # inherits the alert that opened the window
    assert any("不重复提醒" in e.get("reason", "") for e in store.list_alert_log())
    week = T0 + timedelta(days=7, hours=1)  # the window is fixed at T0: it has closed
    (f3,) = record(store, [finding(page="p", match="六合彩")], at=week)
    assert enqueue_for_findings(store, settings, [f3], week).queued == 1


def test_review_before_send_holds_office_alerts(db, smtp, tmp_path, capsys):
    from govwatch.cli import main

    roster = tmp_path / "roster.yaml"
    roster.write_text("shifts:\n  - start: 2026-11-03 00:00\n    end: 2026-11-04 00:00\n    name: 值班员\n"
                      "    email: duty@city.gov.cn\n", encoding="utf-8")
    settings = make_settings(smtp.port, review_before_send=True)
    settings.data["roster"] = str(roster)
    db.upsert_targets([site()])
    f, fp = record(db, [finding(page="a"), finding(page="b")])
    enqueue_for_findings(db, settings, [f, fp], T0)
    status = {(a.to, a.finding_ids[0]): a.status for a in db.list_alerts()}
    assert status[("office@city.gov.cn", f.id)] == "held" and status[("duty@city.gov.cn", f.id)] == "pending"
    flush(db, settings, at=T0)
    assert {r[0] for r, _ in smtp.messages} == {"duty@city.gov.cn"}
    db.transition_finding(fp.id, "false_positive", by="值班员", note="误报")
    held = [a for a in db.list_alerts(status="held")]
    f_alert = next(a for a in held if a.finding_ids == [f.id])
    assert release(db, [f_alert.id], at=T0) == {"released": 1, "cancelled": 0, "unknown": []}
    flush(db, settings, at=T0)
    assert len(smtp.to("office@city.gov.cn")) == 1
    capsys.readouterr()
    assert main(["alerts", "release"]) == 0  # the rest: its finding is a false positive meanwhile
    assert "取消 1 条" in capsys.readouterr().out
    assert [a.status for a in db.list_alerts() if a.finding_ids == [fp.id] and a.to.startswith("office")] == ["cancelled"]
    assert main(["alerts", "release", "nonexistent"]) == 1


def test_daily_digest_per_office_grouped_by_target_and_severity(store, smtp):
    settings = make_settings(smtp.port)
    shared = ["gongkai@county.gov.cn"]
    store.upsert_targets([site("a", emails=shared), site("b", emails=shared)])
    fs = record(store, [finding("a", page="1", rule="expression.typo", severity="medium", match="按装",
                                category="错别字", suggestion="安装"),
                        finding("a", page="2", rule="site.meta_missing", severity="low", match="", category="网页标签缺失"),
                        finding("b", page="3", rule="title.clickbait", severity="medium", match="震惊", category="标题党"),
                        finding("b", page="4", rule="privacy.mobile", severity="info", match="138", category="手机号"),
                        finding("b", page="5")])
    assert enqueue_for_findings(store, settings, fs, T0).digest_later == 3
    flush(store, settings, at=T0)
    digest_at = datetime(2026, 11, 4, 8, 30, tzinfo=TZ)
    out = enqueue_digests(store, settings, digest_at)
    assert out.queued == 1
    assert enqueue_digests(store, settings, digest_at + timedelta(days=1)).queued == 0
    flush(store, settings, at=digest_at)
    (msg,) = [m for m in smtp.to("gongkai@county.gov.cn") if "每日汇总" in m["Subject"]]
    assert "3 个待整改问题" in msg["Subject"] and "2026-11-04" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert text.index("a人民政府网站") < text.index("b人民政府网站")
    a_part = text[text.index("a人民政府网站"):text.index("b人民政府网站")]
    assert a_part.index("【一般】") < a_part.index("【轻微】")
    assert "https://www.a.gov.cn/1.html" in text and "推荐修改：安装" in text and "依据：expression.typo" in text
    assert "手机号" not in text  # info findings are not mailed
    assert "整改时限 2026-11-04" in text


def test_roster_formats_and_errors(tmp_path):
    csv_file = tmp_path / "r.csv"
    csv_file.write_text("\ufeffname,start,end,email,webhook\n"
                        "甲,2026-11-01 08:00,2026-11-01 20:00,a@city.gov.cn,\n"
                        "乙,2026-11-01 20:00,2026-11-02 08:00,,dingtalk:https://oapi.dingtalk.com/robot/send?access_token=t\n",
                        encoding="utf-8")
    assert [s.name for s in on_duty(csv_file, datetime(2026, 11, 1, 19, 59, tzinfo=TZ))] == ["甲"]
    assert [s.name for s in on_duty(csv_file, datetime(2026, 11, 1, 20, 0, tzinfo=TZ))] == ["乙"]
    assert [s.name for s in on_duty(csv_file, datetime(2026, 11, 2, 1, 0, tzinfo=TZ))] == ["乙"]
    assert on_duty(csv_file, datetime(2026, 11, 2, 8, 0, tzinfo=TZ)) == []
    yml = tmp_path / "r.yml"
    yml.write_text("shifts:\n  - {start: '2026-11-01T08:00', end: '2026-11-01 20:00', name: 丙, email: c@x.gov.cn}\n",
                   encoding="utf-8")
    assert load_roster(yml)[0].start == datetime(2026, 11, 1, 8, 0, tzinfo=TZ)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,start,end,email\n丁,2026-11-01 20:00,2026-11-01 08:00,d@x.gov.cn\n", encoding="utf-8")
    with pytest.raises(RosterError, match="第 1 条班次：结束时间应晚于开始时间"):
        load_roster(bad)
    bad.write_text("name,start,end\n戊,2026-11-01 08:00,2026-11-01 20:00\n", encoding="utf-8")
    with pytest.raises(RosterError, match="没有邮箱"):
        load_roster(bad)


def test_broken_or_empty_roster_sends_the_duty_copy_to_admins(store, tmp_path):
    settings = make_settings()
    settings.data["roster"] = str(tmp_path / "missing.csv")
    store.upsert_targets([site()])
    enqueue_for_findings(store, settings, record(store, [finding()]), T0)
    assert {a.to for a in store.list_alerts()} == {"office@city.gov.cn", "admin@city.gov.cn"}
    assert any(e["event"] == "roster_error" for e in store.list_alert_log())


def test_collector_alerts_and_sweep(store):
    settings = make_settings()
    t = site("acct", emails=[])
    store.upsert_targets([t])
    store.update_target_state("acct", consecutive_failures=4, error_kind="rate_limited",
                              last_crawl_error="HTTP 432")
    assert collector_alerts(store, settings, T0).queued == 1
    assert collector_alerts(store, settings, T0 + timedelta(hours=6)).queued == 0
    (a,) = store.list_alerts()
    assert a.to == "admin@city.gov.cn" and "采集异常" in a.subject and "HTTP 432" in a.body
    # findings recorded by a path that did not call the hook are picked up by the sweep
    store.upsert_targets([site()])
    record(store, [finding()])
    assert sweep(store, settings, T0 + timedelta(minutes=1)).queued == 1
    assert sweep(store, settings, T0 + timedelta(minutes=2)).queued == 0


def test_one_collector_notice_per_streak_whichever_path_comes_first(store):
    """The collector's own collector.error finding and the crawl job's check tell the admin once."""
    settings = make_settings()
    store.upsert_targets([site("acct", emails=[])])
    store.update_target_state("acct", consecutive_failures=3, error_kind="blocked", last_crawl_error="环境异常")
    err = Finding(target_id="acct", rule="collector.error", category="采集异常", severity="info",
                  url="https://weibo.com/u/1", match="blocked")
    enqueue_for_findings(store, settings, record(store, [err]), T0)
    assert collector_alerts(store, settings, T0 + timedelta(minutes=5)).queued == 0
    assert [a.to for a in store.list_alerts()] == ["admin@city.gov.cn"]


def test_alerts_cli_test_flush_and_log(db, smtp, monkeypatch, capsys):
    from govwatch.cli import main

    monkeypatch.setenv("GOVWATCH_SMTP__PORT", str(smtp.port))
    monkeypatch.setenv("GOVWATCH_SMTP__HOST", "127.0.0.1")
    assert main(["alerts", "test", "someone@city.gov.cn"]) == 0
    ((rcpt, msg),) = smtp.messages
    assert rcpt == ["someone@city.gov.cn"] and msg["Subject"].startswith("【测试】")
    assert main(["alerts", "test", "not an address"]) == 1
    assert "收件地址无效" in capsys.readouterr().out
    db.upsert_targets([site()])
    record(db, [finding()], at=datetime.now(UTC))  # no hook called: `alerts flush` sweeps and sends
    assert main(["alerts", "flush"]) == 0
    assert "已发送 1 条" in capsys.readouterr().out
    assert main(["alerts", "log"]) == 0
    out = capsys.readouterr().out
    assert "测试成功" in out and "测试失败" in out and "已发送" in out


def test_unreachable_mail_server_is_one_timeout_per_round(store):
    settings = make_settings(free_port())  # nothing listens there
    store.upsert_targets([site()])
    enqueue_for_findings(store, settings, record(store, [finding(page=f"p{i}") for i in range(5)]), T0)
    result = flush(store, settings, at=T0)
    assert (result.sent, result.retried, result.skipped_channels) == (0, 1, ["email"])
    assert sorted(a.attempts for a in store.list_alerts()) == [0, 0, 0, 0, 1]


def test_unsafe_character_class_matches_unicode_categories():
    import unicodedata

    from govwatch.alerts.compose import _UNSAFE

    for c in range(0x110000):
        ch = chr(c)
        unsafe = ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        if unsafe != bool(_UNSAFE.match(ch)):
            # newer Unicode tables may add format characters; the regex must cover at least these
            assert not unsafe or unicodedata.unidata_version != "14.0.0", hex(c)
            assert unsafe or unicodedata.category(ch) == "Cn", hex(c)


def test_probe_outage_gives_one_down_and_one_recovery_notice(db, smtp):
    """The real probe round (govwatch.availability.run_probe) against a local site that goes away."""
    from govwatch.alerts import availability_notice
    from govwatch.availability import run_probe

    settings = make_settings(smtp.port)
    settings.data["thresholds"]["probe_timeout"] = 2
    settings.data["crawl"]["user_agent"] = "govwatch-test"
    port = free_port()
    db.upsert_targets([site(url=f"http://127.0.0.1:{port}/")])

    def notify(store, target, event, at):
        availability_notice(store, target, event, at, settings=settings)

    def probe_round(at):
        run_probe(db, settings, [db.get_target("city")], at=at, notify=notify)
        sweep(db, settings, at)  # what the flush job does: the site.down_now finding is covered
        flush(db, settings, at=at)

    srv = serve_ok(port)
    probe_round(T0)
    stop_http(srv)
    for n in range(1, 5):  # down after 3 consecutive failures; a 4th failure says nothing new
        probe_round(T0 + timedelta(minutes=30 * n))
    assert db.get_target("city").down_since == T0 + timedelta(minutes=90)
    srv = serve_ok(port)
    try:
        probe_round(T0 + timedelta(minutes=150))
    finally:
        stop_http(srv)
    assert [m["Subject"] for _, m in smtp.messages] == ["【网站无法访问】city人民政府网站", "【恢复连通】city人民政府网站"]
    assert db.get_target("city").down_since is None
    assert any("通知覆盖" in e.get("reason", "") for e in db.list_alert_log(limit=500))


def test_digest_of_a_long_backlog_stays_readable():
    from govwatch.alerts.compose import digest_message

    t = site()
    fs = [finding(page=f"p{i}", rule="expression.typo", severity="medium") for i in range(8)]
    msg = digest_message({"city": (t, fs)}, "2026-11-04", max_items=5)
    assert msg.text.count("    - ") == 5 and msg.html.count("<li>") == 5
    assert "另有 3 个问题未逐条列出" in msg.text and "8 个待整改问题" in msg.subject


def _self_signed(tmp_path):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now_ = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now_ - timedelta(days=1))
            .not_valid_after(now_ + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login_with_credentials_from_the_environment(db, tmp_path, monkeypatch, security):
    import ssl

    from aiosmtpd.smtp import AuthResult

    from govwatch.alerts.outbox import send_test

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        pair = tuple(v.decode() if isinstance(v, bytes) else v for v in (auth_data.login, auth_data.password))
        logins.append(pair)
        return AuthResult(success=pair == ("robot@city.gov.cn", "s3cret"), handled=False)

    sink = SmtpSink()
    port = free_port()
    # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; with implicit TLS every byte is encrypted
    tls = ({"ssl_context": server_ctx, "auth_require_tls": False} if security == "ssl"
           else {"tls_context": server_ctx, "require_starttls": True, "auth_require_tls": True})
    ctl = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator,
                     auth_exclude_mechanism=["LOGIN"], **tls)
    ctl.start()
    try:
        for key_, value in {"HOST": "127.0.0.1", "PORT": str(port), "SECURITY": security, "CAFILE": str(cert),
                            "USER": "robot@city.gov.cn", "PASSWORD": "s3cret"}.items():
            monkeypatch.setenv(f"GOVWATCH_SMTP__{key_}", value)
        settings = load_settings()
        assert send_test(db, settings, "duty@city.gov.cn") == ""
        assert [r for r, _ in sink.messages] == [["duty@city.gov.cn"]]
        monkeypatch.setenv("GOVWATCH_SMTP__PASSWORD", "wrong")
        error = send_test(db, load_settings(), "duty@city.gov.cn")
        assert "SMTP 登录失败" in error and "GOVWATCH_SMTP__PASSWORD" in error
        monkeypatch.delenv("GOVWATCH_SMTP__CAFILE")  # the system's CAs do not know this server
        assert "无法连接邮件服务器" in send_test(db, load_settings(), "duty@city.gov.cn")
        assert logins == [("robot@city.gov.cn", "s3cret"), ("robot@city.gov.cn", "wrong")]
    finally:
        ctl.stop()


def test_an_outage_that_begins_in_maintenance_is_reported_once_it_ends(db, smtp):
    """Down during 临时关停, still down after it: one notice when the maintenance ends (with the real
    start), then a recovery notice; a site that comes back during maintenance gets neither."""
    port = free_port()  # nothing listens there: every probe fails
    settings = make_settings(smtp.port)
    settings.data["thresholds"]["probe_timeout"] = 1
    until = date(2026, 11, 3)  # maintenance until the end of 3 Nov (Beijing)
    db.upsert_targets([site(url=f"http://127.0.0.1:{port}/", maintenance=Maintenance("临时关停", until)),
                       site("town", url=f"http://127.0.0.1:{port}/", maintenance=Maintenance("临时关停", until))])
    from govwatch.alerts import availability_notice
    from govwatch.availability import run_probe

    def notify(store, target, event, at):
        availability_notice(store, target, event, at, settings=settings)

    def probe_round(at, ids=("city",)):
        result = run_probe(db, settings, [db.get_target(i) for i in ids], at=at, notify=notify)
        sweep(db, settings, at)
        flush(db, settings, at=at)
        return result

    for n in range(4):  # down during the maintenance: silenced
        probe_round(T0 + timedelta(minutes=30 * n))
    started = db.get_target("city").down_since
    assert started == T0 + timedelta(minutes=60) and smtp.messages == []
    after = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)  # 09:00 on 4 Nov in Beijing: maintenance over
    result = probe_round(after)
    assert result.still_down == ["city"] and result.went_down == []
    assert [m["Subject"] for _, m in smtp.messages] == ["【网站无法访问】city人民政府网站"]
    body = smtp.messages[0][1].get_body(("plain",)).get_content()
    assert "维护（临时关停）期间开始无法访问" in body and fmt_local(started) in body
    # once only
    assert probe_round(after + timedelta(minutes=30)).still_down == []
    assert len(smtp.messages) == 1
    # it comes back: the recovery is reported, as the outage was
    srv = serve_ok(port)
    try:
        probe_round(after + timedelta(hours=1))
    finally:
        stop_http(srv)
    assert [m["Subject"] for _, m in smtp.messages][-1] == "【恢复连通】city人民政府网站"
    assert db.get_target("city").down_since is None and db.get_target("city").status == "up"

    # negative: down and back within the maintenance, nothing at all
    for n in range(4):
        probe_round(T0 + timedelta(minutes=30 * n), ids=("town",))
    srv = serve_ok(port)
    try:
        probe_round(T0 + timedelta(hours=3), ids=("town",))
    finally:
        stop_http(srv)
    assert len(smtp.messages) == 2


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        respond(self, 200, b"ok")

    def log_message(self, *args):
        pass


def serve_ok(port):
    """A site answering 200 "ok" on ``port`` (the probe's view of a site that is up)."""
    return serve_http(_Ok, port)
