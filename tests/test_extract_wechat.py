"""crawler.wechat: the fixture article page, deleted and blocked pages, canonical URLs."""
from datetime import datetime
from pathlib import Path

from crawler.extract import extract_page
from crawler.wechat import canonical_wechat_url, js_var, parse_wechat
from govwatch.models import TZ

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
URL = ("https://mp.weixin.qq.com/s?__biz=MjM5NzE1NTMyNg==&mid=2650934104&idx=1&sn=0a1b2c3d"
       "&chksm=bd3f1e2a8a48973c&scene=21#wechat_redirect")


def fixture() -> bytes:
    return (PAGES / "wechat" / "1.html").read_bytes()


def test_fixture_article():
    item = parse_wechat(fixture(), URL)
    assert item.kind == "wechat" and item.state == "live"
    assert item.title == "三星 Galaxy S20 系列手机正式发布"
    assert item.author == "爱否科技"
    assert item.meta["account"] == "爱否科技"
    assert item.meta["account_id"] == "gh_3fb3f07c5c4a"
    assert item.meta["biz"] == "MjM5NzE1NTMyNg=="
    # var ct = "1581517074"; the visible #publish_time only says 昨天
    assert item.published_at == datetime(2020, 2, 12, 22, 17, 54, tzinfo=TZ)
    assert item.published_at_source == "js"
    assert item.text.startswith("今天凌晨，三星在美国旧金山举行发布会")
    assert "Galaxy S20 系列" in item.text
    assert "微信扫一扫" not in item.text and "功能介绍" not in item.text


def test_fixture_images_come_from_data_src():
    images = parse_wechat(fixture()).images
    assert len(images) >= 6
    assert all(image["url"].startswith("https://mmbiz.qpic.cn/") for image in images)
    assert not any(image["url"].startswith("data:") for image in images)


def test_extract_page_routes_wechat_pages():
    by_url = extract_page(fixture(), url=URL)
    by_look = extract_page(fixture())  # var msg_title + #js_content
    assert by_url.kind == by_look.kind == "wechat"
    assert by_url.canonical_url == "https://mp.weixin.qq.com/s?__biz=MjM5NzE1NTMyNg%3D%3D&mid=2650934104&idx=1&sn=0a1b2c3d"
    assert by_look.title == "三星 Galaxy S20 系列手机正式发布"


def test_canonical_url_keeps_only_biz_mid_idx_sn():
    assert canonical_wechat_url(URL) == (
        "https://mp.weixin.qq.com/s?__biz=MjM5NzE1NTMyNg%3D%3D&mid=2650934104&idx=1&sn=0a1b2c3d")
    same = URL.replace("&chksm=bd3f1e2a8a48973c&scene=21", "&scene=126&sessionid=1")
    assert canonical_wechat_url(same) == canonical_wechat_url(URL)
    assert canonical_wechat_url("https://mp.weixin.qq.com/s/AbCdEf123?from=timeline") == \
        "https://mp.weixin.qq.com/s/AbCdEf123"
    assert canonical_wechat_url("http://example.gov.cn/a.html") == "http://example.gov.cn/a.html"


def test_canonical_url_from_page_variables_when_url_is_a_temporary_link():
    page = """<html><head><meta property="og:title" content="标题"></head><body>
    <div id="js_content"><p>正文内容。</p></div>
    <script>var biz = "" || "QUJD"; var mid = "" || "100"; var idx = "" || "2"; var sn = "" || "ffee";
    var ct = "1700000000";</script></body></html>"""
    item = parse_wechat(page, "https://mp.weixin.qq.com/s?src=11&timestamp=1&signature=x")
    assert item.canonical_url == "https://mp.weixin.qq.com/s?__biz=QUJD&mid=100&idx=2&sn=ffee"


def test_deleted_article():
    page = """<html><head><title>微信公众平台</title></head><body>
    <div class="weui-msg"><h2 class="weui-msg__title">该内容已被发布者删除</h2></div></body></html>"""
    item = extract_page(page.encode(), url="https://mp.weixin.qq.com/s/deleted123")
    assert item.kind == "wechat"
    assert item.state == "deleted"
    assert item.text == ""


def test_blocked_page():
    page = """<html><head><title>验证</title></head><body><div class="weui-msg">
    <p class="weui-msg__title">环境异常</p><p>当前环境异常，完成验证后即可继续访问。</p>
    <a id="js_verify">去验证</a></div></body></html>"""
    item = extract_page(page.encode(), url="https://mp.weixin.qq.com/s/blocked123")
    assert item.state == "blocked"
    captcha = "<html><body><form action='/mp/verifycode'><img src='/mp/verifycode?cert=1'></form></body></html>"
    assert parse_wechat(captcha, "https://mp.weixin.qq.com/s/x").state == "blocked"


def test_js_var_reads_escaped_literals():
    html = 'var msg_title = "\\x26quot;你好\\x26quot; 世界".html(false);\nvar nickname = "" || "政务号";'
    assert js_var(html, "msg_title") == '"你好" 世界'
    assert js_var(html, "nickname") == "政务号"
    assert js_var(html, "missing") == ""
