"""The export: one pass over the targets in scope writing every sheet, the units' roll-up, and the
zipped package with its manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from govwatch.detection import judge_as_of
from govwatch.findings import OPEN_STATUSES, is_overdue, last_change, status_at
from govwatch.models import (
    FINDING_STATUS_LABELS, OPERATOR_LABELS, PLATFORM_LABELS, SEVERITY_LABELS, Item, Target, aware, fmt_local, now,
)
from govwatch import rules as catalogue
from govwatch.store import Store
from scanner.timeline import UNTIMED_PLATFORMS, ThresholdBook

from govwatch.evidence.cells import (
    ACCOUNT_PLATFORMS, APP_PLATFORMS, CASE_SITE_RULES, ExportError, _is_content, case_type,
    content_type_of, describe, findings_of_month, measure_for, month_bounds, rectified_evidence,
    status_text,
)
from govwatch.evidence.package import PackageSink, Sink
from govwatch.evidence.state import (
    ZOMBIE_ADVICE, _OwnerStats, _availability_row, _last_publication, _owner_summary, update_state,
)

# ---------------------------------------------------------------------------- the export

@dataclass
class ExportStats:
    month: str = ""
    owner: str = ""
    targets: int = 0
    findings: int = 0
    by_status: Counter = field(default_factory=Counter)
    snapshots: int = 0
    missing_snapshots: int = 0
    rows: dict = field(default_factory=dict)


def build(store: Store, settings, month: str, sink: Sink, owner: str | None = None) -> ExportStats:
    """One pass over the targets in scope, writing every sheet's rows into ``sink``."""
    start, end = month_bounds(month)
    at_end = min(end - timedelta(microseconds=1), now())  # the month's last moment, or now
    everything = store.list_targets()
    tree = unit_tree(everything)
    scope = None if owner is None else units_under(tree, owner)
    targets = [t for t in everything if scope is None or (t.owner or UNKNOWN_UNIT) in scope]
    del everything
    if owner is not None and not targets:
        raise ExportError(f"没有主办单位为“{owner}”的监测对象（也没有以它为上级单位的单位）")
    targets.sort(key=lambda t: (t.owner, t.name, t.id))
    stats = ExportStats(month=month, owner=owner or "", targets=len(targets))
    owners: dict[str, _OwnerStats] = defaultdict(_OwnerStats)
    n_list = n_avail = n_update = n_zombie = 0
    book = ThresholdBook(settings.data["thresholds"])
    # 更新情况 states the nightly detection's verdicts (govwatch zombies --as-of the month's end):
    # the same status, 未知 included, for websites and accounts alike
    verdicts = judge_as_of(store, [t for t in targets if t.enabled and t.platform not in UNTIMED_PLATFORMS],
                           at_end, book)

    for target in targets:
        target_th = book.for_target(target)
        findings = findings_of_month(store, target.id, start, end)
        items: dict[str, Item | None] = {}
        site_code = ""
        account_status = ""
        for f in findings:
            status = status_at(f, end)
            stats.findings += 1
            stats.by_status[status] += 1
            o = owners[target.owner]
            o.findings += 1
            o.veto += f.effective_severity == "veto"
            o.done += status in ("rectified", "closed")
            o.open += status in OPEN_STATUSES
            o.overdue += is_overdue(f, at_end, status)
            o.categories[catalogue.display_category(f.rule, f.category)] += 1
            if f.rule.startswith(("account.zombie", "account.empty", "account.gone")):
                account_status = FINDING_STATUS_LABELS.get(status, status)

            evidence = f.evidence or {}
            fetched = _parse_time(evidence.get("fetched_at")) or aware(f.first_seen_at)
            snap = sink.snapshot(evidence.get("snapshot", ""), f.url, fetched)
            fixed = rectified_evidence(f)
            fixed_snap = sink.snapshot(fixed.get("snapshot", ""), fixed.get("url") or f.url,
                                       _parse_time(fixed.get("fetched_at"))) if fixed else ""

            n_list += 1
            change = last_change(f) if status not in OPEN_STATUSES else {}
            measure = measure_for(f, target_th)
            if change.get("note") and change.get("by") not in ("", None):
                measure += f"（处置说明：{change['note']}）"
            sink.row("问题清单", [n_list, target.name, target.owner, describe(f), measure,
                                 fmt_local(f.deadline, with_time=False), status_text(f, at_end)])

            if f.item_id and f.item_id not in items:
                items[f.item_id] = store.get_item(f.item_id)
            item = items.get(f.item_id) if f.item_id else None
            if item is not None and item.meta.get("siteidcode"):
                site_code = item.meta["siteidcode"]
            if _is_content(f):
                explain = f.detail or (f"{f.category}：建议将“{f.match}”改为“{f.suggestion}”"
                                       if f.suggestion else f.category)
                sink.row("错敏信息明细", [
                    f.match, f.suggestion, explain, f.snippet, f.url, f.title or (item.title if item else ""),
                    snap, target.name, (item.meta.get("siteidcode") if item else "") or site_code,
                    fmt_local(item.published_at) if item and item.published_at else "", f.category,
                    SEVERITY_LABELS.get(f.effective_severity, f.effective_severity),
                    content_type_of(f, target), item.parent_url if item else ""])
            if _is_content(f) or f.rule in CASE_SITE_RULES:
                handled = FINDING_STATUS_LABELS.get(status, status)
                if change:
                    handled += f"（{fmt_local(_parse_time(change.get('at')), with_time=False)}"
                    handled += f"，{change['note']}）" if change.get("note") else "）"
                elif status in OPEN_STATUSES:
                    handled += f"，整改时限 {fmt_local(f.deadline, with_time=False)}"
                if fixed_snap:
                    handled += f"；整改后快照：{fixed_snap}"
                responsible = f"{target.owner}（{target.name}）" if target.owner else target.name
                sink.row("问题案例汇总", [responsible, case_type(f), describe(f), handled])
            sink.finding({
                "id": f.id, "target_id": f.target_id, "item_id": f.item_id, "rule": f.rule,
                "category": f.category, "severity": f.effective_severity, "severity_reported": f.severity,
                "status": status, "status_now": f.status, "url": f.url, "match": f.match,
                "first_seen_at": _iso(f.first_seen_at), "deadline": _iso(f.deadline),
                "snapshot": snap, "rectified_snapshot": fixed_snap, "evidence": evidence,
                "history": f.history})
        del findings, items

        if not target.enabled:
            continue
        if target.platform == "website":
            n_avail += 1
            sink.row("可用性统计", [n_avail, *_availability_row(store, settings, target, start, end)])
        last, published = _last_publication(store, target, start, end)
        judged = verdicts.get(target.id)
        if judged is not None:  # a website dated by its homepage, as `govwatch zombies` does
            last = judged.last_published_at
        requirement, verdict, days = update_state(settings, target, judged, book)
        n_update += 1
        where = target.url or target.account_id or target.feed_url
        platform = PLATFORM_LABELS.get(target.platform, target.platform)
        sink.row("更新情况", [n_update, target.name, platform, target.owner, where, fmt_local(last),
                             "" if days is None else days, published, requirement, verdict])
        if target.platform != "website":
            kind = next((k for k in ZOMBIE_ADVICE if verdict.startswith(k)), "")
            if kind:
                n_zombie += 1
                sink.row("僵尸空壳账号", [n_zombie, target.name, platform, target.owner, where, fmt_local(last),
                                       "" if days is None else days, verdict,
                                       "" if target.followers is None else target.followers,
                                       account_status or "未建立问题", ZOMBIE_ADVICE[kind]])

    by_owner: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_owner[t.owner].append(t)
    for name, group in by_owner.items():
        sink.row("内容运营情况汇总", _operation_row(name, group, owners.get(name, _OwnerStats())))
    for row in unit_summary(tree, by_owner, owners, owner):
        sink.row("单位汇总", row)
    return stats


# ---------------------------------------------------------------------------- the units' roll-up

UNKNOWN_UNIT = "（未填写主办单位）"


@dataclass
class Unit:
    name: str
    level: str = ""
    parent: str = ""
    children: list = field(default_factory=list)


def unit_tree(targets: list[Target]) -> dict[str, Unit]:
    """Units (主办单位) and their parents (the targets' 上级单位), parents owning no target included,
    cycles cut where the walk up comes back."""
    units: dict[str, Unit] = {}
    for t in targets:
        name = t.owner or UNKNOWN_UNIT
        u = units.setdefault(name, Unit(name))
        u.level = u.level or t.owner_level
        if t.parent and t.parent != name and not u.parent:
            u.parent = t.parent
    for name in list(units):
        parent = units[name].parent
        if parent and parent not in units:
            units[parent] = Unit(parent)
    for name in units:
        seen, cur = set(), name
        while cur and cur not in seen:
            seen.add(cur)
            nxt = units[cur].parent
            if nxt in seen:
                units[cur].parent = ""
                break
            cur = nxt
    for u in units.values():
        if u.parent:
            units[u.parent].children.append(u.name)
    for u in units.values():
        u.children.sort()
    return units


def units_under(tree: dict[str, Unit], owner: str) -> set[str]:
    """``owner`` and every unit below it."""
    out, todo = set(), [owner]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        todo.extend(tree[name].children if name in tree else ())
    return out


def unit_summary(tree: dict[str, Unit], by_owner: dict[str, list[Target]], owners: dict[str, "_OwnerStats"],
                 top: str | None) -> list[list]:
    """单位汇总 rows: depth first from the roots (or from ``top``), each unit's own counts and the
    totals with the units below it. Units with no target anywhere below them are left out."""
    rows: list[list] = []

    def visit(name: str, depth: int) -> tuple[int, int, int, int, int, int]:
        own = by_owner.get("" if name == UNKNOWN_UNIT else name, [])
        s = owners.get("" if name == UNKNOWN_UNIT else name) or _OwnerStats()
        index = len(rows)
        rows.append([])
        totals = [len(own), s.findings, s.veto, s.done, s.open, s.overdue]
        for child in tree[name].children:
            sub = visit(child, depth + 1)
            totals = [a + b for a, b in zip(totals, sub)]
        if not totals[0]:
            del rows[index:]
            return (0, 0, 0, 0, 0, 0)
        u = tree[name]
        rows[index] = ["\u3000" * depth + name, u.level, u.parent, len(own), totals[0], s.findings,
                       totals[1], totals[2], totals[3], totals[4], totals[5]]
        return tuple(totals)

    roots = [top] if top is not None and top in tree else sorted(n for n, u in tree.items() if not u.parent)
    for root in roots:
        visit(root, 0)
    return rows


def _operation_row(owner: str, group: list[Target], s: _OwnerStats) -> list:
    def listing(ts):
        return "；".join(f"{t.name}（{t.url or t.account_id or t.feed_url}）" if t.platform == "website"
                        else f"{t.name}（{PLATFORM_LABELS.get(t.platform, t.platform)}）" for t in ts)

    sites = [t for t in group if t.platform == "website"]
    accounts = [t for t in group if t.platform in ACCOUNT_PLATFORMS]
    apps = [t for t in group if t.platform in APP_PLATFORMS]
    team = "、".join(dict.fromkeys(OPERATOR_LABELS.get(t.operator_type, t.operator_type) for t in group))
    outsourced = [t for t in group if t.operator_type == "outsourced"]
    nature = []
    for t in outsourced:
        qualified = {True: "具备", False: "不具备", None: "未核实"}[t.operator_qualified]
        nature.append(f"{t.operator_name or '外包单位'}（{qualified}新闻信息服务资质，运营{t.name}）")
    return [owner, listing(sites), listing(accounts), listing(apps), team, "是" if outsourced else "否",
            "；".join(nature), _owner_summary(s)]


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return aware(value)
    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _iso(value: datetime | None) -> str:
    return aware(value).isoformat() if value else ""


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _slug(owner: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", owner).strip("._")[:60] or "owner"


README = """govwatch 月度检查材料（{month}{owner}）

问题清单.xlsx      检查表格：问题清单、错敏信息明细、问题案例汇总、内容运营情况汇总、可用性统计、更新情况、僵尸空壳账号、单位汇总（按上级单位逐级汇总）
snapshots/         证据快照：发现问题（及复查整改）时保存的页面，已移除脚本和外部资源，可离线打开查看
snapshots/raw/     快照原始字节，文件名即其 SHA-256，可用于核验
findings.jsonl     本月涉及的每个问题（编号、状态、证据、完整处置记录），每行一个
manifest.json      本目录每个文件的 SHA-256 校验值

统计口径：本月首次发现的问题，以及本月初仍未完成整改的问题；误报不列入。整改状态为月末时的状态。
更新情况：月末时的更新情况检测结论（与 govwatch zombies 一致）；采集失败或最近一次成功采集过旧的对象判为“未知”，不作单项否决。
生成时间：{generated}
"""


def export_month(store: Store, settings, month: str, out_dir: str | os.PathLike | None = None,
                 owner: str | None = None, progress=None) -> Path:
    """Write the month's evidence package and return the path of its zip (see the module docstring)."""
    start, end = month_bounds(month)
    month = f"{start.year:04d}-{start.month:02d}"
    out = Path(out_dir) if out_dir else settings.var_path / "exports"
    out.mkdir(parents=True, exist_ok=True)
    name = f"govwatch-{month}" + (f"-{_slug(owner)}" if owner else "")
    work = out / f".{name}.tmp{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    generated = now()
    try:
        sink = PackageSink(store, work, progress)
        try:
            stats = build(store, settings, month, sink, owner=owner)
        finally:
            sink.close()
        stats.snapshots = sum(1 for v in sink.written.values() if v)
        stats.missing_snapshots = sum(1 for v in sink.written.values() if not v)
        stats.rows = dict(sink.rows)
        if progress is not None:
            progress.note(f"已整理问题 {stats.findings} 个、快照 {stats.snapshots} 个，正在计算哈希并打包……")
        (work / "说明.txt").write_text(README.format(
            month=month, owner=f"，主办单位：{owner}" if owner else "", generated=fmt_local(generated)),
            encoding="utf-8")
        files = []
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            rel = path.relative_to(work).as_posix()
            files.append({"path": rel, "sha256": _sha256_file(path), "bytes": path.stat().st_size})
        manifest = {
            "generator": "govwatch", "month": month, "owner": owner or "",
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "generated_at": generated.isoformat(),
            "counts": {"targets": stats.targets, "findings": stats.findings,
                       "by_status": dict(stats.by_status), "snapshots": stats.snapshots,
                       "missing_snapshots": stats.missing_snapshots, "rows": stats.rows},
            "missing_snapshots": sink.missing,
            "files": files,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

        final = out / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    zip_path = out / f"{name}.zip"
    tmp_zip = out / f".{name}.zip.tmp{os.getpid()}"
    try:
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for path in sorted(p for p in final.rglob("*") if p.is_file()):
                arc = f"{name}/{path.relative_to(final).as_posix()}"
                stored = path.suffix in (".xlsx", ".pdf", ".gz", ".zip")
                zf.write(path, arc, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        os.replace(tmp_zip, zip_path)
    finally:
        if tmp_zip.exists():
            tmp_zip.unlink()
    return zip_path
