"""End to end: the site farm, `govwatch run --once crawl_websites` (the crawl subprocess and its alert
hook), then the `govwatch run` service, whose flush job mails the office about the planted banned
term within one flush interval."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from govwatch.demo.farm import Farm
from govwatch.models import Target
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def test_planted_banned_term_reaches_the_office(tmp_path, smtp):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GOVWATCH_DB": f"sqlite:///{tmp_path / 'var' / 'govwatch.db'}",
           "GOVWATCH_VAR_DIR": str(tmp_path / "var"), "GOVWATCH_SMTP__HOST": "127.0.0.1",
           "GOVWATCH_SMTP__PORT": str(smtp.port), "GOVWATCH_SMTP__SENDER": "govwatch@demo.gov.cn",
           "GOVWATCH_SCHEDULE__FLUSH_SECONDS": "1", "GOVWATCH_SCHEDULE__HEARTBEAT_SECONDS": "1"}
    with Farm(seed=7, sites=4) as farm:
        (planted,) = [p for p in farm.planted() if p["rule"].startswith("banned.")]
        target = next(Target.from_dict(d) for d in farm.targets() if d["id"] == planted["target_id"])
        target.rules = {"disabled": ["site.domain"]}  # the farm lives on 127.0.0.1
        store = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
        store.upsert_targets([target])
        once = subprocess.run([sys.executable, "-m", "govwatch", "run", "--once", "crawl_websites"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        assert once.returncode == 0, once.stdout + once.stderr[-3000:]
    # the veto finding went into the outbox during the crawl, before any flush
    queued = [a for a in store.list_alerts() if planted["rule"] in a.body and planted["url"] in a.body]
    assert queued and all(a.status == "pending" for a in queued)
    assert {a.to for a in queued} >= set(target.emails)
    service = subprocess.Popen([sys.executable, "-m", "govwatch", "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and service.poll() is None:
            if any(planted["url"] in m.get_body(("plain",)).get_content() for _, m in smtp.messages):
                break
            time.sleep(0.2)
    finally:
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=60)
    assert service.returncode == 0, err[-3000:]
    mails = [(rcpt, m) for rcpt, m in smtp.messages if planted["url"] in m.get_body(("plain",)).get_content()]
    assert {r for rcpt, _ in mails for r in rcpt} >= set(target.emails)
    _, msg = mails[0]
    text = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("【单项否决】") and target.name in msg["Subject"]
    assert text.startswith(target.office)  # names the office
    assert planted["url"] in text and f"检查规则：{planted['rule']}" in text and planted["match"] in text
    assert "整改时限" in text
    assert [r.ok for r in store.list_runs("crawl_websites")] == [True]
    assert any(r.ok and r.stats.get("sent") for r in store.list_runs("flush"))
    store.close()
