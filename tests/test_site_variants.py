"""Issue 12 on the farm's variant sites (govwatch/demo/variants.py): every pagination family
reaches every article, a second crawl of an unchanged site reads one list page per column, and
the furniture of real government sites raises no false alarm."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from govwatch.demo.farm import Farm
from govwatch.demo.variants import COLUMNS
from govwatch.models import Target
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def crawl(tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def setup_farm(tmp_path: Path, farm: Farm, only) -> SqliteStore:
    store = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
    targets = [Target.from_dict(d) for d in farm.targets() if d["id"] in only]
    for t in targets:
        t.rules = {"disabled": ["site.domain"]}  # the farm lives on 127.0.0.1
    store.upsert_targets(targets)
    return store


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("variants")
    with Farm(seed=7, sites=1, variants=True, defaults=False) as farm:
        store = setup_farm(tmp, farm, only={v.id for v in farm.variants.specs})
        first = crawl(tmp)
        from govwatch.detection import run_detection
        from govwatch.settings import load_settings
        run_detection(store, load_settings(env={}))  # staleness: homepage and columns
        firsts = {f.id for f in store.list_findings()}
        farm.reset_requests()
        second = crawl(tmp)
        requests = list(farm.requests)
        yield farm, store, first, second, requests, firsts


def test_every_pagination_family_reaches_every_article(variants):
    farm, store, *_ = variants
    for v in farm.variants.specs:
        stored = {i.url for i in store.iter_items(target_id=v.id)}
        expected = set(farm.variants.articles(v))
        missing = expected - stored
        assert not missing, f"{v.family}: {len(missing)} of {len(expected)} articles not reached"
        # the item is the URL crawled: the off-site canonical is recorded, not used as identity
        assert not any("govnews-mirror" in u for u in stored)


def test_items_keep_their_off_site_canonical_as_a_record(variants):
    farm, store, *_ = variants
    v = farm.variants.specs[0]
    item = next(i for i in store.iter_items(target_id=v.id) if "/yw/" in i.url)
    assert item.meta["canonical"].startswith("https://www.govnews-mirror.example.com/")


def test_second_crawl_of_an_unchanged_site_reads_one_list_page_per_column(variants):
    farm, _store, _first, second, requests, _ = variants
    lists = int(re.search(r"其中栏目列表页 (\d+) 个", second.stdout).group(1))
    assert lists == len(farm.variants.specs) * len(COLUMNS)
    # no article is fetched again; the homepage's links are checked (HEAD, refused, then GET)
    heads = {p for m, p, _ in requests if m == "HEAD"}
    article_gets = [p for m, p, _ in requests if m == "GET" and re.search(r"/t\d{8}_|/art_\d+_", p)]
    assert article_gets and set(article_gets) <= heads


def test_real_site_furniture_raises_no_false_alarm(variants):
    farm, store, _first, _second, _requests, firsts = variants
    findings = store.list_findings()
    serious = [(f.target_id, f.rule, f.severity, f.match) for f in findings
               if f.severity in ("veto", "high") and f.rule.startswith("site.")]
    planted = farm.planted()
    dark = next(p for p in planted if p["rule"] == "site.dark_link")
    dead = next(p for p in planted if p["rule"] == "site.dead_link")
    expected = {(dark["target_id"], "site.dark_link", "veto", dark["match"]),
                (dead["target_id"], "site.dead_link", "high", dead["match"])}
    assert set(serious) == expected, serious
    finding = next(f for f in findings if f.rule == "site.dark_link")
    # the one suspect link, with how it is hidden; none of the footer, menu or portal links
    assert dark["link"] in finding.detail and "移出可视区域" in finding.detail
    assert not re.search(r"beian|conac|weibo|zj\.gov\.cn|wza\.|jiucuo", finding.detail)
    gone = next(f for f in findings if f.rule == "site.dead_link")
    assert "HTTP 404" in gone.detail and "首次发现" in gone.detail


def test_head_501_is_confirmed_by_get(variants):
    _farm, _store, _first, _second, requests, _ = variants
    refused = {p for m, p, _ in requests if m == "HEAD" and p.startswith("/v/")}  # answered 501
    gets = {p for m, p, _ in requests if m == "GET"}
    assert refused and refused <= gets  # every link the server refused HEAD for was asked again by GET
    # a link answering HEAD normally (the footer's registration pages) is not asked twice
    assert any(m == "HEAD" and p.startswith("/beian/") for m, p, _ in requests)
    assert not any(m == "GET" and p.startswith("/beian/") for m, p, _ in requests)


def test_short_column_titles_are_found_and_keep_the_homepage_fresh(variants):
    farm, store, *_ = variants
    for v in farm.variants.specs:
        columns = {c.column: c for c in store.column_states(v.id)}
        assert "要闻" in columns and columns["要闻"].items >= 33
        assert columns["首页"].last_published_at is not None
    judged = {f.rule for f in store.list_findings() if f.rule.startswith(("site.homepage", "site.column", "site.undated"))}
    assert judged == set(), judged  # every column fresh, the homepage too
