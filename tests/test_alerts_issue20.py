"""Alerts and reports as users met them (issue 20): one finding is one problem, robot messages cut
between items, robots on private hosts, the duty officer's own copy, no tokens echoed, a closed
pipe ends quietly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from govwatch.alerts import availability_alerts, enqueue_for_findings, flush
from govwatch.alerts.compose import digest_message, finding_message
from govwatch.alerts.roster import RosterError, load_roster
from govwatch.alerts.webhook import fit_text
from govwatch.models import UTC, Contact, Finding, Target
from govwatch.registry import RegistryError, load_targets
from govwatch.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 Beijing


def site(**kw) -> Target:
    kw.setdefault("emails", ["office@city.gov.cn"])
    return Target(id="city", name="示范市人民政府网站", url="https://www.city.gov.cn/", owner="示范市人民政府办公室",
                  office="政务公开科", **kw)


def finding(page="a", match="网络赌博", rule="banned.obscene", **kw) -> Finding:
    kw.setdefault("severity", "veto")
    kw.setdefault("detail", "词库 banned_obscene.txt:21")
    kw.setdefault("snippet", f"……{match}……")
    return Finding(target_id="city", rule=rule, category="淫秽色情赌博", url=f"https://www.city.gov.cn/{page}.html",
                   title=f"关于{page}的通知", match=match, deadline=T0 + timedelta(days=1),
                   suggestion="删除该内容", **kw)


# ---------------------------------------------------------------- one finding, one problem

def test_one_finding_matched_three_times_is_one_problem(store):
    settings = load_settings()
    store.upsert_targets([site()])
    f = finding()
    store.upsert_findings([f, f, f], at=T0)
    stored = store.get_finding(f.id)
    out = enqueue_for_findings(store, settings, [stored, stored, stored], T0)  # as a crawl reports each match
    assert out.queued == 1
    alert = store.list_alerts()[0]
    assert "等 3 个问题" not in alert.subject and "等" not in alert.subject.split("：", 1)[1]
    assert alert.body.count(f.id) == 1 and alert.finding_ids == [f.id]
    # the composer alone says the same
    assert finding_message(site(), [stored] * 3).text.count("问题编号") == 1
    # negative: two different findings are two problems
    g = finding(page="b")
    assert "等 2 个问题" in finding_message(site(), [stored, g]).subject


def test_record_hits_reports_each_new_finding_once(store):
    from crawler.ingest import record_hits
    from govwatch.models import Hit

    store.upsert_targets([site()])
    hit = Hit("banned.obscene", "淫秽色情赌博", "veto", match="网络赌博", url="https://www.city.gov.cn/a.html")
    stats = record_hits(store, [(None, "city", hit)] * 3, at=T0)
    assert stats.findings_new == 1 and len(stats.new_findings) == 1


# ---------------------------------------------------------------- robot size limits

def _many(n: int) -> list[Finding]:
    return [finding(page=f"p{i}", match=f"违规词{i}", detail="说明" * 20) for i in range(n)]


def test_wecom_messages_are_cut_between_items_never_inside_one():
    msg = finding_message(site(), _many(12))
    assert len(f"{msg.subject}\n\n{msg.text}".encode()) > 2048
    text = fit_text(msg.subject, msg.text, 2048)
    assert len(text.encode()) <= 2048
    shown = [line for line in text.split("\n") if line.rstrip(".").isdigit()]
    assert 1 <= len(shown) < 12
    # every item shown is whole: it reaches its last line (问题编号)
    assert text.count("问题编号：") == len(shown)
    assert f"另有 {12 - len(shown)} 项" in text
    # a short message is left as it is
    short = finding_message(site(), _many(1))
    assert fit_text(short.subject, short.text, 2048) == f"{short.subject}\n\n{short.text}"


def test_digests_are_cut_between_entries():
    fs = [finding(page=f"d{i}", match=f"词{i}", severity="medium", rule="expression.typo") for i in range(40)]
    msg = digest_message({"city": (site(), fs)}, "2026-11-03")
    text = fit_text(msg.subject, msg.text, 2048)
    assert len(text.encode()) <= 2048 and "另有" in text
    entries = [line for line in text.split("\n") if line.startswith("    - ")]
    # each entry shown keeps its link and basis lines
    assert text.count("      链接：") == len(entries) and text.count("      依据：") == len(entries)


def test_a_single_item_longer_than_the_limit_is_cut_at_a_line_end():
    f = finding(snippet="长" * 3000, match="网络赌博")
    msg = finding_message(site(), [f])
    text = fit_text(msg.subject, msg.text, 700)
    assert len(text.encode()) <= 700 and text.endswith("……")
    assert all(line in msg.text or line == "……" for line in text.split("\n")[2:])  # whole lines only


# ---------------------------------------------------------------- robots in the registry and the roster

def test_registry_accepts_robots_written_kind_colon_url_on_any_host(tmp_path, robot):
    path = tmp_path / "名录.csv"
    path.write_text(
        "名称,平台,网址,主办单位,联系人\n"
        f"示范网站,网站,https://www.shifan.gov.cn/,示范市政府办,值班室|渠道:群机器人|wecom:{robot.base}/cgi-bin/webhook/send?key=PRIVATEKEY\n",
        encoding="utf-8")
    t = load_targets(path)[0]
    assert t.contacts[0].webhook == f"wecom:{robot.base}/cgi-bin/webhook/send?key=PRIVATEKEY"
    yaml_path = tmp_path / "名录.yaml"
    yaml_path.write_text("- name: 示范网站\n  platform: website\n  url: https://www.shifan.gov.cn/\n  contacts:\n"
                         "    - {name: 值班室, webhook: 'dingtalk:http://10.8.0.2/robot/send?access_token=T',"
                         " channels: [webhook]}\n", encoding="utf-8")
    assert load_targets(yaml_path)[0].contacts[0].webhook.startswith("dingtalk:http://10.8.0.2/")
    # an address nobody can send to is refused at import, with the way to write it
    bad = tmp_path / "坏.csv"
    bad.write_text("名称,平台,网址,主办单位,联系人\n"
                   "示范网站,网站,https://www.shifan.gov.cn/,示范市政府办,值班室|渠道:群机器人|http://10.8.0.2/hook\n",
                   encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_targets(bad)
    assert "wecom:网址" in err.value.problems[0].message
    with pytest.raises(RegistryError):
        bad.write_text("名称,平台,网址,主办单位,联系人\n示范网站,网站,https://www.shifan.gov.cn/,示范市政府办,"
                       "值班室|wecom:javascript:alert(1)\n", encoding="utf-8")
        load_targets(bad)

    # and the robot on the private host receives the alert
    from govwatch.store import open_store

    settings = load_settings()
    settings.data["admin_emails"] = []
    store = open_store(settings=settings)
    try:
        t.emails = []
        store.upsert_targets([t])
        f = Finding(target_id=t.id, rule="banned.obscene", category="赌博", severity="veto",
                    url="https://www.shifan.gov.cn/a.html", match="网络赌博", deadline=T0 + timedelta(days=1))
        store.upsert_findings([f], at=T0)
        enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0)
        assert flush(store, settings, at=T0).sent == 1
        assert [urlsplit(r["path"]).path for r in robot.requests] == ["/cgi-bin/webhook/send"]
        assert not [e for e in store.list_alert_log(limit=50) if e["event"] == "suppressed"]
    finally:
        store.close()


def test_roster_robots_are_checked_when_the_roster_is_read(tmp_path):
    good = tmp_path / "roster.csv"
    good.write_text("start,end,name,email,webhook\n2026-11-03 08:00,2026-11-03 20:00,甲,,"
                    "wecom:http://10.0.0.9/cgi-bin/webhook/send?key=K\n", encoding="utf-8")
    assert load_roster(good)[0].webhook.startswith("wecom:")
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,name,email,webhook\n2026-11-03 08:00,2026-11-03 20:00,甲,,http://10.0.0.9/hook\n",
                   encoding="utf-8")
    with pytest.raises(RosterError, match="wecom:网址"):
        load_roster(bad)


# ---------------------------------------------------------------- the duty officer's copy

def test_the_duty_officers_copy_is_addressed_to_the_duty_officer(store, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("start,end,name,email\n2026-11-03 08:00,2026-11-03 20:00,值班员甲,duty@city.gov.cn\n",
                      encoding="utf-8")
    settings = load_settings()
    settings.data["roster"] = str(roster)
    store.upsert_targets([site()])
    f = finding()
    store.upsert_findings([f], at=T0)
    enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0)
    availability_alerts(store, settings, store.get_target("city"), False, True, at=T0, down_since=T0)
    by_to: dict[str, list] = {}
    for a in store.list_alerts():
        by_to.setdefault(a.to, []).append(a)
    assert len(by_to["duty@city.gov.cn"]) == 2 and len(by_to["office@city.gov.cn"]) == 2
    for a in by_to["duty@city.gov.cn"]:
        assert a.body.startswith("值班同志：") and "示范市人民政府办公室负责的" in a.body
        assert "您单位" not in a.body and "政务公开科：" not in a.body
        assert "值班同志" in a.html and "您单位" not in a.html
    for a in by_to["office@city.gov.cn"]:
        assert a.body.startswith("政务公开科：") and "您单位负责的" in a.body and "值班同志" not in a.body


# ---------------------------------------------------------------- the command line

def _cli(*args: str, stdin=None, shell: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if shell:
        return subprocess.run(shell, shell=True, capture_output=True, text=True, env=env, timeout=120)
    return subprocess.run([sys.executable, "-m", "govwatch", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_alerts_test_never_echoes_tokens_or_secrets(robot):
    spec = f"dingtalk:{robot.base}/robot/send?access_token=TOKEN123#secret=SEC456"
    done = _cli("alerts", "test", spec)
    assert done.returncode == 0, done.stderr
    assert "TOKEN123" not in done.stdout + done.stderr and "SEC456" not in done.stdout + done.stderr
    assert "钉钉机器人" in done.stdout
    robot.answers["/robot/send"] = [{"errcode": 310000, "errmsg": "sign not match"}]
    done = _cli("alerts", "test", spec)
    assert done.returncode == 1 and "TOKEN123" not in done.stdout and "SEC456" not in done.stdout
    done = _cli("alerts", "test", "http://10.0.0.9/hook?token=TOKEN789")
    assert done.returncode == 2 and "TOKEN789" not in done.stdout + done.stderr and "wecom:网址" in done.stdout


def test_findings_list_into_a_closed_pipe_ends_quietly(tmp_path):
    from govwatch.store import open_store

    store = open_store(settings=load_settings())
    store.upsert_targets([site()])
    store.upsert_findings([finding(page=f"p{i}", match=f"违规{i}") for i in range(3000)], at=T0)
    store.close()
    done = _cli(shell=f"{sys.executable} -m govwatch findings list --limit 3000 | head -n 2")
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 2
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    # negative: the whole listing still prints when nobody closes the pipe
    done = _cli("findings", "list", "--limit", "5", "--format", "json")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 5
    assert all(json.loads(line)["id"] for line in done.stdout.splitlines())


def test_a_stored_robot_nobody_can_send_to_fails_visibly_and_the_admins_are_told(store):
    """A robot stored before addresses were checked is not dropped silently: the alert fails as
    permanent, shows among the failed alerts (without its token), and the admins get a notice."""
    settings = load_settings()
    settings.data["admin_emails"] = ["admin@city.gov.cn"]
    t = site(emails=[], contacts=[Contact(name="值班室", webhook="http://10.0.0.9/hook?token=TOKEN789",
                                          channels=["webhook"])])
    store.upsert_targets([t])
    f = finding()
    store.upsert_findings([f], at=T0)
    out = enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0)
    assert out.queued == 1 and out.suppressed == 0
    result = flush(store, settings, at=T0, senders={"email": _Collect(), "webhook": _webhook()})
    assert result.failed == 1
    failed = store.list_alerts(status="failed")
    assert len(failed) == 1 and "机器人地址无效" in failed[0].last_error and "TOKEN789" not in failed[0].last_error
    notices = [a for a in store.list_alerts() if a.to == "admin@city.gov.cn"]
    assert len(notices) == 1 and "提醒发送失败" in notices[0].subject
    assert "TOKEN789" not in json.dumps(store.list_alert_log(limit=100), ensure_ascii=False, default=str)


class _Collect:
    channel = "email"

    def __init__(self):
        self.sent = []

    def send(self, alert):
        self.sent.append(alert)

    def close(self):
        pass


def _webhook():
    from govwatch.alerts.webhook import WebhookSender

    return WebhookSender(timeout=1)
