"""Alerts during a sensitive period (敏感时期): urgent severities go out at once (no digest, no
quiet hours) and every alert text names the period; outside the period nothing changes."""
from __future__ import annotations

from datetime import datetime, timedelta

from govwatch.alerts import availability_alerts, enqueue_digests, enqueue_for_findings, sweep
from govwatch.models import TZ, Contact, Finding, Target
from govwatch.periods import make_period
from govwatch.settings import load_settings

NIGHT = datetime(2026, 11, 3, 23, 30, tzinfo=TZ)  # outside the contact's sending hours
LINE = "敏感时期：全国两会（2026-11-03至2026-11-04）"


def settings_with(**alerts):
    s = load_settings()
    s.data["admin_emails"] = ["admin@city.gov.cn"]
    s.data["alerts"].update(alerts)
    return s


def site() -> Target:
    return Target(id="city", name="示范市人民政府网站", url="https://www.city.gov.cn/", owner="示范市政府办",
                  office="政务公开科", emails=["office@city.gov.cn"],
                  contacts=[Contact(name="联系人甲", role="联系人", email="c@city.gov.cn", hours="08:00-18:00")])


def finding(page: str, severity: str, rule: str = "banned.gambling", match: str = "网络赌博") -> Finding:
    return Finding(target_id="city", rule=rule, severity=severity, url=f"https://www.city.gov.cn/{page}.html",
                   title=f"关于{page}的通知", match=match, snippet=f"……{match}……", category="测试类别",
                   deadline=NIGHT + timedelta(days=1))


def recorded(store, fs, at=NIGHT):
    store.upsert_findings(fs, at=at)
    return [store.get_finding(f.id) for f in fs]


def declare(store, start="2026-11-03", end="2026-11-04"):
    store.put_period(make_period("全国两会", start, end).to_dict())


def test_veto_left_for_the_digest_is_immediate_in_a_period(store):
    # an installation that batches veto findings into the digest (immediate: high only)
    settings = settings_with(immediate_severities=["high"], digest_severities=["veto", "medium", "low"])
    store.upsert_targets([site()])
    (before,) = recorded(store, [finding("a", "veto")])
    out = enqueue_for_findings(store, settings, [before], NIGHT)
    assert out.queued == 0 and out.digest_later == 1  # no period: waits for the digest

    declare(store)
    (inside,) = recorded(store, [finding("b", "veto")])
    out = enqueue_for_findings(store, settings, [inside], NIGHT)
    assert out.digest_later == 0 and out.queued >= 2
    by_to = {a.to: a for a in store.list_alerts() if a.finding_ids == [inside.id]}
    assert by_to["c@city.gov.cn"].next_attempt_at == NIGHT  # the contact's quiet hours do not hold it
    assert by_to["office@city.gov.cn"].next_attempt_at == NIGHT
    assert LINE in by_to["c@city.gov.cn"].body and LINE in by_to["c@city.gov.cn"].html
    # the digest during the period carries only the digest severities, and names the period; the
    # veto left for the digest before the period began is now immediate (the sweep sends it)
    (medium,) = recorded(store, [finding("m", "medium", "expression.typo", "按装")])
    assert enqueue_for_findings(store, settings, [medium], NIGHT).digest_later == 1
    digest = enqueue_digests(store, settings, NIGHT + timedelta(minutes=5))
    (d,) = [a for a in digest.alerts if a.to == "office@city.gov.cn"]
    assert d.finding_ids == [medium.id] and LINE in d.body and LINE in d.html


def test_urgent_severities_skip_digest_and_quiet_hours_only_inside(store, monkeypatch):
    monkeypatch.setenv("GOVWATCH_PERIODS__URGENT_SEVERITIES", "veto,high,medium")
    settings = settings_with()
    store.upsert_targets([site()])
    declare(store, "2026-11-04", "2026-11-04")  # starts tomorrow (Beijing)
    high, medium = recorded(store, [finding("h", "high", "privacy.id_number", "110101"),
                                    finding("m", "medium", "expression.typo", "按装")])
    out = enqueue_for_findings(store, settings, [high, medium], NIGHT)
    assert out.digest_later == 1
    contact = {a.finding_ids[0]: a for a in store.list_alerts() if a.to == "c@city.gov.cn"}
    assert set(contact) == {high.id}
    assert contact[high.id].next_attempt_at == datetime(2026, 11, 4, 8, 0, tzinfo=TZ)  # next window
    assert "敏感时期" not in contact[high.id].body

    midnight = datetime(2026, 11, 4, 0, 0, 1, tzinfo=TZ)  # the period's first second
    high2, medium2 = recorded(store, [finding("h2", "high", "privacy.id_number", "110102"),
                                      finding("m2", "medium", "expression.typo", "按装")], at=midnight)
    out = enqueue_for_findings(store, settings, [high2, medium2], midnight)
    assert out.digest_later == 0
    contact = {a.finding_ids[0]: a for a in store.list_alerts() if a.to == "c@city.gov.cn"}
    assert contact[high2.id].next_attempt_at == midnight and contact[medium2.id].next_attempt_at == midnight
    assert "敏感时期：全国两会（2026-11-04至2026-11-04）" in contact[medium2.id].body


def test_sweep_catches_urgent_findings_nobody_enqueued(store):
    settings = settings_with(immediate_severities=["high"], digest_severities=["veto", "medium", "low"])
    store.upsert_targets([site()])
    (f,) = recorded(store, [finding("s", "veto")])
    assert sweep(store, settings, NIGHT).queued == 0  # outside: the digest's
    declare(store)
    assert sweep(store, settings, NIGHT).queued >= 1
    assert store.get_finding(f.id).alerted_at is not None


def test_availability_notice_names_the_period(store):
    settings = settings_with()
    store.upsert_targets([site()])
    declare(store)
    out = availability_alerts(store, settings, site(), False, True, NIGHT, down_since=NIGHT)
    assert out.queued and all(LINE in a.body for a in out.alerts)
    after = datetime(2026, 11, 5, 0, 0, 0, tzinfo=TZ)  # the day after the last day
    out = availability_alerts(store, settings, site(), True, False, after, down_since=NIGHT)
    assert out.queued and not any("敏感时期" in a.body for a in out.alerts)
