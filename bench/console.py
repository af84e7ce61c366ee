"""The console's findings API (问题清单) at 100,000 findings: median latency of one filtered page
(``GET /api/findings?status=open&severity=high&page=3&per_page=50``) over HTTP from a logged-in
session against ``govwatch console`` (uvicorn, its own process) on 127.0.0.1, beside the store's own work for the same page (the count and
the page query, ``count_findings`` + ``list_findings``) in the same run. The web layer adds the
session check, the target names of the page, JSON and HTTP. Last line: ``ratio=X`` (API median over
store median; goal ≤ 2).

After the HTTP part, the overdue question on the same store (the duty page's 超期 view and the
summary's count, ``govwatch findings overdue``): the store's overdue index (``findings.overdue`` /
``count_overdue``) against the anchor of reading every open finding and asking ``is_overdue`` of each
(what ``findings.overdue`` did before), at an instant when about half the open findings are late.
Its line: ``overdue_ratio=X`` (index over anchor for the duty view, the count and the first 200;
goal ≤ 0.2).

    python bench/console.py [--findings 100000] [--targets 1000] [--runs 200] [--overdue-runs 5]
"""
from __future__ import annotations

import argparse
import random
import re
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
from _util import free_port, peak_rss_mb

from govwatch.console.users import add_user
from govwatch.findings import count_overdue, overdue
from govwatch.lifecycle import deadline_for, is_overdue, open_findings
from govwatch.models import SEVERITY_RANK, UTC, Finding, Target, aware
from govwatch.store import FindingFilter
from govwatch.store.sqlite import SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RULES = [("expression.term", "不规范表述", "high"), ("expression.typo", "错别字", "medium"),
         ("privacy.mobile", "个人信息", "high"), ("banned.cult", "邪教", "veto"), ("site.dead_link", "链接不可用", "low")]
STATUSES = ["open"] * 6 + ["confirmed", "rectifying", "rectified", "closed", "false_positive"]


def fill(store: SqliteStore, findings: int, targets: int) -> None:
    rnd = random.Random(14)
    store.upsert_targets([Target(id=f"t{n:05d}", name=f"示范单位{n}网站", owner=f"单位{n % 50}",
                                 url=f"http://s{n}.gov.cn/") for n in range(targets)])
    batch = []
    for n in range(findings):
        rule, category, severity = RULES[n % len(RULES)]
        f = Finding(target_id=f"t{rnd.randrange(targets):05d}", rule=rule, category=category, severity=severity,
                    item_id=f"i{n}", url=f"http://s.gov.cn/art/{n}.html", title=f"标题{n}", match=f"匹配{n}",
                    snippet=f"上下文……匹配{n}……上下文", status=rnd.choice(STATUSES),
                    first_seen_at=T0 + timedelta(minutes=5 * n),
                    deadline=deadline_for(severity, T0 + timedelta(minutes=5 * n)))
        batch.append(f)
        if len(batch) == 5000:
            store.upsert_findings(batch, at=T0)
            batch = []
    if batch:
        store.upsert_findings(batch, at=T0)


def bench_overdue(store: SqliteStore, findings: int, runs: int) -> None:
    """The duty view's overdue count and first 200, and the whole overdue list, through the store's
    overdue index against reading every open finding (the anchor), same store, same run."""
    at = T0 + timedelta(minutes=5 * findings // 2)  # the older half of the open findings is late

    def anchor_all():
        late = [f for f in open_findings(store) if is_overdue(f, at)]
        late.sort(key=lambda f: (SEVERITY_RANK.get(f.effective_severity, 9), aware(f.deadline), f.id))
        return late

    def anchor_duty():
        late = anchor_all()
        return len(late), late[:200]

    def index_duty():
        return count_overdue(store, at), overdue(store, at, limit=200)

    def index_all():
        return overdue(store, at)

    everything = anchor_all()
    assert [f.id for f in index_all()] == [f.id for f in everything], "different overdue lists"
    count, first = index_duty()
    assert count == len(everything) and [f.id for f in first] == [f.id for f in everything[:200]]
    times: dict[str, list[float]] = {name: [] for name in ("anchor_duty", "index_duty", "anchor_all", "index_all")}
    for _ in range(runs):  # interleaved, so that machine noise hits both alike
        for name, fn in (("anchor_duty", anchor_duty), ("index_duty", index_duty),
                         ("anchor_all", anchor_all), ("index_all", index_all)):
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) * 1000)
    med = {name: statistics.median(v) for name, v in times.items()}
    opened = store.count_findings(FindingFilter(status=["open", "confirmed", "rectifying"]))
    print(f"overdue: {len(everything)} of {opened} open findings late at {at:%Y-%m-%d}")
    print(f"overdue duty view (count + first 200): index {med['index_duty']:.1f} ms, "
          f"reading every open finding {med['anchor_duty']:.1f} ms")
    print(f"overdue whole list: index {med['index_all']:.1f} ms, reading every open finding {med['anchor_all']:.1f} ms "
          f"(ratio {med['index_all'] / med['anchor_all']:.2f})")
    print(f"overdue_ratio={med['index_duty'] / med['anchor_duty']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--overdue-runs", type=int, default=5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp) / "var"
        store = SqliteStore(var / "govwatch.db", snapshot_dir=var / "snapshots")
        t = time.perf_counter()
        fill(store, args.findings, args.targets)
        print(f"filled {args.findings} findings on {args.targets} targets in {time.perf_counter() - t:.1f}s")
        add_user(store, "duty", "duty", "bench-password-1")
        port = free_port()
        # the console in its own process, as in production (``govwatch console``), on the same database
        server = subprocess.Popen(
            [sys.executable, "-m", "govwatch", "console", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "GOVWATCH_VAR_DIR": str(var), "GOVWATCH_DB": f"sqlite:///{var / 'govwatch.db'}"},
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the console did not start")
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        login = http.get(base + "/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
        assert http.post(base + "/login", data={"name": "duty", "password": "bench-password-1", "csrf": token},
                         allow_redirects=False).status_code == 303

        params = {"status": "open", "severity": "high", "page": 3, "per_page": 50}
        flt_args = dict(status=["open"], severity=["high"], newest_first=True)

        def store_page():
            total = store.count_findings(FindingFilter(**flt_args))
            rows = store.list_findings(FindingFilter(**flt_args, limit=50, offset=100))
            return total, rows

        def api_page():
            resp = http.get(base + "/api/findings", params=params)
            resp.raise_for_status()
            return resp.json()

        total, rows = store_page()
        body = api_page()
        assert body["total"] == total and [i["id"] for i in body["items"]] == [f.id for f in rows], "different pages"
        for _ in range(10):  # warm both paths
            store_page()
            api_page()
        store_ms, api_ms = [], []
        for _ in range(args.runs):  # interleaved, so that machine noise hits both alike
            t = time.perf_counter()
            store_page()
            store_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            api_page()
            api_ms.append((time.perf_counter() - t) * 1000)
        server.terminate()
        server.wait(timeout=30)
        store_med, api_med = statistics.median(store_ms), statistics.median(api_ms)
        print(f"page: {total} matching findings, 50 per page, page 3, newest first")
        print(f"store query (count + page): median {store_med:.2f} ms")
        print(f"GET /api/findings over HTTP: median {api_med:.2f} ms (p90 {statistics.quantiles(api_ms, n=10)[8]:.2f} ms)")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
        # after the HTTP part: the anchor reads every open finding, which would warm this process's
        # page cache for the store query above and skew its ratio
        bench_overdue(store, args.findings, args.overdue_runs)
        print(f"ratio={api_med / store_med:.2f}")


if __name__ == "__main__":
    main()
