"""Every content rule family, each with the negatives that ordinary government text must pass."""
from datetime import date

import pytest

from scanner.content import REVIEW_SEVERITY, scan_document
from scanner.lexicon import load_lexicon
from scanner.privacy import id_number_valid, luhn_valid


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


def scan(lex, **kw):
    return scan_document(lex, **kw)


def pick(hits, rule):
    return [h for h in hits if h.rule == rule]


CLEAN = (
    "为深入贯彻落实党中央、国务院决策部署，市政府召开常务会议，研究部署2024年重点工作。"
    "会议强调，要坚持稳中求进工作总基调，扎实推进高质量发展，持续优化营商环境。"
    "朝鲜劳动党总书记、国务委员长金正恩会见中国代表团。国家主席习近平同志作出重要指示。"
    "国务院总理李强主持召开国务院常务会议。市公安局依法严厉打击网络赌博违法犯罪，全市开展扫黄打非专项行动。"
    "市气象台发布暴雨黄色预警信号，请市民注意防范。联系电话：0351-1234567，13912345678（市政府办公室）。"
    "身份证号110101********4514，手机138****5678。详见 http://www.shanxi.gov.cn/zwgk/index.html 。"
    "各单位要严格落实保密制度，严禁将内部资料上传互联网，保守国家秘密。"
)


def test_clean_official_text_has_no_veto_or_high(lex):
    hits = scan(lex, title="关于做好2024年重点工作的通知", text=CLEAN, source="山西省人民政府")
    assert [(h.rule, h.match, h.severity) for h in hits if h.severity in ("veto", "high")] == []


def test_expression_term(lex):
    hits = pick(scan(lex, text="据报道，北朝鲜近日举行阅兵。"), "expression.term")
    assert [(h.match, h.suggestion, h.severity, h.category) for h in hits] == [("北朝鲜", "朝鲜", "high", "政治用语不规范")]
    assert pick(scan(lex, text="朝鲜半岛局势总体稳定，朝鲜方面表示欢迎。"), "expression.term") == []
    assert [h.match for h in pick(scan(lex, text="推进“一带一路”战略"), "expression.term")] == ["“一带一路”战略"]
    assert pick(scan(lex, text="持续推进电影后期制作基地建设。"), "expression.term") == []


def test_expression_typo(lex):
    hits = pick(scan(lex, text="截止目前，原则同意，按装完毕，既使困难也要完成。"), "expression.typo")
    assert {(h.match, h.suggestion) for h in hits} == {("截止目前", "截至目前"), ("按装", "安装"), ("既使", "即使")}
    assert all(h.severity == "medium" for h in hits)
    assert pick(scan(lex, text="截至目前，原则上同意，安装完毕，即使困难也要完成。"), "expression.typo") == []


def test_expression_leader(lex):
    hits = pick(scan(lex, text="国务院总理习近平出席会议。"), "expression.leader")
    assert [(h.match, h.severity) for h in hits] == [("国务院总理习近平", "veto")]
    hits = pick(scan(lex, text="总理何立峰会见外宾。"), "expression.leader")
    assert hits and "何立峰" in hits[0].match
    assert [h.suggestion for h in pick(scan(lex, text="丁薜祥副总理指出"), "expression.leader")] == ["丁薛祥"]
    hits = pick(scan(lex, text="国防部部长李尚福出席活动。"), "expression.leader")
    assert [h.match for h in hits] == ["李尚福"] and "落马" in hits[0].suggestion
    negatives = ("国家主席习近平、国务院总理李强出席。", "习近平总书记强调。", "国务院副总理何立峰出席。",
                 "县委书记李强调研。", "原国防部部长李尚福严重违纪违法，被开除党籍。")
    for text in negatives:
        assert pick(scan(lex, text=text), "expression.leader") == [], text


def test_fallen_official_list_is_user_maintained(tmp_path):
    d = tmp_path / "lex"
    d.mkdir()
    (d / "fallen.txt").write_text("# category: leader.fallen\n# kind: fallen\n# severity: veto\n"
                                  "张某某 => 原某某市市长\n", encoding="utf-8")
    lx = load_lexicon([d])
    assert pick(scan(lx, text="某某市市长张某某主持会议。"), "expression.leader")
    assert pick(scan(lx, text="某某市原市长张某某接受审查调查。"), "expression.leader") == []


def test_secret_marker(lex):
    hits = pick(scan(lex, text="秘密★1年\n关于某事项的通知"), "secret.marker")
    assert [(h.match, h.severity) for h in hits] == [("秘密★1年", "veto")]
    assert [h.match for h in pick(scan(lex, text="机密★\n正文"), "secret.marker")] == ["机密★"]
    assert [h.match for h in pick(scan(lex, text="密级：绝密"), "secret.marker")] == ["密级：绝密"]
    assert [h.match for h in pick(scan(lex, text="（此件不公开）"), "secret.marker")] == ["此件不公开"]
    hits = pick(scan(lex, text="严禁将内部资料上传互联网，保守国家秘密。"), "secret.marker")
    assert hits and all(h.severity == REVIEW_SEVERITY for h in hits)
    assert pick(scan(lex, text="依法保护商业秘密和个人隐私。"), "secret.marker") == []


def with_check_digit(first17: str) -> str:
    """GB 11643 check character, computed independently of the scanner (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


# Published examples (GB 11643's own, Wikipedia's) plus generated ones.
VALID_IDS = ["11010519491231002X", "440524188001010014", "110101199003074514",
             with_check_digit("32010219800101003"), with_check_digit("65010220001231123"),
             with_check_digit("81000019991111888")]


@pytest.mark.parametrize("number", VALID_IDS)
def test_id_number_found_inside_chinese(lex, number):
    assert id_number_valid(number)
    for text in (f"身份证号{number}联系", f"公民身份号码：{number}。", f"（{number}）"):
        hits = pick(scan(lex, text=text), "privacy.id_number")
        assert [h.match for h in hits] == [number], text
        assert hits[0].severity == "high"


def test_id_number_negatives(lex):
    assert not id_number_valid("110101199003074515")  # wrong check digit
    assert not id_number_valid("990101199003074514")  # no such province
    assert not id_number_valid("110101199013074510")  # month 13
    assert not id_number_valid("110101209901014513", today=date(2025, 1, 1))  # born in the future
    for text in ("身份证号110101199003074515。", "身份证号110101********4514。", "身份证号 110101199003******",
                 "订单号A110101199003074514", "见 http://x.gov.cn/art_110101199003074514.html"):
        assert pick(scan(lex, text=text), "privacy.id_number") == [], text


def test_bank_card(lex):
    assert luhn_valid("6222021234567890128")
    hits = pick(scan(lex, text="收款银行卡号6222021234567890128。"), "privacy.bank_card")
    assert [h.match for h in hits] == ["6222021234567890128"]
    assert [h.match for h in pick(scan(lex, text="卡号 4111 1111 1111 1111 请汇款"), "privacy.bank_card")] == [
        "4111 1111 1111 1111"]
    for text in ("卡号6222021234567890127。", "卡号6222 **** **** 0128。", "文号12345678901234567890123",
                 "编号9999999999999995"):
        assert pick(scan(lex, text=text), "privacy.bank_card") == [], text


def test_mobile_context(lex):
    office = pick(scan(lex, text="咨询电话：13912345678（市政务服务中心）。"), "privacy.mobile")
    assert [(h.match, h.severity) for h in office] == [("13912345678", "info")]
    person = pick(scan(lex, text="联系人：王小明，手机13812345678。"), "privacy.mobile")
    assert [h.severity for h in person] == ["medium"]
    listed = pick(scan(lex, text="名单：13812345671、13812345672、13812345673。"), "privacy.mobile")
    assert [h.severity for h in listed] == ["medium"] * 3
    assert pick(scan(lex, text="联系人手机138****5678，座机0351-12345678。"), "privacy.mobile") == []


def test_ads(lex):
    hits = scan(lex, text="限时优惠！加微信领取，扫码领取礼品。")
    assert {h.match for h in pick(hits, "ads.promo")} == {"限时优惠", "加微信", "扫码领取礼品"}
    assert all(h.severity == "high" for h in pick(hits, "ads.promo"))
    hits = pick(scan(lex, text="这个是我的微信：9⓿二肆⁹₈③⑸⒋➃㈤㊄"), "ads.contact")
    assert [h.match for h in hits] == ["9⓿二肆⁹₈③⑸⒋➃㈤㊄"] and "902498354455" in hits[0].detail
    hits = scan(lex, text="警方提醒：谨防“加微信刷单返利”等诈骗，切勿轻信。")
    assert [h for h in hits if h.rule.startswith("ads.") and h.severity in ("veto", "high")] == []
    assert pick(scan(lex, text="关注微信公众号获取更多政务信息，咨询QQ：12345678。"), "ads.contact") == []


def test_clickbait_is_scored_and_explained(lex):
    hits = pick(scan(lex, title="震惊！！万万没想到，真相竟是…"), "title.clickbait")
    assert len(hits) == 1 and hits[0].severity == "medium"
    for signal in ("震惊", "万万没想到", "连续标点", "省略号"):
        assert signal in hits[0].detail
    for title in ("重磅！我市出台十条措施支持民营经济发展", "刚刚，我市召开全市经济工作会议", "关于震惊中外的历史事件的纪念活动安排"):
        assert pick(scan(lex, title=title), "title.clickbait") == [], title
    assert pick(scan(lex, text="震惊！！万万没想到…"), "title.clickbait") == []  # titles only


def test_outright_sensational_phrases_weigh_more(lex):
    """震惊 alone reaches the threshold (weight 3, title_clickbait_strong.txt); 重磅 alone does not."""
    (hit,) = pick(scan(lex, title="震惊！这个小区发生了一件事"), "title.clickbait")
    assert "“震惊”+3" in hit.detail
    assert pick(scan(lex, title="重磅！我市出台十条措施"), "title.clickbait") == []


def test_tone_vulgar_and_emoji(lex):
    hits = pick(scan(lex, text="小编今天带宝宝们看看，真是绝绝子，TMD太强了"), "tone.vulgar")
    assert {h.match for h in hits} >= {"小编", "宝宝们", "绝绝子", "TMD"}
    assert all(h.severity == "low" for h in hits)
    assert pick(scan(lex, text="活动很成功😀😀😀😀😀"), "tone.vulgar")
    assert pick(scan(lex, text="活动很成功😀"), "tone.vulgar") == []
    assert pick(scan(lex, text="我市新增NBA标准篮球场两处，USB接口充电桩百个。"), "tone.vulgar") == []


def test_offtopic(lex):
    hits = scan(lex, text="本周星座运势来了，还有双色球预测和明星八卦，今日荐股。")
    assert {h.rule for h in hits} >= {"offtopic.horoscope", "offtopic.lottery", "offtopic.gossip", "offtopic.stock"}
    assert all(h.severity == "low" for h in hits if h.rule.startswith("offtopic."))
    assert scan(lex, text="坚持稳中求进，推进长江三峡和小三峡旅游发展。") == []


def test_sources(lex):
    hits = scan(lex, text="正文", source="来源：某某百家号")
    assert [(h.rule, h.match, h.field) for h in hits] == [("source.unauthorised", "百家号", "source")]
    assert [h.rule for h in scan(lex, text="正文", source="网络")] == ["source.unauthorised"]
    assert scan(lex, text="正文", source="新华社") == []
    assert scan(lex, text="网络安全宣传周活动", source="市委网信办") == []
    missing = scan(lex, text="原标题：某某会议召开\n会议指出……")
    assert [(h.rule, h.severity) for h in missing] == [("source.missing", "low")]
    assert [h.rule for h in scan(lex, text="会议指出……", is_reprint=True)] == ["source.missing"]
    assert scan(lex, text="会议指出……", is_reprint=False) == []


def test_links(lex):
    text = "详见 https://item.taobao.com/item.htm?id=1 和 http://www.gov.cn/zhengce/ 及 www.news.cn/a.htm"
    hits = pick(scan(lex, text=text), "link.commercial")
    assert [(h.match, h.severity) for h in hits] == [("https://item.taobao.com/item.htm?id=1", "low")]
    assert text[hits[0].start:hits[0].end] == hits[0].match
    hits = pick(scan(lex, text="点击 https://www.bet365.com/ 注册"), "link.commercial")
    assert [h.severity for h in hits] == ["veto"]
    hits = pick(scan(lex, text="正文", links=["https://shop.example.com/x", "http://www.sx.gov.cn/"]), "link.commercial")
    assert [(h.field, h.url) for h in hits] == [("url", "https://shop.example.com/x")]


def test_map_review_number(lex):
    hits = pick(scan(lex, text="图1 全市行政区划图\n正文内容……"), "map.no_review_number")
    assert [h.severity for h in hits] == ["low"]
    assert pick(scan(lex, text="图1 全市行政区划图（审图号：晋S（2023）012号）"), "map.no_review_number") == []
    assert pick(scan(lex, text="附图：审批流程示意图\n"), "map.no_review_number") == []


def test_banned_categories(lex):
    cases = {"banned.cult": "宣扬法轮功的材料", "banned.obscene": "提供裸聊服务", "banned.insult": "你这个人渣",
             "banned.ethnic": "支那人", "banned.illegal_org": "东伊运成员"}
    for rule, text in cases.items():
        hits = pick(scan(lex, text=text), rule)
        assert hits and hits[0].severity == "veto", rule
    assert pick(scan(lex, text="印度支那半岛的历史"), "banned.ethnic") == []
    assert pick(scan(lex, text="中国民主党派和无党派人士"), "banned.illegal_org") == []


def test_offsets_and_snippets_point_into_fields(lex):
    title = "震惊！！万万没想到"
    text = "一二三北朝鲜四五六，身份证号110101199003074514。"
    for h in scan(lex, title=title, text=text, source="百家号"):
        value = {"title": title, "text": text, "source": "百家号"}[h.field]
        assert 0 <= h.start <= h.end <= len(value)
        assert value[h.start:h.end] == h.match
        assert h.match in h.snippet


def test_reprint_markers_hold_a_core():
    """infer_reprint clears a text by MARKER_CORES before looking for each marker."""
    from scanner.sources import MARKER_CORES, REPRINT_MARKERS, infer_reprint

    assert all(any(c in m for c in MARKER_CORES) for m in REPRINT_MARKERS)
    for marker in REPRINT_MARKERS:
        assert infer_reprint("正文" * 300 + marker + "新华社", "")
        assert infer_reprint(marker + "新华社" + "正文" * 300, "")
    assert not infer_reprint("正文" * 300 + "转" + "正文" * 300, "")
