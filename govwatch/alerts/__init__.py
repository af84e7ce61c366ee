"""Alerts: policy, composition, the outbox and its senders.

Shaped like APScheduler's job stores: ``base.py`` defines the sender interface, ``smtp.py`` and
``webhook.py`` implement it; ``policy.py`` decides who is told what and when, ``compose.py`` writes
the Chinese texts, ``outbox.py`` delivers at least once, ``roster.py`` reads the duty roster.

Entry points for the rest of govwatch:
- ``enqueue_for_findings(store, settings, findings, at=None)``: the crawl pipeline calls it right after
  findings are recorded; immediate alerts are in the outbox at once, the rest waits for the digest;
- ``availability_alerts(store, settings, target, was_down, is_down, at=None, down_since=None, detail="")``:
  the probe calls it when a site's reported state changes (down / recovered);
  ``availability_notice(store, target, event, at, settings=None)`` is the same for
  ``govwatch.availability.run_probe(notify=…)`` (event "down" or "recovered");
- ``flush(store, settings)``, ``enqueue_digests``, ``collector_alerts``, ``sweep``, ``release``: the
  scheduler jobs and ``govwatch alerts``.
"""
from govwatch.alerts import outbox
from govwatch.alerts.outbox import FlushResult, enqueue, send_test
from govwatch.alerts.policy import (
    Outcome, Policy, availability_alerts, availability_notice, collector_alerts, enqueue_digests, enqueue_for_findings,
    failure_notice, release, sweep,
)


def flush(store, settings, senders=None, at=None, stop=None, holder=None) -> FlushResult:
    """Send every due alert once (``outbox.flush``); alerts given up on are reported to the admins."""
    return outbox.flush(store, settings, senders, at, stop, holder, on_failed=failure_notice)

__all__ = [
    "FlushResult", "Outcome", "Policy", "availability_alerts", "availability_notice", "collector_alerts", "enqueue",
    "enqueue_digests", "enqueue_for_findings", "failure_notice", "flush", "release", "send_test", "sweep",
]
