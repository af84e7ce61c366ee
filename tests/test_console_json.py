"""The bytes of one page of ``/api/findings``, pinned for a small store with fixed times: the
console's findings API may be made faster, never different (field order, labels, masking,
escaping, the overdue flag, a finding whose target is gone)."""
from datetime import datetime

import pytest

from govwatch.console.app import create_app
from govwatch.console.users import add_user
from govwatch.models import UTC, Finding, Target
from test_console import console_settings, login
from test_console import _quick_hashes  # noqa: F401  (autouse fixture: quick argon2 parameters)

PASSWORDS = {"duty": "duty-pass-1", "county": "county-pass-1"}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def pinned(tmp_path):
    from govwatch.store.sqlite import SqliteStore
    store = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    store.upsert_targets([
        Target(id="county-site", name="示范县人民政府网站", owner="示范县政府办", url="http://county.gov.cn/"),
        Target(id="dept-wx", name='教育局"公众号"\\<b>', platform="wechat", owner="示范县教育局",
               parent="示范县政府办"),
    ])
    store.upsert_findings([
        # an open finding long overdue, with personal numbers in its title and match (masked for offices)
        Finding(target_id="county-site", rule="privacy.id_number", category="泄露个人信息", severity="high",
                url="http://county.gov.cn/a.html", title="联系人电话 13812345678",
                match="110105194912310021", first_seen_at=at(1), deadline=datetime(2020, 1, 1, tzinfo=UTC)),
        # a code as its match (shown in words), no category (the catalogue's label), a raised severity
        Finding(target_id="county-site", rule="site.down_now", severity="high", url="http://county.gov.cn/",
                match="down", severity_override="veto", first_seen_at=at(2, 8), deadline=at(3)),
        # milliseconds in words, hostile and control characters, a deadline far ahead (not overdue)
        Finding(target_id="dept-wx", rule="site.slow", category="", severity="low",
                url="javascript:alert(1)", title="<script>alert('x')</script>\u2028\x01\t\"引号\"",
                match="5300 ms", first_seen_at=at(3, 12), deadline=datetime(2099, 1, 1, tzinfo=UTC)),
        # rectified: never overdue; its target is no longer in the registry
        Finding(target_id="gone-site", rule="expression.typo", category="错别字", severity="medium",
                url="http://gone.gov.cn/b.html", title="标题", match="帐号", status="rectified",
                first_seen_at=at(4), deadline=datetime(2020, 1, 1, tzinfo=UTC)),
    ], at=at(5))
    add_user(store, "duty", "duty", PASSWORDS["duty"])
    add_user(store, "county", "office", PASSWORDS["county"], owners=["示范县政府办"])
    yield create_app(console_settings(tmp_path), store)
    store.close()


DUTY_PAGE = (
    '{"total":4,"page":1,"per_page":3,"items":['
    '{"id":"ID0","target_id":"gone-site","target_name":"","owner":"","platform":"","rule":"expression.typo",'
    '"category":"错别字","severity":"medium","severity_label":"一般","reported_severity":"medium",'
    '"status":"rectified","status_label":"已整改","title":"标题","match":"帐号","url":"http://gone.gov.cn/b.html",'
    '"first_seen_at":"2026-03-04T00:00:00+00:00","last_seen_at":"2026-03-05T00:00:00+00:00",'
    '"deadline":"2020-01-01T00:00:00+00:00","overdue":false},'
    '{"id":"ID1","target_id":"dept-wx","target_name":"教育局\\"公众号\\"\\\\<b>","owner":"示范县教育局",'
    '"platform":"wechat","rule":"site.slow","category":"首页访问慢","severity":"low","severity_label":"轻微",'
    '"reported_severity":"low","status":"open","status_label":"待处理",'
    '"title":"<script>alert(\'x\')</script>\u2028\\u0001\\t\\"引号\\"","match":"5300 毫秒",'
    '"url":"javascript:alert(1)","first_seen_at":"2026-03-03T12:00:00+00:00",'
    '"last_seen_at":"2026-03-05T00:00:00+00:00","deadline":"2099-01-01T00:00:00+00:00","overdue":false},'
    '{"id":"ID2","target_id":"county-site","target_name":"示范县人民政府网站","owner":"示范县政府办",'
    '"platform":"website","rule":"site.down_now","category":"网站无法访问","severity":"veto",'
    '"severity_label":"单项否决","reported_severity":"high","status":"open","status_label":"待处理",'
    '"title":"","match":"网站当前无法访问","url":"http://county.gov.cn/",'
    '"first_seen_at":"2026-03-02T08:00:00+00:00","last_seen_at":"2026-03-05T00:00:00+00:00",'
    '"deadline":"2026-03-03T00:00:00+00:00","overdue":true}]}'
)

COUNTY_PAGE = (
    '{"total":3,"page":2,"per_page":2,"items":['
    '{"id":"ID3","target_id":"county-site","target_name":"示范县人民政府网站","owner":"示范县政府办",'
    '"platform":"website","rule":"privacy.id_number","category":"泄露个人信息","severity":"high",'
    '"severity_label":"严重","reported_severity":"high","status":"open","status_label":"待处理",'
    '"title":"联系人电话 138****5678","match":"110105********0021","url":"http://county.gov.cn/a.html",'
    '"first_seen_at":"2026-03-01T00:00:00+00:00","last_seen_at":"2026-03-05T00:00:00+00:00",'
    '"deadline":"2020-01-01T00:00:00+00:00","overdue":true}]}'
)


def _ids(store, *targets_rules) -> list[str]:
    by = {(f.target_id, f.rule): f.id for f in store.list_findings()}
    return [by[key] for key in targets_rules]


def _expected(page: str, ids: list[str]) -> bytes:
    for n, fid in enumerate(ids):
        page = page.replace(f'"id":"ID{n}"', f'"id":"{fid}"')
    return page.encode("utf-8")


def test_api_findings_page_bytes_are_pinned(pinned):
    store = pinned.store
    duty = login(pinned, "duty", PASSWORDS["duty"])
    resp = duty.get("/api/findings", params={"per_page": 3})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    ids = _ids(store, ("gone-site", "expression.typo"), ("dept-wx", "site.slow"), ("county-site", "site.down_now"),
               ("county-site", "privacy.id_number"))
    assert resp.content == _expected(DUTY_PAGE, ids)
    # an office: only its roll-up's targets (the gone target is no one's), personal numbers masked
    county = login(pinned, "county", PASSWORDS["county"])
    resp = county.get("/api/findings", params={"per_page": 2, "page": 2})
    assert resp.content == _expected(COUNTY_PAGE, ids)


def test_encoded_times_read_as_iso_text():
    """The findings API leaves times to its encoder: the text must be what ``_iso`` writes for any
    time a store may hand back (UTC, naive taken as UTC, another offset, one with seconds)."""
    import json
    from datetime import timedelta, timezone

    from govwatch.console.app import _encoder_time, _iso, _json_bytes

    times = [datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), datetime(2026, 3, 4, 5, 6, 7, 120, tzinfo=UTC),
             datetime(2026, 3, 4, 5, 6, 7), datetime(2026, 3, 4, 5, 6, 7, 999999), datetime(999, 1, 1, tzinfo=UTC),
             datetime(2026, 3, 4, tzinfo=timezone(timedelta(hours=8))),
             datetime(2026, 3, 4, tzinfo=timezone(timedelta(0), "UTC")),  # another UTC object (bson's)
             datetime(2026, 3, 4, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=15))),
             datetime(2026, 3, 4, tzinfo=timezone(timedelta(hours=-3, minutes=-30))), None]
    assert _json_bytes([_encoder_time(t) for t in times]) == json.dumps(
        [_iso(t) for t in times], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
