"""Alert texts in Chinese: what, where (link), why (rule and its basis), evidence, deadline.

Crawled text (titles, snippets, matches, URLs) is hostile. Three defences live here:
- subjects go through ``header_safe``: no CR/LF or other control characters, bounded length,
  so a page title can never add an email header;
- the HTML part escapes every value (``html.escape``) and links only http(s) URLs;
- plain text and webhook text drop control characters (terminal escapes, bidi overrides).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from govwatch import rules as catalogue
from govwatch.models import (
    PLATFORM_LABELS, SEVERITY_LABELS, SEVERITY_RANK, Finding, Target, fmt_local,
)
from govwatch.redact import redact
from scanner.timeline import ThresholdBook


def rule_basis(rule: str, thresholds: dict | None = None, target: Target | None = None) -> str:
    """The rule's basis from the catalogue, its thresholds filled in from the settings' thresholds
    (resolved for ``target``: per platform, content type and the target's own rules)."""
    if target is not None and thresholds is not None:
        thresholds = ThresholdBook(thresholds).for_target(target)
    return catalogue.basis_text(rule, thresholds)


# Text safety ------------------------------------------------------------------------

# Control (Cc), format (Cf: zero-width, bidi overrides, tags) and line/paragraph separators (Zl, Zp)
# of Unicode 14, except newline and tab (tests/test_alerts.py checks this against unicodedata).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")


def clean_text(value, limit: int | None = None) -> str:
    """Replace control and format characters (keeps newlines and tabs) in crawled text by spaces."""
    text = _UNSAFE.sub(" ", "" if value is None else str(value))
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def one_line(value, limit: int | None = None) -> str:
    return " ".join(clean_text(value).split())[: limit or None] if value else ""


def header_safe(value, limit: int = 150) -> str:
    """A header value that cannot break out of its line: whitespace runs (CR, LF, tabs, Unicode
    line separators) become one space, other control characters go, length is bounded."""
    text = one_line(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def safe_link(url: str) -> str:
    """An http(s) URL fit for an href, or '' (javascript:, data: … are never linked)."""
    url = one_line(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def esc(value) -> str:
    return html.escape(clean_text(value), quote=True)


def html_link(url: str, label: str | None = None) -> str:
    href = safe_link(url)
    shown = esc(label if label is not None else url)
    return f'<a href="{html.escape(href, quote=True)}">{shown}</a>' if href else shown


# Composed messages ------------------------------------------------------------------

@dataclass
class Message:
    subject: str
    text: str
    html: str


HTML_HEAD = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
             '<body style="font-family:sans-serif;font-size:14px;line-height:1.6">')
HTML_TAIL = ('<p style="color:#888;font-size:12px">本邮件由政务网站与政务新媒体监测系统（govwatch）自动发送，'
             '请勿直接回复。</p></body></html>')
TEXT_TAIL = "\n——\n本消息由政务网站与政务新媒体监测系统（govwatch）自动发送，请勿直接回复。\n"


def target_label(t: Target) -> str:
    return f"{PLATFORM_LABELS.get(t.platform, t.platform)}“{one_line(t.name, 80)}”"


def greeting(t: Target) -> str:
    return one_line(t.office or t.owner or "各位同事", 60)


DUTY_GREETING = "值班同志"


def responsible(t: Target, duty: bool) -> str:
    """Who the target belongs to, as the reader sees it: 您单位 for the office, the unit's name
    for the duty officer (who is not that unit)."""
    if not duty:
        return "您单位"
    return one_line(t.owner or t.office, 60) or "相关单位"


def _evidence_lines(f: Finding, target: Target | None = None, thresholds: dict | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs describing one finding; values are raw (escaped by the caller)."""
    rows: list[tuple[str, str]] = []
    rows.append(("问题", f"{catalogue.display_category(f.rule, f.category)}（{SEVERITY_LABELS.get(f.effective_severity, f.effective_severity)}）"))
    if f.title:
        rows.append(("页面标题", one_line(f.title, 200)))
    if f.url:
        rows.append(("页面地址", one_line(f.url, 500)))
    basis = rule_basis(f.rule, thresholds, target)
    rows.append(("检查规则", f"{f.rule}" + (f"：{basis}" if basis else "")))
    if f.match:
        rows.append(("命中内容", one_line(catalogue.display_match(f.rule, f.match), 200)))
    if f.snippet:
        rows.append(("上下文", one_line(f.snippet, 300)))
    if f.detail:
        rows.append(("说明", one_line(f.detail, 300)))
    if f.suggestion:
        rows.append(("推荐修改", one_line(f.suggestion, 200)))
    ev = f.evidence or {}
    ev_parts = []
    if ev.get("snapshot"):
        ev_parts.append(f"页面快照 sha256:{one_line(ev['snapshot'], 64)}")
    fetched = ev.get("fetched_at")
    if isinstance(fetched, str) and fetched:
        try:
            fetched = fmt_local(datetime.fromisoformat(fetched))
        except ValueError:
            fetched = one_line(fetched, 40)
        ev_parts.append(f"采集时间 {fetched}")
    if f.first_seen_at:
        ev_parts.append(f"首次发现 {fmt_local(f.first_seen_at)}")
    if ev_parts:
        rows.append(("证据", "；".join(ev_parts)))
    rows.append(("整改时限", fmt_local(f.deadline) if f.deadline else "尽快"))
    rows.append(("问题编号", f.id))
    return rows


def _rows_text(rows: list[tuple[str, str]], indent: str = "  ") -> str:
    return "\n".join(f"{indent}{label}：{value}" for label, value in rows)


def _rows_html(rows: list[tuple[str, str]]) -> str:
    cells = []
    for label, value in rows:
        shown = html_link(value) if label == "页面地址" else esc(value)
        cells.append(f'<tr><th align="left" style="white-space:nowrap;padding-right:12px">{esc(label)}</th>'
                     f"<td>{shown}</td></tr>")
    return '<table style="border-collapse:collapse;margin-bottom:12px">' + "".join(cells) + "</table>"


def _notes_text(notes: list[str] | None) -> str:
    return "".join(f"{one_line(n, 120)}\n" for n in notes or ())


def _notes_html(notes: list[str] | None) -> str:
    return "".join(f"<p><strong>{esc(one_line(n, 120))}</strong></p>" for n in notes or ())


def finding_message(target: Target, findings: list[Finding], console_url: str = "", duty: bool = False,
                    thresholds: dict | None = None, notes: list[str] | None = None) -> Message:
    """Immediate alert about findings of one target (usually one page and one rule). ``duty``: the
    duty officer's copy, addressed to the duty officer and naming the responsible unit. ``notes``:
    lines shown right after the greeting (the sensitive period in force, "敏感时期：…")."""
    findings = list({f.id: f for f in findings}.values())  # one finding is one problem
    worst = min(findings, key=lambda f: SEVERITY_RANK.get(f.effective_severity, 9))
    sev = SEVERITY_LABELS.get(worst.effective_severity, worst.effective_severity)
    what = worst.category or worst.rule
    more = f"等 {len(findings)} 个问题" if len(findings) > 1 else ""
    subject = header_safe(f"【{sev}】{one_line(target.name, 40)}：{one_line(what, 30)}{more}")
    hello = DUTY_GREETING if duty else greeting(target)
    ask = "请督促其核实并在整改时限前完成整改。" if duty else "请核实并在整改时限前完成整改。"
    whose = responsible(target, duty)
    intro = f"{hello}：\n\n" + _notes_text(notes) + f"{whose}负责的{target_label(target)}发现以下问题，{ask}\n"
    parts_text, parts_html = [intro], [f"<p>{esc(hello)}：</p>" + _notes_html(notes)
                                       + f"<p>{esc(whose)}负责的{esc(target_label(target))}发现以下问题，{ask}</p>"]
    for n, f in enumerate(findings, 1):
        rows = _evidence_lines(f, target, thresholds)
        parts_text.append(f"\n{n}.\n" + _rows_text(rows))
        parts_html.append(f"<h3>{n}. {esc(catalogue.display_category(f.rule, f.category))}</h3>" + _rows_html(rows))
    if target.url:
        parts_text.append(f"\n监测对象地址：{one_line(target.url, 300)}")
        parts_html.append(f"<p>监测对象地址：{html_link(target.url)}</p>")
    if console_url:
        link = console_url.rstrip("/") + f"/findings?target={target.id}"
        parts_text.append(f"\n处理入口：{link}")
        parts_html.append(f"<p>处理入口：{html_link(link)}</p>")
    return Message(subject, "\n".join(parts_text) + TEXT_TAIL, HTML_HEAD + "".join(parts_html) + HTML_TAIL)


def availability_message(target: Target, kind: str, at: datetime, down_since: datetime | None,
                         detail: str = "", duty: bool = False, thresholds: dict | None = None,
                         notes: list[str] | None = None) -> Message:
    """kind: 'down' (网站无法访问) or 'recovery' (恢复连通). ``duty``: the duty officer's copy."""
    name = one_line(target.name, 40)
    hello = DUTY_GREETING if duty else greeting(target)
    whose = responsible(target, duty)
    if kind == "down":
        subject = header_safe(f"【网站无法访问】{name}")
        lines = [f"{hello}：", "", *(one_line(n, 120) for n in notes or ()),
                 f"{whose}负责的{target_label(target)}自 {fmt_local(down_since or at)} 起连续探测失败，当前无法访问。",
                 f"网址：{one_line(target.url, 300)}"]
        if detail:
            lines.append(f"最近一次错误：{one_line(detail, 200)}")
        lines += [f"依据：{rule_basis('site.down_now', thresholds, target)}；"
                  f"{rule_basis('site.unreachable', thresholds, target)}",
                  "请立即排查；恢复后系统将发送“恢复连通”通知。"]
    else:
        subject = header_safe(f"【恢复连通】{name}")
        lines = [f"{hello}：", "", *(one_line(n, 120) for n in notes or ()), f"{whose}负责的{target_label(target)}已于 {fmt_local(at)} 恢复访问。",
                 f"网址：{one_line(target.url, 300)}"]
        if down_since:
            minutes = max(0, int((at - down_since).total_seconds() // 60))
            lines.append(f"无法访问时段：{fmt_local(down_since)} 至 {fmt_local(at)}，共约 {minutes // 60} 小时 {minutes % 60} 分钟。")
    text = "\n".join(lines) + "\n" + TEXT_TAIL
    url_line = f"网址：{one_line(target.url, 300)}"
    body = "".join(f"<p>{'网址：' + html_link(target.url) if line == url_line else esc(line)}</p>"
                   for line in lines if line)
    return Message(subject, text, HTML_HEAD + body + HTML_TAIL)


def digest_message(groups: dict[str, tuple[Target, list[Finding]]], day: str, console_url: str = "",
                   max_items: int = 300, thresholds: dict | None = None, notes: list[str] | None = None) -> Message:
    """The daily digest for one recipient: by target, then by severity (most serious first).
    At most ``max_items`` findings are detailed (a first digest after a long backlog stays readable);
    the count of the rest is given."""
    offices = sorted({greeting(t) for t, _ in groups.values()})
    total = sum(len(fs) for _, fs in groups.values())
    subject = header_safe(f"【每日汇总】{'、'.join(offices)[:40]}：{total} 个待整改问题（{day}）")
    text = [f"{'、'.join(offices)}：", "", *(one_line(n, 120) for n in notes or ()), f"截至 {day}，您单位负责的 {len(groups)} 个网站或账号有 {total} 个新发现的问题，"
            "请在整改时限前完成整改。", ""]
    body = [f"<p>{esc('、'.join(offices))}：</p>" + _notes_html(notes) + f"<p>截至 {esc(day)}，您单位负责的 {len(groups)} 个网站或账号有 "
            f"{total} 个新发现的问题，请在整改时限前完成整改。</p>"]
    shown = 0
    for tid in sorted(groups, key=lambda k: one_line(groups[k][0].name)):
        target, findings = groups[tid]
        text.append(f"■ {target_label(target)}（{len(findings)} 个）" + (f" {one_line(target.url, 200)}" if target.url else ""))
        body.append(f"<h2>{esc(target_label(target))}（{len(findings)} 个）</h2>")
        if target.url:
            body.append(f"<p>{html_link(target.url)}</p>")
        by_sev: dict[str, list[Finding]] = {}
        for f in findings:
            by_sev.setdefault(f.effective_severity, []).append(f)
        for sev in sorted(by_sev, key=lambda s: SEVERITY_RANK.get(s, 9)):
            label = SEVERITY_LABELS.get(sev, sev)
            text.append(f"  【{label}】{len(by_sev[sev])} 个")
            body.append(f"<h3>{esc(label)}（{len(by_sev[sev])} 个）</h3><ol>")
            for f in sorted(by_sev[sev], key=lambda f: (f.rule, f.url, f.id)):
                shown += 1
                if shown > max_items:
                    continue
                basis = rule_basis(f.rule, thresholds, target)
                where = one_line(f.title, 60) or one_line(f.url, 120)
                line = (f"    - {one_line(catalogue.display_category(f.rule, f.category), 40)}：{where}"
                        + (f"（命中“{one_line(catalogue.display_match(f.rule, f.match), 40)}”）" if f.match else "")
                        + f"；整改时限 {fmt_local(f.deadline, with_time=False) if f.deadline else '尽快'}")
                text.append(line)
                if f.url:
                    text.append(f"      链接：{one_line(f.url, 300)}")
                text.append(f"      依据：{f.rule}" + (f" {basis}" if basis else ""))
                if f.suggestion:
                    text.append(f"      推荐修改：{one_line(f.suggestion, 120)}")
                body.append(
                    "<li>" + esc(catalogue.display_category(f.rule, f.category)) + "："
                    + (html_link(f.url, one_line(f.title, 60) or f.url) if f.url else esc(where))
                    + (f"（命中“{esc(one_line(catalogue.display_match(f.rule, f.match), 40))}”）" if f.match else "")
                    + f"；整改时限 {esc(fmt_local(f.deadline, with_time=False) if f.deadline else '尽快')}"
                    + f"<br><small>依据：{esc(f.rule)} {esc(basis)}</small>"
                    + (f"<br><small>推荐修改：{esc(one_line(f.suggestion, 120))}</small>" if f.suggestion else "")
                    + "</li>")
            body.append("</ol>")
        text.append("")
    if shown > max_items:
        more = f"另有 {shown - max_items} 个问题未逐条列出，请登录系统或查看月度问题清单。"
        text.append(more)
        body.append(f"<p>{esc(more)}</p>")
    if console_url:
        text.append(f"处理入口：{console_url}")
        body.append(f"<p>处理入口：{html_link(console_url)}</p>")
    return Message(subject, "\n".join(text) + TEXT_TAIL, HTML_HEAD + "".join(body) + HTML_TAIL)


def collector_message(target: Target, failures: int, error_kind: str, error: str,
                      since: datetime | None, thresholds: dict | None = None) -> Message:
    subject = header_safe(f"【采集异常】{one_line(target.name, 40)} 连续 {failures} 次采集失败")
    lines = ["管理员：", "", f"{target_label(target)}连续 {failures} 次采集失败"
             + (f"（上次成功：{fmt_local(since)}）" if since else "（从未成功）") + "。",
             f"异常类型：{one_line(error_kind or '未知', 40)}", f"最近错误：{one_line(redact(error), 300) or '无'}",
             # a feed URL may carry a bridge's access key (RSSHub ?key=…): masked like every credential
             f"地址：{one_line(redact(target.url or target.feed_url or target.account_id), 300)}",
             f"说明：{rule_basis('collector.error', thresholds)}。请{catalogue.measure_text('collector.error')}。"]
    return Message(subject, "\n".join(lines) + "\n" + TEXT_TAIL,
                   HTML_HEAD + "".join(f"<p>{esc(x)}</p>" for x in lines if x) + HTML_TAIL)


def failure_message(alert) -> Message:
    subject = header_safe(f"【提醒发送失败】{one_line(alert.subject, 60)}")
    lines = ["管理员：", "", f"以下提醒经 {alert.attempts} 次尝试仍未送达，已标记为“发送失败”：",
             f"提醒编号：{alert.id}", f"渠道：{alert.channel}", f"收件人：{one_line(redact(alert.to), 200)}",
             f"主题：{one_line(alert.subject, 150)}", f"最后错误：{one_line(alert.last_error, 300)}",
             "请检查收件地址或发送配置后，用 govwatch alerts list --status failed 查看。"]
    return Message(subject, "\n".join(lines) + "\n" + TEXT_TAIL,
                   HTML_HEAD + "".join(f"<p>{esc(x)}</p>" for x in lines if x) + HTML_TAIL)


def test_message(at: datetime) -> Message:
    subject = "【测试】政务网站与政务新媒体监测提醒测试"
    text = (f"这是一条测试提醒，发送时间 {fmt_local(at)}。\n收到本消息说明提醒渠道配置正确，无需处理。\n" + TEXT_TAIL)
    return Message(subject, text, HTML_HEAD + f"<p>{esc(text.split(TEXT_TAIL)[0])}</p>" + HTML_TAIL)
