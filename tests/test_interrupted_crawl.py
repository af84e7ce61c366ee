"""An interrupted crawl (SIGINT, SIGTERM while pages are slow) judges nothing from absence: no
finding closed, no pending link check counted dead, the run recorded as interrupted, and the
command says so. The same crawl left to complete does judge (the control)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govwatch.models import Finding, Hit, Target
from tests.hostile_site import HostileSite, Internal

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path):
    return dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}", GOVWATCH_VAR_DIR=str(tmp_path),
                PYTHONPATH=str(ROOT))


def _store(tmp_path):
    from govwatch.store.sqlite import SqliteStore

    return SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")


def _seed(tmp_path, match: str) -> str:
    """An open dark-link finding that a completed crawl no longer sees (so would close)."""
    hit = Hit(rule="site.dark_link", category="site", severity="veto", match=match,
              detail="页面含隐藏的外部链接", url="http://example.invalid/", field="page")
    store = _store(tmp_path)
    finding = Finding.from_hit(hit, target_id="hostile")
    store.upsert_findings([finding])
    store.close()
    return finding.id


def _snapshot(tmp_path):
    store = _store(tmp_path)
    try:
        return {f.id: (f.status, f.rule) for f in store.list_findings()}, store.list_runs("crawl.websites")
    finally:
        store.close()


def _crawl(tmp_path, *extra):
    return subprocess.Popen([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites", *extra],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_crawl_changes_no_finding_and_is_recorded(tmp_path, sig):
    with Internal() as internal, HostileSite(internal.url, articles=6) as site:
        store = _store(tmp_path)
        store.upsert_targets([Target.from_dict(site.target())])
        store.close()

        # control: a completed crawl closes the finding it no longer sees
        first = _seed(tmp_path, "http://dark-one.example/")
        proc = _crawl(tmp_path)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        assert "采集完成" in out
        findings, runs = _snapshot(tmp_path)
        assert findings[first][0] == "rectified"
        assert runs[0].ok and runs[0].stats["status"] == "completed"

        # interrupted: pages answer slowly, the signal arrives while they are being fetched
        second = _seed(tmp_path, "http://dark-two.example/")
        before, _ = _snapshot(tmp_path)
        site.slow = 6
        site.hits.clear()
        proc = _crawl(tmp_path, "--revalidate")
        deadline = time.monotonic() + 60
        while not any(h.startswith("/news/a") for h in site.hits) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(h.startswith("/news/a") for h in site.hits), site.hits
        time.sleep(0.5)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 3, (proc.returncode, err[-3000:])
        assert "采集被中断" in out and "采集完成" not in out, out
        after, runs = _snapshot(tmp_path)
        assert after == before  # no finding opened, closed or changed: no dead links from pending checks
        assert after[second][0] == "open"
        assert not runs[0].ok and runs[0].stats["status"] == "interrupted"
        assert runs[0].stats["reason"] == signal.Signals(sig).name
        assert "采集被中断" in runs[0].error

        # the next run completes it
        site.slow = 0
        proc = _crawl(tmp_path)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        findings, runs = _snapshot(tmp_path)
        assert findings[second][0] == "rectified"
        assert runs[0].ok and runs[0].stats["status"] == "completed"
