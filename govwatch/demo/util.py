"""Deterministic building blocks of the site farm: hashing, personal numbers, publication times.

Everything the farm generates is a pure function of a seed and a few integers, so two farms with
the same seed and ``now`` serve the same bytes, and nothing has to be precomputed.
"""
from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta

from govwatch.models import TZ


def h64(*parts: object) -> int:
    """A stable 64-bit hash of the parts (unlike ``hash()``, independent of PYTHONHASHSEED)."""
    data = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def h01(*parts: object) -> float:
    """A stable pseudo-random float in [0, 1) for the parts."""
    return h64(*parts) / 2.0 ** 64


def rng(*parts: object) -> random.Random:
    """A random generator seeded from the parts."""
    return random.Random(h64(*parts))


def hexdigest(*parts: object, length: int = 32) -> str:
    data = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:length]


# --- resident ID numbers (GB 11643-1999) and phone numbers -------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# Real county-level codes (Hangzhou), so region sanity checks pass.
REGION_CODES = ("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112")
MOBILE_PREFIXES = ("138", "139", "135", "137", "150", "151", "158", "159", "186", "187", "177", "199")


def id_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_number(r: random.Random) -> str:
    """A valid 18-digit resident ID number: real region code, plausible birth date, check digit."""
    birth = date(1950, 1, 1) + timedelta(days=r.randrange(365 * 52))
    first17 = f"{r.choice(REGION_CODES)}{birth:%Y%m%d}{r.randrange(1, 1000):03d}"
    return first17 + id_check_char(first17)


def mobile_number(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + f"{r.randrange(10 ** 8):08d}"


def mask_id(number: str) -> str:
    """110101********1234: the de-identified form a compliant page shows."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def non_luhn_digits(r: random.Random, prefix: str, length: int) -> str:
    """A digit string that does NOT pass Luhn (platform ids must not look like bank cards)."""
    s = prefix + "".join(str(r.randrange(10)) for _ in range(length - len(prefix)))
    if luhn_valid(s):
        s = s[:-1] + str((int(s[-1]) + 1) % 10)
    return s


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈任姚卢傅钟姜崔谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万覃武钱戴严莫孔向汤"
GIVEN_CHARS = "建国志强秀英桂兰丽华海燕玉梅晓明红霞文杰宏伟春生德胜家乐雨欣思远子涵浩然嘉怡淑芬振华国庆立新永刚凤英雪梅佳宁博文启航俊杰静怡明轩秋菊金花"


def person_name(r: random.Random) -> str:
    given = "".join(r.choice(GIVEN_CHARS) for _ in range(r.choice((1, 2, 2, 2))))
    return r.choice(SURNAMES) + given


# --- publication times -----------------------------------------------------------------------------

def local_now(now: datetime) -> datetime:
    return now.astimezone(TZ)


def pub_time(now: datetime, age_days: float) -> datetime:
    """The publication time of an item ``age_days`` old, moved into office hours.

    Monotonic: a larger age never gives a later time. The whole part of the age picks the day
    (0 = today), the fractional part the time of day, from 19:00 back to 08:00. Never later than now.
    """
    today = local_now(now).date()
    whole = int(age_days)
    day = today - timedelta(days=whole)
    minutes = int((age_days - whole) * 660)
    t = datetime(day.year, day.month, day.day, 19, 0, tzinfo=TZ) - timedelta(minutes=minutes)
    latest = local_now(now).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return min(t, latest)


def series_age(x0: float, gap: float, k: int, *salt: object) -> float:
    """Age in days of item ``k`` (0 = newest) of a column: strictly increasing in ``k``."""
    return x0 + k * gap + (h01(*salt, k) * gap * 0.9 if k else 0.0)
