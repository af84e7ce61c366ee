"""The website crawl end to end against the site farm: `govwatch crawl` in a subprocess, as the
scheduler runs it, into a real SQLite store."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govwatch.demo.farm import Farm
from govwatch.models import SEVERITY_RANK, Column, Target
from govwatch.store import FindingFilter
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
WEBSITE_RULES = ("site.", "banned.", "privacy.", "secret.", "expression.")


def crawl(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites", *extra],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def open_store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")


def setup_farm(tmp_path: Path, farm: Farm, only=None) -> SqliteStore:
    store = open_store(tmp_path)
    targets = [Target.from_dict(d) for d in farm.targets() if d["platform"] == "website"]
    for t in targets:
        t.rules = {"disabled": ["site.domain"]}  # the farm lives on 127.0.0.1
    store.upsert_targets([t for t in targets if not only or t.id in only])
    return store


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("farm")
    with Farm(seed=7, sites=4) as farm:
        store = setup_farm(tmp, farm)
        proc = crawl(tmp)
        from govwatch.detection import run_detection
        from govwatch.settings import load_settings
        run_detection(store, load_settings(env={}))
        yield farm, store, proc


def test_every_planted_website_problem_is_found_with_evidence(crawled):
    farm, store, _ = crawled
    findings = store.list_findings()
    planted = [p for p in farm.planted() if p["rule"].startswith(WEBSITE_RULES)]
    assert len(planted) >= 10
    for p in planted:
        hits = [f for f in findings if f.target_id == p["target_id"] and f.rule == p["rule"]
                and (not p["match"] or p["match"] in f.match or p["match"] == f.match)]
        assert hits, f"planted problem not found: {p}"
        for f in hits:
            if f.rule.startswith(("banned.", "privacy.", "secret.", "expression.", "site.dark_link",
                                  "site.footer_missing", "site.link_hijacked", "site.dead_link")):
                snapshot = f.evidence.get("snapshot")
                assert snapshot and store.get_snapshot(snapshot), f"no evidence for {f.rule}"


def test_clean_sites_have_no_findings(crawled):
    farm, store, _ = crawled
    for target_id in ("site-01", "site-02"):
        serious = [(f.rule, f.match) for f in store.list_findings(FindingFilter(target_id=target_id))
                   if SEVERITY_RANK[f.effective_severity] <= SEVERITY_RANK["low"]]
        assert serious == [], target_id
    # ordinary enforcement news (打击赌博, 扫黄打非) is at most a review note, never an alert
    reviews = store.list_findings(FindingFilter(target_id="site-01"))
    assert all(f.effective_severity == "info" for f in reviews)


def test_pii_in_attachments_is_found(crawled):
    _, store, _ = crawled
    leaks = store.list_findings(FindingFilter(target_id="site-04", rule_prefix="privacy.id_number"))
    kinds = {f.url.rsplit(".", 1)[-1] for f in leaks}
    assert {"xlsx", "pdf"} <= kinds


def test_columns_and_publication_state_are_kept_at_ingest(crawled):
    _, store, _ = crawled
    columns = {c.column: c for c in store.column_states("site-03")}
    assert columns["基层动态"].last_published_at < columns["动态要闻"].last_published_at
    assert all(c.items > 0 for c in columns.values())
    assert store.get_target("site-01").last_published_at is not None
    assert store.get_target("site-01").last_crawl_ok_at is not None


def test_second_crawl_fetches_list_pages_only_and_a_change_updates_in_place(tmp_path):
    with Farm(seed=11, sites=1, defaults=False) as farm:
        store = setup_farm(tmp_path, farm)
        crawl(tmp_path)
        items_before = store.count_items()
        assert items_before > 10
        farm.reset_requests()
        crawl(tmp_path)
        paths = [path for method, path, _ in farm.requests if method == "GET"]
        articles = [p for p in paths if "/art/" in p or "/t20" in p]
        assert articles == [], articles[:5]
        assert any("index" in p for p in paths)
        assert store.count_items() == items_before
        # an article body changes without its list entry: revalidation (conditional requests) finds
        # it, only that page comes back in full, and the item is updated in place
        farm.set_problem("site-01", "banned_term", on=True)
        farm.reset_requests()
        crawl(tmp_path, "--revalidate")
        conditional = [h for m, p, h in farm.requests if m == "GET" and ("/art/" in p or "/t20" in p)]
        assert conditional and all({k.lower() for k in h} & {"if-none-match", "if-modified-since"}
                                   for h in conditional)
        assert store.count_items() == items_before
        found = [f for f in store.list_findings(FindingFilter(target_id="site-01", rule_prefix="banned."))
                 if f.effective_severity == "veto"]
        planted = [p["url"] for p in farm.planted() if p["rule"].startswith("banned.")]
        assert [f.url for f in found] == planted
        changed = store.get_item(found[0].item_id)
        assert changed.first_seen_at < changed.last_seen_at  # the same item, updated in place


@pytest.mark.parametrize("problem", ["error_500", "timeout"])
def test_a_broken_site_is_recorded_and_the_crawl_goes_on(tmp_path, problem):
    # the hanging site waits far longer than the crawl's timeout, which stays long enough that the
    # healthy site's pages never reach it on a busy machine
    with Farm(seed=3, sites=2, defaults=False, problems={"site-01": [problem]}, timeout_delay=15) as farm:
        store = setup_farm(tmp_path, farm)
        env_timeout = {"GOVWATCH_CRAWL__TIMEOUT": "5"} if problem == "timeout" else {}
        os.environ.update(env_timeout)
        try:
            proc = crawl(tmp_path)
        finally:
            for k in env_timeout:
                os.environ.pop(k)
        broken, fine = store.get_target("site-01"), store.get_target("site-02")
        assert broken.consecutive_failures == 1 and broken.last_crawl_error
        assert broken.error_kind in ("http", "timeout")
        assert fine.consecutive_failures == 0 and store.count_items("site-02") > 0
        assert "首页无法访问 1 个" in proc.stdout


def test_hostile_pages_are_recorded_and_the_crawl_continues(tmp_path):
    with Farm(seed=5, sites=1, defaults=False, problems={"site-01": ["hostile_pages"]}) as farm:
        store = setup_farm(tmp_path, farm)
        # registry columns pointing at the hostile pages: the crawl must fetch each as a list page
        target = store.get_target("site-01")
        hostile = {k: v for k, v in farm.special_urls().items() if k.startswith("hostile_")}
        target.columns += [Column(name=k, url=v, kind="news") for k, v in hostile.items()]
        store.upsert_targets([target])
        os.environ["GOVWATCH_CRAWL__MAX_PAGE_BYTES"] = str(2 * 1024 * 1024)
        try:
            crawl(tmp_path)
        finally:
            os.environ.pop("GOVWATCH_CRAWL__MAX_PAGE_BYTES")
        assert store.count_items("site-01") > 10
        target = store.get_target("site-01")
        assert target.consecutive_failures == 0
        kinds = {e["kind"] for e in target.crawl_errors}
        assert {"redirect_loop", "too_large", "content"} <= kinds, target.crawl_errors
        # truncated and unclosed HTML is still parsed: no error for those pages
        failed = {e["url"] for e in target.crawl_errors}
        assert hostile["hostile_truncated"] not in failed and hostile["hostile_unclosed"] not in failed


def test_unanswered_consultation_messages_are_found(tmp_path):
    with Farm(seed=4, sites=1, defaults=False, problems={"site-01": ["interaction_unanswered"]}) as farm:
        store = setup_farm(tmp_path, farm)
        crawl(tmp_path)
        (f,) = store.list_findings(FindingFilter(rule_prefix="site.interaction"))
        assert f.effective_severity == "veto" and f.match == "1 条留言" and "未回复" not in f.match
        assert "村道破损" in f.detail and f.evidence.get("snapshot")
        # the board's messages date the column; message pages are not fetched as articles
        assert {c.column for c in store.column_states("site-01")} >= {"政务咨询"}
        assert not any("/hdjl/zxts/detail_" in p for m, p, _ in farm.requests if m == "GET")
        # answered: the finding is proposed as rectified on the next crawl
        farm.set_problem("site-01", "interaction_unanswered", on=False)
        crawl(tmp_path)
        assert store.get_finding(f.id).status == "rectified"
