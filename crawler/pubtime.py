"""Publication time of an article page (pure): every date the page offers becomes a candidate with
a confidence, a precision and a role; ``choose_date`` picks by the documented order (see
docs/design-notes.md) and can say why (``govwatch extract --explain``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


from crawler.dates import DateMatch, find_dates, parse_date_match, url_date_match
from govwatch.models import TZ
from crawler.page import (  # noqa: F401
    META_DATE_NAMES, Page, SKIP_TAGS, _JS_DATE_RE, _WS, _class_id, _linear_text, _tag, clean_text,
)


# --------------------------------------------------------------------------- dates
#
# Publication time: every source the page offers gives candidates, each with a kind, a
# confidence, a precision (second, minute, day, month) and a role (published, written = 成文日期,
# updated, other = 注册时间 and the like). The published candidate with the highest confidence
# wins; ties go to the one closest to the headline, then to the one found first. The order,
# highest first (DATE_CONFIDENCE):
#
#   meta        government and Open Graph meta tags (PubDate, article:published_time …)
#   jsonld      JSON-LD datePublished
#   headline    a publication label (发布时间, 发表于, 张贴 @, Posted on …) in the headline's
#               neighbourhood: the headline's highest ancestor within four levels (a wrapper of
#               one element alone is no level), never <body> nor a layout table of more than six
#               rows, with its three following and two preceding siblings; 600 characters after
#               the headline are read, 200 before; classes that look like sidebars (right, side)
#               are read too
#   time        <time class="published"> / itemprop=datePublished markup outside comments
#   near        an unlabelled date right after the headline (the first, within 200 characters
#               and before any 。: a byline, not the text's own dates; a day followed by a
#               weekday, the header's "今天是" clock, counts only right at the headline, as a
#               blog's date header),
#   window      the same read in the 400 characters after the headline past its neighbourhood
#               (for headlines whose byline sits beyond three siblings)
#   before      … or right before it (the last, within 200 characters)
#   js          script variables (pubtime, publishTime …)
#   label       a publication label anywhere outside navigation, footers and sidebars
#   weak_meta   generic meta names (date, dc.date, created)
#   url         the date in the URL (day, or month for /202311/)
#   updated     an update label (更新时间) in the headline's neighbourhood: some portals show no other
#   written     成文日期 / 印发日期 when nothing says when the page was published
#   text        last resort: the first full date of the main text outside navigation
#
# A winner with day precision takes the time of day of another published candidate (or of a
# date-valued title/datetime attribute) on the same day; one with minute precision takes the
# seconds of one in the same minute. Reply and comment times come after the post's in document
# order and are never read from comment markup; "本帖最后由 … 编辑" is an update.
# Times without an offset are Asia/Shanghai unless the page states its zone
# ("所有时间均为 UTC-05:00", "当前时区 GMT-5"); an offset written with the time is kept.

DATE_CONFIDENCE = {
    "meta": 0.95, "jsonld": 0.95, "headline": 0.92, "time": 0.9, "near": 0.8, "window": 0.74,
    "before": 0.72, "js": 0.7, "label": 0.6, "weak_meta": 0.55, "url": 0.4, "updated": 0.38,
    "written": 0.35, "text": 0.3, "attr": 0.0,
}
DATE_KIND_NAMES = {  # for users (govwatch extract --explain)
    "meta": "meta 标签", "jsonld": "JSON-LD", "headline": "标题附近的发布标注", "time": "<time> 发布标记",
    "near": "标题下方的日期", "window": "标题后 400 字内的日期", "before": "标题上方的日期",
    "updated": "标题附近的更新时间", "js": "脚本变量", "label": "页面中的发布标注",
    "weak_meta": "通用 meta 日期", "url": "网址中的日期", "written": "成文日期", "text": "正文中的第一个日期",
    "attr": "元素属性中的日期",
}
_WEAK_META = frozenset({"date", "dc.date", "created", "dcterms.date"})
# the neighbourhood of the headline
NEIGHBOUR_LEVELS = 4
NEIGHBOUR_AFTER = 3
NEIGHBOUR_BEFORE = 2
NEIGHBOUR_CHARS = 600
NEIGHBOUR_UNLABELLED = 200
NEIGHBOUR_MAX_ROWS = 6

# Labels right in front of a date (matched against the 24 characters before it), by role.
_ROLE_LABELS = [
    ("other", r"今天是|今天|今日|当前日期|现在是|现在时间|(?:会议|活动|报名|开始|结束|截止|考试|培训|开放|办理|受理|举办|比赛|演出|开幕|缴费|申报|办公|服务|营业|"
              r"出生|入学|毕业|成立|参加工作|入党)(?:时间|日期)|注册(?:时间|日期)?|加入(?:时间|日期)|最后登录|上次登录|登录时间|上次访问|在线时间|出生日期|生日|"
              r"截止(?:时间|日期)|报名时间|有效期至?|joined|registered|last\s+visit|member\s+since"),
    ("updated", r"更新时间|更新日期|修改时间|修改日期|最后修改|最后更新|本帖最后由\s*\S{1,20}\s*于|"
                r"更新于|last\s+(?:updated|modified)|updated?(?:\s+on)?|modified"),
    ("written", r"成文日期|成文时间|印发日期|签发日期|生成日期|制发日期"),
    ("published", r"发布时间|发布日期|发表时间|发表日期|发表于|发稿时间|发文日期|发文时间|上传时间|上传日期|"
                  r"公布日期|公开日期|发帖时间|张贴\s*@|张贴于|张贴时间|张贴|刊发时间|刊登日期|出版日期|"
                  r"发布于|刊发日期|见报日期|出版时间|(?:本帖|本文|该帖|此帖|此文)?由\s*\S{1,20}\s*于|"
                  r"(?:posted|published|written)\s+by\s+\S{1,30}\s+on|"
                  r"posted\s+on|posted\s+at|posted|published\s+on|published|"
                  r"publish(?:ed)?\s*(?:date|time)|release\s*date|pub\s*date"),
    ("generic", r"时间|日期|刊期|date|time"),
]
_ROLE_LABEL_RE = [(role, re.compile(rf"(?:{words})\s*[:：]?\s*[\[【(（]?(?:\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?)?\s*$",
                                     re.I)) for role, words in _ROLE_LABELS]
_PAGE_ZONE = re.compile(
    r"(?:所有时间均为|时间均为|当前时区|时区|all\s+times\s+are|time\s*zone)\s*[:：]?\s*(?:UTC|GMT)\s*"
    r"(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>[0-5]\d))?(?!\d)", re.I)
# "2018年10月20日 星期六" without a time is the page header's clock (今天是 …), not a date of the page
_CLOCK_RE = re.compile(r"\s*+(?:星期|周|礼拜)[一二三四五六日天]|\s*+,?\s*+(?:mon|tues|wednes|thurs|fri|satur|sun)day", re.I)
_COMMENT_RE = re.compile(r"comment|reply|replies|respond|discuss|pinglun", re.I)


def _label_role(text: str, start: int) -> tuple[str, str]:
    """(role, label) of the label right before ``text[start:]``: role published (a specific
    publication label), generic (时间 / 日期), written, updated, other, or unlabelled."""
    before = text[max(0, start - 24):start]
    for role, pattern in _ROLE_LABEL_RE:
        m = pattern.search(before)
        if m:
            return role, clean_text(re.sub(r"[\s:：\[【(（]+$", "", m.group(0)))
    return "unlabelled", ""


def _label_rank(text: str, match: DateMatch) -> int:
    """Compatibility: 1 publication label, 2 generic, 3 none, 4 成文, 5 update or other."""
    role = _label_role(text, match.start)[0]
    return {"published": 1, "generic": 2, "unlabelled": 3, "written": 4}.get(role, 5)


def _precision(match: DateMatch) -> str:
    return match.granularity


@dataclass
class DateCandidate:
    """One date the page offers for its publication time."""
    match: DateMatch
    kind: str  # a key of DATE_CONFIDENCE
    label: str = ""  # the label or meta name in front of it
    role: str = "published"  # published, written, updated, other
    distance: int = 0  # characters between it and the headline (headline neighbourhood only)

    @property
    def confidence(self) -> float:
        return DATE_CONFIDENCE[self.kind]

    @property
    def value(self) -> datetime:
        return self.match.value

    @property
    def precision(self) -> str:
        return self.match.granularity

    @property
    def source(self) -> str:
        """The coarse source reported as ``published_at_source``: meta, js, url or text."""
        if self.kind in ("meta", "jsonld", "weak_meta"):
            return "meta"
        if self.kind in ("js", "url"):
            return self.kind
        return "text"

    @property
    def day(self):
        return self.match.value.date()

    def to_dict(self) -> dict:
        return {"value": self.value.isoformat(), "kind": self.kind, "source": self.source,
                "confidence": self.confidence, "precision": self.precision, "label": self.label,
                "role": self.role, "text": self.match.text[:60]}


@dataclass
class DateDecision:
    """The chosen publication time, the 成文日期 when the page shows one, and why."""
    chosen: DateCandidate | None
    candidates: list[DateCandidate]
    written: DateCandidate | None = None
    refined: DateCandidate | None = None  # the winner by order, whose day ``chosen`` refines
    zone: str = ""  # the zone the page states, when it does

    @property
    def match(self) -> DateMatch | None:
        return self.chosen.match if self.chosen else None

    @property
    def source(self) -> str:
        return self.chosen.source if self.chosen else "none"

    def reason(self) -> str:
        """Why the winner won, for users (Chinese)."""
        if self.chosen is None:
            return "页面没有可用的发布时间"
        c = self.refined or self.chosen
        words = f"采用{DATE_KIND_NAMES[c.kind]}" + (f"“{c.label}”" if c.label else "") + \
            f"（置信度 {c.confidence:.2f}，精度：{_PRECISION_NAMES[c.precision]}）"
        better = [k for k, v in DATE_CONFIDENCE.items() if v > c.confidence and k != "attr"]
        if better:
            words += "；更优先的来源（" + "、".join(DATE_KIND_NAMES[k] for k in better) + "）均未给出发布时间"
        if self.refined is not None:
            words += (f"；{DATE_KIND_NAMES[self.chosen.kind]}在同一天给出了更精确的时刻，"
                      f"取其精度：{_PRECISION_NAMES[self.chosen.precision]}")
        if self.written is not None:
            words += f"；成文日期 {self.written.value.date().isoformat()} 另存，时效按发布日期判断"
        if self.zone:
            words += f"；页面声明时区 {self.zone}"
        return words


_PRECISION_NAMES = {"second": "秒", "minute": "分钟", "day": "日", "month": "月"}


def _page_zone(text: str):
    m = _PAGE_ZONE.search(text)
    if not m:
        return None, ""
    hours, minutes = int(m["hours"]), int(m["minutes"] or 0)
    if hours > 14:
        return None, ""
    sign = -1 if m["sign"] == "-" else 1
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return zone, f"UTC{m['sign']}{hours:02d}:{minutes:02d}"


def _meta_candidates(meta: dict[str, str], root, zone) -> list[DateCandidate]:
    out = []
    for name in META_DATE_NAMES:
        value = meta.get(name)
        if value:
            found = find_dates(value, zone=zone, compact=True)
            match = found[0] if found else parse_date_match(value)
            if match and not match.relative:
                out.append(DateCandidate(match, "weak_meta" if name in _WEAK_META else "meta", name))
    for script in root.xpath("//script[@type='application/ld+json']"):
        m = re.search(r'"datePublished"\s*:\s*"([^"]{6,40})"', (script.text or "")[:200_000])
        if m:
            found = find_dates(m.group(1), zone=zone)
            if found:
                out.append(DateCandidate(found[0], "jsonld", "datePublished"))
                break
    return out


def _in_comments(el) -> bool:
    node = el
    for _ in range(12):
        if node is None or _tag(node) in ("body", "html"):
            return False
        if _COMMENT_RE.search(_class_id(node)):
            return True
        node = node.getparent()
    return False


def _in_widget(el) -> bool:
    """Inside a sidebar widget (WordPress ``aside.widget``, ``#secondary`` …)."""
    node = el.getparent()
    while node is not None and _tag(node) not in ("body", "html"):
        if _tag(node) == "aside" or re.search(r"widget|sidebar|secondary", _class_id(node), re.I):
            return True
        node = node.getparent()
    return False


def _markup_candidates(page: Page, zone) -> list[DateCandidate]:
    """<time> and itemprop=datePublished markup, and date-valued title attributes (those only
    refine the time of a winner on the same day)."""
    out = []
    for el in page.root.xpath("//time | //*[@itemprop='datePublished'] | //span[@title] | //em[@title] | "
                              "//abbr[@title] | //font[@title]")[:300]:
        tag = _tag(el)
        raw = el.get("datetime") or el.get("content") or (el.get("title") if tag != "time" else "") or ""
        if tag == "time" and not raw:
            raw = clean_text(el.text_content())
        raw = clean_text(raw)
        if not raw or len(raw) > 40:
            continue
        found = find_dates(raw, zone=zone)
        if not found or len(found[0].text) < len(raw) - 3:
            continue
        names = _class_id(el).lower()
        comment = _in_comments(el)
        if (tag == "time" or el.get("itemprop") == "datePublished" or "published" in names) and \
                not comment and not _in_widget(el):
            if el.get("itemprop") == "datePublished" or el.get("pubdate") is not None or \
                    re.search(r"publish|entry-date|post-date|pubdate|posted", names) and "updated" not in names:
                out.append(DateCandidate(found[0], "time", "datetime"))
                continue
            if re.search(r"updated|modified", names):
                out.append(DateCandidate(found[0], "time", "datetime", role="updated"))
                continue
        out.append(DateCandidate(found[0], "attr", tag, role="other" if comment else "published"))
    return out


def _js_candidate(root, zone) -> DateCandidate | None:
    for script in root.iter("script"):
        code = script.text or ""
        if len(code) > 200_000:
            continue
        for m in _JS_DATE_RE.finditer(code):
            found = find_dates(m.group(1), compact=True, zone=zone)
            if found:
                return DateCandidate(found[0], "js", m.group(0).split(":")[0].split("=")[0].strip(" \"'"))
            if re.fullmatch(r"\d{10}|\d{13}", m.group(1)):
                match = parse_date_match(m.group(1))
                if match:
                    return DateCandidate(match, "js", "timestamp")
    return None


def _too_big(el) -> bool:
    """Whether ``el`` is too large to be the headline's neighbourhood (body, a form wrapping the
    page, a layout table of more than a few rows)."""
    tag = _tag(el)
    if tag in ("body", "html", "form") or el.getparent() is None:
        return True
    if tag in ("table", "tbody"):
        rows = sum(1 for _ in el.iterchildren("tr")) + sum(
            1 for part in el.iterchildren("tbody", "thead", "tfoot") for _ in part.iterchildren("tr"))
        return rows > NEIGHBOUR_MAX_ROWS
    return False


def _element_siblings(el, forward: bool, limit: int) -> list:
    out = []
    node = el.getnext() if forward else el.getprevious()
    while node is not None and len(out) < limit:
        if _tag(node) and _tag(node) not in SKIP_TAGS:
            out.append(node)
        node = node.getnext() if forward else node.getprevious()
    return out


def neighbourhood_marks(anchor) -> tuple:
    """The elements that bound the headline's neighbourhood, in document order: the headline's
    highest ancestor within NEIGHBOUR_LEVELS that is not too big, with its NEIGHBOUR_BEFORE
    preceding and NEIGHBOUR_AFTER following siblings."""
    node = anchor
    levels = 0
    while levels < NEIGHBOUR_LEVELS:
        parent = node.getparent()
        if parent is None or _too_big(parent):
            break
        if sum(1 for child in parent if _tag(child)) > 1:
            levels += 1  # a wrapper around this one element alone is not a level
        node = parent
    after = _element_siblings(node, True, NEIGHBOUR_AFTER)
    before = _element_siblings(node, False, NEIGHBOUR_BEFORE)
    return (*reversed(before), node, *after)


def _text_candidates(text: str, zone, kind_labelled: str, kind_plain: str | None, plain_limit: int,
                     last_plain: bool = False) -> list[DateCandidate]:
    """Candidates of a text window: every labelled date, and the first (or last) unlabelled one
    within ``plain_limit`` characters (of the start, or of the end with ``last_plain``)."""
    out, plain = [], []
    for match in find_dates(text, zone=zone, months=True):
        role, label = _label_role(text, match.start)
        distance = len(_WS.sub(" ", text[match.end:] if last_plain else text[:match.start]).strip())
        if match.granularity == "month" and role == "unlabelled" and not re.match(
                r"\s*(?:号|期|刊)", text[match.end:match.end + 2]) and not match.text.endswith(("号", "期", "刊")):
            continue  # 2019年10月， in running text is not a date of the page
        if role in ("published", "generic"):
            out.append(DateCandidate(match, kind_labelled, label, distance=distance))
        elif role in ("written", "updated", "other"):
            kind = {"written": "written", "updated": "updated"}.get(role, kind_labelled)
            out.append(DateCandidate(match, kind, label, role=role, distance=distance))
        elif kind_plain:
            plain.append(match)
    for match in (reversed(plain) if last_plain else plain):
        between = _WS.sub(" ", text[match.end:] if last_plain else text[:match.start])
        if match.granularity == "day" and _CLOCK_RE.match(text, match.end) and between.strip():
            continue  # the header's clock; a weekday right at the headline is a blog's date header
        # a byline is close and holds no sentence; a date after a 。 is one of the text's own
        if len(between) <= plain_limit and "。" not in between:
            out.append(DateCandidate(match, kind_plain, "", distance=len(between.strip())))
        break
    return out


def collect_date_candidates(page: Page, linear: str, title_span: tuple[int, int] | None,
                            region: tuple[int, int] | None, body_text: str, zone=None,
                            anchor=None) -> list[DateCandidate]:
    """Every publication-time candidate of the page, in order of discovery. ``title_span``: the
    headline's offsets in ``linear``; ``region``: those of its neighbourhood; ``anchor``: the
    headline element (when it sits in a "side"-classed column, that column is the content)."""
    candidates = _meta_candidates(page.meta, page.root, zone)
    markup = _markup_candidates(page, zone)
    candidates += [c for c in markup if c.kind == "time"]

    if title_span is not None:
        start, end = title_span
        region_start, region_end = region or (0, len(linear))
        after = linear[end:min(region_end, end + NEIGHBOUR_CHARS)]
        before = linear[max(region_start, start - NEIGHBOUR_UNLABELLED):start]
        own = linear[start:end]
        candidates += [c for c in _text_candidates(own, zone, "headline", None, 0)]
        candidates += _text_candidates(after, zone, "headline", "near", NEIGHBOUR_UNLABELLED)
        candidates += _text_candidates(before, zone, "headline", "before", NEIGHBOUR_UNLABELLED, last_plain=True)
        window = linear[end:end + 400]
        if len(window) > len(after):
            candidates += [c for c in _text_candidates(window, zone, "window", "window", NEIGHBOUR_UNLABELLED)
                           if c.role == "published"]

    js = _js_candidate(page.root, zone)
    if js:
        candidates.append(js)

    outside = ("nav", "footer", "friend") if anchor is not None and page.area(anchor) == "side" else \
        ("nav", "footer", "side", "friend")
    content = _linear_text(page.root, skip=lambda el: page.area(el) in outside)[0]
    labelled = [c for c in _text_candidates(content, zone, "label", None, 0) if c.role != "updated"]
    for role in ("published", "written"):
        firsts = [c for c in labelled if c.role == role]
        if role == "published":
            firsts.sort(key=lambda c: _label_role(content, c.match.start)[0] != "published")
        if firsts:
            candidates.append(firsts[0])

    url = url_date_match(page.url)
    if url:
        candidates.append(DateCandidate(DateMatch(url[0], False, 0, 0, page.url, precision=url[1]), "url", "URL"))

    for text in (body_text[:3000], content):
        found = [m for m in find_dates(text, zone=zone) if _label_role(text, m.start)[0]
                 not in ("updated", "other", "written")
                 and not (m.granularity == "day" and _CLOCK_RE.match(text, m.end))]
        if found:
            candidates.append(DateCandidate(found[0], "text", ""))
            break
    candidates += [c for c in markup if c.kind == "attr"]
    unique: dict = {}
    for c in candidates:
        unique.setdefault((c.kind, c.value, c.label, c.role), c)
    return list(unique.values())


def choose_date(candidates: list[DateCandidate]) -> DateDecision:
    """The publication time by DATE_CONFIDENCE (first found wins a tie), refined in precision by
    agreeing candidates; the 成文日期 is kept beside it."""
    published = [c for c in candidates if c.kind != "attr" and (c.role == "published" or c.kind == "updated")]
    written = next((c for c in candidates if c.role == "written"), None)
    if not published and written is not None:
        published = [written]
    decision = DateDecision(None, candidates, written=written)
    if not published:
        return decision
    best = max(published, key=lambda c: (c.confidence, -c.distance, -candidates.index(c)))
    decision.chosen = best
    pool = [c for c in candidates if (c.role == "published" or c.kind == "updated") and c is not best]
    pool.sort(key=lambda c: -c.confidence)  # stable: the first found among equals
    for other in pool:
        if best.precision == "day" and other.precision in ("minute", "second") and other.day == best.day:
            pass  # the day each states in its own zone: a stated offset is kept
        elif best.precision == "minute" and other.precision == "second" and \
                other.value.replace(second=0) == best.value.replace(second=0):
            pass
        else:
            continue
        decision.chosen, decision.refined = other, best
        break
    return decision


def extract_date(page: Page, linear: str, title_span: tuple[int, int] | None,
                 region: tuple[int, int] | None, body_text: str, anchor=None) -> DateDecision:
    """Publication time of an article page (see the section comment for the order)."""
    zone, zone_name = _page_zone(linear)
    if zone is not None and zone.utcoffset(None) == TZ.utcoffset(datetime(2020, 1, 1)):
        zone, zone_name = None, ""
    decision = choose_date(collect_date_candidates(page, linear, title_span, region, body_text, zone, anchor))
    decision.zone = zone_name
    return decision
