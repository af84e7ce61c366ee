"""Probe rounds, rechecks and account rounds interrupted by SIGINT/SIGTERM while pages are slow:
nothing judged, nothing closed, the run recorded as interrupted, a Chinese message for the CLI."""
import os
import signal
import threading

import pytest

from govwatch.interrupt import Interrupted
from govwatch.models import Finding, Hit, Target
from tests.hostile_site import HostileSite, Internal


@pytest.fixture
def slow_site():
    with Internal() as internal, HostileSite(internal.url, slow=8) as site:
        yield site


@pytest.fixture
def settings():
    from govwatch.settings import load_settings

    s = load_settings(env={})
    s.data["crawl"]["retries"] = 0
    return s


class _Signal:
    """Sends ``sig`` to this process after ``delay`` seconds; harmless if it comes late."""

    def __init__(self, sig, delay=0.8):
        self.sig, self.delay = sig, delay

    def __enter__(self):
        self.previous = signal.signal(self.sig, lambda *_: None)  # a late signal must not stop pytest
        self.timer = threading.Timer(self.delay, os.kill, (os.getpid(), self.sig))
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        signal.signal(self.sig, self.previous)


def _finding(site, rule="site.dead_link", match=None):
    hit = Hit(rule=rule, category="site", severity="high", match=match or site.url + "news/a1.html",
              detail="首页上的链接无法打开", url=site.url, field="page")
    return Finding.from_hit(hit, target_id="hostile")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_probe_round_records_and_judges_nothing(store, settings, slow_site, sig):
    from govwatch.availability import RUN_JOB, run_probe

    target = Target.from_dict(slow_site.target(url=slow_site.url + "news/a1.html"))
    store.upsert_targets([target])
    with _Signal(sig), pytest.raises(Interrupted) as caught:
        run_probe(store, settings, [target])
    assert "探测被中断" in str(caught.value) and "不作可用性判断" in str(caught.value)
    assert store.list_checks(target.id) == []
    assert store.list_findings() == []
    run = store.list_runs(RUN_JOB)[0]
    assert run.ok is False and run.stats["status"] == "interrupted"
    assert run.stats["reason"] == signal.Signals(sig).name


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_recheck_leaves_findings_as_they_were(store, settings, slow_site, sig):
    from govwatch.recheck import recheck

    store.upsert_targets([Target.from_dict(slow_site.target())])
    finding = _finding(slow_site)
    store.upsert_findings([finding])
    before = store.get_finding(finding.id).to_dict(jsonable=True)
    with _Signal(sig), pytest.raises(Interrupted) as caught:
        recheck(store, settings)
    assert "复查被中断" in str(caught.value)
    assert store.get_finding(finding.id).to_dict(jsonable=True) == before
    run = store.list_runs("recheck")[0]
    assert run.ok is False and run.stats["status"] == "interrupted"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_account_round_counts_no_failure(store, settings, slow_site, sig):
    from crawler.accounts import RUN_JOB, crawl_accounts

    account = Target.from_dict({"id": "acct", "name": "某县发布", "platform": "wechat",
                                "feed_url": slow_site.url + "news/a1.html"})
    store.upsert_targets([account])
    with _Signal(sig), pytest.raises(Interrupted) as caught:
        crawl_accounts(settings, store, [account])
    assert "账号采集被中断" in str(caught.value)
    after = store.get_target("acct")
    assert after.consecutive_failures == 0 and after.last_crawl_at is None and after.error_kind == ""
    assert store.list_findings() == []
    run = store.list_runs(RUN_JOB)[0]
    assert run.ok is False and run.stats["status"] == "interrupted" and run.stats["collected"] == 0
