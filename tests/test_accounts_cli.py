"""govwatch crawl --kind accounts|all, as the scheduler runs it: a subprocess against the site farm."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govwatch.models import Target

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def farm():
    from govwatch.demo.farm import Farm

    with Farm(seed=7, sites=1, pages=8) as f:
        yield f


@pytest.fixture
def env(tmp_path, farm):
    from govwatch.settings import load_settings
    from govwatch.store import open_store

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env.update(GOVWATCH_VAR_DIR=str(tmp_path / "var"), GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
               GOVWATCH_CRAWL__WEIBO_DELAY="0", GOVWATCH_CRAWL__ACCOUNT_DELAY="0",
               GOVWATCH_CRAWL__WEIBO_BACKOFF="0", GOVWATCH_CRAWL__RETRIES="0")
    store = open_store(settings=load_settings(env=env))
    store.upsert_targets([Target.from_dict(r) for r in farm.targets()])
    store.close()
    return env


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "govwatch", "crawl", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def state(env):
    from govwatch.settings import load_settings
    from govwatch.store import open_store

    store = open_store(settings=load_settings(env=env))
    try:
        return {t.id: t for t in store.list_targets()}, {t.id: store.count_items(t.id) for t in store.list_targets()}
    finally:
        store.close()


def test_crawl_accounts_command(env):
    done = run(env, "--kind", "accounts", "--target", "weibo-01", "--target", "weibo-02")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("账号采集完成：账号 2 个（微博 2）")
    assert "weibo-02：采集失败，访问受限（限流）" in done.stdout
    targets, counts = state(env)
    assert targets["weibo-01"].status == "live" and counts["weibo-01"] == 26
    assert targets["weibo-02"].status == "unknown" and targets["weibo-02"].error_kind == "rate_limited"
    assert targets["wechat-01"].last_crawl_at is None  # not asked for


def test_crawl_all_runs_websites_then_accounts_in_one_process(env):
    done = run(env, "--kind", "all")
    assert done.returncode == 0, done.stderr
    assert "采集完成：网站 1 个" in done.stdout and "账号采集完成：账号 7 个" in done.stdout
    targets, counts = state(env)
    assert counts["site-01"] > 0 and counts["wechat-01"] == 20 and counts["weibo-01"] == 26
    assert targets["wechat-02"].status == "live"
