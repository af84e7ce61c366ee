"""Alerts benchmark: N findings through policy, outbox and a local SMTP server.

    /work/venv/bin/python bench/alerts.py [--findings 10000] [--targets 100]

The SMTP server (aiosmtpd's Sink handler) runs in its own process on 127.0.0.1, so its work does
not compete with ours for the GIL. Every finding is a veto on its own page, so every finding
becomes one immediate alert to its target's office mailbox: N alerts in all, over one reused SMTP
connection per flush.

Prints: alerts per second end to end (policy + outbox + SMTP), the policy stage alone, and the
share of the total time spent outside the SMTP round trip (time inside ``send_message``: building
and writing the message and waiting for the server's 250).
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _util import ROOT, free_port, peak_rss_mb  # noqa: F401  (puts the project on sys.path)

from govwatch.alerts import enqueue_for_findings, flush
from govwatch.alerts.smtp import SmtpSender
from govwatch.alerts.webhook import WebhookSender
from govwatch.models import UTC, Finding, Target
from govwatch.settings import load_settings
from govwatch.store.sqlite import SqliteStore


def start_smtp(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("SMTP server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--targets", type=int, default=100)
    args = ap.parse_args()

    port = free_port()
    server = start_smtp(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(Path(tmp) / "bench.db")
            settings = load_settings(env={"GOVWATCH_VAR_DIR": tmp})
            settings.data["smtp"].update(host="127.0.0.1", port=port, security="none", sender="govwatch@bench.gov.cn")
            settings.data["alerts"]["batch"] = 500
            at = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
            targets = [Target(id=f"t{i:03d}", name=f"第{i}号政府网站", url=f"https://www.t{i}.gov.cn/",
                              office=f"第{i}科", emails=[f"office{i}@bench.gov.cn"]) for i in range(args.targets)]
            store.upsert_targets(targets)
            findings = [Finding(target_id=f"t{i % args.targets:03d}", rule="banned.gambling", category="赌博",
                                severity="veto", url=f"https://www.t{i % args.targets}.gov.cn/art/{i}.html",
                                title=f"关于第{i}期工作的通知", match="网络赌博", snippet=f"……网络赌博……{i}",
                                deadline=at + timedelta(days=1)) for i in range(args.findings)]
            store.upsert_findings(findings, at=at)

            t0 = time.perf_counter()
            outcome = enqueue_for_findings(store, settings, findings, at)
            t_policy = time.perf_counter() - t0

            smtp_rt = [0.0]
            senders = {"email": SmtpSender(settings.smtp, on_round_trip=lambda s: smtp_rt.__setitem__(0, smtp_rt[0] + s)),
                       "webhook": WebhookSender()}
            t1 = time.perf_counter()
            result = flush(store, settings, senders=senders, at=at)
            t_flush = time.perf_counter() - t1
            sent = len(store.list_alerts(status="sent", limit=10 * args.findings))
            store.close()
    finally:
        server.terminate()
        server.wait()

    total = t_policy + t_flush
    assert outcome.queued == args.findings and result.sent == args.findings == sent, (outcome.queued, result.sent, sent)
    print(f"alerts: {args.findings} findings -> {outcome.queued} alerts -> {result.sent} sent over SMTP")
    print(f"  policy (enqueue_for_findings): {t_policy:6.2f} s  {args.findings / t_policy:8.0f} findings/s")
    print(f"  outbox flush + SMTP:           {t_flush:6.2f} s  {result.sent / t_flush:8.0f} alerts/s")
    print(f"  end to end:                    {total:6.2f} s  {result.sent / total:8.0f} alerts/s")
    print(f"  SMTP round trip (send_message): {smtp_rt[0]:5.2f} s = {smtp_rt[0] / total:.0%} of the total;"
          f" outside it: {1 - smtp_rt[0] / total:.0%} (of the flush alone: {1 - smtp_rt[0] / t_flush:.0%})")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
