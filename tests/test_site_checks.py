"""Page-based site checks over a SiteReport (pure)."""
from datetime import datetime

from govwatch.models import UTC, Hit, SiteReport, Target
from scanner.site import check_site

NOW = datetime(2026, 11, 20, tzinfo=UTC)
GOOD_FOOTER = ("主办：示范市人民政府办公室 网站标识码：3301000001 浙ICP备12345678号-1 "
               "浙公网安备 33010602000001号 党政机关")


def report(**kw):
    base = dict(target_id="s", homepage_url="http://www.demo.gov.cn/", fetched_at=NOW, homepage_ok=True,
                homepage_ms=300, footer_text=GOOD_FOOTER)
    base.update(kw)
    return SiteReport(**base)


TARGET = Target(id="s", name="示范", url="http://www.demo.gov.cn/")


def rules(hits):
    return sorted(h.rule for h in hits)


def test_clean_site_has_no_findings():
    assert check_site(report(links=[{"url": "http://www.demo.gov.cn/a", "hidden": False, "area": "nav"}]),
                      TARGET) == []


def test_footer_elements_each_named():
    hits = check_site(report(footer_text="主办：示范市人民政府办公室 浙ICP备12345678号"), TARGET)
    assert rules(hits) == ["site.footer_missing"]
    assert hits[0].match == "网站标识码、公安机关备案号、党政机关网站标识"
    # bm + 8 digits is a valid 网站标识码 form
    hits = check_site(report(footer_text=GOOD_FOOTER.replace("3301000001", "bm12000001")), TARGET)
    assert hits == []


def test_hidden_outside_link_is_a_dark_link_but_hidden_inside_link_is_not():
    home = "http://www.demo.gov.cn/"
    hidden = [{"url": "http://casino.example.com/x", "text": "博彩", "how": "display:none 隐藏", "page": home},
              {"url": "http://www.demo.gov.cn/menu", "text": "菜单", "how": "display:none 隐藏", "page": home}]
    hits = check_site(report(hidden_links=hidden), TARGET)
    assert rules(hits) == ["site.dark_link"] and hits[0].severity == "veto"
    assert hits[0].match == home and "http://casino.example.com/x" in hits[0].detail
    assert "display:none" in hits[0].detail and "www.demo.gov.cn/menu" not in hits[0].detail


def test_registration_identity_gov_and_registry_hosts_are_never_dark_links():
    home = "http://www.demo.gov.cn/"
    hidden = [{"url": u, "text": t, "how": "display:none 隐藏", "page": home} for u, t in (
        ("https://beian.miit.gov.cn/", "浙ICP备12345678号"),
        ("http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=33010602000001", "浙公网安备 33010602000001号"),
        ("https://bszs.conac.cn/sitename?method=show&id=ABC", "党政机关"),
        ("https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=3301000001", "政府网站找错"),
        ("https://wza.example-service.com/", "无障碍浏览"),
        ("http://www.zj.gov.cn/", "浙江省人民政府"),
        ("http://news.demo.gov.cn/", "新闻网"),
        ("https://partner-portal.example.org/", "合作门户"))]
    t = Target(id="s", name="示范", url=home)
    assert check_site(report(hidden_links=hidden), t, registry_hosts={"partner-portal.example.org"}) == []


def test_unexplained_hidden_outside_links_are_one_high_finding_per_page():
    home, art = "http://www.demo.gov.cn/", "http://www.demo.gov.cn/art/1.html"
    hidden = [{"url": "http://a.example.com/", "text": "链接一", "how": "移出可视区域", "page": home},
              {"url": "http://b.example.com/", "text": "链接二", "how": "文字颜色与背景相同", "page": home},
              {"url": "http://c.example.com/", "text": "", "how": "marquee 滚动隐藏", "page": art}]
    hits = check_site(report(hidden_links=hidden), TARGET)
    assert [(h.match, h.severity) for h in hits] == [(home, "high"), (art, "high")]
    assert "移出可视区域" in hits[0].detail and "文字颜色与背景相同" in hits[0].detail and "2 个" in hits[0].detail
    # a blocklisted target makes it a veto, whatever its text
    hits = check_site(report(hidden_links=hidden), TARGET, thresholds={"dark_link_blocklist": ["b.example.com"]})
    assert [(h.match, h.severity) for h in hits] == [(home, "veto"), (art, "high")]


def test_dead_links_weighted_by_homepage_and_confirmed_by_a_second_crawl():
    status = {"http://www.demo.gov.cn/gone": {"status": 404, "homepage": True, "text": "专题"},
              "http://www.demo.gov.cn/ok": {"status": 200, "homepage": True},
              "http://www.demo.gov.cn/flaky": {"status": 503, "homepage": True, "text": "服务"},
              "http://other.gov.cn/x": {"status": None, "error": "访问超时", "homepage": False,
                                        "page": "http://www.demo.gov.cn/art/1.html"}}
    first = report(link_status=status)
    hits = check_site(first, TARGET)
    # 404/410 count at once; a timeout or a 503 only when the next crawl fails it again
    assert [(h.match, h.severity) for h in hits] == [("http://www.demo.gov.cn/gone", "high")]
    assert "HTTP 404" in hits[0].detail and "首次发现" in hits[0].detail
    from scanner.site import link_failures
    remembered = link_failures(first, {}, NOW)
    assert set(remembered) == {"http://www.demo.gov.cn/gone", "http://www.demo.gov.cn/flaky", "http://other.gov.cn/x"}
    from datetime import timedelta
    later = NOW + timedelta(hours=6)
    second = report(link_status=status, fetched_at=later)
    t = Target(id="s", name="示范", url="http://www.demo.gov.cn/", link_failures=remembered)
    hits = check_site(second, t)
    assert [(h.match, h.severity) for h in hits] == [("http://other.gov.cn/x", "low"),
                                                     ("http://www.demo.gov.cn/flaky", "high"),
                                                     ("http://www.demo.gov.cn/gone", "high")]
    assert "HTTP 503" in hits[1].detail and "已连续 2 次" in hits[1].detail
    # a link that answers again is forgotten
    healed = report(link_status={**status, "http://www.demo.gov.cn/flaky": {"status": 200}}, fetched_at=later)
    assert "http://www.demo.gov.cn/flaky" not in link_failures(healed, remembered, later)


def test_hijacked_friend_link_uses_the_content_scanner():
    def scan(text):
        return [Hit("banned.gambling", "赌博", "veto", match="百家乐")] if "百家乐" in text else []

    pages = {"http://old-partner.example/": "澳门葡京 在线百家乐", "http://good.example/": "欢迎访问"}
    hits = check_site(report(outbound_pages=pages), TARGET, scan=scan)
    assert rules(hits) == ["site.link_hijacked"] and hits[0].match == "http://old-partner.example/"


def test_domain_slow_meta_and_disabled_rules():
    t = Target(id="s", name="示范", url="http://www.demo.com.cn/")
    hits = check_site(report(homepage_ms=4200, meta_missing=["http://www.demo.com.cn/a.html"]), t)
    assert rules(hits) == ["site.domain", "site.meta_missing", "site.slow"]
    t.rules = {"disabled": ["site.domain", "site.slow"]}
    assert rules(check_site(report(homepage_ms=4200), t)) == []


def test_unreachable_homepage_judges_no_page_content():
    hits = check_site(report(homepage_ok=False, footer_text=""), TARGET)
    assert hits == []


def test_homepage_with_banned_content_is_defaced():
    def scan(text):
        return [Hit("banned.gambling", "赌博", "veto", match="百家乐", snippet="百家乐")] if "百家乐" in text else []

    hits = check_site(report(homepage_text="示范市人民政府 在线百家乐 注册送彩金"), TARGET, scan=scan)
    assert [(h.rule, h.severity) for h in hits] == [("site.defaced", "veto")]
    assert check_site(report(homepage_text="示范市人民政府 政务公开"), TARGET, scan=scan) == []


def test_sketch_estimates_how_much_of_a_page_changed():
    from scanner.site import change_ratio, text_sketch

    base = "".join(f"示范市召开第{i}次政务公开工作推进会，研究部署下一阶段重点任务。" for i in range(60))
    assert change_ratio(text_sketch(base), text_sketch(base)) == 0.0
    edited = base.replace("第3次", "第三次")
    assert change_ratio(text_sketch(base), text_sketch(edited)) < 0.2
    hacked = "".join(f"本站已被黑客攻陷 HACKED BY X 第{i}号" for i in range(200))
    assert change_ratio(text_sketch(base), text_sketch(hacked)) > 0.9


def test_a_homepage_change_far_beyond_its_usual_rate_is_defacement():
    usual = [0.05, 0.12, 0.08, 0.1]
    hits = check_site(report(), TARGET, homepage_change=0.95, change_history=usual)
    assert [(h.rule, h.severity) for h in hits] == [("site.defaced", "veto")]
    # an ordinary day's news, too little history, a site that changes a lot anyway, or maintenance: no
    assert check_site(report(), TARGET, homepage_change=0.15, change_history=usual) == []
    # too little history: only a page with nearly nothing left of the one before is defacement
    assert check_site(report(), TARGET, homepage_change=0.6, change_history=usual[:2]) == []
    assert check_site(report(), TARGET, homepage_change=0.5, change_history=[]) == []
    assert check_site(report(), TARGET, homepage_change=0.95, change_history=[0.7, 0.9, 0.8, 0.85]) == []
    from datetime import date
    from govwatch.models import Maintenance
    upgrading = Target(id="s", name="示范", url="http://www.demo.gov.cn/", maintenance=Maintenance("升级改版", date(2026, 12, 31)))
    assert check_site(report(), upgrading, homepage_change=0.95, change_history=usual) == []


def test_messages_unanswered_for_three_months_within_the_year_are_a_veto():
    from datetime import timedelta

    def row(days, answered, title="留言"):
        return {"url": f"http://www.demo.gov.cn/hd/{days}.html", "title": title,
                "asked_at": NOW - timedelta(days=days), "answered": answered}

    fine = report(interaction=[row(10, False), row(95, True), row(400, False), row(89, False)])
    assert check_site(fine, TARGET) == []
    hits = check_site(report(interaction=[row(120, False, "村道破损无人处理"), row(91, False), row(30, True)]), TARGET)
    assert [(h.rule, h.severity, h.match) for h in hits] == [("site.interaction_unanswered", "veto", "2 条留言")]
    assert "村道破损无人处理" in hits[0].detail


# ---------------------------------------------------------------- defacement between the first crawls (issue 20)

HOME = ("示范市人民政府门户网站 首页 政务公开 政务服务 互动交流 走进示范 " * 3
        + "".join(f"示范市召开第{i}次政务公开工作推进会，研究部署下一阶段重点任务。" for i in range(30)) + GOOD_FOOTER)
NEWS = HOME.replace("第1次", "第一次").replace("第2次", "第二次").replace("研究部署下一阶段重点任务。示范市召开第29次",
                                                                   "听取各部门工作汇报。示范市召开第29次")
HACKED = "".join(f"本站已被黑客攻陷 HACKED BY TEAM-X 联系QQ{i}" for i in range(120))


def test_a_second_crawl_with_nothing_left_of_the_first_is_defacement():
    from scanner.site import change_ratio, text_sketch

    first = text_sketch(HOME)
    hits = check_site(report(homepage_text=HACKED), TARGET, homepage_change=change_ratio(first, text_sketch(HACKED)),
                      change_history=[])
    assert [(h.rule, h.severity) for h in hits] == [("site.defaced", "veto")]
    assert "几乎完全不同" in hits[0].detail
    # an ordinary second crawl: a few news items changed
    ordinary = change_ratio(first, text_sketch(NEWS))
    assert ordinary < 0.5
    assert check_site(report(homepage_text=NEWS), TARGET, homepage_change=ordinary, change_history=[]) == []
    # a site under 升级改版 is expected to change completely
    from datetime import date
    from govwatch.models import Maintenance
    upgrading = Target(id="s", name="示范", url="http://www.demo.gov.cn/", maintenance=Maintenance("升级改版", date(2026, 12, 31)))
    assert check_site(report(), upgrading, homepage_change=0.99, change_history=[]) == []


class _Signals:
    def connect(self, *a, **kw):
        pass


class _Crawler:
    settings = {}
    signals = _Signals()
    spider = None


def test_a_defaced_second_crawl_is_reported_does_not_become_the_baseline_and_closes_nothing():
    from govwatch.store import FindingFilter
    from crawler.pipelines import StorePipeline

    pipe = StorePipeline(_Crawler())
    pipe.open_spider(type("Spider", (), {"hooks": {}})())
    store = pipe.store
    target = Target(id="s", name="示范", url="http://www.demo.gov.cn/")
    store.upsert_targets([target])
    dead = {"http://www.demo.gov.cn/zt/": {"status": 404, "homepage": True, "text": "专题",
                                           "page": "http://www.demo.gov.cn/"}}
    links = [{"url": "http://www.demo.gov.cn/zt/", "text": "专题", "area": "nav"}]

    def crawl(text, link_status, links, when):
        t = store.get_target("s")
        pipe.finish_site(t, report(homepage_text=text, link_status=link_status, links=links, fetched_at=when), when)
        return {f.rule: f for f in store.list_findings(FindingFilter(target_id="s"))}

    from datetime import timedelta
    found = crawl(HOME, dead, links, NOW)
    assert found["site.dead_link"].status == "open" and "site.defaced" not in found
    baseline = store.get_target("s").homepage_sketch
    found = crawl(HACKED, {}, [], NOW + timedelta(hours=6))
    assert found["site.defaced"].status == "open" and found["site.defaced"].severity == "veto"
    assert found["site.dead_link"].status == "open"  # not closed on the defaced page
    after = store.get_target("s")
    assert after.homepage_sketch == baseline and after.homepage_changes == []
    # still defaced at the third crawl: compared with the good page, reported again (still open)
    found = crawl(HACKED, {}, [], NOW + timedelta(hours=12))
    assert found["site.defaced"].status == "open"
    # restored: the defacement is rectified, the dead link still judged on the page
    found = crawl(NEWS, dead, links, NOW + timedelta(hours=18))
    assert found["site.defaced"].status == "rectified" and found["site.dead_link"].status == "open"
    assert store.get_target("s").homepage_sketch != baseline


def test_a_dead_link_not_checked_in_this_crawl_stays_open():
    from datetime import timedelta

    from crawler.pipelines import StorePipeline
    from govwatch.store import FindingFilter

    pipe = StorePipeline(_Crawler())
    pipe.open_spider(type("Spider", (), {"hooks": {}})())
    store = pipe.store
    store.upsert_targets([Target(id="s", name="示范", url="http://www.demo.gov.cn/")])
    art = "http://www.demo.gov.cn/art/1.html"
    dead = {"http://other.gov.cn/x": {"status": 404, "error": "", "homepage": False, "page": art}}
    pipe.finish_site(store.get_target("s"), report(homepage_text=HOME, link_status=dead), NOW)
    f = next(f for f in store.list_findings(FindingFilter(target_id="s")) if f.rule == "site.dead_link")
    # the article was not fetched again: its link was not checked, the finding stays open
    pipe.finish_site(store.get_target("s"), report(homepage_text=HOME), NOW + timedelta(hours=6))
    assert store.get_finding(f.id).status == "open"
    # checked and opening now: rectified
    ok = {"http://other.gov.cn/x": {"status": 200, "homepage": False, "page": art}}
    pipe.finish_site(store.get_target("s"), report(homepage_text=HOME, link_status=ok), NOW + timedelta(hours=12))
    assert store.get_finding(f.id).status == "rectified"


# ---------------------------------------------------------------- hijacked friend links, gambling vocabulary (issue 20)

CASINO_PAGES = [
    "皇冠体育官方网站 真人视讯 足球投注 注册送彩金 首存送100% 7x24小时在线客服",
    "亚洲领先的在线投注平台｜体育投注、电子游艺、棋牌游戏 全天返水 提款秒到",
    "澳门葡京娱乐城 真人荷官 龙虎斗 炸金花 新会员体验金 88 元",
    "【信誉平台】北京赛车 幸运飞艇 时时彩 彩票计划 稳赚不赔",
]
HARMLESS_PAGES = [
    # a friend government site, the lottery centre's notice, a crackdown report, a sports bureau
    "示范市人民政府门户网站 政务公开 政务服务 互动交流",
    "中国体育彩票 示范市体彩中心关于规范投注站经营的通知 竞彩 大乐透 开奖公告",
    "示范市公安局：严厉打击网络赌博，查处以真人视讯、足球投注、注册送彩金为诱饵的赌博网站 12 个",
    "示范市体育局 全民健身 足球联赛 报名通知 体育场馆开放时间",
    "欢迎访问 示范市图书馆 德州扑克爱好者不得在馆内聚集打牌",  # one word only
    # a police case report over several paragraphs: the casino's wording is the crime described
    "平安示范 首页 警务公开 警方提示\n示范市公安局侦破一起特大网络赌博案\n"
    "经查，2023年以来，张某等人在境外搭建赌博网站，以“真人视讯”“体育投注”等名义吸引参赌人员，"
    "并以“首存送彩金”等方式诱骗群众。\n该网站设有百家乐、老虎机等游戏，涉案资金流水达5000余万元。\n"
    "目前，张某等12人已被依法刑事拘留。\n警方提示：赌博网站的套路多为注册送彩金、返水、洗码，切勿参与。",
]


def _page_terms():
    from scanner.lexicon import load_lexicon
    from scanner.site import gambling_page_terms

    lexicon = load_lexicon()
    return lambda text: gambling_page_terms(lexicon, text)


def test_friend_links_to_casino_pages_worded_outside_the_content_lexicon_are_hijacked():
    terms = _page_terms()
    pages = {f"http://partner{i}.example/": text for i, text in enumerate(CASINO_PAGES)}
    hits = check_site(report(outbound_pages=pages), TARGET, page_terms=terms)
    assert sorted(h.match for h in hits) == sorted(pages)
    assert all(h.rule == "site.link_hijacked" and h.severity == "veto" for h in hits)
    assert "皇冠体育" in next(h for h in hits if h.match.startswith("http://partner0")).detail


def test_harmless_friend_pages_are_not_hijacked():
    terms = _page_terms()
    pages = {f"http://friend{i}.example/": text for i, text in enumerate(HARMLESS_PAGES)}
    assert check_site(report(outbound_pages=pages), TARGET, page_terms=terms) == []
    # the page vocabulary is not a content rule: an article on the site quoting it is not judged by it
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon

    hits = scan_document(load_lexicon(), title="通知", text=CASINO_PAGES[1])
    assert not any(h.rule == "link.gambling_page" for h in hits)


def test_a_case_report_page_is_not_a_casino_but_injected_casino_text_is():
    """Content scan and page vocabulary both read a paragraph reporting a case as condemnation."""
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon

    lexicon = load_lexicon()
    report_page = HARMLESS_PAGES[-1]
    assert [h for h in scan_document(lexicon, text=report_page) if h.severity in ("veto", "high")] == []
    assert check_site(report(outbound_pages={"http://police.example/": report_page}), TARGET,
                      scan=lambda t: scan_document(lexicon, text=t), page_terms=_page_terms()) == []
    injected = "示范市政府召开常务会议，研究部署安全生产工作。\n百家乐 真人视讯 注册送彩金 返水 洗码\n会议强调，要压实责任。"
    assert [h.match for h in scan_document(lexicon, text=injected) if h.severity == "veto"] == ["百家乐"]
    hits = check_site(report(outbound_pages={"http://friend.example/": injected}), TARGET,
                      scan=lambda t: scan_document(lexicon, text=t), page_terms=_page_terms())
    assert [h.rule for h in hits] == ["site.link_hijacked"]


def test_the_number_of_gambling_words_is_a_setting():
    terms = _page_terms()
    pages = {"http://partner.example/": "真人视讯 足球投注"}
    assert check_site(report(outbound_pages=pages), TARGET, page_terms=terms) == []
    hits = check_site(report(outbound_pages=pages), TARGET, page_terms=terms,
                      thresholds={"hijacked_gambling_terms": 2})
    assert [h.rule for h in hits] == ["site.link_hijacked"]


def test_remembered_link_failures_are_bounded():
    from scanner import site

    previous = {f"http://www.demo.gov.cn/old/{i}": {"last_seen": f"2026-10-{1 + i % 28:02d}T00:00:00+00:00"}
                for i in range(site.MAX_LINK_FAILURES + 50)}
    status = {"http://www.demo.gov.cn/new": {"status": 500, "homepage": True}}
    kept = site.link_failures(report(link_status=status), previous, NOW)
    assert len(kept) == site.MAX_LINK_FAILURES and "http://www.demo.gov.cn/new" in kept
