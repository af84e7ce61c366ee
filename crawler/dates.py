"""Date and time parsing for Chinese pages and posts (pure functions).

Handles the forms seen on government sites, news sites and social platforms:

- absolute: ``2023-11-08 10:30:00``, ``2023/11/08``, ``2023.11.08``, ``2023年11月8日 10:30``,
  ``2023年11月8日10时30分``, ISO 8601 with an offset, the Weibo API form
  ``Wed Nov 08 10:30:00 +0800 2023``;
- without a year: ``11-08``, ``11-08 10:30``, ``11月8日`` (the most recent such day not after ``now``);
- relative: ``刚刚``, ``5秒前``, ``5分钟前``, ``3小时前``, ``3天前``, ``今天 10:30``, ``昨天 10:30``,
  ``前天``, ``1周前``;
- month first, as ASP.NET (en-US) prints it: ``3/28/2013 9:15:42 AM``, ``3/20/2013`` (day first
  when the first number cannot be a month);
- English month names: ``Mar 28, 2024 4:05 PM``, ``December 4, 2021 at 8:11 pm``,
  ``Tue Mar 05, 2019 10:17 pm``, ``5 March 2019``;
- year and month only (``months=True``): ``1998年3月号``, ``2003年5月``, ``2003-05`` (precision
  ``month``, the value is the first of the month);
- dates inside URLs: ``/art/2023/11/8/``, ``t20231108_``, ``/202311/``, ``/2023-11/08/``, ``/23/1108/``.

A time without a zone is Asia/Shanghai (or the ``zone`` a caller passes, e.g. one the page states);
an offset written with the time (``+08:00``, ``-0500``, ``Z``) is kept. Every returned datetime is
timezone-aware. Each match carries its precision: ``second``, ``minute``, ``day`` or ``month``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from govwatch.models import TZ

MIN_YEAR = 1990

# Full-width digits and punctuation that pages use in dates.
_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／．", "0123456789:-/.")

# Possessive \s*+ throughout: adjacent optional parts each led by \s* would otherwise try every
# split of a long whitespace run between them before giving up (polynomial in the run's length).
_TIME = (
    r"(?:\s*+(?:(?:T|,|\bat\b|@)\s*+)?(?P<ampm>(?:上午|下午|晚上|凌晨|中午)\s*+)?"
    r"(?P<hour>[01]?\d|2[0-3])\s*+(?::|时|點|点)\s*+(?P<minute>[0-5]\d)\s*+分?"
    r"(?:\s*+(?::|分)\s*+(?P<second>[0-5]\d)(?:\.\d+)?\s*+秒?)?"
    r"(?:\s?(?P<meridiem>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
    r"(?P<tz>\s*+(?:Z|[+-](?:[01]\d):?[0-5]\d)(?![\d]))?)?"
)
_FULL_DATE = re.compile(
    r"(?<![\d])(?P<year>(?:19|20)\d{2})\s*(?P<sep>[-/.年])\s*(?P<month>[01]?\d)\s*(?:[-/.月])\s*"
    r"(?P<day>[0-3]?\d)(?![\d])\s*日?" + _TIME
)
_COMPACT_DATE = re.compile(  # 20231108 or 20231108 10:30 (only where the caller allows it)
    r"(?<![\d])(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?![\d])" + _TIME
)
# 3/28/2013 9:15:42 AM (month first, en-US as ASP.NET prints it)
_SLASH_MDY = re.compile(
    r"(?<![\d/.-])(?P<first>[0-3]?\d)/(?P<second_>[0-3]?\d)/(?P<year>(?:19|20)\d{2})(?![\d/])" + _TIME
)
_MONTH_NAMES = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH_WORD = r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
# Mar 28, 2024 4:05 PM / December 4, 2021 at 8:11 pm / Tue Mar 05, 2019 10:17 pm
_ENGLISH_MDY = re.compile(
    r"(?<![A-Za-z])" + _MONTH_WORD + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})(?![\d])"
    + _TIME, re.I,
)
# 5 March 2019 / 05 Mar 2019 10:17
_ENGLISH_DMY = re.compile(
    r"(?<![\d])(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+" + _MONTH_WORD + r",?\s+(?P<year>(?:19|20)\d{2})(?![\d])"
    + _TIME, re.I,
)
# 1998年3月号, 2003年5月, 2003-05 (year and month only; the caller decides whether to look)
_YEAR_MONTH = re.compile(
    r"(?<![\d])(?P<year>(?:19|20)\d{2})\s*(?:年\s*(?P<month>1[0-2]|0?[1-9])\s*月(?!\s*\d)|"
    r"[-/.](?P<month2>1[0-2]|0[1-9])(?![\d/.-]))(?P<issue>\s*(?:号|期|刊|份))?"
)
_YEARLESS_DATE = re.compile(
    r"(?<![\d\-/.年])(?P<month>[01]?\d)\s*(?:-|/|月)\s*(?P<day>[0-3]?\d)(?![\d.])\s*日?" + _TIME
)
_RELATIVE = re.compile(  # from the start of a digit run only: \d+ retried inside a long run is quadratic
    r"(?<![\d])(?P<n>\d{1,6})\s*+(?P<unit>秒|分钟|分鐘|小时|小時|天|日|周|星期|个月|個月)\s*(?:以)?前"
)
_DAY_WORD = re.compile(r"(?P<word>今天|今日|昨天|昨日|前天)" + _TIME)
_JUST_NOW = re.compile(r"刚刚|剛剛|刚才|just now", re.I)
_WEIBO_API = re.compile(
    r"[A-Z][a-z]{2} (?P<mon>[A-Z][a-z]{2}) (?P<day>\d{1,2}) (?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}) "
    r"(?P<tz>[+-]\d{4}) (?P<year>\d{4})"
)
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}

_URL_PATTERNS = [
    # /art/2023/11/8/art_1_2.html, /2023/11/08/, /2023-11/08/
    re.compile(r"(?<![\d])(?P<year>(?:19|20)\d{2})[/_-](?P<month>[01]?\d)[/_-](?P<day>[0-3]?\d)(?=[/_.-])"),
    # t20231108_123456.html, /20231108/, content_20231108.htm
    re.compile(r"(?<![\d])(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?![\d])"),
    # news.163.com/23/1108/10/ABC.html (two-digit year, then month and day)
    re.compile(r"/(?P<yy>[12]\d)/(?P<month>[01]\d)(?P<day>[0-3]\d)/"),
    # /202311/ or /2023-11/ (month only)
    re.compile(r"/(?P<year>(?:19|20)\d{2})-?(?P<month>[01]\d)/"),
]


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text: the value, whether it carried a time of day, and where it was."""
    value: datetime
    has_time: bool
    start: int
    end: int
    text: str
    relative: bool = False
    precision: str = ""  # second, minute, day, month ("" for old callers: see ``granularity``)
    zoned: bool = False  # the text stated its own offset

    @property
    def granularity(self) -> str:
        """second, minute, day or month."""
        if self.precision:
            return self.precision
        return "minute" if self.has_time else "day"


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(TZ)
    return now if now.tzinfo else now.replace(tzinfo=TZ)


def _tzinfo(text: str | None):
    if not text:
        return TZ
    text = text.strip()
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _hour(hour: int, ampm: str | None, meridiem: str | None = None) -> int:
    ampm = ampm.strip() if ampm else None
    if ampm in ("下午", "晚上") and hour < 12:
        return hour + 12
    if ampm == "中午" and hour < 11:
        return hour + 12
    if meridiem:
        pm = meridiem[0] in "Pp"
        if hour == 12:
            return 12 if pm else 0
        return hour + 12 if pm else hour
    return hour


def _build(year: int, month: int, day: int, m: re.Match, now: datetime | None = None,
           check_future: bool = True, zone=None) -> tuple[datetime, bool] | None:
    """A datetime from regex groups, or None when the numbers are not a real date."""
    try:
        d = date(year, month, day)
    except ValueError:
        return None
    if d.year < MIN_YEAR:
        return None
    if check_future and d > (_now(now) + timedelta(days=366)).date():
        return None
    groups = m.groupdict()
    has_time = groups.get("hour") is not None
    hour = _hour(int(groups["hour"]), groups.get("ampm"), groups.get("meridiem")) if has_time else 0
    if hour > 23:
        return None
    minute = int(groups["minute"]) if has_time else 0
    second = int(groups["second"]) if groups.get("second") else 0
    tz = _tzinfo(groups.get("tz")) if has_time and groups.get("tz") else (zone or TZ)
    return datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=tz), has_time


def _yearless(month: int, day: int, m: re.Match, now: datetime) -> tuple[datetime, bool] | None:
    """``11-08``: the most recent such day that is not after ``now`` (tomorrow tolerated)."""
    now = now.astimezone(TZ)  # the year of a Beijing day, even when ``now`` is given in UTC
    for year in (now.year, now.year - 1):
        built = _build(year, month, day, m, now)
        if built and built[0] <= now + timedelta(days=1):
            return built
    return None


def _precision_of(m: re.Match | None, has_time: bool) -> str:
    if not has_time:
        return "day"
    return "second" if m is not None and m.groupdict().get("second") else "minute"


def find_dates(text: str, now: datetime | None = None, *, relative: bool = False,
               yearless: bool = False, compact: bool = False, months: bool = False,
               zone=None) -> list[DateMatch]:
    """Every date in ``text``, in order of position.

    Absolute dates with a year are always found (numeric, month-first ``M/D/YYYY`` and English
    month names). ``relative`` adds 刚刚 / N分钟前 / 昨天 forms and ``yearless`` adds ``MM-DD``
    forms (both need ``now``, default the current time); ``compact`` adds ``20231108``;
    ``months`` adds year-and-month-only forms (``1998年3月号``: precision ``month``). ``zone``:
    the zone of times that state none (default Asia/Shanghai).
    """
    if not text:
        return []
    text = text.translate(_FULLWIDTH)
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, built: tuple[datetime, bool] | None, rel: bool = False,
            m: re.Match | None = None, precision: str = "") -> None:
        end = start + len(text[start:end].rstrip())
        if built is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        zoned = bool(m is not None and m.groupdict().get("tz") and m.groupdict().get("hour"))
        found.append(DateMatch(built[0], built[1], start, end, text[start:end].strip(), rel,
                               precision or _precision_of(m, built[1]), zoned))

    for m in _WEIBO_API.finditer(text):
        try:
            value = datetime(int(m["year"]), _MONTHS[m["mon"]], int(m["day"]), int(m["hour"]),
                             int(m["minute"]), int(m["second"]), tzinfo=_tzinfo(m["tz"]))
        except (KeyError, ValueError):
            continue
        add(m.start(), m.end(), (value, True), m=m, precision="second")
    for m in _FULL_DATE.finditer(text):
        if m["sep"] == "." and m["hour"] is None and re.match(r"\.?\d", text[m.end():m.end() + 2]):
            continue  # version numbers such as 2019.10.1.2
        add(m.start(), m.end(), _build(int(m["year"]), int(m["month"]), int(m["day"]), m, now, zone=zone), m=m)
    if "/" in text:
        for m in _SLASH_MDY.finditer(text):
            first, second = int(m["first"]), int(m["second_"])
            month, day = (first, second) if first <= 12 else (second, first)
            add(m.start(), m.end(), _build(int(m["year"]), month, day, m, now, zone=zone), m=m)
    if re.search(r"[A-Za-z]{3}", text):
        for pattern in (_ENGLISH_MDY, _ENGLISH_DMY):
            for m in pattern.finditer(text):
                month = _MONTH_NAMES[m["mon"].lower().rstrip(".")]
                add(m.start(), m.end(), _build(int(m["year"]), month, int(m["day"]), m, now, zone=zone), m=m)
    if compact:
        for m in _COMPACT_DATE.finditer(text):
            add(m.start(), m.end(), _build(int(m["year"]), int(m["month"]), int(m["day"]), m, now, zone=zone), m=m)
    if months:
        for m in _YEAR_MONTH.finditer(text):
            built = _build(int(m["year"]), int(m["month"] or m["month2"]), 1, m, now, zone=zone)
            add(m.start(), m.end(), built, precision="month")
    if relative or yearless:
        current = _now(now)
        if relative:
            for m in _JUST_NOW.finditer(text):
                add(m.start(), m.end(), (current, True), True, precision="second")
            for m in _RELATIVE.finditer(text):
                n, unit = int(m["n"]), m["unit"]
                if unit == "秒":
                    delta, has_time = timedelta(seconds=n), True
                elif unit in ("分钟", "分鐘"):
                    delta, has_time = timedelta(minutes=n), True
                elif unit in ("小时", "小時"):
                    delta, has_time = timedelta(hours=n), True
                elif unit in ("天", "日"):
                    delta, has_time = timedelta(days=n), False
                elif unit in ("周", "星期"):
                    delta, has_time = timedelta(weeks=n), False
                else:
                    delta, has_time = timedelta(days=30 * n), False
                value = (current - delta).astimezone(TZ)
                if not has_time:
                    value = value.replace(hour=0, minute=0, second=0, microsecond=0)
                add(m.start(), m.end(), (value.replace(microsecond=0), has_time), True,
                    precision="minute" if has_time else "day")
            for m in _DAY_WORD.finditer(text):
                back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[m["word"]]
                day = (current.astimezone(TZ) - timedelta(days=back)).date()
                add(m.start(), m.end(), _build(day.year, day.month, day.day, m, current), True, m=m)
        if yearless:
            for m in _YEARLESS_DATE.finditer(text):
                add(m.start(), m.end(), _yearless(int(m["month"]), int(m["day"]), m, current), m=m)
    found.sort(key=lambda d: d.start)
    return found


def parse_date(text: str, now: datetime | None = None) -> datetime | None:
    """The first date in ``text`` in any supported form (absolute, year-less or relative)."""
    match = parse_date_match(text, now)
    return match.value if match else None


def parse_date_match(text: str, now: datetime | None = None) -> DateMatch | None:
    """Like :func:`parse_date` but also says whether a time of day was given."""
    if text is None:
        return None
    text = str(text).strip()
    if re.fullmatch(r"\d{10}(\.\d+)?|\d{13}", text):
        return DateMatch(from_timestamp(text), True, 0, len(text), text, precision="second")
    found = find_dates(text, now, relative=True, yearless=True, compact=True)
    return found[0] if found else None


def from_timestamp(value: str | int | float) -> datetime:
    """A unix timestamp (seconds, or milliseconds when 13 digits) as a datetime in Asia/Shanghai."""
    number = float(value)
    if number > 1e12:
        number /= 1000
    return datetime.fromtimestamp(int(number), TZ)


def date_from_url(url: str, now: datetime | None = None) -> datetime | None:
    """The publication day encoded in a URL path (TRS, Hanweb and news-site patterns), or None.

    A month-only path (``/202311/``) gives the first of that month.
    """
    found = url_date_match(url, now)
    return found[0] if found else None


def url_date_match(url: str, now: datetime | None = None) -> tuple[datetime, str] | None:
    """(value, precision) of the date in a URL path: precision ``day``, or ``month`` for
    ``/202311/`` paths."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I).split("?")[0].split("#")[0]
    for pattern in _URL_PATTERNS:
        for m in pattern.finditer(path):
            groups = m.groupdict()
            year = int(groups["year"]) if groups.get("year") else 2000 + int(groups["yy"])
            day = int(groups.get("day") or 1)
            try:
                value = datetime(year, int(groups["month"]), day, tzinfo=TZ)
            except ValueError:
                continue
            if MIN_YEAR <= year and value <= _now(now) + timedelta(days=2):
                return value, "day" if groups.get("day") else "month"
    return None
