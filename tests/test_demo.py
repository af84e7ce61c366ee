"""`govwatch demo`, the README's main job: farm, registry, crawl, scan, detection, summary."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_reports_planted_problems_and_leaves_clean_targets_clean(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "govwatch", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()
            if line.startswith(("site-", "wechat-", "weibo-", "feed-"))}
    for clean in ("site-01", "site-02", "weibo-01", "feed-01"):
        assert "未发现问题" in rows[clean] or "无确定问题" in rows[clean], rows[clean]
    for planted in ("法轮功", "暗链"):
        assert planted in rows["site-03"], rows["site-03"]
    assert "机密★1年" in rows["site-04"] and "外链被劫持" in rows["site-04"] and "身份证号" in rows["site-04"]
    assert "不更新" in rows["wechat-03"]
    assert "空壳" in rows["wechat-04"]
    assert "采集失败" in rows["weibo-02"]  # a throttled collector is never reported as a stale account
    assert "未能采集" in rows["wechat-02"]
    # the demo keeps its own store under var/demo/, fresh each run
    assert (tmp_path / "var" / "demo" / "govwatch.db").exists()
    assert not (tmp_path / "var" / "govwatch.db").exists()
    # every rule the demo raised is declared in the rule catalogue
    from govwatch.rules import RULES
    from govwatch.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "var" / "demo" / "govwatch.db", snapshot_dir=tmp_path / "var" / "demo" / "snapshots")
    found = store.list_findings()
    raised = {f.rule for f in found}
    store.close()
    # a target with only words to review (crackdown context) never claims "no problem"
    review_only = {f.target_id for f in found if f.effective_severity == "info"} - \
        {f.target_id for f in found if f.effective_severity != "info"}
    assert review_only, "the demo plants words in a crackdown context"
    for target_id in review_only:
        assert "待人工复核" in rows[target_id] and "未发现问题" not in rows[target_id], rows[target_id]
    assert len(raised) > 10 and raised <= set(RULES), sorted(raised - set(RULES))
    # the demo says how the other commands reach its data, and they do: the monthly export finds it
    hint = next(line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("export GOVWATCH_DB="))
    demo_env = dict(env, **dict(part.split("=", 1) for part in hint.split()[1:]))
    month = next(line.split("--month")[1].split()[0] for line in proc.stdout.splitlines() if "--month" in line)
    exported = subprocess.run([sys.executable, "-m", "govwatch", "export", "--month", month], cwd=tmp_path,
                              env=demo_env, capture_output=True, text=True, timeout=600)
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert list((tmp_path / "var" / "demo").rglob("*.zip")), exported.stdout
