"""People's ignore rules are respected by later scans: the predicate goes into the Ingestor."""
from datetime import datetime, timedelta

from crawler.ingest import Ingestor
from govwatch.findings import add_ignore_rule, ignore_predicate
from govwatch.models import UTC, Item, Target
from scanner.lexicon import load_lexicon

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TEXT = "示范市代表团与来自俄罗斯、蒙古国、北朝鲜、韩国等国家的客商开展洽谈。"


def article(target_id, n, text=TEXT, path="art"):
    return Item(target_id=target_id, url=f"http://{target_id}.gov.cn/{path}/{n}.html", title=f"稿件{n}", text=text)


def rules_of(store, target_id):
    return sorted(f.rule for f in store.list_findings() if f.target_id == target_id)


def test_a_later_ingest_respects_ignore_rules(store):
    store.upsert_targets([Target(id="a", name="甲网站", url="http://a.gov.cn/"),
                          Target(id="b", name="乙网站", url="http://b.gov.cn/")])
    lexicon = load_lexicon()
    Ingestor(store, lexicon, ignore=ignore_predicate(store)).ingest([article("a", 1), article("b", 1)], at=T0)
    assert "expression.term" in rules_of(store, "a") and "expression.term" in rules_of(store, "b")

    rule, marked = add_ignore_rule(store, target_id="a", term="北朝鲜", by="张三", why="引用外方原话",
                                   at=T0 + timedelta(hours=1))
    first = next(f for f in store.list_findings() if f.target_id == "a" and f.rule == "expression.term")
    assert marked == [first.id] and store.get_finding(first.id).status == "false_positive"

    # the next crawl: a new article on each site with the same wording
    at = T0 + timedelta(days=1)
    stats = Ingestor(store, lexicon, ignore=ignore_predicate(store)).ingest(
        [article("a", 2), article("b", 2)], at=at)
    new_a = [f for f in store.list_findings() if f.target_id == "a" and f.first_seen_at == at]
    new_b = [f for f in store.list_findings() if f.target_id == "b" and f.first_seen_at == at]
    assert not any(f.rule == "expression.term" for f in new_a)  # ignored within target a
    assert any(f.rule == "expression.term" and f.match == "北朝鲜" for f in new_b)  # not elsewhere
    assert stats.findings_new == len(new_a) + len(new_b)
    # the false positive is not reopened by a rescan either
    assert store.get_finding(first.id).status == "false_positive"


def test_url_pattern_rules_skip_whole_sections(store):
    store.upsert_targets([Target(id="a", name="甲网站", url="http://a.gov.cn/")])
    add_ignore_rule(store, url_pattern="http://a.gov.cn/archive/*", by="张三", why="历史档案原文照登")
    Ingestor(store, load_lexicon(), ignore=ignore_predicate(store)).ingest(
        [article("a", 1, path="archive"), article("a", 2, path="art")], at=T0)
    urls = {f.url for f in store.list_findings()}
    assert urls == {"http://a.gov.cn/art/2.html"}
