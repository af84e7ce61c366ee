"""crawler.dates: Chinese, relative, year-less and URL dates."""
from datetime import datetime

import pytest

from crawler.dates import date_from_url, find_dates, from_timestamp, parse_date, parse_date_match
from govwatch.models import TZ

NOW = datetime(2023, 11, 10, 12, 0, tzinfo=TZ)


@pytest.mark.parametrize("text, expected, has_time", [
    ("发布时间：2023-11-08 10:30:00", datetime(2023, 11, 8, 10, 30, tzinfo=TZ), True),
    ("2023年11月8日 10:30", datetime(2023, 11, 8, 10, 30, tzinfo=TZ), True),
    ("2019年06月15日08:18 来源：人民网", datetime(2019, 6, 15, 8, 18, tzinfo=TZ), True),
    ("2023年11月8日10时30分", datetime(2023, 11, 8, 10, 30, tzinfo=TZ), True),
    ("2023/11/08", datetime(2023, 11, 8, tzinfo=TZ), False),
    ("2023.11.08", datetime(2023, 11, 8, tzinfo=TZ), False),
    ("２０２３－１１－０８", datetime(2023, 11, 8, tzinfo=TZ), False),
    ("刚刚", NOW, True),
    ("5分钟前", datetime(2023, 11, 10, 11, 55, tzinfo=TZ), True),
    ("3小时前", datetime(2023, 11, 10, 9, 0, tzinfo=TZ), True),
    ("3天前", datetime(2023, 11, 7, tzinfo=TZ), False),
    ("昨天 12:00", datetime(2023, 11, 9, 12, 0, tzinfo=TZ), True),
    ("今天 08:05", datetime(2023, 11, 10, 8, 5, tzinfo=TZ), True),
    ("前天", datetime(2023, 11, 8, tzinfo=TZ), False),
    ("06-14", datetime(2023, 6, 14, tzinfo=TZ), False),
    ("11-12 10:00", datetime(2022, 11, 12, 10, 0, tzinfo=TZ), True),  # after now: last year
    ("11月8日", datetime(2023, 11, 8, tzinfo=TZ), False),
])
def test_parse_date_forms(text, expected, has_time):
    match = parse_date_match(text, NOW)
    assert match is not None
    assert match.value == expected
    assert match.has_time is has_time


def test_offsets_and_weibo_api_form():
    value = parse_date("Wed Nov 08 10:30:00 +0800 2023")
    assert value.isoformat() == "2023-11-08T10:30:00+08:00"
    assert parse_date("2019-09-24T01:10:00Z").astimezone(TZ).hour == 9


def test_unix_timestamps():
    assert from_timestamp("1581517074").isoformat() == "2020-02-12T22:17:54+08:00"
    assert from_timestamp(1581517074000) == from_timestamp(1581517074)
    assert parse_date("1581517074") == from_timestamp(1581517074)


def test_rejects_impossible_dates_and_versions():
    assert find_dates("2023-02-30") == []
    assert find_dates("版本 2019.10.1.2") == []
    assert parse_date("没有日期") is None
    assert find_dates("1-10月德清县") == []  # year-less forms only when asked


def test_find_dates_in_order_with_positions():
    text = "时间：2019-09-18 06:23 来源：山西日报 更新 2019-09-19"
    found = find_dates(text)
    assert [d.value.day for d in found] == [18, 19]
    assert text[found[0].start:found[0].end] == "2019-09-18 06:23"


@pytest.mark.parametrize("url, expected", [
    ("http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html", "2016-11-22"),
    ("http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml", "2019-09-18"),
    ("http://example.gov.cn/xxgk/202311/abc.html", "2023-11-01"),
    ("https://news.163.com/20/0802/16/FJ1P0UTC0001899O.html", "2020-08-02"),
    ("http://www.xinhuanet.com/world/2019-12/10/c_1125327450.htm", "2019-12-10"),
    ("http://example.gov.cn/about/index.html", None),
])
def test_date_from_url(url, expected):
    value = date_from_url(url)
    assert (value.date().isoformat() if value else None) == expected
