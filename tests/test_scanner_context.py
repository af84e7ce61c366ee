"""Context rules of the scanner (issue 16 §1–4, issue 20 §3–4), each with its negatives."""
import pytest

from scanner.content import REVIEW_SEVERITY, scan_document
from scanner.lexicon import check_lexicons, load_lexicon
from scanner.matching import discussed, prohibition_scopes
from scanner.normalize import normalize


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


@pytest.fixture(scope="module")
def user_lex(tmp_path_factory):
    d = tmp_path_factory.mktemp("userlex")
    (d / "words.txt").write_text("# category: banned.test\n# label: 测试词\n# severity: veto\n"
                                 "违禁词\nfuck\nall\n测试违禁\n", encoding="utf-8")
    return load_lexicon([d])


def pick(hits, rule, alerted=True):
    return [h for h in hits if h.rule == rule and (not alerted or h.severity != REVIEW_SEVERITY)]


MEASURES = """第五条 任何单位和个人不得利用互联网制作、复制、发布、传播含有下列内容的信息：
（一）反对宪法所确定的基本原则的；
（二）危害国家安全，泄露国家秘密，颠覆国家政权，破坏国家统一的；
（三）宣扬邪教和封建迷信的；
（四）散布淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪的。
第六条 本办法自发布之日起施行。"""


def test_prohibition_scope_covers_the_list_and_ends_with_it():
    scopes = prohibition_scopes(MEASURES)
    assert len(scopes) == 1
    s, e, head = scopes[0]
    assert head.startswith("不得") and MEASURES[s:e].startswith("\n（一）")
    assert MEASURES[s:e].rstrip().endswith("教唆犯罪的。")
    assert "第六条" not in MEASURES[s:e]
    inline = "严禁发布下列信息：宣扬法轮功的；鼓吹颠覆国家政权的。法轮功"
    (s, e, _), = prohibition_scopes(inline)
    assert inline[s:e] == "宣扬法轮功的；鼓吹颠覆国家政权的。"
    assert prohibition_scopes("会议要求，不得迟到。下列人员参加：张三、李四。") == []


def test_measures_quiet_and_the_same_categories_asserted_alerted(lex):
    hits = scan_document(lex, title="管理办法", text=MEASURES)
    assert [h for h in hits if h.severity in ("veto", "high")] == []
    reviewed = [h for h in hits if h.rule.startswith("banned.")]
    assert reviewed and all("禁止性规定" in h.detail for h in reviewed)
    news = "只有颠覆国家政权才有出路，大家行动起来。"
    assert [h.match for h in pick(scan_document(lex, text=news), "banned.security")] == ["颠覆国家政权"]


def test_condemnation_window_and_anti_fraud_words(lex):
    text = "近期，一些不法分子以所谓投资理财为名，以“高额回报”“保本保息”为诱饵，诱骗群众。"
    hits = [h for h in scan_document(lex, text=text) if h.rule == "ads.promo"]
    assert hits and all(h.severity == REVIEW_SEVERITY for h in hits)
    assert pick(scan_document(lex, text="本产品保本保息，高额回报。"), "ads.promo")


def test_mentioned_not_used():
    t = "不得使用“两岸三地”等表述。"
    assert discussed(t, t.index("两岸"), t.index("两岸") + 4) == "不得使用"
    t = "外交部就“北韩”问题答问。"
    assert discussed(t, t.index("北韩"), t.index("北韩") + 2) == ""
    t = "“截止目前”应为“截至目前”。"
    assert discussed(t, 1, 5) == "应为"
    t = "两岸三地应为两岸四地。"  # not quoted: a use
    assert discussed(t, 0, 4) == ""
    t = "涉密文件应当标注密级。"
    assert discussed(t, 0, 4, "secret") == "应当"
    assert discussed(t, 0, 4, "expression") == ""


def test_leader_offsets_after_a_removed_space(lex):
    text = "国务院副总理 李强出席会议。"
    hits = pick(scan_document(lex, text=text), "expression.leader")
    assert [(h.match, h.start, h.end) for h in hits] == [("国务院副总理 李强", 0, 9)]


def test_leader_near_miss_needs_the_leaders_title(lex):
    assert [h.suggestion for h in pick(scan_document(lex, text="国务院副总理刘国忠出席。"), "expression.leader")] == ["刘国中"]
    assert pick(scan_document(lex, text="县农业农村局局长刘国忠调研。"), "expression.leader") == []
    assert pick(scan_document(lex, text="国务院副总理刘国中出席。"), "expression.leader") == []
    assert pick(scan_document(lex, text="县政协主席李强调研。"), "expression.leader") == []
    assert pick(scan_document(lex, text="李强主席出席。"), "expression.leader")


@pytest.mark.parametrize("text,match", [
    ("宣传违【】禁【】词的行为", "违【】禁【】词"),
    ("宣传违😀😀😀😀禁😀词", "违😀😀😀😀禁😀词"),
    ("宣传违━━━禁═══词", "违━━━禁═══词"),
    ("宣传违禁\n词", "违禁\n词"),
    ("what the fuuuuck", "fuuuuck"),
    ("aallll right", "aallll"),
    ("fυсk", "fυсk"),  # Greek upsilon, Cyrillic es
    ("ⓕⓤⓒⓚ", "ⓕⓤⓒⓚ"),
    ("⒡⒰⒞⒦", "⒡⒰⒞⒦"),
    ("what the f*u*c*k", "f*u*c*k"),
    ("f★u★c★k 了", "f★u★c★k"),
    # letters dressed up: diacritics and hooks, small capitals, white on black squares and circles
    ("what the fück", "fück"),
    ("ƒuck off", "ƒuck"),
    ("ꜰᴜᴄᴋ", "ꜰᴜᴄᴋ"),
    ("🅵🆄🅲🅺 it", "🅵🆄🅲🅺"),
    ("🅕🅤🅒🅚", "🅕🅤🅒🅚"),
    # single letters spelled out with dots, hyphens, underscores or spaces
    ("what the f.u.c.k now", "f.u.c.k"),
    ("f-u-c-k", "f-u-c-k"),
    ("说 f u c k 了", "f u c k"),
    ("f_u_c_k!", "f_u_c_k"),
    # decorations of other blocks, Braille blank, invisible tag characters
    ("宣传违ˇ禁ˇ词", "违ˇ禁ˇ词"),
    ("宣传违§禁°词", "违§禁°词"),
    ("宣传违﹏禁︶词", "违﹏禁︶词"),
    ("宣传违\u2800禁词", "违\u2800禁词"),
    ("宣传违\U000E0041禁词", "违\U000E0041禁词"),
    ("宣传违‖禁†词", "违‖禁†词"),
    # spaces of other widths, other line breaks, private-use icons
    ("宣传违\u2002禁\u200a词", "违\u2002禁\u200a词"),
    ("宣传违\u2028禁词", "违\u2028禁词"),
    ("宣传违\ue000禁词", "违\ue000禁词"),
    ("what the f\u2009u\u2009c\u2009k", "f\u2009u\u2009c\u2009k"),
])
def test_evasion_forms_found_at_original_offsets(user_lex, text, match):
    hits = pick(scan_document(user_lex, text=text), "banned.test")
    assert [(h.match, text[h.start:h.end]) for h in hits] == [(match, match)]


@pytest.mark.parametrize("text", ["本次测试，违禁词清单", "测试：违禁", "违禁\n\n词", "full stop", "www.fuuuck.example.com",
                                  "fu.ck", "fu-ck", "mail fu@ck.cn", "a?fu=ck",
                                  "见 http://f.u.c.k.gov.cn/", "mail f.u.c.k@x.cn", "x/f-u-c-k/y", "测试——违禁",
                                  "测试…违禁", "测试《违禁", "测试、违禁",
                                  "违禁\u2029\u2029词", "违禁\n\u2028词"])
def test_separate_words_not_joined(user_lex, text):
    hits = pick(scan_document(user_lex, text=text), "banned.test")
    assert [h.match for h in hits if h.match not in ("违禁词",)] == []


def test_cooccur_rule_catches_a_sentence_not_listed(lex):
    hits = pick(scan_document(lex, text="热忱欢迎港澳台同胞来华投资兴业。"), "expression.term")
    assert [h.match for h in hits] == ["港澳台同胞来华"]
    assert "来大陆" in hits[0].suggestion
    assert pick(scan_document(lex, text="欢迎港澳台同胞来内地投资。外国专家来华工作。"), "expression.term") == []


def test_cooccur_file_problems(tmp_path):
    d = tmp_path / "lex"
    d.mkdir()
    (d / "c.txt").write_text("# category: ads.test\n# kind: cooccur\n扫码 + 购买\n只有词\n扫 + 买\n", encoding="utf-8")
    problems = check_lexicons([d])
    assert any("c.txt:4" in p and "共现规则应写作" in p for p in problems)
    assert any("c.txt:5" in p and "过短" in p for p in problems)
    assert not any("c.txt:3" in p for p in problems)


def test_alone_entries_and_hyphenated_latin(lex):
    assert pick(scan_document(lex, text="我靠种植食用菌致富。"), "tone.vulgar") == []
    assert pick(scan_document(lex, text="我靠，这也太难了。"), "tone.vulgar")
    assert pick(scan_document(lex, text="NB-IoT 水表"), "tone.vulgar") == []
    assert pick(scan_document(lex, text="这个方案真NB！"), "tone.vulgar")


def test_normalize_keeps_paragraphs_and_punctuation():
    assert normalize("第一段\n\n第二段").text == "第一段\n\n第二段"
    assert normalize("测试，违禁").text == "测试，违禁"


def test_lexicon_disk_cache(tmp_path, monkeypatch):
    import scanner.lexicon as lexmod

    d = tmp_path / "lex"
    d.mkdir()
    (d / "w.txt").write_text("# category: banned.test\n# severity: veto\n违禁词\n", encoding="utf-8")
    cache = tmp_path / "cache"
    built = []
    real = lexmod.Lexicon.__init__

    def counting_init(self, dirs):
        built.append(dirs)
        real(self, dirs)

    monkeypatch.setattr(lexmod.Lexicon, "__init__", counting_init)
    monkeypatch.setattr(lexmod, "_CACHE", {})
    first = lexmod.load_lexicon([d], cache_dir=cache)
    assert len(built) == 1 and list(cache.glob("lexicon-*.pickle")) and list(cache.glob("fold-*.pickle"))
    monkeypatch.setattr(lexmod, "_CACHE", {})  # a new process
    second = lexmod.load_lexicon([d], cache_dir=cache)
    assert len(built) == 1 and second is not first and second.version == first.version
    text = "他传播违禁词，国务院总理习近平出席。"
    assert scan_document(second, text=text) == scan_document(first, text=text)
    assert [h.rule for h in scan_document(second, text=text)].count("banned.test") == 1
    # an edited file is a new version; a damaged cache file is rebuilt
    (d / "w.txt").write_text("# category: banned.test\n# severity: veto\n违禁词\n新词条\n", encoding="utf-8")
    monkeypatch.setattr(lexmod, "_CACHE", {})
    third = lexmod.load_lexicon([d], cache_dir=cache)
    assert len(built) == 2 and third.version != first.version
    for p in cache.glob("lexicon-*.pickle"):
        p.write_bytes(b"garbage")
    monkeypatch.setattr(lexmod, "_CACHE", {})
    fourth = lexmod.load_lexicon([d], cache_dir=cache)
    assert len(built) == 3 and fourth.version == third.version


@pytest.mark.parametrize("text", [
    "1912年，中华民国成立，本县隶属直隶省。",
    "民国二十五年，民国政府在此设立区公所。",
    "中华民国时期，该地属第三行政督察区。",
    "辛亥革命推翻了清王朝，建立了中华民国。",
])
def test_republic_of_china_in_history_is_reviewed(lex, text):
    hits = [h for h in scan_document(lex, text=text) if h.rule == "expression.term"]
    assert hits and all(h.severity == REVIEW_SEVERITY and "1949年以前" in h.detail for h in hits)


@pytest.mark.parametrize("text", [
    "中华民国总统府发表声明。",
    "1950年，中华民国当局败退台湾后继续使用这一名称。",
    "2024年5月20日，台湾总统就职。",
])
def test_republic_of_china_today_is_still_reported(lex, text):
    assert pick(scan_document(lex, text=text), "expression.term")


def test_a_rebutted_claim_is_quoted_not_used(lex):
    text = "台湾地区领导人妄称“中华民国”是主权独立国家，我们坚决反对。"
    hits = [h for h in scan_document(lex, text=text) if h.rule == "expression.term"]
    assert hits and all(h.severity == REVIEW_SEVERITY and "妄称" in h.detail for h in hits)
    assert pick(scan_document(lex, text="他说中华民国是主权独立国家。"), "expression.term")  # not quoted: used


def test_style_wording_is_medium_and_political_wording_high(lex):
    style = [h for h in scan_document(lex, text="本县籍著名影帝张某返乡，老村长带领群众致富。") if h.severity != REVIEW_SEVERITY]
    assert {(h.rule, h.severity) for h in style} == {("expression.style", "medium")}
    assert {h.match for h in style} == {"影帝", "村长"}
    term = pick(scan_document(lex, text="据报道，北朝鲜近日举行会议。"), "expression.term")
    assert [(h.severity, h.match) for h in term] == [("high", "北朝鲜")]


def test_history_header_is_checked(tmp_path):
    d = tmp_path / "lex"
    d.mkdir()
    (d / "h.txt").write_text("# category: expression.test\n# history: maybe\n旧称\n", encoding="utf-8")
    assert any("history 应为 yes 或 no" in p for p in check_lexicons([d]))


@pytest.mark.parametrize("text,rule", [
    ("机关各科室要做好涉密文件管理，严格落实保密责任制。", "secret.marker"),
    ("关于印发《示范县涉密文件管理办法》的通知", "secret.marker"),
    ("开展保密宣传月活动，增强干部职工“不得外传”“注意保密”意识。", "secret.marker"),
    ("市商务局联合各大商场开展“惠民消费季”活动，部分商品限时优惠，消费券可叠加使用。", "ads.promo"),
    ("本次招商引资推介会现场签约项目12个，招商加盟热线：0351-1234567。", "ads.promo"),
    ("扫码领红包活动由县融媒体中心举办，参与即有机会获得电子消费券。", "ads.promo"),
])
def test_the_subject_of_official_work_is_reviewed(lex, text, rule):
    hits = [h for h in scan_document(lex, text=text) if h.rule == rule]
    assert hits and all(h.severity == REVIEW_SEVERITY and "语境中" in h.detail for h in hits)


@pytest.mark.parametrize("text,rule,match", [
    ("此为涉密文件，请勿外传。", "secret.marker", "涉密文件"),
    ("限时抢购！全网最低价，点击购买，包邮到家。", "ads.promo", "点击购买"),
    ("诚招代理：本公司诚招各县区代理商，加盟热线请咨询。", "ads.promo", "诚招代理"),
])
def test_marks_and_adverts_themselves_are_still_alerted(lex, text, rule, match):
    assert match in [h.match for h in pick(scan_document(lex, text=text), rule)]
