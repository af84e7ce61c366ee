"""The duty officer's page: the right sections, and crawled text that cannot attack the browser."""
import threading
from datetime import timedelta

import requests

from govwatch.console import render, serve
from govwatch.models import Finding, Target, now
from govwatch.store import open_store

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def fill(store):
    at = now()
    store.upsert_targets([
        Target(id="down", name="示范网站", url="http://www.demo.gov.cn/"),
        Target(id="wx", name=f"公众号{HOSTILE}", platform="wechat", url="javascript:alert(1)"),
    ])
    store.update_target_state("down", down_since=at - timedelta(hours=3))
    store.update_target_state("wx", consecutive_failures=4, last_crawl_error="微博接口限流（HTTP 432）")
    store.upsert_findings([
        Finding(target_id="wx", rule="banned.cult", category="邪教", severity="veto", url="javascript:alert(2)",
                title=HOSTILE, match="法轮功", first_seen_at=at - timedelta(hours=1)),
        Finding(target_id="down", rule="site.footer_missing", category="网站标识缺失", severity="medium",
                url="http://www.demo.gov.cn/", match="网站标识码", first_seen_at=at - timedelta(hours=2),
                deadline=at - timedelta(days=1)),
        Finding(target_id="down", rule="privacy.id_number", category="泄露个人信息", severity="high",
                url="http://www.demo.gov.cn/a.html", match="110105194912310021",
                first_seen_at=at - timedelta(days=3)),  # older than a day: not "new"
    ], at=at)


def test_page_sections_and_escaping(tmp_path):
    store = open_store()
    fill(store)
    page = render(store)
    assert "无法访问的网站（1）" in page and "示范网站" in page
    assert "新发现的单项否决和严重问题（1）" in page and "法轮功" in page
    assert "超期未整改（1）" in page and "网站标识码" in page
    assert "采集失败（1）" in page and "HTTP 432" in page
    assert "<script>" not in page and "<img" not in page  # crawled markup arrives as text
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page


def test_served_with_a_policy_that_forbids_scripts(tmp_path):
    store = open_store()
    fill(store)
    server = serve(lambda: open_store(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        resp = requests.get(base + "/", timeout=10)
        assert resp.status_code == 200 and "govwatch 值班台" in resp.text
        assert "script-src" not in resp.headers["Content-Security-Policy"]
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert requests.get(base + "/admin", timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
