"""Lexicon loading, normalisation, matching: allow phrases, word boundaries, condemnation context."""
from pathlib import Path

import pytest

from scanner.lexicon import check_lexicons, load_lexicon
from scanner.content import REVIEW_SEVERITY, scan_document
from scanner.normalize import normalize


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


def rules(hits, severity=None):
    return [(h.rule, h.match) for h in hits if severity is None or h.severity in severity]


def write(tmp_path: Path, name: str, body: str) -> Path:
    d = tmp_path / "lex"
    d.mkdir(exist_ok=True)
    (d / name).write_text(body, encoding="utf-8")
    return d


def test_shipped_lexicons_are_clean_and_versioned(lex):
    assert check_lexicons() == []
    assert len(lex.version) == 12
    assert len(lex.entries) > 600
    cats = set(lex.categories)
    for needed in ("expression.term", "expression.typo", "expression.leader", "secret.marker", "ads.promo",
                   "title.clickbait", "tone.vulgar", "source.unauthorised", "banned.cult", "banned.obscene"):
        assert needed in cats
    assert load_lexicon() is lex  # cached


def test_normalize_offsets_point_at_original():
    n = normalize("请看ＡＢＣ，法 轮 功和五星紅旗")
    assert n.text == "请看abc，法轮功和五星红旗"
    i = n.text.index("法轮功")
    assert n.span(i, i + 3) == (6, 11)
    j = n.text.index("红旗")
    s, e = n.span(j, j + 2)
    assert n.original[s:e] == "紅旗"


def test_normalize_fast_path_is_identity():
    n = normalize("市政府召开常务会议，研究部署重点工作。")
    assert n.identity and n.text == n.original


def test_allow_phrase_covers_hit(tmp_path):
    d = write(tmp_path, "x.txt", "# category: banned.test\n# severity: veto\n黄片\n共产\n!三黄片\n!共产党\n")
    lx = load_lexicon([d])
    hits = scan_document(lx, text="三黄片黄片")
    assert [(h.match, h.start) for h in hits if h.rule == "banned.test"] == [("黄片", 3)]
    hits = scan_document(lx, text="共产党是白名单不会被检测，但是共产是黑名单")
    assert [h.match for h in hits if h.rule == "banned.test"] == ["共产"]


def test_word_boundaries_with_jieba(lex):
    hits = scan_document(lex, text="请按装修标准和安装规范执行。")
    assert "按装" not in [h.match for h in hits]
    hits = scan_document(lex, text="请尽快按装软件。")
    assert ("expression.typo", "按装") in rules(hits)


def test_latin_terms_need_ascii_word_boundary(tmp_path):
    d = write(tmp_path, "x.txt", "# category: banned.test\nav\n")
    lx = load_lexicon([d])
    assert rules(scan_document(lx, text="I have a nice day。")) == []
    assert ("banned.test", "AV") in rules(scan_document(lx, text="这是AV视频"))


def test_substring_and_wildcards(tmp_path, lex):
    hits = scan_document(lex, text="山西省人大副主任出席会议。")
    assert ("expression.term", "省人大副主任") in rules(hits)
    d = write(tmp_path, "x.txt", "# category: banned.test\n# substring: yes\n违禁品\n")
    lx = load_lexicon([d])
    assert rules(scan_document(lx, text="出售违禁品类商品")) == [("banned.test", "违禁品")]


def test_condemnation_context_lowers_banned(lex):
    text = "全市开展扫黄打非专项行动，依法严厉打击网络赌博违法犯罪活动。气象台发布暴雨黄色预警信号。"
    hits = scan_document(lex, title="我市开展打击赌博专项行动", text=text)
    assert [h for h in hits if h.severity in ("veto", "high")] == []
    lowered = [h for h in hits if h.rule == "banned.obscene"]
    assert lowered and all(h.severity == REVIEW_SEVERITY and "复核" in h.detail for h in lowered)
    hits = scan_document(lex, text="本站提供网络赌博平台，注册即送彩金。")
    assert [(h.rule, h.severity) for h in hits if h.rule == "banned.obscene"] == [("banned.obscene", "veto")]


def test_user_lexicon_merges_and_obfuscations_found(tmp_path):
    d = write(tmp_path, "mine.txt", "# category: banned.local\n# label: 本地违禁\n# severity: veto\n违规传单 => 删除\n")
    lx = load_lexicon([d])
    assert lx.version != load_lexicon().version
    for variant in ("违规传单", "ＸＸ违规传单", "違規傳單", "违 规 传 单", "违*规*传*单", "违\u200b规传单"):
        hits = [h for h in scan_document(lx, text=f"发放{variant}的行为") if h.rule == "banned.local"]
        assert hits, variant
        h = hits[0]
        assert h.category == "本地违禁"
        assert f"发放{variant}的行为"[h.start:h.end].replace(" ", "").replace("*", "").replace("\u200b", "") in ("违规传单", "違規傳單")


def test_check_lexicons_reports_bad_lines_and_duplicates(tmp_path):
    d = write(tmp_path, "a.txt", "# category: banned.test\n# severity: fatal\n好词\n坏 =>\n好词\n单\n")
    write(tmp_path, "b.txt", "# category: expression.term\n北朝鲜 => 朝鲜\n")
    write(tmp_path, "c.txt", "没有类别的词条\n")
    problems = check_lexicons([d])
    text = "\n".join(problems)
    assert "a.txt:2:" in text and "级别" in text
    assert "a.txt:4:" in text and "建议" in text
    assert "a.txt:5:" in text and "重复" in text
    assert "a.txt:6:" in text and "过短" in text
    assert "b.txt:2:" in text  # duplicates the shipped expression_term.txt
    assert "c.txt:1:" in text and "category" in text
    for p in problems:
        assert p.split(":")[1].isdigit()


def test_deterministic_output(lex):
    doc = dict(title="震惊！！万万没想到", text="北朝鲜，截止目前，身份证110101199003074514，http://taobao.com/x",
               source="百家号")
    assert scan_document(lex, **doc) == scan_document(lex, **doc)
    hits = scan_document(lex, **doc)
    assert [h.field for h in hits] == sorted([h.field for h in hits], key=["title", "text", "source", "url"].index)


def test_ignore_terms(lex):
    hits = scan_document(lex, text="据报道，北朝鲜近日举行会议。", ignore_terms=["北朝鲜"])
    assert rules(hits) == []


def test_byte_order_is_jieba_byte_frequency():
    """BYTE_ORDER (the order of a node's children) is recomputed from jieba's dictionary."""
    import os
    from collections import Counter

    import jieba

    from scanner.lexicon import BYTE_ORDER

    freq: Counter = Counter()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, n = line.split()[:2]
            for b in word.encode():
                freq[b] += int(n)
    assert set(BYTE_ORDER) == set(freq)
    counts = [freq[b] for b in BYTE_ORDER]
    assert counts == sorted(counts, reverse=True)


def test_allow_phrases_many_and_nested(tmp_path):
    """Allow phrases are applied by a sweep: every hit inside one is dropped, hits between kept."""
    d = write(tmp_path, "x.txt", "# category: banned.test\n# severity: veto\n黄片\n!三黄片\n!三黄片厂\n")
    lx = load_lexicon([d])
    text = "三黄片厂，" * 500 + "黄片" + "三黄片" * 500 + "，黄片"
    hits = [h for h in scan_document(lx, text=text) if h.rule == "banned.test"]
    assert [h.start for h in hits] == [2500, len(text) - 2]
