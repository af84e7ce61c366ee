"""Availability rules (pure): a target's recent probes → site.down_now, site.unreachable, TLS expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

from govwatch import rules as catalogue
from govwatch.models import Check, Hit, fmt_local
from govwatch.settings import DEFAULTS

TH = DEFAULTS["thresholds"]

def consecutive_failures(checks: list[Check]) -> int:
    n = 0
    for c in reversed(checks):
        if c.ok:
            break
        n += 1
    return n


def judge_availability(url: str, checks: list[Check], at: datetime, *, down_after: int = TH["down_consecutive"],
                       share: float = TH["unreachable_share"], window_days: int = TH["unreachable_window_days"],
                       min_probes: int = TH["unreachable_min_probes"],
                       tls_days: int = TH["tls_expiring_days"]) -> tuple[list[Hit], bool]:
    """``checks`` ordered by time. Returns the hits and whether the site counts as down now.
    The keyword arguments are thresholds (settings ``thresholds.down_consecutive`` …)."""
    hits: list[Hit] = []
    failing = consecutive_failures(checks)
    down = failing >= down_after
    if down:
        last = checks[-1]
        first_failed = checks[-failing]
        hits.append(Hit("site.down_now", catalogue.label("site.down_now"), "high", match="down",
                        detail=f"连续 {failing} 次探测失败（自 {fmt_local(first_failed.at)} 起），最近一次：{last.error or '无法访问'}",
                        url=url, field="page", suggestion=catalogue.measure_text("site.down_now")))
    recent = [c for c in checks if c.at >= at - timedelta(days=window_days)]
    if len(recent) >= min_probes:
        failed = sum(not c.ok for c in recent)
        ratio = failed / len(recent)
        if ratio >= share:
            hits.append(Hit("site.unreachable", catalogue.label("site.unreachable"), "veto", match="unreachable",
                            detail=f"近 {window_days} 天探测 {len(recent)} 次，失败 {failed} 次，不可用率 {ratio:.1%}（标准：低于 {share:.0%}）",
                            url=url, field="page", suggestion="按国办秘函〔2019〕19号，一周内不可用率须低于5%"))
    latest_tls = next((c.tls_expires_at for c in reversed(checks) if c.tls_expires_at), None)
    if latest_tls is not None:
        left = latest_tls - at
        if left <= timedelta(days=tls_days):
            expired = left.total_seconds() <= 0
            hits.append(Hit("site.tls_expiring", "证书已过期" if expired else catalogue.label("site.tls_expiring"),
                            "high" if expired else "medium", match=latest_tls.date().isoformat(),
                            detail=(f"证书已过期：已于 {fmt_local(latest_tls)} 过期，浏览器将提示网站不安全" if expired
                                    else f"证书将于 {fmt_local(latest_tls)} 过期"),
                            url=url, field="page", suggestion=catalogue.measure_text("site.tls_expiring")))
    return hits, down
