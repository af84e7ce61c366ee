"""The web console in a real browser: Debian's chromium (installed by .ci/run with apt; never
downloaded) driven by Playwright, against the console served by uvicorn on 127.0.0.1.

Screenshots of the main pages are saved for people to look at, under var/test-artefacts/console/
(or $GOVWATCH_TEST_ARTEFACTS/console/).
"""
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from govwatch.console.app import create_app
from govwatch.models import Finding, now
from test_console import HOSTILE_NAME, PASSWORDS, console_settings, fill, finding_id
from test_console import _quick_hashes  # noqa: F401  (autouse fixture: quick argon2 parameters)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = Path(os.environ.get("GOVWATCH_TEST_ARTEFACTS") or ROOT / "var" / "test-artefacts") / "console"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path):
    """The console on a free local port: (base URL, store)."""
    from govwatch.store.sqlite import SqliteStore
    store = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    fill(store)
    port = free_port()
    app = create_app(console_settings(tmp_path, hosts=[], live_seconds=0.5), store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "console did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=15)
    store.close()


def shot(page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def logged_in(chromium, base: str, name: str, **context_args):
    context = chromium.new_context(base_url=base, locale="zh-CN", **context_args)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    assert page.locator("#whoami").inner_text().startswith(name)
    return context, page


def test_each_role_logs_in_and_the_main_pages_render(chromium, served):
    base, store = served
    for name in ("admin", "duty", "county"):
        context, page = logged_in(chromium, base, name)
        shot(page, f"{name}-值班台")
        page.goto("/findings")
        assert page.locator("h1").inner_text().startswith("问题清单")
        shot(page, f"{name}-问题清单")
        page.goto("/targets")
        shot(page, f"{name}-监测对象")
        nav = page.locator("header nav").inner_text()
        assert ("提醒" in nav) == (name != "county") and ("操作记录" in nav) == (name == "admin")
        context.close()
    context, page = logged_in(chromium, base, "admin")
    page.goto(f"/findings/{finding_id(store, 'county-site')}")
    shot(page, "admin-问题详情")
    page.goto("/targets/county-site")
    page.wait_for_function("document.querySelector('#heatmap canvas, #heatmap svg') !== null")  # ECharts drew
    shot(page, "admin-监测对象详情")
    page.goto("/stats")
    page.wait_for_function("document.querySelector('#trend canvas, #trend svg') !== null")
    shot(page, "admin-统计")
    page.goto("/alerts")
    shot(page, "admin-提醒")
    page.goto("/audit")
    assert "登录" in page.locator("#audit").inner_text()
    shot(page, "admin-操作记录")
    context.close()
    # a phone
    context, page = logged_in(chromium, base, "duty", viewport={"width": 390, "height": 844}, is_mobile=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    shot(page, "duty-值班台-手机")
    context.close()


def test_duty_page_shows_a_new_veto_finding_without_reload(chromium, served):
    base, store = served
    context, page = logged_in(chromium, base, "duty")
    page.wait_for_function("document.getElementById('live-state').textContent === '已连接'")
    page.evaluate("window.__sameDocument = true")
    before = int(page.locator("#fresh-count").inner_text())
    new = Finding(target_id="county-site", rule="banned.porn", category="色情", severity="veto",
                  url="http://county.gov.cn/new.html", match="新出现的违规内容")
    store.upsert_findings([new], at=now())
    row = page.locator(f'#fresh tr[data-id="{new.id}"]')
    row.wait_for(timeout=20000)
    assert "新出现的违规内容" in row.inner_text() and "单项否决" in row.inner_text()
    assert "unseen" in row.get_attribute("class")
    assert page.evaluate("window.__sameDocument") is True  # the page was not reloaded
    assert int(page.locator("#fresh-count").inner_text()) == before + 1
    shot(page, "duty-值班台-新问题推送")
    page.click("#mark-seen")
    assert page.locator("#fresh tr.unseen").count() == 0
    context.close()


def test_office_triages_its_finding_and_admin_sees_the_history(chromium, served):
    base, store = served
    fid = finding_id(store, "county-site")
    context, page = logged_in(chromium, base, "county")
    page.goto(f"/findings/{fid}")
    assert "110105194912310021" not in page.content()  # masked for an office
    page.select_option("#triage-status", "rectifying")
    page.fill("#triage-note", "已联系网站运维删除该页面")
    page.click("form.triage button[type=submit]")
    page.wait_for_url(f"{base}/findings/{fid}")
    assert "整改中" in page.locator("h1").inner_text()
    shot(page, "county-处置后")
    context.close()
    assert store.get_finding(fid).status == "rectifying"

    context, page = logged_in(chromium, base, "admin")
    page.goto(f"/findings/{fid}")
    history = page.locator("#history").inner_text()
    assert "county" in history and "整改中" in history and "已联系网站运维删除该页面" in history
    page.select_option("#triage-status", "closed")
    page.fill("#triage-note", "核实后销号")
    page.click("form.triage button[type=submit]")
    page.wait_for_url(f"{base}/findings/{fid}")
    assert "已销号" in page.locator("#history").inner_text()
    shot(page, "admin-处置记录")
    context.close()


def test_office_cannot_open_another_offices_finding(chromium, served):
    base, store = served
    theirs = finding_id(store, "other-site")
    context, page = logged_in(chromium, base, "county")
    resp = page.goto(f"/findings/{theirs}")
    assert resp.status == 404 and "问题不存在" in page.content()
    assert page.request.get(f"/api/findings/{theirs}").status == 404
    assert page.goto("/targets/other-site").status == 404
    mine = finding_id(store, "county-site")
    assert page.request.get(f"/api/findings/{mine}").status == 200
    context.close()


def test_a_post_without_the_csrf_token_is_refused(chromium, served):
    base, store = served
    fid = finding_id(store, "county-site")
    context, page = logged_in(chromium, base, "duty")
    body = json.dumps({"status": "confirmed", "note": "x"})
    no_token = page.evaluate("""async ([url, body]) => {
        const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body});
        return r.status; }""", [f"/api/findings/{fid}/status", body])
    assert no_token == 403
    form_post = page.request.post(f"/findings/{fid}/status", form={"status": "confirmed", "note": "x"})
    assert form_post.status == 403
    assert store.get_finding(fid).status == "open"
    with_token = page.evaluate("""async ([url, body]) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
                                                             "X-CSRF-Token": token}, body});
        return r.status; }""", [f"/api/findings/{fid}/status", body])
    assert with_token == 200 and store.get_finding(fid).status == "confirmed"
    context.close()


def test_hostile_names_and_snippets_render_as_text(chromium, served):
    base, store = served
    context, page = logged_in(chromium, base, "duty")
    page.goto("/targets")
    assert page.get_by_text(HOSTILE_NAME, exact=True).count() >= 1
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    fid = finding_id(store, "evil")
    page.goto(f"/findings/{fid}")
    assert "<script>document.title" in page.locator("dd.snippet").inner_text()
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    frame = page.frame_locator("iframe.snapshot")
    assert frame.locator("p").inner_text() == "快照正文"  # the snapshot is shown …
    snapshot = next(f for f in page.frames if f.url.endswith("/snapshot"))
    assert snapshot.title() != "pwned"  # … with its scripts off
    assert page.title() != "pwned"
    page.goto("/")
    shot(page, "duty-恶意内容显示为文本")
    assert page.dialogs == []  # no alert() ran anywhere
    context.close()
