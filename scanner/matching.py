"""Lexicon matching (steps 2–3 of content matching): one Aho-Corasick pass, then per raw hit only
word-boundary checks (jieba in a small window), allow phrases and overlap resolution."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Entry, Lexicon
from .normalize import Normalized

WINDOW = 6  # characters of context on each side that jieba segments around a hit

# Condemnation context: a banned or ad term near these words is news about fighting it.
CONDEMNATION_RE = re.compile(
    "打击|严打|严禁|禁止|查处|查获|查办|取缔|防范|谨防|提防|警惕|举报|整治|治理|惩治|严惩|依法处理|"
    "破获|侦破|抓获|捣毁|摧毁|揭批|揭露|批判|反对|抵制|遏制|打掉|清理|清查|净化|扫黄|打非|"
    "不得|不准|严防|拒绝|远离|识破|谣言|辟谣|所谓|鼓吹|涉嫌|犯罪|违法|非法|专项行动|专项整治|"
    "判处|判决|起诉|立案|刑拘|拘留|逮捕|被骗|诈骗|骗局|反诈|防骗|宣传教育|"
    # anti-fraud notices describe the bait of criminals: 以“高额回报”为诱饵
    "诱饵|不法分子|犯罪分子|诈骗分子|骗子|幌子|旗号|话术|诱骗|骗取|陷阱|冒充|受害人|受骗|上当|"
    # campaigns against superstition: 不搞算命、看风水
    "不搞|不信|破除|移风易俗|封建迷信|"
    # police reports describe the case: 经查，张某搭建赌博网站…；涉案资金…；赌博网站的套路
    "经查|查明|查实|涉案|案件|嫌疑人|参赌|涉赌|涉黄|涉毒|涉诈|套路|切勿"
)
# A paragraph of a case report (侦破、抓获、刑事拘留 …): what it names is the crime being reported.
CASE_REPORT_RE = re.compile(
    "侦破|破获|抓获|刑事拘留|刑拘|逮捕|判处|提起公诉|立案侦查|涉案|犯罪嫌疑人|捣毁|打掉|查获|缴获|收缴|"
    "警方|公安机关|民警|专案组"
)
CASE_PARAGRAPH_REACH = 300  # characters on each side of a hit searched for its paragraph's bounds
SENTENCE_END = "。！？!?\n；;"
CONTEXT_WIDTH = 40  # default of thresholds.condemnation_window: characters on each side, same sentence

# A prohibition that introduces a list: 不得制作、复制、发布含有下列内容的信息：（一）…；（二）…
PROHIBITION_HEAD_RE = re.compile(
    "(?:不得|禁止|严禁|不准|不允许|不能|不应|杜绝|禁绝)[^。！？\n：:]{0,40}?"
    "(?:下列|以下|如下|下述)[^。！？\n：:]{0,12}[：:]"
)
LIST_ITEM_RE = re.compile(
    r"[ \t\u3000]*(?:[（(][ \t]*[0-9一二三四五六七八九十]{1,3}[ \t]*[)）]|[0-9一二三四五六七八九十]{1,3}[ \t]*[、.．)）]"
    r"|[①-⑳⑴-⒇⒈-⒛]|[-—•·●▪][ \t])"
)
LIST_CONTINUES = ("；", ";", "、", "，", ",", "：", ":")
LIST_MAX_LINES = 40

# Words that are mentioned, not used: a quoted term in a sentence about wording.
OPEN_QUOTES = "“「『‘\"'"
CLOSE_QUOTES = "”」』’\"'"
DISCUSSION_RE = re.compile(
    "不得使用|不要使用|禁止使用|严禁使用|避免使用|不使用|不宜使用|不再使用|慎用|禁用|应为|应改为|改为|"
    "应写为|写为|应写作|写作|应表述为|表述为|应使用|规范为|更正|误为|误写|错写|错为|例如|比如|诸如|示例|"
    "举例|表述|说法|提法|用语|写法|字样|严禁|不得|禁止|标注|标识为|"
    # a statement rebutting a claim quotes it: 妄称“中华民国”是…、所谓“台独”
    "妄称|所谓|谬称|宣称|鼓吹|诬称|污蔑|号称"
)
# A sentence about the time before 1949 (a year from 1840 to 1949, a year of the Republic, an event
# or era of then): 中华民国 and 民国政府 are the names of that time there, not of Taiwan today.
HISTORY_RE = re.compile(
    "(?<![0-9])(?:18[4-9][0-9]|19[0-3][0-9]|194[0-9])年|民国[0-9〇一二三四五六七八九十廿卅元]{1,4}年|"
    "辛亥革命|清王朝|清政府|清朝|清末|北洋政府|北洋军阀|国民政府|抗日战争|抗战时期|全面抗战|解放战争|"
    "解放前|新中国成立前|新中国成立以前|旧中国|民国时期|民国初年|民国年间|历史沿革"
)
HISTORY_REACH = 80  # characters on each side of a hit, within its sentence
# The work a family's words are the subject of, in official text: secrecy management (做好涉密文件管理、
# 保密宣传 …) for classification marks, and public programmes run by government (消费券、招商引资 …) for
# promotional wording.  A mark or an advert itself does not sit in such a sentence.
TOPICS = {  # family: (the work, its words)
    "secret": ("保密管理", re.compile(
        "保密工作|保密管理|保密制度|保密责任|保密教育|保密宣传|保密意识|保密检查|保密培训|保密审查|保密法|保密局|"
        "保密委员会|保密办|定密|解密|管理办法|管理规定|管理制度|管理工作|文件管理|资料管理|载体管理|清查|自查")),
    "ads": ("政府惠民、招商工作", re.compile(
        "惠民|消费券|消费季|以旧换新|招商引资|人民政府|商务局|商务厅|商务部|融媒体中心|主办单位|指导单位|"
        "文旅局|文化和旅游局|助农|消费帮扶|乡村振兴")),
}
RULE_SUBJECT_RE = re.compile(r"[ \t]*(?:应当|应|必须|须|一律)")


@dataclass(frozen=True, slots=True)
class TermHit:
    entry: Entry
    start: int  # in the normalised text
    end: int


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F


class FieldMatch:
    """The lexicon hits of one field and the rule triggers the automaton saw in it."""

    __slots__ = ("hits", "triggers")

    def __init__(self, hits: list, triggers: set):
        self.hits = hits
        self.triggers = triggers


def raw_hits(lexicon: Lexicon, text: str, field: str = "text") -> tuple[list, set]:
    """One automaton pass over ``text``.

    Returns the hits of entries that apply to ``field`` and lie outside every allow phrase, as
    ``(start, end, entries)`` in character offsets, and the names of the triggers seen.  Allow
    phrases are applied in byte offsets, so only surviving hits are mapped to characters.
    """
    if not text:
        return [], set()
    b = text.encode("utf-8", "surrogatepass")
    found, allow, triggers = [], [], set()
    uses, describe = lexicon.key_use(field), lexicon.describe_key
    for end_b, index in lexicon.automaton.iter(b.decode("latin-1")):
        use = uses.get(index)
        if use is None:
            use = uses[index] = describe(index, field)
        blen, nlen, keep, is_allow, trig = use
        end_b += 1
        if trig:
            triggers.update(trig)
        if is_allow:
            allow.append((end_b - blen, end_b))
        if keep:
            found.append((end_b - blen, end_b, nlen, keep))
    if allow and found:
        found = _outside(found, allow)
    if not found:
        return [], triggers
    if len(b) == len(text):  # ASCII: byte offsets are character offsets
        return [(s, e, entries) for s, e, _, entries in found], triggers
    out = []
    bpos = cpos = 0
    for _, end_b, nlen, entries in found:  # in end order, as the automaton reports them
        if end_b > bpos:
            cpos += len(b[bpos:end_b].decode("utf-8", "surrogatepass"))
            bpos = end_b
        out.append((cpos - nlen, cpos, entries))
    return out, triggers


def _outside(found: list, allow: list) -> list:
    """The hits of ``found`` that lie inside no allow phrase, in their order.

    A sweep by start: a hit is covered when some phrase starting at or before it reaches its end,
    so the test is against the furthest end so far (n log n, however many phrases a text holds)."""
    allow.sort()
    covered = [False] * len(found)
    j, reach = 0, -1
    for i in sorted(range(len(found)), key=lambda i: found[i][0]):
        start, end = found[i][0], found[i][1]
        while j < len(allow) and allow[j][0] <= start:
            reach = max(reach, allow[j][1])
            j += 1
        covered[i] = end <= reach
    return [f for f, c in zip(found, covered) if not c]


PARTICLES = "了啊呀吧啦哦嘛"  # what may follow an interjection (``# match: alone``) directly
HYPHENS = "-‐‑"


def _side_ok(text: str, pos: int, inside: str, outside_index: int, step: int) -> bool | None:
    """True when ``pos`` is plainly a boundary, False when plainly not, None when jieba must tell.

    ``step`` is -1 on the left side, +1 on the right."""
    if outside_index < 0 or outside_index >= len(text):
        return True
    outside = text[outside_index]
    if inside.isascii() and _is_word_char(inside):
        if outside in HYPHENS:  # NB-IoT, SB-2: a hyphenated compound is one word
            beyond = outside_index + step
            return not (0 <= beyond < len(text) and text[beyond].isascii() and _is_word_char(text[beyond]))
        return not (outside.isascii() and _is_word_char(outside))  # Latin term: ASCII word boundary
    if not _is_cjk(inside) or not _is_cjk(outside):
        return True
    return None


def _on_boundaries(lexicon: Lexicon, text: str, start: int, end: int, entry: Entry) -> bool:
    if entry.match == "substring":
        return True
    if entry.match == "alone" and end < len(text) and _is_cjk(text[end]) and text[end] not in PARTICLES:
        return False  # 我靠种植, 尼玛县: an interjection stands before punctuation or a particle
    left = True if entry.left_free else _side_ok(text, start, text[start], start - 1, -1)
    right = True if entry.right_free else _side_ok(text, end, text[end - 1], end, 1)
    if left is False or right is False:
        return False
    if left and right:
        return True
    ws, we = max(0, start - WINDOW), min(len(text), end + WINDOW)
    cuts = lexicon.cuts(text[ws:we])
    return (left or (start - ws) in cuts) and (right or (end - ws) in cuts)


def find_terms(lexicon: Lexicon, norm: Normalized, field: str) -> FieldMatch:
    """Lexicon hits in one field: on word boundaries, outside allow phrases, longest per category."""
    text = norm.text
    raw, triggers = raw_hits(lexicon, text, field)
    hits = []
    for s, e, entries in raw:
        for entry in entries:
            if _on_boundaries(lexicon, text, s, e, entry):
                hits.append(TermHit(entry, s, e))
    if len(hits) > 1:
        # Within a category keep the longest of nested hits (特么的 over 特么).
        hits.sort(key=lambda h: (h.start, -(h.end - h.start), h.entry.category.id, h.entry.norm))
        kept: list[TermHit] = []
        for h in hits:
            if any(k.entry.category.id == h.entry.category.id and k.start <= h.start and h.end <= k.end
                   and (k.start, k.end) != (h.start, h.end) for k in kept[-8:]):
                continue
            kept.append(h)
        hits = kept
    return FieldMatch(hits, triggers)


_SENTENCE_END_RE = re.compile(f"[{re.escape(SENTENCE_END)}]")


def sentence_context(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> tuple[str, str]:
    """Up to ``width`` characters before and after a span, cut at sentence ends."""
    left = text[max(0, start - width):start]
    m = _SENTENCE_END_RE.search(left[::-1])  # the last sentence end before the span
    if m:
        left = left[len(left) - m.start():]
    right = text[end:end + width]
    m = _SENTENCE_END_RE.search(right)
    return left, right[:m.start()] if m else right


def condemned(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> str:
    """The condemnation word near a hit (same sentence, outside the hit itself), or ''."""
    left, right = sentence_context(text, start, end, width)
    m = CONDEMNATION_RE.search(left) or CONDEMNATION_RE.search(right)
    return m.group() if m else ""


def historical(text: str, start: int, end: int) -> str:
    """The mark of the time before 1949 in the sentence of ``[start, end)`` (1936年, 辛亥革命,
    中华民国时期 …), or ''."""
    left, right = sentence_context(text, start, end, HISTORY_REACH)
    m = HISTORY_RE.search(left + text[start:end] + right)
    return m.group() if m else ""


def topic(text: str, start: int, end: int, family: str, width: int = CONTEXT_WIDTH) -> str:
    """The word showing that ``text[start:end]`` is the subject of official work of its family
    (``TOPICS``: 涉密文件管理, 保密宣传, 消费券 … in the same sentence, within ``width`` characters
    like the condemnation context), or ''.  A classification mark inside a document title
    (《涉密文件管理办法》) is a title, not a mark."""
    if family not in TOPICS:
        return ""
    rx = TOPICS[family][1]
    left, right = sentence_context(text, start, end, width)
    m = rx.search(left) or rx.search(right)
    if m:
        return m.group()
    hit = text[start:end]
    m = rx.search(hit + right)  # 涉密文件管理: the topic word may begin inside the hit
    if m and m.end() > len(hit):
        return m.group()
    if family == "secret" and left.rfind("《") > left.rfind("》"):
        close, reopen = right.find("》"), right.find("《")
        if close >= 0 and (reopen < 0 or close < reopen):
            return "《》"
    return ""


def case_paragraph(text: str, start: int, end: int) -> str:
    """The case-report word (抓获, 刑事拘留, 警方 …) of the paragraph holding ``[start, end)``, or ''."""
    floor = max(0, start - CASE_PARAGRAPH_REACH)
    newline = text.rfind("\n", floor, start)
    lo = newline + 1 if newline >= 0 else floor
    newline = text.find("\n", end, end + CASE_PARAGRAPH_REACH)
    m = CASE_REPORT_RE.search(text, lo, newline if newline >= 0 else end + CASE_PARAGRAPH_REACH)
    return m.group() if m else ""


def prohibition_scopes(text: str) -> list[tuple[int, int, str]]:
    """Spans of ``text`` that a prohibition governs: the list that follows “不得…下列内容：”.

    The list is the rest of the head's line up to its first sentence end and then every line
    that is an enumerated item (（一）, 1., ① …) or follows an item ending in “；”, “、”, “，”.
    Returns ``(start, end, head)``; anything in ``[start, end)`` is quoted to be forbidden.
    """
    scopes = []
    for m in PROHIBITION_HEAD_RE.finditer(text):
        pos = m.end()
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        rest = text[pos:line_end]
        end = pos
        prev = ""
        if rest.strip():
            stop = next((i for i, ch in enumerate(rest) if ch in "。！？!?"), -1)
            end = pos + stop + 1 if stop >= 0 else line_end
            prev = rest.strip()
            if stop >= 0 and stop < len(rest.rstrip()) - 1:
                scopes.append((pos, end, m.group()))
                continue  # the list ended inside the line
        cursor = line_end
        for _ in range(LIST_MAX_LINES):
            if cursor >= len(text):
                break
            nxt = text.find("\n", cursor + 1)
            nxt = len(text) if nxt < 0 else nxt
            line = text[cursor + 1:nxt]
            if not line.strip():
                break
            if LIST_ITEM_RE.match(line) or (prev.endswith(LIST_CONTINUES) and not LIST_ITEM_RE.match(prev)
                                              and not prev.endswith(("。", "！", "？"))):
                end = nxt
                prev = line.strip()
                cursor = nxt
                continue
            break
        if end > pos:
            scopes.append((pos, end, m.group()))
    return scopes


def in_scope(scopes, start: int, end: int) -> str:
    """The prohibition head whose list contains ``[start, end)``, or ''."""
    for s, e, head in scopes:
        if s <= start and end <= e:
            return head
    return ""


# The nearest quote or sentence end on either side of a span decides whether it is quoted.
_QUOTE_STOP_RE = re.compile(f"[{re.escape(SENTENCE_END + OPEN_QUOTES + CLOSE_QUOTES)}]")


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` sits inside a pair of quotes within its sentence: within 30
    characters, the nearest such mark before it opens a quote and the nearest after it closes one."""
    before = _QUOTE_STOP_RE.search(text[max(0, start - 30):start][::-1])
    if not before or before.group() not in OPEN_QUOTES:
        return False
    after = _QUOTE_STOP_RE.search(text, end, end + 30)
    return bool(after) and after.group() in CLOSE_QUOTES


def discussed(text: str, start: int, end: int, family: str = "") -> str:
    """Why ``text[start:end]`` is mentioned rather than used, or '' when it is used.

    A quoted term in a sentence about wording (不得使用“两岸三地”, “截止目前”应为“截至目前”,
    例如“秘密★1年”); for classification marks also a mark that is the subject of a rule
    (涉密文件应当……).
    """
    if _quoted(text, start, end):
        left, right = sentence_context(text, start, end)
        m = DISCUSSION_RE.search(left) or DISCUSSION_RE.search(right)
        if m:
            return m.group()
    if family == "secret":
        m = RULE_SUBJECT_RE.match(text, end)
        if m:
            return m.group().strip()
    return ""