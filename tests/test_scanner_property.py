"""Property tests: arbitrary Unicode never crashes the scanner and offsets stay inside the input."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.content import scan_document
from scanner.lexicon import load_lexicon
from scanner.normalize import normalize

LEX = load_lexicon()

# Everything, including lone surrogates (category Cs), combining marks and right-to-left text,
# mixed with fragments that trigger rules so that the interesting paths run too.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
FRAGMENTS = st.sampled_from([
    "法 轮 功", "北朝鲜", "秘密★", "110101199003074514", "13812345678", "http://taobao.com/x", "震惊！！",
    "\u202e", "\u0301", "\ud800", "\u200b", "ＡＢＣ", "五星紅旗", "地图", "微信：⓿①", "İ", "ﬁ", "㈤", "\U0001D400",
    "עברית", "العربية", " ", "\n", "*", "-",
])
TEXT = st.lists(st.one_of(ANY_CHAR, FRAGMENTS), max_size=60).map("".join)


def check(title, text, source):
    hits = scan_document(LEX, title=title, text=text, source=source, links=[text[:30]])
    fields = {"title": title, "text": text, "source": source}
    for h in hits:
        if h.field in fields:
            value = fields[h.field]
            assert -1 <= h.start <= h.end <= len(value)
            if h.start >= 0:
                assert value[h.start:h.end] == h.match
    return hits


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT, TEXT)
def test_arbitrary_unicode(title, text, source):
    check(title, text, source)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_normalize_map_is_monotonic_and_bounded(text):
    n = normalize(text)
    last = 0
    for i in range(len(n.text) + 1):
        s = n.orig_start(i)
        assert 0 <= s <= len(text)
        assert s >= last
        last = s
        assert n.orig_start(i) <= n.orig_end(i + 1) if i < len(n.text) else True


def test_megabyte_string():
    chunk = "市政府召开常务会议，研究部署重点工作。法 轮 功\u202e\u0301\ud800ＡＢＣ北朝鲜😀13812345678\n"
    text = chunk * (1_000_000 // len(chunk) + 1)
    hits = check("标题", text, "")
    assert any(h.rule == "banned.cult" for h in hits)
    assert any(h.rule == "expression.term" for h in hits)


@pytest.mark.parametrize("text", ["", " ", "\ud800", "\U0010FFFF" * 3, "★" * 50, "0" * 5000, "１" * 30])
def test_edge_inputs(text):
    check(text, text, text)
