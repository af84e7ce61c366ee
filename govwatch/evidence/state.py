"""Per-target state for the month: update requirement and verdict (the nightly detection's verdict,
in the forms' words), availability figures, last publication.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from govwatch.models import (
    TZ,
    Target, aware, fmt_local,
)
from govwatch.store import Store
from scanner.timeline import (
    STATUS_STALE, STATUS_ZOMBIE, STATUS_ZOMBIE_CANDIDATE, UNTIMED_PLATFORMS, ThresholdBook, Verdict,
    account_stale_days,
)


# ---------------------------------------------------------------------------- per-target state

@dataclass
class _OwnerStats:
    findings: int = 0
    veto: int = 0
    done: int = 0
    open: int = 0
    overdue: int = 0
    categories: Counter = field(default_factory=Counter)


def _stale_limits(th: dict, target: Target) -> dict:
    """The update limits of one target from its resolved thresholds (the same lookup the timeline
    judges with: settings, per platform, per content type, the target's own rules)."""
    if target.platform == "website":
        return {"stale": int(th["homepage_stale_days"])}
    return {"stale": account_stale_days(th, target.content_type), "veto": int(th["account_stale_veto_days"])}


# the export's words for the timeline's statuses (those of the 19号 and zombie-account forms); the
# status itself is the nightly detection's, never judged again here
_ACCOUNT_WORDS = {STATUS_STALE: "更新不及时", STATUS_ZOMBIE_CANDIDATE: "疑似僵尸", STATUS_ZOMBIE: "僵尸账号"}
UNTIMED_VERDICT = "不作更新判断（移动客户端、小程序不采集发布信息）"


def update_state(settings, target: Target, verdict: Verdict | None,
                 book: ThresholdBook | None = None) -> tuple[str, str, int | None]:
    """(requirement, verdict text, days without update) of one target from its verdict as
    ``govwatch zombies`` gives it (``govwatch.detection.judge_as_of``): the same status, with its
    reason — 未知 when the collector cannot tell (failing, or its last good crawl older than
    ``crawl_max_age_hours``), never a veto the system cannot know. ``verdict`` is None for the
    platforms the detection does not judge (``UNTIMED_PLATFORMS``)."""
    if target.platform in UNTIMED_PLATFORMS or verdict is None:
        return "不适用", UNTIMED_VERDICT, None
    th = (book or ThresholdBook(settings.data["thresholds"])).for_target(target)
    limits = _stale_limits(th, target)
    if target.platform == "website":
        requirement = f"首页{limits['stale']}天内有更新"
    else:
        requirement = f"每{limits['stale']}天至少更新1次，{limits['veto']}天未更新单项否决"
    days = verdict.days_since
    if target.platform != "website" and target.status == "gone":
        return requirement, "账号已注销或不存在", days
    word = verdict.status if target.platform == "website" else _ACCOUNT_WORDS.get(verdict.status, verdict.status)
    return requirement, f"{word}（{verdict.reason}）" if verdict.reason else word, days


ZOMBIE_ADVICE = {
    "僵尸账号": "无力维护的按程序关停注销，或与本单位其他账号整合",
    "疑似僵尸": "立即恢复更新；无力维护的按程序关停注销",
    "空壳": "开展运营或按程序注销",
    "账号已注销": "核实账号状态，更新监测底数",
}


def _availability_row(store: Store, settings, target: Target, start: datetime, end: datetime) -> list:
    checks = [c for c in store.list_checks(target.id, since=start) if aware(c.at) < end]
    total, failed = len(checks), sum(1 for c in checks if not c.ok)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    window_days = int(settings.data["thresholds"]["unreachable_window_days"])
    elapsed = [c.elapsed_ms for c in checks if c.ok and c.elapsed_ms is not None]
    tls = max((aware(c.tls_expires_at) for c in checks if c.tls_expires_at), default=None)
    for c in checks:
        day = aware(c.at).astimezone(TZ).date()
        per_day[day][0] += 1
        per_day[day][1] += 0 if c.ok else 1
    worst = 0.0
    if per_day:
        first, last = min(per_day), max(per_day)
        span = (last - first).days + 1
        for offset in range(max(1, span - (window_days - 1))):
            window = [per_day.get(first + timedelta(days=offset + d)) for d in range(min(window_days, span))]
            n = sum(w[0] for w in window if w)
            bad = sum(w[1] for w in window if w)
            if n:
                worst = max(worst, bad / n)
    share = float(settings.data["thresholds"]["unreachable_share"])
    if not total:
        verdict = "无监测数据"
    elif worst >= share:
        verdict = f"单项否决（{window_days}日内无法访问比例≥{share:.0%}）"
    elif failed:
        verdict = "基本正常（偶有无法访问）"
    else:
        verdict = "正常"
    if target.in_maintenance(end - timedelta(seconds=1)):
        verdict += f"（{target.maintenance.kind}期间）"
    return [target.name, target.owner, target.url, total, total - failed, failed,
            f"{failed / total:.2%}" if total else "", f"{worst:.2%}" if total else "",
            round(sum(elapsed) / len(elapsed)) if elapsed else "",
            fmt_local(tls, with_time=False) if tls else "", verdict]


def _last_publication(store: Store, target: Target, start: datetime, end: datetime) -> tuple[datetime | None, int]:
    """(last publication before ``end``, items published in [start, end))."""
    in_month = store.publication_times([target.id], start, end).get(target.id, [])
    if in_month:
        return max(in_month), len(in_month)
    latest = aware(target.last_published_at)
    if latest is not None and latest < start:
        return latest, 0
    before = store.publication_times([target.id], start - timedelta(days=800), start).get(target.id, [])
    return (max(before) if before else None), 0


def _owner_summary(s: _OwnerStats) -> str:
    if not s.findings:
        return "本月未发现问题"
    text = f"本月涉及问题{s.findings}个"
    if s.veto:
        text += f"（其中单项否决{s.veto}个）"
    text += f"，已整改或销号{s.done}个，未完成整改{s.open}个"
    if s.overdue:
        text += f"（超期{s.overdue}个）"
    top = "、".join(f"{k}{n}个" for k, n in s.categories.most_common(5))
    return text + f"；主要问题：{top}"
