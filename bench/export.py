"""Monthly evidence export of 10,000 findings: wall time and peak RSS of ``export_month`` (workbook,
offline snapshots, manifest, zip), beside the time to write the same rows as plain CSV (the same
one-pass row builder, a ``csv.writer`` per sheet, no snapshots) in the same run. Each measurement
runs in its own child process so that its peak RSS is its own; a smaller month is exported too, to
show that memory does not grow with the number of findings. Last line: ``ratio=X`` (export time
over CSV time).

    python bench/export.py [--findings 10000] [--small 2500] [--per-target 100]
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _util import ROOT, peak_rss_mb

from govwatch.models import UTC, Check, Finding, Item, Target

MONTH = "2026-10"
OCT = datetime(2026, 10, 1, tzinfo=UTC)
RULES = [
    ("expression.term", "不规范表述", "high", "北朝鲜", "朝鲜"),
    ("expression.typo", "错别字", "medium", "按装", "安装"),
    ("privacy.mobile", "个人信息", "medium", "13812345678", "138****5678"),
    ("title.clickbait", "标题党", "medium", "震惊", ""),
    ("secret.marker", "涉密标识", "veto", "机密★", ""),
    ("site.dead_link", "链接不可用", "low", "http://x.gov.cn/dead.html", ""),
]
PAGE = ("<html><head><title>{title}</title><script src='http://cdn.example.com/a.js'></script>"
        "<link rel=stylesheet href='http://cdn.example.com/a.css'></head><body onload='init()'>"
        "<h1>{title}</h1><div class='TRS_Editor'>{body}</div><img src='http://cdn.example.com/{n}.png'>"
        "</body></html>")


def populate(db: Path, n_findings: int, per_target: int) -> None:
    from govwatch.store.sqlite import SqliteStore

    store = SqliteStore(db, snapshot_dir=db.parent / "snapshots")
    n_targets = max(1, n_findings // per_target)
    store.upsert_targets([
        Target(id=f"t{k:04d}", name=f"示范县{k}人民政府" if k % 5 else f"示范发布{k}",
               platform="website" if k % 5 else "wechat", url=f"http://site{k}.gov.cn/" if k % 5 else "",
               account_id="" if k % 5 else f"acc{k}", owner=f"示范县{k % 40}政府办",
               operator_type="outsourced" if k % 7 == 0 else "self", operator_name="某公司",
               last_crawl_ok_at=OCT)
        for k in range(n_targets)])
    checks = []
    for k in range(n_targets):
        if k % 5 == 0:
            continue
        for half_hour in range(31 * 48):
            ok = half_hour % 97 != 0
            checks.append(Check(f"t{k:04d}", f"http://site{k}.gov.cn/", OCT + timedelta(minutes=30 * half_hour),
                                ok, 200 if ok else None, 300 + half_hour % 700 if ok else None, "" if ok else "超时"))
        if len(checks) > 50_000:
            store.record_checks(checks)
            checks = []
    store.record_checks(checks)

    body = "政务公开工作稳步推进，各项任务落实到位。" * 300  # about 15 KB per page
    findings, items = [], []
    per_item = 5
    for i in range(n_findings):
        t = f"t{(i // per_target) % n_targets:04d}"
        k = i // per_item
        at = OCT + timedelta(minutes=4 * i % (30 * 24 * 60))
        if i % per_item == 0:
            title = f"关于第{k}项工作的通知" if k % 50 else "=HYPERLINK(\"http://evil\",\"点我\")"
            html = PAGE.format(title=title, body=body + str(k), n=k).encode("utf-8")
            item = Item(target_id=t, url=f"http://site.gov.cn/{t}/art/{k}.html", title=title, text=body,
                        snapshot=store.put_snapshot(html), published_at=at, meta={"siteidcode": "1234000001"},
                        parent_url=f"http://site.gov.cn/{t}/list.html")
            items.append(item)
        rule, category, severity, match, suggestion = RULES[i % len(RULES)]
        item = items[-1]
        f = Finding(target_id=t, rule=rule, category=category, severity=severity,
                    item_id=item.id if not rule.startswith("site.") else "",
                    url=item.url, title=item.title, match=f"{match}{i}",
                    snippet=f"…上下文{i}，{match}……" if i % 100 else "=cmd|' /C calc'!A0",
                    suggestion=suggestion, evidence={"snapshot": item.snapshot, "fetched_at": at.isoformat()},
                    first_seen_at=at, last_seen_at=at, deadline=at + timedelta(days=3))
        findings.append(f)
        if len(findings) >= 1000:
            store.upsert_items(items, at=OCT)
            store.upsert_findings(findings, at=at)
            items, findings = items[-1:], []
    store.upsert_items(items, at=OCT)
    store.upsert_findings(findings)
    # a quarter of them were rectified, with the recheck's evidence
    for f in store.list_findings()[::4]:
        store.transition_finding(f.id, "rectified", by="recheck", note="复查未再发现该问题",
                                 at=f.first_seen_at + timedelta(days=1),
                                 evidence={"snapshot": f.evidence["snapshot"], "url": f.url,
                                           "fetched_at": (f.first_seen_at + timedelta(days=1)).isoformat()})
    store.close()


class CsvSink:
    """The same rows, written as plain CSV, one file per sheet; no snapshots."""

    def __init__(self, folder: Path):
        from govwatch.evidence import SHEETS

        self.files = {name: open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") for name in SHEETS}
        self.writers = {name: csv.writer(fh) for name, fh in self.files.items()}
        for name, headers in SHEETS.items():
            self.writers[name].writerow(headers)

    def row(self, sheet, values):
        self.writers[sheet].writerow(values)

    def snapshot(self, sha256, url, fetched_at):
        return f"snapshots/{sha256}.html" if sha256 else ""

    def finding(self, record):
        pass

    def close(self):
        for fh in self.files.values():
            fh.close()


def own_peak_rss_mb() -> float:
    """Peak RSS of this process image. ``ru_maxrss`` survives execve on Linux, so a child started
    from a parent that had grown would report the parent's size; ``VmHWM`` starts afresh at exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def child(mode: str, db: str, out: str) -> None:
    from govwatch.evidence import build, export_month
    from govwatch.settings import load_settings
    from govwatch.store.sqlite import SqliteStore

    store = SqliteStore(db, snapshot_dir=Path(db).parent / "snapshots")
    settings = load_settings(env={})
    t0 = time.perf_counter()
    if mode == "export":
        zip_path = export_month(store, settings, MONTH, out)
        size = zip_path.stat().st_size
        rows = json.loads((zip_path.with_suffix("") / "manifest.json").read_text("utf-8"))["counts"]["findings"]
    else:
        Path(out).mkdir(parents=True, exist_ok=True)
        sink = CsvSink(Path(out))
        rows = build(store, settings, MONTH, sink).findings
        sink.close()
        size = sum(p.stat().st_size for p in Path(out).glob("*.csv"))
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rss_mb": own_peak_rss_mb(), "findings": rows, "bytes": size}))


def run_child(mode: str, db: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(db), str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=2_500, help="a smaller month, for the memory comparison")
    ap.add_argument("--per-target", type=int, default=100)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = {}
        for n in (args.small, args.findings):
            db = tmp / f"db{n}" / "govwatch.db"
            db.parent.mkdir()
            t0 = time.perf_counter()
            populate(db, n, args.per_target)
            setup = time.perf_counter() - t0
            export = run_child("export", db, tmp / f"out{n}")
            plain = run_child("csv", db, tmp / f"csv{n}")
            results[n] = (export, plain, setup)
    for n, (export, plain, setup) in results.items():
        print(f"findings={export['findings']} (setup {setup:.1f}s)")
        print(f"  export_month: {export['seconds']:.2f}s peak_rss={export['rss_mb']:.0f}MB zip={export['bytes'] / 1e6:.1f}MB")
        print(f"  plain_csv:    {plain['seconds']:.2f}s peak_rss={plain['rss_mb']:.0f}MB csv={plain['bytes'] / 1e6:.1f}MB")
    export, plain, _ = results[args.findings]
    small = results[args.small][0]
    print(f"rss_growth_{args.small}_to_{args.findings}={export['rss_mb'] - small['rss_mb']:+.0f}MB")
    print(f"ratio={export['seconds'] / plain['seconds']:.2f}")


if __name__ == "__main__":
    main()
