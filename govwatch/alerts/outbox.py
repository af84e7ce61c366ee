"""The outbox: at-least-once delivery with a dedup key, exponential backoff and visible failures.

Enqueue: an alert's id is a hash of (dedup key, channel, recipient); the store inserts an id only
once, so the same finding never reaches the same recipient twice however often it is enqueued.

Flush, for each due alert (status ``pending``, ``next_attempt_at`` reached):
1. *claim*: ``attempts += 1`` and ``next_attempt_at = now + backoff(attempts)`` are written before
   anything is sent. This is the lease: if the process dies during the send, the alert is still
   ``pending`` and comes due again after the backoff. Nothing is lost; and a message that crashes
   the process every time still uses up its attempts and ends ``failed`` instead of looping.
2. *send*: the sender returns only once the server accepted the message (SMTP 250 after DATA,
   robot answer ``errcode 0``).
3. *mark*: ``status = sent`` only after that acceptance.
The one duplicate this cannot avoid: the process is killed after the server accepted a message and
before step 3 is written. That alert is sent again after its backoff, with the same Message-ID
(``<alert id@domain>``), so a mail system or a reader can recognise it. At most one alert per killed
flush is affected (sends are sequential).

Failures: a temporary error (4xx, timeout, connection refused) retries after
``backoff_seconds * 2**(attempts-1)`` (capped at ``backoff_max_seconds``); a permanent error (5xx,
invalid address, revoked robot) or ``max_attempts`` reached sets ``status = failed``, which
``govwatch alerts list --status failed`` shows, and enqueues one notice to the admins (dedup key
``failed:<alert id>``). A connection-level error stops that channel for the rest of the round, so a
dead mail server costs one timeout per flush, not one per alert.

Only one flusher runs at a time per store (lock ``outbox``), so ``govwatch alerts flush`` by hand
and the service's flush job never send the same alert concurrently.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time as _time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from govwatch.alerts.base import Sender, SendError
from govwatch.models import Alert, now

log = logging.getLogger("govwatch.alerts")

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
LOCK = "outbox"
LOCK_TTL = 120


def enqueue(store, alerts: list[Alert]) -> list[Alert]:
    """Add alerts to the outbox; return those that were new (the rest were duplicates)."""
    added = []
    for a in alerts:
        if store.enqueue_alerts([a]):
            added.append(a)
    return added


def backoff(settings, attempts: int) -> timedelta:
    cfg = settings.alerts
    base = float(cfg.get("backoff_seconds", 60))
    cap = float(cfg.get("backoff_max_seconds", 21600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def default_senders(settings) -> dict[str, Sender]:
    from govwatch.alerts.smtp import SmtpSender
    from govwatch.alerts.webhook import WebhookSender

    return {"email": SmtpSender(settings.smtp),
            "webhook": WebhookSender(timeout=float(settings.alerts.get("webhook_timeout", 10)))}


def shown_to(alert: Alert) -> str:
    if alert.channel == "webhook":
        from govwatch.alerts.webhook import display
        return display(alert.to)
    return alert.to


@dataclass
class FlushResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped_channels: list[str] = field(default_factory=list)
    locked: bool = False  # another flusher holds the outbox
    stopped: bool = False
    send_seconds: float = 0.0  # time spent inside senders (network round trips)
    elapsed: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _event(store, at: datetime, event: str, a: Alert, **extra) -> None:
    store.log_alert_event({"at": at.isoformat(), "event": event, "alert_id": a.id, "dedup_key": a.dedup_key,
                           "channel": a.channel, "to": shown_to(a), "subject": a.subject,
                           "finding_ids": a.finding_ids, "attempt": a.attempts, **extra})


def _all_false_positive(store, a: Alert) -> bool:
    if not a.finding_ids:
        return False
    for fid in a.finding_ids:
        f = store.get_finding(fid)
        if f is None or f.status != "false_positive":
            return False
    return True


def flush(store, settings, senders: dict[str, Sender] | None = None, at: datetime | None = None,
          stop: threading.Event | None = None, holder: str | None = None, on_failed=None) -> FlushResult:
    """Send every due alert once. ``at`` fixes the clock (tests); by default the real time is used.
    ``on_failed(store, settings, alert, at)`` is told of each alert given up on (the policy's
    ``failure_notice`` tells the admins; ``govwatch.alerts.flush`` passes it)."""
    t_start = _time.perf_counter()
    clock = (lambda: at) if at is not None else now
    holder = holder or HOLDER
    result = FlushResult()
    if not store.try_lock(LOCK, holder, LOCK_TTL, at=clock()):
        result.locked = True
        return result
    senders = default_senders(settings) if senders is None else senders
    max_attempts = int(settings.alerts.get("max_attempts", 8))
    batch = int(settings.alerts.get("batch", 200))
    dead: set[str] = set()
    seen: set[str] = set()
    last_refresh = _time.monotonic()
    try:
        while not result.stopped:
            limit = batch + len(seen)
            due = [a for a in store.due_alerts(clock(), limit=limit)
                   if a.id not in seen and a.channel not in dead]
            if not due:
                break
            for a in due:
                if stop is not None and stop.is_set():
                    result.stopped = True
                    break
                if _time.monotonic() - last_refresh > LOCK_TTL / 4:
                    store.try_lock(LOCK, holder, LOCK_TTL, at=clock())
                    last_refresh = _time.monotonic()
                if a.channel in dead:
                    continue
                seen.add(a.id)
                t = clock()
                if _all_false_positive(store, a):
                    store.update_alert(a.id, status="cancelled", last_error="问题已标记为误报")
                    _event(store, t, "cancelled", a, reason="问题已标记为误报，不再发送")
                    result.cancelled += 1
                    continue
                sender = senders.get(a.channel)
                a.attempts += 1
                lease = t + backoff(settings, a.attempts)
                store.update_alert(a.id, attempts=a.attempts, next_attempt_at=lease)  # claim before send
                t0 = _time.perf_counter()
                try:
                    if sender is None:
                        raise SendError(f"未配置的提醒渠道：{a.channel}", permanent=True)
                    sender.send(a)
                except SendError as exc:
                    result.send_seconds += _time.perf_counter() - t0
                    a.last_error = str(exc)[:500]
                    if exc.connection:
                        dead.add(a.channel)
                        result.skipped_channels.append(a.channel)
                    if exc.permanent or a.attempts >= max_attempts:
                        store.update_alert(a.id, status="failed", last_error=a.last_error)
                        _event(store, clock(), "failed", a, error=a.last_error,
                               reason="永久性错误" if exc.permanent else f"已尝试 {a.attempts} 次")
                        log.warning("alert failed id=%s channel=%s attempts=%d error=%s",
                                    a.id, a.channel, a.attempts, a.last_error)
                        result.failed += 1
                        if on_failed is not None:
                            on_failed(store, settings, a, clock())
                    else:
                        store.update_alert(a.id, last_error=a.last_error)
                        _event(store, clock(), "retry", a, error=a.last_error, next_attempt_at=lease.isoformat())
                        result.retried += 1
                    continue
                except Exception as exc:  # a bug in a sender must not stop the other alerts
                    result.send_seconds += _time.perf_counter() - t0
                    a.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    store.update_alert(a.id, last_error=a.last_error)
                    _event(store, clock(), "retry", a, error=a.last_error, next_attempt_at=lease.isoformat())
                    log.exception("sender crashed id=%s", a.id)
                    result.retried += 1
                    continue
                result.send_seconds += _time.perf_counter() - t0
                sent_at = clock()
                store.update_alert(a.id, status="sent", sent_at=sent_at, last_error="")
                _event(store, sent_at, "sent", a)
                result.sent += 1
    finally:
        for s in senders.values():
            try:
                s.close()
            except Exception:
                log.exception("closing sender")
        store.release_lock(LOCK, holder)
        result.elapsed = _time.perf_counter() - t_start
    if result.sent or result.failed or result.retried:
        log.info("outbox flushed sent=%d retried=%d failed=%d cancelled=%d",
                 result.sent, result.retried, result.failed, result.cancelled)
    return result


def send_test(store, settings, address: str, at: datetime | None = None,
              senders: dict[str, Sender] | None = None) -> str:
    """Send a test message to ``address`` (an email or a robot ``kind:URL``) directly, not through the
    outbox: the answer is immediate. Returns '' on success, else the error (Chinese)."""
    from govwatch.alerts import compose
    from govwatch.alerts.webhook import parse_webhook

    at = at or now()
    channel = "webhook" if parse_webhook(address) else "email"
    msg = compose.test_message(at)
    alert = Alert(dedup_key=f"test:{uuid.uuid4().hex}", channel=channel, to=address.strip(), subject=msg.subject,
                  body=msg.text, html=msg.html if channel == "email" else "", created_at=at, attempts=1)
    senders = senders or default_senders(settings)
    error = ""
    try:
        senders[channel].send(alert)
    except SendError as exc:
        error = str(exc)
    finally:
        senders[channel].close()
    _event(store, at, "test_failed" if error else "test_sent", alert, **({"error": error} if error else {}))
    return error
