"""Long work shows progress: a live tqdm line on a terminal (tested through a pseudo-terminal) and
one plain line per finished unit through a pipe (logs)."""
import os
import pty
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from govwatch.demo.farm import Farm
from govwatch.models import Target
from govwatch.progress import Progress
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def run_on_pty(argv, env, cwd) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout piped); what the terminal showed."""
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 140, 0, 0))  # a real terminal's size
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    proc.stdout.read()
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def farm_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("progress")
    with Farm(seed=5, sites=2, defaults=False) as farm:
        store = SqliteStore(tmp / "govwatch.db", snapshot_dir=tmp / "snapshots")
        store.upsert_targets([Target.from_dict(d) for d in farm.targets() if d["platform"] == "website"])
        store.close()
        env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp / 'govwatch.db'}",
                   GOVWATCH_VAR_DIR=str(tmp), GOVWATCH_CRAWL__AUTOTHROTTLE="false", GOVWATCH_OCR__ENABLED="false")
        yield tmp, env


def govwatch(*args):
    return [sys.executable, "-m", "govwatch", *args]


def test_a_crawl_through_a_pipe_logs_one_line_per_site_then_probe_and_scan(farm_env):
    tmp, env = farm_env
    crawl = subprocess.run(govwatch("crawl"), env=env, cwd=tmp, capture_output=True, text=True, timeout=600)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    lines = [line for line in crawl.stderr.splitlines() if line.startswith("采集网站 ")]
    assert [line.split()[1].split("：")[0] for line in lines] == ["1/2", "2/2"], crawl.stderr
    assert "\r" not in crawl.stderr  # no terminal drawing in a log
    probe = subprocess.run(govwatch("probe"), env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0 and "探测网站 2/2：" in probe.stderr, probe.stderr
    import sqlite3

    with sqlite3.connect(tmp / "govwatch.db") as db:  # as after a lexicon update: everything to scan again
        db.execute("UPDATE items SET scanned_with=''")
    scan = subprocess.run(govwatch("scan"), env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
    assert scan.returncode == 0 and "扫描信息 " in scan.stderr and "扫描 0 条" not in scan.stdout, scan.stderr


def test_on_a_terminal_the_line_is_drawn_live(farm_env):
    tmp, env = farm_env
    code, shown = run_on_pty(govwatch("probe"), env, tmp)
    assert code == 0, shown
    assert "探测网站：" in shown and "%" in shown and "\r" in shown and "当前：" in shown, shown
    month = (datetime.now() - timedelta(days=0)).strftime("%Y-%m")
    code, shown = run_on_pty(govwatch("export", "--month", month), env, tmp)
    assert code == 0, shown
    assert f"导出 {month} 检查材料：" in shown and "正在计算哈希并打包" in shown, shown


def test_plain_lines_say_done_total_rate_and_time_left():
    import io

    out = io.StringIO()
    p = Progress(3, "采集账号", stream=out, tty=False)
    p.started -= 60  # a minute in
    p.step("示范发布")
    p.step("示范应急")
    p.close()
    first, second = out.getvalue().splitlines()
    assert first.startswith("采集账号 1/3：示范发布（每分钟") and "约剩" in first
    assert second.startswith("采集账号 2/3：示范应急")
