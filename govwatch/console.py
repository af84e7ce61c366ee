"""The duty officer's screen (DESIGN.md section 1): what is down, what serious findings arrived,
what is overdue, which collectors fail — one read-only page that refreshes itself.

Standard library only (http.server), bound to 127.0.0.1 unless told otherwise. Crawled text is
hostile: every value is escaped, only http(s) URLs become links, and the page forbids scripts
(Content-Security-Policy). Triage stays on the command line (``govwatch findings set``).
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from govwatch.alerts.compose import esc, html_link
from govwatch.findings import OPEN_STATUSES, overdue
from govwatch.models import (
    FINDING_STATUS_LABELS, PLATFORM_LABELS, SEVERITY_LABELS, SEVERITY_RANK, fmt_local, now,
)
from govwatch.store import FindingFilter, Store

REFRESH_SECONDS = 60
STYLE = """body{font:14px/1.6 "Microsoft YaHei",sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:24px;border-left:4px solid #c00;padding-left:8px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f2f2f2}.veto{color:#fff;background:#c00;padding:0 4px}
.high{color:#c00}.muted{color:#888}.ok{color:#080}"""


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="ok">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _severity(level: str) -> str:
    css = "veto" if level == "veto" else "high" if level == "high" else ""
    return f'<span class="{css}">{esc(SEVERITY_LABELS.get(level, level))}</span>'


def render(store: Store, at: datetime | None = None, hours: int = 24) -> str:
    """The whole page, as of ``at``."""
    at = at or now()
    targets = {t.id: t for t in store.list_targets()}

    def name(target_id: str) -> str:
        t = targets.get(target_id)
        return html_link(t.url, t.name) if t else esc(target_id)

    down = [t for t in targets.values() if t.down_since is not None]
    down_rows = [[name(t.id), esc(t.owner), esc(fmt_local(t.down_since)),
                  esc(f"{(at - t.down_since).total_seconds() / 3600:.1f} 小时"),
                  esc("维护中（" + t.maintenance.kind + "）" if t.in_maintenance(at) else "")] for t in down]

    fresh = store.list_findings(FindingFilter(status=OPEN_STATUSES, severity=("veto", "high"),
                                              since=at - timedelta(hours=hours)))
    fresh.sort(key=lambda f: (SEVERITY_RANK[f.effective_severity], -f.first_seen_at.timestamp()))
    fresh_rows = [[_severity(f.effective_severity), name(f.target_id), esc(f.category),
                   esc(f.match[:60]), html_link(f.url, f.title or f.url), esc(fmt_local(f.first_seen_at)),
                   esc(FINDING_STATUS_LABELS.get(f.status, f.status)), f'<span class="muted">{esc(f.id)}</span>']
                  for f in fresh[:200]]

    late = overdue(store, at)
    late_rows = [[_severity(f.effective_severity), name(f.target_id), esc(f.category), esc(f.match[:60]),
                  esc(fmt_local(f.deadline, with_time=False)), esc(FINDING_STATUS_LABELS.get(f.status, f.status)),
                  f'<span class="muted">{esc(f.id)}</span>'] for f in late[:200]]

    failing = sorted((t for t in targets.values() if t.consecutive_failures), key=lambda t: -t.consecutive_failures)
    failing_rows = [[name(t.id), esc(PLATFORM_LABELS.get(t.platform, t.platform)), esc(t.consecutive_failures),
                     esc(t.last_crawl_error[:120]), esc(fmt_local(t.last_crawl_ok_at))] for t in failing]

    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>govwatch 值班台</title><style>{STYLE}</style></head><body>
<h1>govwatch 值班台 <span class="muted">更新于 {esc(fmt_local(at))}，每 {REFRESH_SECONDS} 秒自动刷新；
监测对象 {len(targets)} 个</span></h1>
<h2>无法访问的网站（{len(down)}）</h2>
{_table(["网站", "主办单位", "无法访问自", "已持续", "备注"], down_rows, "所有网站均可访问。")}
<h2>近 {hours} 小时新发现的单项否决和严重问题（{len(fresh)}）</h2>
{_table(["级别", "监测对象", "问题类型", "内容", "所在页面", "发现时间", "状态", "问题编号"], fresh_rows,
        "没有新的严重问题。")}
<h2>超期未整改（{len(late)}）</h2>
{_table(["级别", "监测对象", "问题类型", "内容", "整改时限", "状态", "问题编号"], late_rows, "没有超期问题。")}
<h2>采集失败（{len(failing)}）<span class="muted">（采集失败不作为未更新的依据）</span></h2>
{_table(["监测对象", "平台", "连续失败次数", "最近错误", "最近成功"], failing_rows, "所有采集正常。")}
<p class="muted">处置：govwatch findings set 问题编号 已确认|整改中|已整改|误报 --by 姓名 --note 说明</p>
</body></html>"""


def serve(store_factory, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server for the page (each request opens the store in its own thread)."""
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            store = getattr(local, "store", None) or store_factory()
            local.store = store
            body = render(store).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Handler)
