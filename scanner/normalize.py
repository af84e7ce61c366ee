"""Text normalisation with an offset map (step 1 of content matching).

``normalize(text)`` folds the text into the form the lexicon is matched against:

- NFKC per character: full-width letters and digits, styled and enclosed letters (``Ⓕⓤc⒦``),
  Kangxi radicals and compatibility ideographs; the brackets and dots of enclosed numbers
  (``⑸``, ``⒋``, ``㈤``) are dropped;
- digits of other scripts and circled or styled digits (``⓿➃❶``, Arabic-Indic …) become ASCII;
- traditional characters become simplified (a one-character table taken from zhconv's
  ``zh2Hans`` dictionary; the same table is applied to lexicon terms, so folding is consistent);
- zero-width characters, direction controls, soft hyphens, variation selectors and combining
  marks are dropped;
- runs of separators and symbols between two Chinese characters are dropped, however long:
  spaces, ``*@+-_.·|/\\~#&^=`` and their full-width forms, brackets (``【】[]（）〔〕「」``),
  arrows, box drawing, geometric shapes, dingbats and emoji (``法【】轮``, ``法😀😀😀😀轮``),
  decorations of other blocks (``¨§°ˇ‖†﹏︶``, Braille, control pictures, private-use icons), spaces
  of every width and invisible tag characters, with at most one line break (``\n``, or another
  line or paragraph separator) among them (``法轮\n功``; a blank line still separates); between
  two Latin letters, runs of symbols that never join the parts of an address (``f*u*c*k``,
  ``f★u★c★k``; not ``. - _ / : @ = & ? % #``);
- Cyrillic and Greek letters that look like Latin ones become those (``сука`` → ``cyka``), and
  Latin letters dressed up become plain ones: diacritics and hooks (``fück``, ``ƒuck``), small
  capitals (``ꜰᴜᴄᴋ``), white on black squares or circles (``🅵🆄🅲🅺``);
- single Latin letters spelled out with dots, hyphens, underscores or spaces lose the marks
  (``f.u.c.k``, ``n m s l``; three to 24 letters, not inside an address such as ``a.b.c.com``);
- a run of one repeated Latin letter in a Latin word becomes one letter (``fuuuck`` → ``fuck``,
  ``aallll`` → ``al``; the same folding applies to lexicon terms, so ``all`` matches both);
  words glued to digits or URL punctuation (``www.``, ``/abbb``) are left alone;
- everything is lower-cased.

Punctuation such as ``，。！？、：；“”`` is left alone: it is never part of a term and it separates
words (``测试，违禁`` is two words), and keeping it keeps ordinary text on the fast path.  Chinese numerals are not folded into digits (that breaks real
words such as 下三滥); instead the lexicon adds a digit variant of terms that contain numerals.

The result keeps a sparse offset map, so every position in the normalised text maps back to
the original characters.  Text that needs no folding other than lower-casing (most text) takes
a fast path with an identity map.
"""
from __future__ import annotations

import bisect
import hashlib
import os
import pickle
import re
import sys
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Spaces of every width (no-break, ogham, en, em, thin, hair, narrow no-break, ideographic …) and
# every line break (vertical tab, form feed, next line, line and paragraph separators count as \n).
UNICODE_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
LINE_BREAKS = "\n\x0b\x0c\x85\u2028\u2029"
SEPARATORS = " \t" + UNICODE_SPACES + "*@+\\-_.·•|/\\\\~#&^=＊＠＋－＿．｜／＼～＃＆＾＝"
ZERO_WIDTH = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
# Brackets and BMP symbol blocks (arrows, maths, technical, box drawing, blocks, geometric
# shapes, miscellaneous symbols, dingbats, ※) that evaders put between characters.
# Decorative marks of other blocks (no letters, digits or clause punctuation such as ，。、…——
# “”《》, which separate words): Latin-1 signs ¢£¤¥¦§¨©¬®¯°±´¶¸×÷, spacing accents ˇˉˊˋ˙˚,
# ‖†‡‣‧‰′″‵‸‾⁂ and other general punctuation ornaments, control pictures, Braille (its blank is
# an invisible character), ideographic description characters, 〃〄〜〠〰〶〽, the vertical and
# small forms ︵︶﹏﹙﹚﹟﹠﹡, full-width signs ＄％｀￠￡￢￣￤￥, and private-use characters (icon fonts).
DECORATIONS = (
    "\u00a2-\u00a9\u00ac\u00ae-\u00b1\u00b4\u00b6\u00b8\u00d7\u00f7\u02c2-\u02df\u02e5-\u02ff"
    "\u2010-\u2012\u2016\u2017\u2020-\u2024\u2027\u2030-\u2038\u203e-\u2044\u204e-\u205e"
    "\u2400-\u245f\u2800-\u28ff\u2ff0-\u2fff\u3003\u3004\u301c\u3020\u3030\u3036\u303d\u303e"
    "\ue000-\uf8ff\ufe30-\ufe4f\ufe58-\ufe6b\uff04\uff05\uff40\uff5f\uff60\uff62\uff63\uff65\uffe0-\uffe6\uffe8-\uffee"
)
SYMBOLS = (
    "()\\[\\]{}<>（）【】〔〕〖〗〘〙〚〛「」『』〈〉｛｝［］＜＞\r\u203b\u2190-\u23ff\u2500-\u27ff"
    "\u2900-\u2bff\u3012\u3013\u30fb" + DECORATIONS
)
# Emoji and pictographs (not the enclosed letters and digits 🄰🅐🅰 of U+1F100–1F1E5, which fold to
# letters), and the invisible tag characters and variation selectors beyond the BMP.
ASTRAL_ZERO_WIDTH = "\U000E0000-\U000E007F\U000E0100-\U000E01EF"
ASTRAL_SYMBOLS = "\U0001F000-\U0001F0FF\U0001F1E6-\U0001FAFF" + ASTRAL_ZERO_WIDTH
_RUN = f"{SEPARATORS}{ZERO_WIDTH}{SYMBOLS}"


def _run_re(extra: str = "") -> re.Pattern:
    """Symbol runs between two Chinese characters, with at most one line break (filtered by the
    caller: a run holding two line breaks is a paragraph break, not a split word)."""
    cls = _RUN + extra
    lb = LINE_BREAKS
    return re.compile(
        f"[{cls}{lb}](?<=[{CJK_RANGES}][{cls}{lb}])[{cls}]*(?:(?<![{lb}])[{lb}][{cls}]*)?(?=[{CJK_RANGES}])"
    )


def _line_breaks(run: str) -> int:
    return sum(run.count(ch) for ch in LINE_BREAKS)


# Two patterns: astral characters in a class make sre slow, so emoji join only when present.
_SEP_RE = _run_re()
_SEP_ASTRAL_RE = _run_re(ASTRAL_SYMBOLS)
# Between two Latin letters only symbols that never join the parts of an address (f*u*c*k,
# f★u★c★k): not . - _ / : @ = & ? % #, so URLs, e-mail addresses and file names stay intact.
LATIN_SYMBOLS = "*~^|+!$＊～＾｜＋！＄\u203b\u2190-\u23ff\u2500-\u27ff\u2900-\u2bff" + DECORATIONS.replace(
    "\u2010-\u2012", "")  # not hyphens: NB‐IoT
_LATIN_SEP_RE = re.compile(f"[{LATIN_SYMBOLS}](?<=[A-Za-z][{LATIN_SYMBOLS}])[{LATIN_SYMBOLS}]*(?=[A-Za-z])")
_LATIN_SEP_ASTRAL_RE = re.compile(
    f"[{LATIN_SYMBOLS}{ASTRAL_SYMBOLS}](?<=[A-Za-z][{LATIN_SYMBOLS}{ASTRAL_SYMBOLS}])"
    f"[{LATIN_SYMBOLS}{ASTRAL_SYMBOLS}]*(?=[A-Za-z])")
# Single Latin letters spelled out with dots, hyphens, underscores or spaces (f.u.c.k, n m s l):
# three or more, each standing alone, and not part of an address (a.b.c.com, /a-b-c/).
SPELLING_MARKS = " ._\\-·．－＿" + UNICODE_SPACES
SPELLED_MAX = 24  # letters per spelled run: bounds the backtracking from each start (linear time)
_SPELLED_RE = re.compile(
    f"[A-Za-z](?<![A-Za-z0-9/:@._\\-．－＿][A-Za-z])(?:[{SPELLING_MARKS}]{{1,2}}[A-Za-z](?![A-Za-z0-9])){{2,{SPELLED_MAX - 1}}}"
    "(?![._\\-．－＿]?[A-Za-z0-9/@:])")
_SPELLING_RUN_RE = re.compile(f"[{SPELLING_MARKS}]+")
_COMBINING = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
_ENCLOSED = ((0x2460, 0x24FF), (0x2776, 0x2793), (0x3200, 0x32FF), (0x1F100, 0x1F1FF))
_ZW_CHARS = None

CHINESE_DIGITS = {
    "〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "貳": "2", "叁": "3", "參": "3",
    "肆": "4", "伍": "5", "陆": "6", "陸": "6", "柒": "7", "捌": "8", "玖": "9", "两": "2",
}


def _in(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _zero_width_set() -> frozenset:
    out = set()
    for part in re.findall(r".-.|.", ZERO_WIDTH + ASTRAL_ZERO_WIDTH):
        if len(part) == 3:
            out.update(chr(c) for c in range(ord(part[0]), ord(part[2]) + 1))
        else:
            out.add(part)
    return frozenset(out)


@lru_cache(maxsize=1)
def _t2s() -> dict:
    """One-character traditional → simplified map from zhconv (CJK characters only)."""
    from zhconv import zhconv as zc

    zc.loaddict()
    table = zc.zhcdicts["zh2Hans"]
    out = {}
    for k, v in table.items():
        if len(k) == 1 and len(v) == 1 and k != v and _is_cjk(k) and _is_cjk(v):
            out[k] = v
    return out


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F


def _fold_char(ch: str, t2s: dict) -> str:
    """The normal form of one character (possibly empty or several characters)."""
    cp = ord(ch)
    if ch in _ZW_CHARS or _in(cp, _COMBINING):
        return ""
    digit = unicodedata.digit(ch, None)
    if digit is not None:
        return str(digit)  # other scripts, full-width, circled, styled, super- and subscript digits
    nf = unicodedata.normalize("NFKC", ch)
    if nf != ch:
        if _in(cp, _ENCLOSED):
            nf = "".join(c for c in nf if c.isalnum())
        elif not any(c.isalnum() for c in nf):
            return ch.lower()  # punctuation-like compatibility forms (，！…) stay as they are
        out = []
        for c in nf:
            d = unicodedata.digit(c, None)
            out.append(str(d) if d is not None else _latin_letter(c) or t2s.get(c, c))
        return "".join(out).lower()
    return _latin_letter(ch) or t2s.get(ch, ch).lower()


# A Latin letter dressed up: with a diacritic or hook (ü, ƒ, ŀ), a small capital (ꜰᴜᴄᴋ), dotless or
# script (ı, ɡ), or white on a black square or circle (🅵, 🅕).  The name says which letter it is.
_LATIN_NAME_RE = re.compile(
    r"(?:NEGATIVE (?:SQUARED|CIRCLED) )?LATIN (?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL |DOTLESS |SCRIPT )?"
    r"([A-Z])(?: WITH .+)?")


def _latin_letter(ch: str) -> str:
    """The plain lower-case letter a dressed-up Latin letter stands for, or ''."""
    if ch.isascii():
        return ""
    m = _LATIN_NAME_RE.fullmatch(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else ""


FOLD_VERSION = "4"  # bump when _build_fold_table changes
_FOLD_TABLE: dict | None = None
_FOLD_LOCK = threading.Lock()


def fold_table() -> dict:
    """``{char: replacement}`` for every non-ASCII character whose normal form differs from it
    (including non-ASCII capitals); ASCII capitals are lower-cased separately.  Built once per
    process (about a second), or loaded by ``load_fold_table``."""
    global _FOLD_TABLE
    if _FOLD_TABLE is None:
        with _FOLD_LOCK:
            if _FOLD_TABLE is None:
                _FOLD_TABLE = _build_fold_table()
    return _FOLD_TABLE


def _fold_key() -> str:
    """Identifies the fold table: code, Unicode data, Python and zhconv's dictionary file (located
    without importing zhconv, whose import costs a second)."""
    import importlib.util

    spec = importlib.util.find_spec("zhconv")
    stamp = ""
    if spec and spec.origin:
        for name in sorted(os.listdir(os.path.dirname(spec.origin))):
            if name.endswith((".json", ".py")):
                st = os.stat(os.path.join(os.path.dirname(spec.origin), name))
                stamp += f"{name}:{st.st_size}:{st.st_mtime_ns};"
    ident = f"{FOLD_VERSION}\0{unicodedata.unidata_version}\0{stamp}\0{sys.version}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def load_fold_table(cache_dir: Path) -> dict:
    """The fold table, from ``cache_dir`` when it was saved there before (else built and saved)."""
    global _FOLD_TABLE, _ZW_CHARS
    path = Path(cache_dir) / f"fold-{_fold_key()}.pickle"
    if _FOLD_TABLE is None:
        try:
            with open(path, "rb") as f:
                table = pickle.load(f)
            if isinstance(table, dict):
                with _FOLD_LOCK:
                    if _FOLD_TABLE is None:
                        _ZW_CHARS = _zero_width_set()
                        _FOLD_TABLE = table
                return _FOLD_TABLE
        except Exception:  # missing, truncated or stale: build it
            pass
    table = fold_table()
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(table, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass
    return table


def _build_fold_table() -> dict:
    global _ZW_CHARS
    _ZW_CHARS = _zero_width_set()
    t2s = _t2s()
    table = {}
    candidates = set(range(0x80, 0x20000)) | set(range(0x2F800, 0x2FA20)) | set(range(0xE0000, 0xE01F0))
    for cp in candidates:
        if 0x3400 <= cp <= 0x9FFF and chr(cp) not in t2s:
            continue  # unified ideographs only change through the t2s table
        if 0xAC00 <= cp <= 0xD7FF or 0xD800 <= cp <= 0xDFFF or 0xE000 <= cp <= 0xF8FF:
            continue  # Hangul syllables, surrogates, private use: nothing to fold
        ch = chr(cp)
        if (not unicodedata.decomposition(ch) and ch not in t2s and ch not in _ZW_CHARS
                and unicodedata.digit(ch, None) is None and not _in(cp, _COMBINING)
                and ch.lower() == ch and not ((ch.isalpha() or _in(cp, _ENCLOSED)) and _latin_letter(ch))):
            continue  # nothing to fold: the common case, checked cheaply
        folded = _fold_char(ch, t2s)
        if len(ch.lower()) != 1 and folded == ch.lower():
            folded = ch.lower()[0]  # İ: keep one character for one
        if folded != ch:
            table[ch] = folded
    for ch, latin in LOOKALIKES.items():
        for c in {ch, ch.upper()}:
            if len(c) == 1:
                table[c] = latin
    for ch, folded in list(table.items()):
        if folded in LOOKALIKES:
            table[ch] = LOOKALIKES[folded]
    return table


_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")

# Letters of other scripts that look like Latin ones (applied after case folding).
LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "һ": "h", "ӏ": "l", "ь": "b", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ζ": "z", "ϳ": "j",
}
_LATIN_CUES_RE = re.compile(f"([a-z])(?:(\\1)|[{SPELLING_MARKS}][a-z][{SPELLING_MARKS}])")
_REPEAT_RE = re.compile(r"([a-z])\1+")
WORD_GLUE = set("0123456789./:@_-=?&%#\\")


@lru_cache(maxsize=1)
def _special_re() -> re.Pattern:
    """A character class of the BMP characters to fold.

    Only BMP characters: sre compiles such a class into a block bitmap that scans at memory
    speed, while one astral character would turn it into a slow list of ranges.  Astral
    characters (styled mathematical letters, enclosed alphanumerics …) are found separately.
    """
    chars = sorted(c for c in fold_table() if ord(c) < 0x10000)
    # ASCII capitals join the class: text without any character to fold needs no other pass.
    cls = "[A-Z" + "".join(re.escape(c) for c in chars) + "]"
    # ``[c][c]*``, not ``[c]+``: a pattern that opens with a plain class lets sre skip to the
    # next candidate in its C loop (about twice as fast on text with little to fold).
    return re.compile(cls + cls + "*")


class Normalized:
    """A normalised string and the map back to the original one.

    ``spans`` holds, in normalised order, segments ``(norm_start, orig_start, orig_len, copied)``:
    a copied segment maps character for character; a replaced one maps all its normalised
    characters to the ``orig_len`` original characters it came from.
    """

    __slots__ = ("original", "text", "astral", "_starts", "_segs")

    def __init__(self, original: str, text: str, segs: list | None, astral: bool = True):
        self.original = original
        self.text = text
        self.astral = astral  # whether the original may hold characters beyond the BMP
        self._segs = segs
        self._starts = [s[0] for s in segs] if segs else None

    @property
    def identity(self) -> bool:
        return self._segs is None

    def _seg(self, n: int):
        i = bisect.bisect_right(self._starts, n) - 1
        return self._segs[max(i, 0)]

    def orig_start(self, n: int) -> int:
        """Original index of the character at normalised index ``n``."""
        if self._segs is None:
            return n
        if n >= len(self.text):
            return len(self.original)
        nstart, ostart, olen, copied = self._seg(n)
        return ostart + (n - nstart) if copied else ostart

    def orig_end(self, n_end: int) -> int:
        """Original end index (exclusive) of a normalised span ending at ``n_end`` (exclusive)."""
        if self._segs is None:
            return n_end
        if n_end <= 0:
            return 0
        nstart, ostart, olen, copied = self._seg(n_end - 1)
        return ostart + (n_end - nstart) if copied else ostart + olen

    def span(self, ns: int, ne: int) -> tuple[int, int]:
        return self.orig_start(ns), max(self.orig_end(ne), self.orig_start(ns))


def _fold_run(run: str, table: dict) -> str:
    return "".join(table[c] if c in table else c.lower() for c in run)


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching; see the module docstring."""
    table = fold_table()
    astral = _ASTRAL_RE.search(text) is not None
    sep_re, latin_re, special_re = (_SEP_ASTRAL_RE if astral else _SEP_RE,
                                    _LATIN_SEP_ASTRAL_RE if astral else _LATIN_SEP_RE, _special_re())
    # Most text has nothing to fold: one search per pattern decides, with no lists built.
    sep, latin, special = sep_re.search(text), latin_re.search(text), special_re.search(text)
    if not (sep or latin or special or astral):
        return _collapse_latin(Normalized(text, text, None, astral))
    # events: (start, end, replacement, one_to_one)
    events = [(m.start(), m.end(), "", False) for m in sep_re.finditer(text, sep.start())
              if _line_breaks(m.group()) < 2] if sep else []
    if latin:
        events += [(m.start(), m.end(), "", False) for m in latin_re.finditer(text, latin.start())]
    specials = [(m.start(), m.end(), m.group()) for m in special_re.finditer(text, special.start())] if special else []
    if astral:
        specials += [(m.start(), m.end(), m.group()) for m in _ASTRAL_RE.finditer(text) if m.group() in table]
    if not events and not specials:
        return _collapse_latin(Normalized(text, text, None, astral))
    covered = set()
    for s, e, _, _ in events:
        covered.update(range(s, e))
    for s, e, run in specials:
        if covered and any(i in covered for i in range(s, e)):
            # A separator run overlaps: fold character by character outside it.
            for i in range(s, e):
                if i not in covered:
                    events.append((i, i + 1, _fold_run(text[i], table), False))
            continue
        rep = _fold_run(run, table)
        one_to_one = len(rep) == len(run) and all(len(table.get(c, "x")) == 1 for c in run)
        events.append((s, e, rep, one_to_one))
    events.sort()
    out, segs = [], []
    pos = npos = 0
    for s, e, rep, one_to_one in events:
        if s > pos:
            out.append(text[pos:s])
            segs.append((npos, pos, s - pos, True))
            npos += s - pos
        if rep:
            out.append(rep)
            segs.append((npos, s, e - s, one_to_one))
            npos += len(rep)
        pos = e
    if pos < len(text):
        out.append(text[pos:])
        segs.append((npos, pos, len(text) - pos, True))
    if not segs:
        segs.append((0, 0, len(text), False))
    return _collapse_latin(Normalized(text, "".join(out), segs, astral))


def _collapse_latin(n: Normalized) -> Normalized:
    """Latin words of the normalised text: a run of one repeated letter becomes one (``fuuuck``),
    and the marks between single letters spelled out are dropped (``f.u.c.k``, ``n m s l``)."""
    t = n.text
    edits = []  # (start, end, replacement), in order, not overlapping
    done = -1  # end of the last word looked at
    spelled_from = -1  # where spelled runs were looked for (once, to the end of the text)
    # One scan finds both: a doubled letter (most text has a few, in www. and the like), or a
    # letter, a mark, a letter and a mark (rare outside a spelled word).
    for d in _LATIN_CUES_RE.finditer(t):
        if d.group(2) is None:  # letter, mark, letter, mark
            if spelled_from < 0:
                spelled_from = d.start()
            continue
        if d.start() < done:
            continue
        s, e = d.start(), d.end()
        while s > 0 and "a" <= t[s - 1] <= "z":
            s -= 1
        while e < len(t) and "a" <= t[e] <= "z":
            e += 1
        done = e
        if e - s < 3 or (s > 0 and t[s - 1] in WORD_GLUE) or (e < len(t) and t[e] in WORD_GLUE):
            continue  # too short to be a disguise, or part of a URL, an address, a file name or a code
        for r in _REPEAT_RE.finditer(t, s, e):
            edits.append((r.start(), r.end(), t[r.start()]))
    if spelled_from >= 0:
        marks = [(r.start(), r.end(), "") for m in _SPELLED_RE.finditer(t, spelled_from)
                 for r in _SPELLING_RUN_RE.finditer(t, m.start(), m.end())]
        if marks:  # marks lie between single letters, never inside a word with a doubled letter
            edits = sorted(edits + marks)
    if not edits:
        return n
    segs = n._segs if n._segs is not None else [(0, 0, len(n.original), True)]
    ends = [seg[0] for seg in segs[1:]] + [len(t)]
    out, new_segs = [], []
    npos = 0

    def copy(a: int, b: int) -> None:  # t[a:b] unchanged, mapped through the old segments
        nonlocal npos
        i = max(bisect.bisect_right(n._starts or [0], a) - 1, 0)
        while i < len(segs) and segs[i][0] < b:
            nstart, ostart, olen, copied = segs[i]
            lo, hi = max(a, nstart), min(b, ends[i])
            if lo < hi:
                if copied:
                    new_segs.append((npos, ostart + lo - nstart, hi - lo, True))
                else:
                    new_segs.append((npos, ostart, olen, False))
                npos += hi - lo
            i += 1
        out.append(t[a:b])

    pos = 0
    for s, e, rep in edits:
        copy(pos, s)
        if rep:
            os_, oe = n.orig_start(s), n.orig_end(e)
            out.append(rep)
            new_segs.append((npos, os_, oe - os_, False))
            npos += len(rep)
        pos = e
    copy(pos, len(t))
    return Normalized(n.original, "".join(out), new_segs, n.astral)


def normalize_text(text: str) -> str:
    """The normalised string alone (used for lexicon terms)."""
    return normalize(text).text


def fold_digits(s: str) -> str:
    """Digits in any script, and Chinese numerals, as ASCII digits; other characters dropped."""
    table = fold_table()
    out = []
    for ch in s:
        if ch in CHINESE_DIGITS:
            out.append(CHINESE_DIGITS[ch])
            continue
        f = table.get(ch, ch)
        if f in CHINESE_DIGITS:
            out.append(CHINESE_DIGITS[f])
        elif f.isdigit() and f.isascii():
            out.append(f)
    return "".join(out)


def is_cjk(ch: str) -> bool:
    return _is_cjk(ch)
