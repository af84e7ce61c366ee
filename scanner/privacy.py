"""Personal information (去标识化): resident ID numbers, bank card numbers, mobile numbers.

Chinese text has no word boundary between a character and a digit, so candidates are digit runs
found with a plain character-class scan and bounded by look-arounds done in Python.  Masked
forms (``110101********1234``, ``138****1234``) are never flagged: a run that touches a mask
character or a letter is not a number of its own.
"""
from __future__ import annotations

import re
from datetime import date

from .hits import make_hit
from .lexicon import TRIGGERS

# Runs of digits, spaces and hyphens starting with three digits (the fastest scan sre offers);
# grouping and boundaries are checked in Python.
CANDIDATE_RE = re.compile(r"[0-9][0-9][0-9][0-9 \-]{7,}")
DIGIT_RUN_RE = re.compile(r"[0-9]+[Xx]?")
MASK_CHARS = set("*＊×xX•●○#")
URLISH = set("/=_.&?%@\\")  # a run glued to these is part of a URL, file name or code
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}
CARD_PREFIXES = ("62", "4", "51", "52", "53", "54", "55", "2221", "2720", "34", "37", "35", "60",
                 "65", "9558", "9559", "955")
CARD_CONTEXT_RE = re.compile("卡号|银行卡|信用卡|储蓄卡|借记卡|账号|帐号|开户行|收款账户|银行账户")
MOBILE_LABEL_RE = re.compile(
    r"(?:联系方式|联系电话|咨询电话|举报电话|监督电话|服务热线|投诉电话|值班电话|办公电话|热线电话|"
    r"电话号码|手机号码|手机号|联系人电话|电话|手机|热线|传真|联系|tel|Tel|TEL)[\s:：]*$"
)
# Labels of a unit's contact line (a personal “手机” is not one).
OFFICE_LABEL_RE = re.compile(
    r"(?:联系方式|联系电话|咨询电话|举报电话|监督电话|服务热线|投诉电话|值班电话|办公电话|热线电话|"
    r"电话|热线|传真|tel|Tel|TEL)[\s:：]*$"
)
OFFICE_RE = re.compile("办公室|科|处|局|委|中心|站|所|队|政府|街道|社区|委员会|热线|窗口|大厅|服务|值班")
PERSON_LABEL_RE = re.compile(r"(?:联系人|负责人|姓名|户主|申请人|当事人|举报人|受理人|经办人|对接人)[\s:：]*[\u4e00-\u9fff]{2,4}")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐")
NAME_TAIL_RE = re.compile(
    f"(?:(?:{'|'.join(COMPOUND_SURNAMES)})[\u4e00-\u9fff]{{1,2}}|[{SURNAMES}][\u4e00-\u9fff]{{1,2}})"
    r"(?:同志|先生|女士|老师|医生)?[\s:：,，、（(]*$"
)


def id_number_valid(s: str, today: date | None = None) -> bool:
    """GB 11643: 17 digits + check character, a known province code and a real birth date.

    Also the foreign permanent resident ID card of December 2023: “9”, the two-digit province
    code of the issuing office, a three-digit nationality code, the birth date in the same
    place and the same check character."""
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789Xx":
        return False
    if s[0] == "9" and s[1:3] in PROVINCES and s[1] != "9":
        pass  # foreign permanent resident
    elif s[:2] not in PROVINCES or (s[2:6] == "0000" and s[:2] not in ("81", "82", "83")):
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if born.year < 1850 or born > (today or date.today()):
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == s[17].upper()


# The foreign permanent resident card of 2004–2023: a three-letter nationality code, the issuing
# province, the birth date as YYMMDD, a two-digit sequence and a check digit (15 characters).
OLD_FOREIGN_RE = re.compile(r"[A-Z]{3}[0-9]{12}")
OLD_FOREIGN_CONTEXT = ("永久居留", "居留证", "居留身份证", "外国人")
FOREIGN_TRIGGERS = TRIGGERS["foreign_id"]  # every context word holds one of these


def old_foreign_id_valid(s: str) -> bool:
    """The 15-character card: letters, a known province code and a real birth date (the check
    digit's algorithm is not published, so it is not verified)."""
    if len(s) != 15 or not s[:3].isalpha() or not s[3:].isdigit() or s[3:5] not in PROVINCES:
        return False
    yy, mm, dd = int(s[5:7]), int(s[7:9]), int(s[9:11])
    try:
        date(1900 + yy, mm, dd)
    except ValueError:
        return False
    return True


def scan_old_foreign_ids(text: str, field: str) -> list:
    if not any(w in text for w in OLD_FOREIGN_CONTEXT):
        return []
    hits = []
    for m in OLD_FOREIGN_RE.finditer(text):
        s, e = m.start(), m.end()
        if (s > 0 and text[s - 1].isascii() and (text[s - 1].isalnum() or text[s - 1] in MASK_CHARS)) or \
                (e < len(text) and (text[e] in MASK_CHARS or (text[e].isascii() and text[e].isalnum()))):
            continue
        if not _standalone(text, s, e) or not old_foreign_id_valid(m.group()):
            continue
        if not any(w in text[max(0, s - 40):s] for w in OLD_FOREIGN_CONTEXT):
            continue
        raw = m.group()
        hits.append(make_hit("privacy.id_number", text, s, e, field=field,
                             suggestion="去标识化，如只保留国籍代码和后 4 位：" + raw[:3] + "********" + raw[-4:],
                             detail="15 位外国人永久居留证号码（国籍代码、地区码与出生日期有效）"))
    return hits


def luhn_valid(s: str) -> bool:
    if not s.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


WRITTEN_GROUPINGS = ([3, 4, 4], [6, 8, 4], [6, 4, 4, 4], [2, 3, 4, 4])  # mobile, ID number, card


def _grouping_ok(raw: str) -> bool:
    """Grouped digits must look like a written number (3-4-4, 6-8-4, groups of 4 …), not a list."""
    spaced, hyphened = " " in raw, "-" in raw
    if not (spaced or hyphened):
        return True
    if spaced and hyphened:
        return False
    groups = raw.split(" " if spaced else "-")
    sizes = [len(g) for g in groups]
    return sizes in WRITTEN_GROUPINGS or (
        all(n == 4 for n in sizes[:-1]) and 1 <= sizes[-1] <= 4) or (sizes[0] == 6 and all(n == 4 for n in sizes[1:-1]))


def _standalone(text: str, s: int, e: int) -> bool:
    left = text[s - 1] if s > 0 else ""
    right = text[e] if e < len(text) else ""
    for ch in (left, right):
        if ch and (ch in MASK_CHARS or (ch.isascii() and ch.isalnum())):
            return False
    if left in URLISH or (right in URLISH and not (right == "." and text[e + 1:e + 2] in ("", " ", "\n"))):
        return False
    return True


def _is_mobile(digits: str) -> str:
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return digits
    return ""


def _person_nearby(text: str, s: int) -> str:
    line_start = max(text.rfind("\n", 0, s) + 1, s - 40)
    left = text[line_start:s]
    m = PERSON_LABEL_RE.search(left)
    if m:
        return m.group()
    stripped = MOBILE_LABEL_RE.sub("", left)
    m = NAME_TAIL_RE.search(stripped)
    if m and not OFFICE_RE.search(m.group()):
        return m.group().rstrip(" :：,，、（(")
    return ""


def _judge(text: str, s: int, e: int, field: str, today, hits: list, mobiles: list) -> None:
    if e - s < 10:
        return  # too short for any number judged here, even before separators are removed
    raw = text[s:e]
    digits = raw.replace(" ", "").replace("-", "")
    if raw[-1] in "Xx" and len(digits) != 18:
        e -= 1
        raw, digits = raw[:-1], digits[:-1]
    if len(digits) < 10 or not _standalone(text, s, e):
        return
    if len(digits) == 18 and id_number_valid(digits, today):
        hits.append(make_hit("privacy.id_number", text, s, e, field=field,
                             suggestion="去标识化，如只保留前 6 位和后 4 位：" + digits[:6] + "********" + digits[-4:],
                             detail=("18 位外国人永久居留身份证号" if digits[0] == "9" else "18 位身份证号")
                             + "，校验码、出生日期与地区码均有效"))
        return
    mobile = _is_mobile(digits)
    if mobile:
        mobiles.append((s, e, mobile))
        return
    if 15 <= len(digits) <= 19 and luhn_valid(digits):
        context = CARD_CONTEXT_RE.search(text[max(0, s - 20):s])
        if digits.startswith(CARD_PREFIXES) or context:
            hits.append(make_hit("privacy.bank_card", text, s, e, field=field,
                                 suggestion="去标识化，如只保留后 4 位：" + "*" * (len(digits) - 4) + digits[-4:],
                                 detail=f"{len(digits)} 位卡号，通过 Luhn 校验"))


def scan_privacy(text: str, field: str = "text", today: date | None = None, foreign: bool | None = None) -> list:
    """Personal numbers in ``text``.  ``foreign``: whether a word naming the old permanent
    residence card (``OLD_FOREIGN_CONTEXT``) occurs, when the caller knows (the automaton's
    ``foreign_id`` trigger); else it is looked up."""
    hits, mobiles = [], []
    for m in CANDIDATE_RE.finditer(text):
        s = m.start()
        raw = m.group().rstrip(" -")
        e = s + len(raw)
        if e < len(text) and text[e] in "Xx":
            e += 1
            raw += text[e - 1]
        if _grouping_ok(raw):
            spans = [(s, e)]
        elif max(map(len, raw.replace(" ", "-").split("-"))) < 10:
            continue  # a landline (0351-6175466) or a list of short numbers: no run to judge
        else:  # a list of numbers, or a date glued to a number: judge each run alone
            spans = [(s + r.start(), s + r.end()) for r in DIGIT_RUN_RE.finditer(raw)]
        for s2, e2 in spans:
            _judge(text, s2, e2, field, today, hits, mobiles)
    if foreign if foreign is not None else any(w in text for w in FOREIGN_TRIGGERS):
        hits.extend(scan_old_foreign_ids(text, field))
    distinct = {d for _, _, d in mobiles}
    id_spans = [(h.start, h.end) for h in hits if h.rule == "privacy.id_number"]
    for s, e, mobile in mobiles:
        masked = mobile[:3] + "****" + mobile[-4:]
        person = _person_nearby(text, s)
        if person:
            severity, detail = "medium", f"手机号紧邻个人姓名“{person}”"
        elif any(abs(s - ie) <= 60 or abs(is_ - e) <= 60 for is_, ie in id_spans):
            # a 公示 table row: name, ID number, phone — a person's record, not an office line
            severity, detail = "medium", "手机号与身份证号同处一条个人记录"
        elif len(distinct) >= 3:
            severity, detail = "medium", f"正文列出 {len(distinct)} 个手机号"
        elif OFFICE_LABEL_RE.search(text[max(0, s - 12):s]):
            severity, detail = "info", "单位联系电话，仅提示"
        else:
            severity, detail = "low", "未去标识化的手机号"
        hits.append(make_hit("privacy.mobile", text, s, e, field=field, severity=severity,
                             suggestion=f"个人手机号应去标识化，如 {masked}", detail=detail))
    return hits
