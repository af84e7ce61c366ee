"""Normalisation behaviours specified by houbb/sensitive-word's tests.

The inputs below are copied from houbb/sensitive-word's JUnit tests (v0.29.5, commit b86249d;
Apache-2.0, (c) houbb), via shared/fixtures/cases/houbb_obfuscation_cases.jsonl.  Notice kept
beside the copy, as that fixture's NOTICE.md asks: "Real pages and test cases written by others,
for the project's tests. Keep this notice beside any copy." — cases/houbb_obfuscation_cases.jsonl:
inputs and expected outputs copied from houbb/sensitive-word's JUnit tests (v0.29.5, commit
b86249d); `source_file` names the test file; licence Apache-2.0, (c) houbb.  The cases assume that
library's own dictionary and options: here they specify behaviours, with this project's lexicons
(a test lexicon holds the words the cases expect).
"""
import pytest

from scanner.content import scan_document
from scanner.lexicon import load_lexicon
from scanner.normalize import fold_digits, normalize

TEST_LEXICON = """# category: banned.test
# label: 测试词
# severity: veto
五星红旗
毛主席
天安门
fuck
傻冒
狗东西
傻逼
下三滥
黄片
共产
sb
!三黄片
!共产党
"""

# (id, input, expected matches as they appear in the input)
CASES = [
    (1, "五星红旗迎风飘扬，毛主席的画像屹立在天安门前。", ["五星红旗", "毛主席", "天安门"]),
    (5, "fuCK the bad words.", ["fuCK"]),
    (6, "ｆｕｃｋ the bad words.", ["ｆｕｃｋ"]),
    (7, "我爱我的祖国和五星紅旗。", ["五星紅旗"]),
    (8, "Ⓕⓤc⒦ the bad words", ["Ⓕⓤc⒦"]),
    (11, "傻@冒，狗+东西", ["傻@冒", "狗+东西"]),
    (12, "<p>傻逼</p>", ["傻逼"]),
    (13, "你好毛---主---席", ["毛---主---席"]),
    (18, "花豹用下3滥招式对付疣猪，没想到疣猪居然也有绝招", ["下3滥"]),
    (21, "你我.他你", []),
    (25, "三黄片黄片", ["黄片"]),
    (26, "共产党是白名单不会被检测，但是共产是黑名单", ["共产"]),
    (27, "生日快乐", []),
    (28, "你是SB吧", ["SB"]),
    (29, "以个人账户或现金收取资金、现场或即时交付本金即给予部分提成、分红、利息;", []),
]


@pytest.fixture(scope="module")
def lex(tmp_path_factory):
    d = tmp_path_factory.mktemp("houbb")
    (d / "test.txt").write_text(TEST_LEXICON, encoding="utf-8")
    return load_lexicon([d])


@pytest.mark.parametrize("case_id,text,expected", CASES, ids=[str(c[0]) for c in CASES])
def test_houbb_case(lex, case_id, text, expected):
    hits = [h for h in scan_document(lex, text=text) if h.rule == "banned.test"]
    assert [text[h.start:h.end] for h in hits] == expected
    assert [h.match for h in hits] == expected


def test_offsets_of_case_4():
    # houbb reports startIndex/endIndex 0-4, 9-12, 18-21 for case 4.
    text = "五星红旗迎风飘扬，毛主席的画像屹立在天安门前。"
    n = normalize(text)
    assert n.identity
    for word, span in (("五星红旗", (0, 4)), ("毛主席", (9, 12)), ("天安门", (18, 21))):
        i = n.text.index(word)
        assert n.span(i, i + len(word)) == span


def test_number_obfuscation_case_15():
    assert fold_digits("9⓿二肆⁹₈③⑸⒋➃㈤㊄") == "902498354455"


def test_repeats_fold_in_latin_words_only():
    # Folding repeated characters breaks real words with doubled characters (sensitive-word #23,
    # #136, #144): Chinese characters are never folded; a repeated Latin letter is, on both the
    # text and the lexicon side (issue 16: fuuuck), so case 9's "ⒻⒻⒻfⓤuⓤ⒰cⓒ⒦" now matches.
    n = normalize("ⒻⒻⒻfⓤuⓤ⒰cⓒ⒦")
    assert n.text == "fuck"
    assert n.span(0, 4) == (0, 11)
    assert normalize("谢谢大家，哈哈").text == "谢谢大家，哈哈"
    assert normalize("见 www.example.gov.cn/abbb").text == "见 www.example.gov.cn/abbb"


def test_digit_term_not_found_inside_longer_number(tmp_path):
    d = tmp_path / "lex"
    d.mkdir()
    (d / "t.txt").write_text("# category: banned.test\n69 => x\n", encoding="utf-8")
    lx = load_lexicon([d])
    assert [h for h in scan_document(lx, text="编号695的文件") if h.rule == "banned.test"] == []
    assert [h.match for h in scan_document(lx, text="编号 69 的文件") if h.rule == "banned.test"] == ["69"]
