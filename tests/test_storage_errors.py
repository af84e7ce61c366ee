"""A full disk and a corrupted database: a clear Chinese error, nothing half-written, no traceback,
no items dumped to stderr; an interrupted crawl judges nothing."""
import errno
import os
import pathlib
import subprocess
import sys
from pathlib import Path

import pytest

from govwatch.models import Finding, Hit, Item, Target
from govwatch.store.base import StoreError
from tests.hostile_site import ARTICLE_TEXT, HostileSite, Internal

ROOT = Path(__file__).resolve().parents[1]


def _sqlite(tmp_path):
    from govwatch.store.sqlite import SqliteStore

    return SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")


def test_a_snapshot_on_a_full_disk_leaves_no_temp_file(tmp_path, monkeypatch):
    store = _sqlite(tmp_path)
    original = pathlib.Path.write_bytes

    def full(self, data):
        original(self, data[:8])  # part of it reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    key = store.put_snapshot(b"first page")
    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    with pytest.raises(StoreError, match="磁盘空间不足"):
        store.put_snapshot(b"<html>second page</html>")
    monkeypatch.undo()
    files = [p for p in (tmp_path / "snapshots").rglob("*") if p.is_file()]
    assert len(files) == 1 and not any(p.suffix == ".tmp" for p in files)
    assert store.get_snapshot(key) == b"first page"
    store.close()


def test_a_full_database_rolls_the_batch_back_with_a_chinese_error(tmp_path):
    store = _sqlite(tmp_path)
    store.upsert_targets([Target(id="t", name="t", url="http://a.gov.cn/")])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages + 2}")  # the disk is (almost) full
    items = [Item(target_id="t", platform="website", url=f"http://a.gov.cn/{i}.html", title=f"第{i}条",
                  text=ARTICLE_TEXT * 20) for i in range(50)]
    with pytest.raises(StoreError, match="磁盘空间不足"):
        store.upsert_items(items)
    assert store.count_items("t") == 0  # all or nothing
    store.close()


@pytest.mark.parametrize("first_page", [1, "half"], ids=["schema", "data"])
def test_findings_list_on_a_corrupted_database_is_a_clear_error(tmp_path, first_page):
    from govwatch.cli import main

    db = Path(os.environ["GOVWATCH_DB"][len("sqlite:///"):])
    db.parent.mkdir(parents=True, exist_ok=True)
    from govwatch.store.sqlite import SqliteStore

    store = SqliteStore(db, snapshot_dir=db.parent / "snapshots")
    hit = Hit(rule="banned.test", category="banned", severity="high", match="某词", detail="d")
    store.upsert_targets([Target(id="t", name="t", url="http://a.gov.cn/")])
    store.upsert_findings([Finding.from_hit(hit, target_id="t", url=f"http://a.gov.cn/{i}") for i in range(300)])
    store.close()
    raw = bytearray(db.read_bytes())
    page = 4096
    pages = len(raw) // page
    first = 1 if first_page == 1 else pages // 2
    assert pages > 4
    for start in range(first * page, len(raw), page):  # pages after the header (or half of them) scrambled
        raw[start:start + 64] = b"\xa5" * 64
    db.write_bytes(bytes(raw))
    proc = subprocess.run([sys.executable, "-m", "govwatch", "findings", "list"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert "数据库文件已损坏" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert main(["findings", "list"]) == 2


def test_a_crawl_on_a_full_disk_stops_cleanly_and_judges_nothing(tmp_path):
    with Internal() as internal, HostileSite(internal.url, articles=6) as site:
        store = _sqlite(tmp_path)
        store.upsert_targets([Target.from_dict(site.target())])
        hit = Hit(rule="site.dark_link", category="site", severity="veto", match="http://dark.example/",
                  detail="隐藏链接", url=site.url, field="page")
        finding = Finding.from_hit(hit, target_id="hostile")
        store.upsert_findings([finding])
        store.close()
        env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}", GOVWATCH_VAR_DIR=str(tmp_path),
                   PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "diskfull"), str(ROOT)]),
                   GOVWATCH_TEST_DISK_FULL_AFTER="2")
        proc = subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites"], env=env,
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-3000:])
    assert "采集被中断" in proc.stdout and "磁盘空间不足" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr and "AttributeError" not in proc.stderr, proc.stderr[-3000:]
    assert ARTICLE_TEXT[:20] not in proc.stderr  # no item dumped
    log = (tmp_path / "logs" / "crawl.log").read_text(encoding="utf-8", errors="replace")
    assert ARTICLE_TEXT[:20] not in log
    assert not [p for p in (tmp_path / "snapshots").rglob("*.tmp")]
    store = _sqlite(tmp_path)
    assert store.get_finding(finding.id).status == "open"
    run = store.list_runs("crawl.websites")[0]
    assert run.stats["status"] == "interrupted" and "磁盘空间不足" in run.error
    store.close()
