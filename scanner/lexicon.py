"""Lexicon loading: the shipped ``lexicons/`` folder merged with user folders.

File format (see ``lexicons/README.md``): UTF-8 text, one entry per line.

- ``# key: value`` header lines before the first entry: ``category``, ``label``, ``severity``,
  ``substring`` (yes/no), ``match`` (word, substring, whole), ``kind`` (terms, leaders, fallen,
  domains), ``fields`` (title, text, source), ``context`` (lower, keep), ``history`` (yes, no); other ``#`` lines are
  comments;
- ``term`` or ``wrong => right`` (a suggestion); a leading or trailing ``*`` lets the term sit
  inside a longer word on that side (``*省人大副主任``);
- in a ``# kind: cooccur`` file, ``anchor|anchor + context|context => suggestion``: a rule that
  fires when an anchor and a context word stand in the same sentence (港澳台 … 来华);
- ``!phrase``: an allow phrase; a lexicon hit lying inside an allow phrase is dropped.

``load_lexicon`` builds one Aho-Corasick automaton over every category.  Keys are the UTF-8
bytes of the normalised terms, held as a latin-1 string: the automaton then walks bytes, whose
nodes have few children, which is far faster than walking Chinese characters (pyahocorasick
searches a node's children linearly).  Keys are inserted so that every node's children come in
order of how common their byte is in Chinese text (``BYTE_ORDER``): the linear search then
stops early on the bytes real text is made of.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import sys
import threading
from array import array
from collections import ChainMap
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick

from govwatch.models import SEVERITIES

from .normalize import CHINESE_DIGITS, load_fold_table, normalize_text

log = logging.getLogger(__name__)

RULES_VERSION = "7"  # bump when rule code changes what a lexicon finds
CACHE_FORMAT = "3"  # bump when the pickled form of a Lexicon changes
WORD_FREQ = 30  # jieba frequency given to lexicon terms
KEY_USE_KEEP = 50_000  # keys remembered per field by ``Lexicon.key_use`` before it starts again

# UTF-8 bytes by how often they occur in Chinese words, most common first (weighted by frequency
# over jieba's dictionary; ``tests/test_scanner_matching.py`` recomputes it); other bytes follow in
# byte order.  pyahocorasick keeps a node's children in insertion order and searches them one by
# one, so inserting keys in this order makes the walk over real text about a quarter faster.
BYTE_ORDER = bytes.fromhex(
    "e5e6e4e8e7b8bae9bb9c8088bdbfafb0b9898f8d9bae85a58c86a48e97ad8790a898a78a81b49f9194968bbe839d"
    "9ab1a199bca6b6b7b384ac95a082a2aa93a3b2abb59ea99241424353544950442b4551485863234c464b34737479"
    "6c6526474e4f4d55565a52ce31"
)
_BY_RANK = BYTE_ORDER + bytes(b for b in range(256) if b not in BYTE_ORDER)
_RANK_OF = bytes(_BY_RANK.index(b) for b in range(256))  # byte -> its rank, for bytes.translate

HEADER_KEYS = {"category", "label", "severity", "substring", "match", "kind", "fields", "context", "weight",
               "history"}
KINDS = ("terms", "leaders", "fallen", "domains", "cooccur")
MATCHES = ("word", "substring", "whole", "alone")
FIELDS = ("title", "text", "source", "page")  # page: an outside page a site links to (site checks)
CATEGORY_RE = re.compile(r"^[a-z]+(?:\.[a-z_]+)+$")
HEADER_RE = re.compile(r"^#\s*([a-z_]+)\s*[:：]\s*(.*?)\s*$")
# Built-in keys the automaton reports so that rules needing a regex pass run only where they
# can match: the one Aho-Corasick pass replaces a whole-text regex scan per rule.
TRIGGERS = {
    "contact": ("微信", "薇信", "v信", "vx", "wx", "weixin", "qq", "扣扣", "企鹅号", "加我", "私聊"),
    "url": ("http", "www."),
    "secret": ("秘密", "机密", "绝密", "密级"),
    "leader_title": ("总书记", "主席", "总理", "委员长", "国务委员", "书记处书记", "纪委书记"),
    "foreign_id": ("居留", "外国人"),  # the 15-character permanent residence card is named near its number
}
YES = {"yes", "true", "1", "是", "y"}
NO = {"no", "false", "0", "否", "n"}

# Defaults by rule family: severity, whether condemnation context lowers.
FAMILY_DEFAULTS = {
    "banned": ("veto", True), "expression": ("high", False), "secret": ("veto", True),
    "ads": ("high", True), "title": ("medium", False), "tone": ("low", False),
    "offtopic": ("low", False), "source": ("medium", False), "link": ("low", False),
    "map": ("low", False), "privacy": ("high", False),
}
SEVERITY_DEFAULTS = {"expression.leader": "veto", "expression.typo": "medium", "expression.style": "medium"}


def shipped_dir() -> Path:
    """The shipped lexicon folder (``lexicons/`` beside this package, or the installed one)."""
    try:
        from lexicons import LEXICON_DIR
        return Path(LEXICON_DIR)
    except ImportError:  # pragma: no cover - running from an unusual layout
        return Path(__file__).resolve().parent.parent / "lexicons"


@dataclass
class Category:
    id: str
    label: str = ""
    severity: str = "medium"
    fields: tuple = ("title", "text")
    context: bool = False  # condemnation context lowers the severity
    history: bool = False  # a sentence about the time before 1949 lowers the severity (中华民国 in history)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Entry:
    term: str  # as written (without wildcards)
    norm: str  # normalised
    category: Category = field(compare=False, hash=False)
    suggestion: str = ""
    left_free: bool = False
    right_free: bool = False
    file: str = ""
    line: int = 0
    kind: str = "terms"  # terms, leaders, fallen, domains (per file)
    match: str = "word"  # word, substring, whole (per file)
    weight: int = 0  # points in a score (title.clickbait), per file; 0: the rule's default
    context: tuple = ()  # kind cooccur: normalised context words, one of which must share the sentence


@dataclass
class _Parsed:
    path: Path
    display: str
    headers: dict
    entries: list  # (line, term, suggestion, left_free, right_free)
    allow: list  # (line, phrase)
    problems: list
    raw: bytes


def _parse_file(path: Path, display: str) -> _Parsed:
    raw = path.read_bytes()
    parsed = _Parsed(path, display, {}, [], [], [], raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.problems.append(f"{display}:0: 不是 UTF-8 编码（{exc.reason}，第 {exc.start} 字节）")
        return parsed
    seen_entry = False
    for no, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = HEADER_RE.match(line)
            if not m:
                continue  # comment
            key, value = m.group(1), m.group(2)
            if key not in HEADER_KEYS:
                parsed.problems.append(f"{display}:{no}: 未知的文件头“{key}”（可用：{'、'.join(sorted(HEADER_KEYS))}）")
                continue
            if seen_entry:
                parsed.problems.append(f"{display}:{no}: 文件头“{key}”应写在所有词条之前")
                continue
            problem = _check_header(key, value)
            if problem:
                parsed.problems.append(f"{display}:{no}: {problem}")
                continue
            parsed.headers[key] = value
            continue
        seen_entry = True
        if line.startswith("!"):
            phrase = line[1:].strip()
            if not normalize_text(phrase).strip():
                parsed.problems.append(f"{display}:{no}: 放行短语为空")
            else:
                parsed.allow.append((no, phrase))
            continue
        term, sep, suggestion = line.partition("=>")
        term, suggestion = term.strip(), suggestion.strip()
        if sep and not suggestion:
            parsed.problems.append(f"{display}:{no}: “=>”后缺少建议写法")
            continue
        if sep and not term:
            parsed.problems.append(f"{display}:{no}: “=>”前缺少词条")
            continue
        if sep and term.strip("*").strip() == suggestion.strip("*").strip():
            parsed.problems.append(f"{display}:{no}: 建议写法与词条相同")
            continue
        left_free = term.startswith("*")
        right_free = term.endswith("*") and len(term) > 1
        term = term.strip("*").strip()
        if not term:
            parsed.problems.append(f"{display}:{no}: 词条为空")
            continue
        parsed.entries.append((no, term, suggestion.strip("*").strip() if sep else "", left_free, right_free))
    return parsed


def _check_header(key: str, value: str) -> str:
    v = value.strip().lower()
    if key == "category" and not CATEGORY_RE.match(v):
        return f"类别“{value}”格式错误（应如 banned.cult，小写字母与点）"
    if key == "severity" and v not in SEVERITIES:
        return f"级别“{value}”无效（可用：{'、'.join(SEVERITIES)}）"
    if key == "substring" and v not in YES | NO:
        return f"substring 应为 yes 或 no，而不是“{value}”"
    if key == "match" and v not in MATCHES:
        return f"match 应为 {'、'.join(MATCHES)} 之一，而不是“{value}”"
    if key == "kind" and v not in KINDS:
        return f"kind 应为 {'、'.join(KINDS)} 之一，而不是“{value}”"
    if key == "fields":
        bad = [f for f in re.split(r"[,，\s]+", v) if f and f not in FIELDS]
        if bad or not v:
            return f"fields 只能包含 {'、'.join(FIELDS)}"
    if key == "context" and v not in ("lower", "keep"):
        return f"context 应为 lower 或 keep，而不是“{value}”"
    if key == "history" and v not in YES | NO:
        return f"history 应为 yes 或 no，而不是“{value}”"
    if key == "label" and not value.strip():
        return "label 不能为空"
    if key == "weight" and not (v.isdigit() and 1 <= int(v) <= 9):
        return f"weight 应为 1 到 9 的整数（标题党评分中每次命中的分值），而不是“{value}”"
    return ""


def _apply_headers(cat: Category, headers: dict, fresh: bool) -> None:
    if fresh:
        severity, lower = FAMILY_DEFAULTS.get(cat.family, ("medium", False))
        cat.severity = SEVERITY_DEFAULTS.get(cat.id, severity)
        cat.context = lower
        cat.label = cat.id
        if cat.family == "source":
            cat.fields = ("source",)
        elif cat.family == "title":
            cat.fields = ("title",)
    if "label" in headers:
        cat.label = headers["label"].strip()
    if "severity" in headers:
        cat.severity = headers["severity"].strip().lower()
    if "fields" in headers:
        cat.fields = tuple(f for f in FIELDS if f in re.split(r"[,，\s]+", headers["fields"].lower()))
    if "context" in headers:
        cat.context = headers["context"].strip().lower() == "lower"
    if "history" in headers:
        cat.history = headers["history"].strip().lower() in YES


def _digit_variant(term: str) -> str:
    """下三滥 → 下3滥: the variant with Chinese numerals written as digits ('' if none)."""
    if not any(c in "〇零一二三四五六七八九" for c in term):
        return ""
    return "".join(CHINESE_DIGITS.get(c, c) if c in "〇零一二三四五六七八九" else c for c in term)


def _version(files) -> str:
    """The lexicon version: a digest of the rule code version and every file's name and bytes."""
    digest = hashlib.sha256(f"rules={RULES_VERSION}\n".encode())
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return digest.hexdigest()[:12]


def lexicon_version(dirs: list[Path]) -> str:
    """The version ``Lexicon(dirs)`` would have, from the files' bytes alone (no parsing)."""
    files = []
    for d in dirs:
        if d.is_dir():
            files.extend((p.name, p.read_bytes()) for p in sorted(d.glob("*.txt")))
    return _version(files)


def _split_titles(s: str) -> tuple:
    return tuple(t.strip() for t in re.split(r"[、,，;；/]", s) if t.strip())


class Lexicon:
    """Every category, merged; the automaton; the lexicon version."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs
        self.categories: dict[str, Category] = {}
        self._entries: dict[tuple, Entry] = {}
        self.allow: list[str] = []
        self.domains: dict[str, dict[str, Entry]] = {}
        self.whole: dict[str, dict[str, Entry]] = {}
        self.leaders: dict[str, Entry] = {}
        self.fallen: dict[str, Entry] = {}
        self.files: list[str] = []
        self.problems: list[str] = []
        self._cut_cache: dict = {}
        self._key_use: dict[str, dict] = {}
        self._entry_cache: dict[int, Entry] = {}
        self._load()
        del self._entries  # only needed while loading (later files override earlier entries)

    # --- loading ---------------------------------------------------------------------------
    def _load(self) -> None:
        parsed_files = []
        for d in self.dirs:
            if not d.is_dir():
                self.problems.append(f"{d}:0: 词库目录不存在")
                continue
            for path in sorted(d.glob("*.txt")):
                parsed_files.append(_parse_file(path, str(path)))
        self.version = _version((p.path.name, p.raw) for p in parsed_files)
        seen: dict[tuple, str] = {}  # (category, norm) -> "file:line"
        first_term: dict[str, str] = {}  # norm -> "file:line" of its first category
        allow_seen: dict[str, str] = {}
        by_key: dict[str, list] = {}
        for p in parsed_files:
            self.problems.extend(p.problems)
            cat_id = p.headers.get("category", "").strip().lower()
            if not cat_id:
                if p.entries:
                    self.problems.append(f"{p.display}:1: 缺少“# category: …”文件头")
                    continue
                cat = None
            else:
                fresh = cat_id not in self.categories
                cat = self.categories.setdefault(cat_id, Category(cat_id))
                _apply_headers(cat, p.headers, fresh)
            self.files.append(p.display)
            kind = p.headers.get("kind", "terms").strip().lower()
            weight = int(p.headers.get("weight", "0").strip() or 0)
            match = p.headers.get("match", "").strip().lower() or (
                "substring" if p.headers.get("substring", "").strip().lower() in YES else "word")
            for no, phrase in p.allow:
                norm = normalize_text(phrase).strip()
                where = f"{p.display}:{no}"
                if norm in allow_seen:
                    self.problems.append(f"{where}: 放行短语“{phrase}”重复（已见于 {allow_seen[norm]}）")
                    continue
                allow_seen[norm] = where
                self.allow.append(norm)
            if cat is None:
                continue
            for no, term, suggestion, lf, rf in p.entries:
                where = f"{p.display}:{no}"
                norm = normalize_text(term).strip()
                if kind == "domains":
                    norm = norm.lstrip(".")
                    if "." not in norm or re.search(r"[\s/:@]", norm):
                        self.problems.append(f"{where}: 域名“{term}”格式错误（应如 example.com）")
                        continue
                elif kind == "cooccur":
                    self._add_cooccur(p, cat, no, term, suggestion, lf, rf, match, by_key, seen)
                    continue
                elif len(norm) < 2:
                    self.problems.append(f"{where}: 词条“{term}”过短（单字词条误报过多，至少两个字符）")
                    continue
                if kind in ("leaders", "fallen") and not suggestion:
                    self.problems.append(f"{where}: “{term}”缺少职务（写作“姓名 => 职务、职务”）")
                    continue
                key = (cat.id, norm)
                if key in seen:
                    self.problems.append(f"{where}: 词条“{term}”重复（已见于 {seen[key]}）")
                else:
                    other = first_term.get(norm) if kind == "terms" else None
                    if other:
                        self.problems.append(f"{where}: 词条“{term}”同时出现在其他类别（{other}）")
                    elif kind == "terms":
                        first_term[norm] = where
                    seen[key] = where
                entry = Entry(term, norm, cat, suggestion, lf, rf, p.display, no, kind, match, weight)
                self._add_entry(entry, by_key)
        self._build_automaton(by_key)

    def _add_cooccur(self, p, cat, no, term, suggestion, lf, rf, match, by_key, seen) -> None:
        """One ``anchor|anchor + context|context`` line: an entry per anchor, the contexts attached."""
        where = f"{p.display}:{no}"
        anchors_s, sep, contexts_s = term.partition("+")
        anchors = [normalize_text(a).strip() for a in anchors_s.split("|") if a.strip()]
        contexts = tuple(dict.fromkeys(c for c in (normalize_text(x).strip() for x in contexts_s.split("|")) if c))
        if not sep or not anchors or not contexts:
            self.problems.append(f"{where}: 共现规则应写作“词|词 + 语境词|语境词”")
            return
        for a in anchors:
            if len(a) < 2:
                self.problems.append(f"{where}: 共现规则的词“{a}”过短（至少两个字符）")
                continue
            key = (cat.id, a, contexts)
            if key in seen:
                self.problems.append(f"{where}: 共现规则“{a}”重复（已见于 {seen[key]}）")
                continue
            seen[key] = where
            self._add_entry(Entry(a, a, cat, suggestion, lf, rf, p.display, no, "cooccur", match, 0, contexts), by_key)

    def _add_entry(self, entry: Entry, by_key: dict) -> None:
        cat = entry.category
        if entry.kind == "domains":
            self.domains.setdefault(cat.id, {})[entry.norm] = entry
            return
        if entry.match == "whole":
            self.whole.setdefault(cat.id, {})[entry.norm] = entry
            return
        if entry.kind == "leaders":
            self.leaders[entry.norm] = entry
        elif entry.kind == "fallen":
            self.fallen[entry.norm] = entry
        # A later file overrides an earlier entry of the same category (user lexicons win).
        ekey = (cat.id, entry.norm) if entry.kind != "cooccur" else (cat.id, entry.norm, entry.context)
        self._entries.pop(ekey, None)
        self._entries[ekey] = entry
        for key in {entry.norm, _digit_variant(entry.norm)} - {""}:
            lst = by_key.setdefault(key, [])
            lst[:] = [e for e in lst if not (e.category.id == cat.id and e.kind == entry.kind
                                            and e.context == entry.context)]
            lst.append(entry)

    def _build_automaton(self, by_key: dict) -> None:
        """The automaton maps each key to an index into flat per-key arrays; entries are kept as
        columns (``_norms``, ``_terms`` …, fields shared by a file in ``_groups``) and become
        ``Entry`` objects only when a hit needs them, so a cached lexicon of 100,000 terms loads as
        a few lists and arrays."""
        auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        allow = set(self.allow)
        triggers: dict[str, list] = {}
        for name, keys in TRIGGERS.items():
            for key in keys:
                triggers.setdefault(key, []).append(name)
        row_of: dict = {}
        groups: dict = {}
        terms, norms, suggestions, lines = [], [], [], array("I")
        group_of, flags, contexts = array("H"), array("B"), {}
        blens, nlens, first_id = array("I"), array("I"), array("i")
        extra_ids: dict = {}
        specials: dict = {}
        pending = []
        for key in sorted(set(by_key) | allow | set(triggers)):
            ids = []
            for e in by_key.get(key, ()):
                i = row_of.get(id(e))
                if i is None:
                    i = row_of[id(e)] = len(norms)
                    g = (e.category.id, e.file, e.kind, e.match, e.weight)
                    group_of.append(groups.setdefault(g, len(groups)))
                    terms.append(e.term if e.term != e.norm else None)
                    norms.append(e.norm)
                    suggestions.append(e.suggestion)
                    lines.append(e.line)
                    flags.append(int(e.left_free) | 2 * int(e.right_free))
                    if e.context:
                        contexts[i] = e.context
                    self._entry_cache[i] = e
                ids.append(i)
            index = len(blens)
            b = key.encode("utf-8", "surrogatepass")
            pending.append((b.translate(_RANK_OF), b.decode("latin-1"), index))
            blens.append(len(b))
            nlens.append(len(key))
            first_id.append(ids[0] if ids else -1)
            if len(ids) > 1:
                extra_ids[index] = tuple(ids)
            if key in allow or key in triggers:
                specials[index] = (key in allow, tuple(triggers.get(key, ())))
        pending.sort()  # children in BYTE_ORDER at every node (indices stay in key order)
        for _, key_chars, index in pending:
            auto.add_word(key_chars, index)
        auto.make_automaton()
        self.automaton = auto
        self._groups = [g for g, _ in sorted(groups.items(), key=lambda kv: kv[1])]
        self._terms, self._norms, self._suggestions, self._lines = terms, norms, suggestions, lines
        self._group_of, self._flags, self._contexts = group_of, flags, contexts
        self._blens, self._nlens, self._first_id = blens, nlens, first_id
        self._extra_ids, self._specials = extra_ids, specials
        self._cjk_terms = len({n for n in norms if not n.isascii()})
        self.terms_count = len(by_key)

    def key_info(self, index: int) -> tuple:
        """``(byte length, length, entry ids, is allow phrase, triggers)`` of automaton key ``index``."""
        ids = self._extra_ids.get(index)
        if ids is None:
            first = self._first_id[index]
            ids = (first,) if first >= 0 else ()
        is_allow, trig = self._specials.get(index, (False, ()))
        return self._blens[index], self._nlens[index], ids, is_allow, trig

    def key_use(self, field: str) -> dict:
        """``{key index: (byte length, length, entries applying to field, is allow, triggers)}``,
        filled by the caller on first sight of a key (``describe_key``): per hit one dict lookup
        instead of rebuilding the tuple of entries."""
        uses = self._key_use.get(field)
        if uses is None or len(uses) > KEY_USE_KEEP:
            uses = self._key_use[field] = {}
        return uses

    def describe_key(self, index: int, field: str) -> tuple:
        blen, nlen, ids, is_allow, trig = self.key_info(index)
        keep = tuple(e for e in map(self.entry, ids) if field in e.category.fields)
        return blen, nlen, keep, is_allow, trig

    def entry(self, i: int) -> Entry:
        """Entry number ``i`` (made from its columns on first use)."""
        e = self._entry_cache.get(i)
        if e is None:
            cat_id, file, kind, match, weight = self._groups[self._group_of[i]]
            norm = self._norms[i]
            term = self._terms[i]
            f = self._flags[i]
            e = Entry(norm if term is None else term, norm, self.categories[cat_id], self._suggestions[i],
                      bool(f & 1), bool(f & 2), file, self._lines[i], kind, match, weight, self._contexts.get(i, ()))
            self._entry_cache[i] = e
        return e

    # --- jieba, for word boundaries ----------------------------------------------------------
    def cuts(self, window: str) -> frozenset:
        """Word boundaries (offsets) of ``window`` as jieba segments it, every lexicon term being a
        word of the dictionary.

        Rather than adding every term to a tokenizer (a second per 100,000 terms in every
        process), jieba's own dictionary is overlaid, per window, with the terms that occur in the
        window; the total frequency counts every term, so the result is the same as with all of
        them added."""
        got = self._cut_cache.get(window)
        if got is None:
            base_freq, base_total = _jieba_base()
            overlay: dict = {}
            norms = self._norms
            for _, index in self.automaton.iter(window.encode("utf-8", "surrogatepass").decode("latin-1")):
                for i in self.key_info(index)[2]:
                    word = norms[i]
                    if not word.isascii() and word in window and word not in overlay:
                        overlay[word] = WORD_FREQ
                        for j in range(1, len(word)):
                            if word[:j] not in base_freq:
                                overlay.setdefault(word[:j], 0)
            tok = _overlay_tokenizer(overlay, base_freq, base_total + WORD_FREQ * self._cjk_terms)
            pos, out = 0, {0}
            for w in tok.cut(window, HMM=False):
                pos += len(w)
                out.add(pos)
            got = frozenset(out)
            if len(self._cut_cache) > 20000:
                self._cut_cache.clear()
            self._cut_cache[window] = got
        return got

    # --- the on-disk cache ---------------------------------------------------------------------
    def __getstate__(self):
        state = dict(self.__dict__)
        for k in ("_cut_cache", "_entry_cache", "_key_use"):
            state.pop(k, None)
        # Leaders are looked up by name (small): keep those entries as objects.
        state["_kept"] = {i: e for i, e in self._entry_cache.items() if e.kind in ("leaders", "fallen")}
        return state

    def __setstate__(self, state):
        kept = state.pop("_kept", {})
        self.__dict__.update(state)
        self._cut_cache = {}
        self._key_use = {}
        self._entry_cache = dict(kept)

    @property
    def entries(self) -> list[Entry]:
        """Every entry the automaton holds (terms, leaders, fallen, co-occurrence anchors)."""
        return [self.entry(i) for i in range(len(self._norms))]

    def category(self, cat_id: str) -> Category | None:
        return self.categories.get(cat_id)


_JIEBA_LOCK = threading.Lock()
_JIEBA = None


def _jieba_base() -> tuple[dict, int]:
    """jieba's own dictionary (loaded once per process) and its total frequency."""
    global _JIEBA
    if _JIEBA is None:
        with _JIEBA_LOCK:
            if _JIEBA is None:
                import jieba
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _JIEBA = (tok.FREQ, tok.total)
    return _JIEBA


def _overlay_tokenizer(overlay: dict, base: dict, total: int):
    """A jieba tokenizer whose dictionary is ``overlay`` over ``base`` (nothing copied)."""
    import jieba

    tok = jieba.Tokenizer()
    tok.FREQ = ChainMap(overlay, base) if overlay else base
    tok.total = total
    tok.initialized = True
    return tok


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def _signature(dirs: list[Path]) -> tuple:
    sig = []
    for d in dirs:
        try:
            for p in sorted(d.glob("*.txt")):
                st = p.stat()
                sig.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((str(d), None, None))
    return tuple(sig)


def resolve_dirs(extra_dirs=()) -> list[Path]:
    dirs = [shipped_dir()]
    for d in extra_dirs or ():
        if d:
            p = Path(os.path.expanduser(str(d)))
            if p not in dirs:
                dirs.append(p)
    return dirs


CACHE_KEEP = 4  # cached lexicon files kept per cache directory (the newest)


def _cache_path(dirs: list[Path], version: str, cache_dir: Path) -> Path:
    ident = "\0".join([version, CACHE_FORMAT, sys.version.split()[0], getattr(ahocorasick, "__version__", ""),
                       *(str(d.resolve()) for d in dirs)])
    return cache_dir / f"lexicon-{hashlib.sha256(ident.encode()).hexdigest()[:20]}.pickle"


def _from_disk(dirs: list[Path], cache_dir: Path) -> Lexicon:
    """The lexicon of ``dirs``, loaded from ``cache_dir`` when this version was built before,
    otherwise built and saved there (best effort: an unwritable cache only costs time).

    The automaton and the entry rows are pickled; a file that does not load, or whose version
    differs, is rebuilt.  The cache directory must be writable only by govwatch (pickles run code
    when loaded), like the database beside it.
    """
    version = lexicon_version(dirs)
    path = _cache_path(dirs, version, cache_dir)
    try:
        with open(path, "rb") as f:
            lex = pickle.load(f)
        if isinstance(lex, Lexicon) and lex.version == version:
            return lex
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or stale file: rebuild it
        log.info("lexicon cache %s unusable (%s); rebuilding", path, exc)
    lex = Lexicon(dirs)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(lex, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        old = sorted(cache_dir.glob("lexicon-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in old[CACHE_KEEP:]:
            p.unlink(missing_ok=True)
    except OSError as exc:
        log.info("lexicon cache %s not written (%s)", path, exc)
    return lex


def load_lexicon(extra_dirs=(), cache_dir=None) -> Lexicon:
    """The shipped lexicons merged with ``extra_dirs`` (later directories win).

    Cached: the same directories with unchanged files give the same object; after an edit the
    next call builds a new lexicon (the old one keeps serving whoever holds it).  With
    ``cache_dir``, the built lexicon (automaton included) and the normalisation table are also
    kept on disk per lexicon version, so the next process loads them instead of building.
    """
    dirs = resolve_dirs(extra_dirs)
    if cache_dir:
        load_fold_table(Path(cache_dir))
    key = (tuple(str(d) for d in dirs), _signature(dirs))
    with _CACHE_LOCK:
        lex = _CACHE.get(key)
    if lex is None:
        lex = _from_disk(dirs, Path(cache_dir)) if cache_dir else Lexicon(dirs)
        with _CACHE_LOCK:
            if len(_CACHE) >= 4:
                _CACHE.clear()
            _CACHE[key] = lex
    return lex


def check_lexicons(dirs=()) -> list[str]:
    """Problems of the shipped lexicons merged with ``dirs``, as ``file:line: message``."""
    return list(Lexicon(resolve_dirs(dirs)).problems)
