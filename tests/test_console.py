"""The web console without a browser: roles and scoping, CSRF, sessions, throttling, masking,
escaping, the Host allow-list and the JSON API (Starlette's TestClient; the browser tests are in
test_console_browser.py and share the data set built here)."""
import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from govwatch import rules
from govwatch.cli import main
from govwatch.console.app import create_app
from govwatch.console.security import LoginThrottle, mask_personal
from govwatch.console.users import UserError, add_user, units_below, visible_target_ids
from govwatch.models import Alert, Check, Finding, Item, Target, now
from govwatch.settings import load_settings

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_SNIPPET = '前文<script>document.title="pwned"</script>后文'
PASSWORDS = {"admin": "admin-pass-1", "duty": "duty-pass-1", "county": "county-pass-1", "other": "other-pass-1"}


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch):
    """Argon2id still, with small cost parameters: dozens of logins per test file."""
    from argon2 import PasswordHasher
    monkeypatch.setattr("govwatch.console.users._HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def store(tmp_path):
    """The console's logic is the same on every backend (the store contract covers both): SQLite,
    the database the commands open in tests (GOVWATCH_DB, see conftest)."""
    from govwatch.store.sqlite import SqliteStore
    s = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    yield s
    s.close()


def fill(store):
    """Two offices in a county roll-up and one outside it; a hostile target and snippet."""
    at = now()
    snapshot = store.put_snapshot("<html><body><script>document.title='pwned'</script><p>快照正文</p></body></html>"
                                  .encode("utf-8"))
    store.upsert_targets([
        Target(id="county-site", name="示范县人民政府网站", owner="示范县政府办", url="http://county.gov.cn/"),
        Target(id="dept-wx", name="示范县教育局公众号", platform="wechat", owner="示范县教育局", parent="示范县政府办"),
        Target(id="evil", name=HOSTILE_NAME, owner="示范县教育局", parent="示范县政府办",
               url="javascript:alert(1)"),
        Target(id="other-site", name="邻县人民政府网站", owner="邻县政府办", url="http://other.gov.cn/"),
    ])
    store.update_target_state("other-site", down_since=at - timedelta(hours=2))
    store.update_target_state("dept-wx", consecutive_failures=3, last_crawl_error="接口限流")
    # a year of publications and a month of probes, for the target page's charts
    store.upsert_items([Item(target_id="county-site", url=f"http://county.gov.cn/art/{n}.html", title=f"动态{n}",
                             published_at=at - timedelta(days=(n * 7) % 360, hours=n % 5)) for n in range(150)], at=at)
    store.record_checks([Check(target_id="county-site", url="http://county.gov.cn/", at=at - timedelta(hours=6 * n),
                               ok=n % 9 != 0, http_status=200 if n % 9 else 503, elapsed_ms=300) for n in range(120)])
    store.upsert_findings([
        Finding(target_id="county-site", rule="privacy.id_number", category="泄露个人信息", severity="high",
                url="http://county.gov.cn/a.html", match="110105194912310021",
                snippet="联系人张三，身份证 110105194912310021，电话 13812345678", first_seen_at=at - timedelta(hours=1)),
        Finding(target_id="evil", rule="banned.cult", category="邪教", severity="veto", url="javascript:alert(2)",
                title=HOSTILE_NAME, match="<script>alert(3)</script>", snippet=HOSTILE_SNIPPET,
                evidence={"snapshot": snapshot}, first_seen_at=at - timedelta(hours=2)),
        Finding(target_id="other-site", rule="site.footer_missing", category="网站标识缺失", severity="medium",
                url="http://other.gov.cn/", match="网站标识码", first_seen_at=at - timedelta(days=2),
                deadline=at - timedelta(days=1)),
    ], at=at)
    add_user(store, "admin", "admin", PASSWORDS["admin"])
    add_user(store, "duty", "duty", PASSWORDS["duty"])
    add_user(store, "county", "office", PASSWORDS["county"], owners=["示范县政府办"])
    add_user(store, "other", "office", PASSWORDS["other"], owners=["邻县政府办"])


def finding_id(store, target_id):
    return next(f.id for f in store.list_findings() if f.target_id == target_id)


def console_settings(tmp_path, **console):
    settings = load_settings(env={"GOVWATCH_VAR_DIR": str(tmp_path / "var")})
    settings.data["console"].update({"hosts": ["testserver"], "live_seconds": 0.2, "registry_cache_seconds": 0,
                                     **console})
    return settings


@pytest.fixture
def console(store, tmp_path):
    fill(store)
    return create_app(console_settings(tmp_path), store)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf(?:-token)?" (?:value|content)="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(app, name, password=None, client=None):
    client = client or TestClient(app, follow_redirects=False)
    page = client.get("/login")
    resp = client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                       "csrf": csrf_of(page.text)})
    assert resp.status_code == 303, resp.text
    client.csrf = csrf_of(client.get("/").text)
    return client


def test_login_required_and_each_role_logs_in(console):
    anon = TestClient(console, follow_redirects=False)
    assert anon.get("/findings").status_code == 303
    assert anon.get("/findings").headers["location"].startswith("/login?next=")
    assert anon.get("/api/findings").status_code == 401
    for name in PASSWORDS:
        c = login(console, name)
        assert c.get("/").status_code == 200
        assert c.get("/api/summary").json()["user"] == name


def test_login_form_needs_its_token_and_a_right_password(console, store):
    c = TestClient(console, follow_redirects=False)
    c.get("/login")
    assert c.post("/login", data={"name": "admin", "password": PASSWORDS["admin"], "csrf": "forged"}).status_code == 403
    page = c.get("/login")
    bad = c.post("/login", data={"name": "admin", "password": "wrong-one", "csrf": csrf_of(page.text)})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    assert [e["action"] for e in store.list_audit(user="admin")] == ["login_failed"]


def test_session_cookie_is_httponly_and_samesite(console):
    c = TestClient(console, follow_redirects=False)
    page = c.get("/login")
    resp = c.post("/login", data={"name": "duty", "password": PASSWORDS["duty"], "csrf": csrf_of(page.text)})
    cookie = [v for k, v in resp.headers.multi_items() if k == "set-cookie" and v.startswith("gw_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_office_sees_its_units_and_below_only(console, store):
    county = login(console, "county")
    mine = {f["target_id"] for f in county.get("/api/findings").json()["items"]}
    assert mine == {"county-site", "evil"}  # the county office sees its education bureau too
    assert {t["id"] for t in county.get("/api/targets").json()["items"]} == {"county-site", "dept-wx", "evil"}
    theirs = finding_id(store, "other-site")
    assert county.get(f"/findings/{theirs}").status_code == 404
    assert county.get(f"/api/findings/{theirs}").status_code == 404
    assert county.get("/targets/other-site").status_code == 404
    assert county.get("/api/targets/other-site").status_code == 404
    assert county.get(f"/findings/{theirs}/snapshot").status_code == 404
    resp = county.post(f"/api/findings/{theirs}/status", json={"status": "rectifying", "note": "x"},
                       headers={"X-CSRF-Token": county.csrf})
    assert resp.status_code == 404 and store.get_finding(theirs).status == "open"
    other = login(console, "other")
    assert {f["target_id"] for f in other.get("/api/findings").json()["items"]} == {"other-site"}
    assert "示范县" not in other.get("/").text
    duty = login(console, "duty")
    assert duty.get("/api/findings").json()["total"] == 3


def test_office_reports_rectification_and_duty_confirms(console, store):
    fid = finding_id(store, "county-site")
    county = login(console, "county")
    h = {"X-CSRF-Token": county.csrf}
    assert county.post(f"/api/findings/{fid}/status", json={"status": "closed", "note": "x"}, headers=h).status_code == 403
    assert county.post(f"/api/findings/{fid}/status", json={"status": "rectified"}, headers=h).status_code == 400
    resp = county.post(f"/api/findings/{fid}/status", json={"status": "已整改", "note": "已删除该页面"}, headers=h)
    assert resp.status_code == 200 and resp.json()["status"] == "rectified"
    duty = login(console, "duty")
    page = duty.get(f"/findings/{fid}")
    resp = duty.post(f"/findings/{fid}/status", data={"status": "closed", "note": "核实销号", "csrf": csrf_of(page.text)})
    assert resp.status_code == 303
    f = store.get_finding(fid)
    assert f.status == "closed"
    assert [(h["by"], h["to"]) for h in f.history[1:]] == [("county", "rectified"), ("duty", "closed")]
    bad = duty.post(f"/api/findings/{fid}/status", json={"status": "confirmed"}, headers={"X-CSRF-Token": duty.csrf})
    assert bad.status_code == 409  # closed → confirmed is not a transition
    from datetime import datetime
    from govwatch.models import fmt_local
    shown = fmt_local(datetime.fromisoformat(f.history[-1]["at"]))  # Asia/Shanghai, like every time shown
    assert f"<td>{shown}</td><td>duty</td>" in duty.get(f"/findings/{fid}").text
    triage = [e for e in store.list_audit() if e["action"] == "triage"]
    assert [(e["user"], e["to"]) for e in triage] == [("duty", "closed"), ("county", "rectified")]


def test_state_changes_without_the_token_are_refused(console, store):
    fid = finding_id(store, "county-site")
    duty = login(console, "duty")
    assert duty.post(f"/api/findings/{fid}/status", json={"status": "confirmed"}).status_code == 403
    assert duty.post(f"/api/findings/{fid}/status", json={"status": "confirmed"},
                     headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert duty.post(f"/findings/{fid}/status", data={"status": "confirmed"}).status_code == 403
    assert duty.post("/findings/bulk", data={"ids": [fid], "status": "confirmed"}).status_code == 403
    assert duty.post("/alerts/release", data={"all": "1"}).status_code == 403
    assert duty.post("/logout", data={}).status_code == 403
    cross = duty.post(f"/api/findings/{fid}/status", json={"status": "confirmed"},
                      headers={"X-CSRF-Token": duty.csrf, "Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert store.get_finding(fid).status == "open"


def test_bulk_triage(console, store):
    duty = login(console, "duty")
    ids = [f.id for f in store.list_findings()]
    resp = duty.post("/findings/bulk", data={"ids": ids, "status": "confirmed", "note": "批量确认",
                                            "csrf": duty.csrf, "back": "/findings?status=open"})
    assert resp.status_code == 303 and "done=3" in resp.headers["location"]
    assert {f.status for f in store.list_findings()} == {"confirmed"}
    county = login(console, "county")
    resp = county.post("/findings/bulk", data={"ids": ids, "status": "rectifying", "note": "正在整改",
                                              "csrf": county.csrf})
    assert "done=2" in resp.headers["location"] and "failed=1" in resp.headers["location"]
    assert store.get_finding(finding_id(store, "other-site")).status == "confirmed"


def test_hostile_text_is_escaped(console, store):
    duty = login(console, "duty")
    fid = finding_id(store, "evil")
    for path in ("/", "/findings", f"/findings/{fid}", "/targets", "/targets/evil"):
        html = duty.get(path).text
        assert "<img src=x" not in html and "<script>alert" not in html and '<script>document' not in html
        assert 'href="javascript:' not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in duty.get("/targets").text
    detail = duty.get(f"/findings/{fid}").text
    assert "&lt;script&gt;document.title=" in detail
    assert 'sandbox=""' in detail


def test_pages_forbid_inline_script(console):
    duty = login(console, "duty")
    for path in ("/", "/findings", "/targets", "/alerts", "/login"):
        resp = duty.get(path)
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline'; img" not in csp.split("script-src")[1][:30]
        assert "frame-ancestors 'none'" in csp and resp.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", resp.text.replace('type="application/json"', "src=")), path


def test_snapshot_frame_is_sandboxed_and_masked_for_offices(console, store):
    raw = "<html><body><script>alert(1)</script>身份证 110105194912310021</body></html>".encode("utf-8")
    key = store.put_snapshot(raw)
    fid = finding_id(store, "county-site")
    store.update_finding(fid, evidence={"snapshot": key})
    duty = login(console, "duty")
    snap = duty.get(f"/findings/{fid}/snapshot")
    assert snap.headers["content-security-policy"].startswith("sandbox;")
    assert "110105194912310021" in snap.text
    county = login(console, "county")
    assert "110105194912310021" not in county.get(f"/findings/{fid}/snapshot").text
    assert "110105194912310021" in county.get(f"/findings/{fid}/snapshot?reveal=1").text


def test_personal_numbers_masked_for_offices_unless_revealed(console, store):
    fid = finding_id(store, "county-site")
    county = login(console, "county")
    api = county.get(f"/api/findings/{fid}").json()
    assert api["match"] == "110105********0021" and "138****5678" in api["snippet"] and api["masked"]
    assert "110105194912310021" not in county.get(f"/findings/{fid}").text
    assert not [e for e in store.list_audit() if e["action"] == "reveal"]
    assert "110105194912310021" in county.get(f"/findings/{fid}?reveal=1").text
    assert county.get(f"/api/findings/{fid}?reveal=1").json()["match"] == "110105194912310021"
    reveals = [e for e in store.list_audit() if e["action"] == "reveal"]
    assert [(e["user"], e["finding_id"]) for e in reveals] == [("county", fid)] * 2
    duty = login(console, "duty")
    assert duty.get(f"/api/findings/{fid}").json()["match"] == "110105194912310021"


def test_mask_personal():
    assert mask_personal("身份证11010519491231002X，电话13812345678。") == "身份证110105********002X，电话138****5678。"
    assert mask_personal("编号 1234567890123456789012") == "编号 1234567890123456789012"  # longer runs untouched
    assert mask_personal("") == ""


def test_api_filters_and_pages(console, store):
    admin = login(console, "admin")
    body = admin.get("/api/findings", params={"severity": "veto"}).json()
    assert body["total"] == 1 and body["items"][0]["target_name"] == HOSTILE_NAME
    item = body["items"][0]
    assert {"id", "target_id", "rule", "severity", "status"} <= set(item)
    page = admin.get("/api/findings", params={"per_page": 2, "page": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    newest = admin.get("/api/findings", params={"per_page": 1}).json()["items"][0]
    assert newest["target_id"] == "county-site"  # newest first
    assert admin.get("/api/findings", params={"unit": "示范县政府办"}).json()["total"] == 2
    assert admin.get("/api/findings", params={"platform": "website"}).json()["total"] == 3
    assert admin.get("/api/findings", params={"platform": "wechat"}).json()["total"] == 0
    assert admin.get("/api/findings", params={"rule": "privacy."}).json()["total"] == 1
    assert admin.get("/api/findings", params={"status": "unfinished"}).json()["total"] == 3
    assert admin.get("/api/findings", params={"status": "nope"}).status_code == 400
    summary = admin.get("/api/summary").json()
    assert summary["down"] == 1 and summary["open_veto"] == 1 and summary["overdue"] == 1
    assert admin.get("/api/targets/evil").json()["name"] == HOSTILE_NAME


def test_console_follows_a_changed_deadline_table(store, tmp_path):
    """The console starts with stored deadlines in step with ``deadlines_days``: the duty page's
    overdue count and the deadline shown move together."""
    fill(store)
    admin = login(create_app(console_settings(tmp_path), store), "admin")  # records the table in force
    assert admin.get("/api/summary").json()["overdue"] == 1
    settings = console_settings(tmp_path)
    settings.data["deadlines_days"] = {**settings.data["deadlines_days"], "medium": 10}
    admin = login(create_app(settings, store), "admin")
    assert admin.get("/api/summary").json()["overdue"] == 0
    late = finding_id(store, "other-site")
    shown = admin.get(f"/api/findings/{late}").json()
    assert shown["overdue"] is False
    assert shown["deadline"] == (store.get_finding(late).first_seen_at + timedelta(days=10)).isoformat()


def test_roles_guard_admin_pages(console):
    county = login(console, "county")
    assert county.get("/alerts").status_code == 403
    assert county.get("/audit").status_code == 403
    duty = login(console, "duty")
    assert duty.get("/alerts").status_code == 200 and duty.get("/audit").status_code == 403
    assert login(console, "admin").get("/audit").status_code == 200


def test_release_held_alerts_is_recorded(console, store):
    store.enqueue_alerts([Alert(dedup_key="k1", channel="email", to="a@example.gov.cn", subject="问题提醒",
                                body="正文", status="held")])
    duty = login(console, "duty")
    assert "问题提醒" in duty.get("/alerts").text
    alert_id = store.list_alerts(status="held")[0].id
    resp = duty.post("/alerts/release", data={"ids": [alert_id], "csrf": duty.csrf})
    assert resp.status_code == 303 and "released=1" in resp.headers["location"]
    assert store.list_alerts(status="held") == [] and store.list_alerts(status="pending")[0].id == alert_id
    assert [e["user"] for e in store.list_audit() if e["action"] == "release"] == ["duty"]
    assert store.list_alert_log()[0]["by"] == "duty"


def test_logout_ends_the_session_and_disabling_a_user_too(console, store):
    duty = login(console, "duty")
    assert duty.post("/logout", data={"csrf": duty.csrf}).status_code == 303
    assert duty.get("/api/summary").status_code == 401
    county = login(console, "county")
    main(["users", "disable", "county"])
    assert county.get("/api/summary").status_code == 401


def test_sessions_expire(store, tmp_path):
    import hashlib
    fill(store)
    app = create_app(console_settings(tmp_path), store)
    duty = login(app, "duty")
    sid = hashlib.sha256(duty.cookies.get("gw_session").encode()).hexdigest()
    assert store.get_session(sid)["user"] == "duty"  # the store keeps a hash, never the cookie itself
    store.extend_session(sid, now() - timedelta(seconds=1))  # as time passing would
    assert duty.get("/api/summary").status_code == 401
    assert duty.get("/").headers["location"].startswith("/login")


def test_login_is_throttled_after_repeated_failures(store, tmp_path):
    fill(store)
    app = create_app(console_settings(tmp_path, login_max_failures=3), store)
    c = TestClient(app, follow_redirects=False)
    for _ in range(3):
        assert c.post("/login", data={"name": "duty", "password": "nope-nope", "csrf": csrf_of(c.get("/login").text)}
                      ).status_code == 401
    right = c.post("/login", data={"name": "duty", "password": PASSWORDS["duty"], "csrf": csrf_of(c.get("/login").text)})
    assert right.status_code == 429 and "分钟后再试" in right.text
    assert "login_throttled" in [e["action"] for e in store.list_audit(user="duty")]


def test_throttle_window_passes():
    clock = [0.0]
    t = LoginThrottle(2, 60, clock=lambda: clock[0])
    t.failed("a")
    assert t.wait_seconds("a") == 0
    t.failed("a")
    assert t.wait_seconds("a") == 60
    clock[0] = 59
    assert t.wait_seconds("a", "b") == pytest.approx(1)
    clock[0] = 60
    assert t.wait_seconds("a") == 0


def test_unknown_host_header_is_refused(console):
    c = TestClient(console, base_url="http://attacker.example")
    assert c.get("/login").status_code == 400
    assert TestClient(console, base_url="http://127.0.0.1:8080").get("/login").status_code == 200


def test_open_redirect_after_login_is_refused(console):
    c = TestClient(console, follow_redirects=False)
    page = c.get("/login?next=//evil.example/")
    resp = c.post("/login", data={"name": "duty", "password": PASSWORDS["duty"], "csrf": csrf_of(page.text),
                                  "next": "//evil.example/"})
    assert resp.headers["location"] == "/"


def test_users_and_scope_rules(store):
    fill(store)
    with pytest.raises(UserError):
        add_user(store, "x", "office", "long-enough-1")  # an office needs a unit
    with pytest.raises(UserError):
        add_user(store, "y", "duty", "short")
    with pytest.raises(UserError):
        add_user(store, "duty", "duty", "long-enough-1")
    targets = store.list_targets()
    assert units_below(targets, ["示范县政府办"]) == {"示范县政府办", "示范县教育局"}
    assert visible_target_ids(store, store.get_user("duty")) is None
    assert visible_target_ids(store, store.get_user("other")) == {"other-site"}
    cyclic = [Target(id="a", name="a", owner="甲", parent="乙"), Target(id="b", name="b", owner="乙", parent="甲")]
    assert units_below(cyclic, ["甲"]) == {"甲", "乙"}


def test_users_command(tmp_path, monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("first-admin-pass\n"))
    assert main(["users", "add", "管理员", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("office-pass-123\n"))
    assert main(["users", "add", "县办", "--role", "office", "--owner", "示范县政府办", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["users", "add", "短", "--role", "duty", "--password-stdin"]) == 2
    assert main(["users", "disable", "县办"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("new-password-1\n"))
    assert main(["users", "passwd", "管理员", "--password-stdin"]) == 0
    assert main(["users", "passwd", "无此人", "--password-stdin"]) == 2
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "管理员" in out and "县办" in out and "示范县政府办" in out and "已停用" in out
    from govwatch.console.users import authenticate
    from govwatch.store import open_store
    store = open_store()
    assert authenticate(store, "管理员", "new-password-1")["role"] == "admin"
    assert authenticate(store, "管理员", "first-admin-pass") is None
    assert authenticate(store, "县办", "office-pass-123") is None  # disabled
    assert "argon2id" in store.get_user("管理员")["password_hash"]


def test_admin_imports_a_registry_all_or_nothing_and_views_settings(console, store):
    from pathlib import Path
    admin = login(console, "admin")
    page = admin.get("/registry")
    assert page.status_code == 200 and "当前设置" in page.text
    good = Path(__file__).resolve().parents[1] / "examples" / "targets.csv"
    lines = good.read_text(encoding="utf-8-sig").splitlines()
    bad = "\n".join([lines[0], lines[1], lines[2].replace(",网站,", ",无此平台,", 1)]) + "\n"
    before = len(store.list_targets())
    resp = admin.post("/registry", data={"csrf": admin.csrf},
                      files={"file": ("名录.csv", bad.encode("utf-8"), "text/csv")})
    assert resp.status_code == 400 and "第3行" in resp.text and "无此平台" in resp.text and "未导入任何记录" in resp.text
    assert len(store.list_targets()) == before
    resp = admin.post("/registry", data={"csrf": admin.csrf},
                      files={"file": ("名录.csv", good.read_bytes(), "text/csv")})
    assert resp.status_code == 200 and "已导入" in resp.text
    assert len(store.list_targets()) > before
    assert [e["file"] for e in store.list_audit() if e["action"] == "registry_import"] == ["名录.csv"]
    assert admin.post("/registry", files={"file": ("名录.csv", good.read_bytes(), "text/csv")}).status_code == 403
    assert login(console, "duty").get("/registry").status_code == 403


def test_settings_view_hides_credentials(store, tmp_path):
    fill(store)
    settings = console_settings(tmp_path)
    settings.data["smtp"]["password"] = "very-secret-smtp"
    app = create_app(settings, store)
    text = login(app, "admin").get("/registry").text
    assert "very-secret-smtp" not in text and "（已隐藏）" in text


def test_stats_page_counts_within_scope(console, store):
    store.upsert_findings([Finding(target_id="dept-wx", rule="account.zombie", category="僵尸账号", severity="high",
                                   match="超过一年未更新")], at=now())
    admin = login(console, "admin").get("/stats").text
    assert "近 12 个月新发现问题 4 条" in admin and "邻县政府办" in admin and "僵尸账号" in admin
    assert re.search(r"<td>僵尸账号</td><td>1</td><td>0</td><td>\+1</td>", admin)
    county = login(console, "county").get("/stats").text
    assert "近 12 个月新发现问题 3 条" in county and "邻县政府办" not in county


def test_duty_acknowledges_a_down_site(console, store):
    duty = login(console, "duty")
    assert "确认已知晓" in duty.get("/").text
    assert duty.post("/targets/other-site/ack", data={}).status_code == 403  # no token
    assert duty.post("/targets/other-site/ack", data={"csrf": duty.csrf}).status_code == 303
    assert duty.post("/targets/county-site/ack", data={"csrf": duty.csrf}).status_code == 409  # not down
    page = duty.get("/").text
    assert "duty 已确认" in page and "确认已知晓" not in page
    county = login(console, "county")
    assert county.post("/targets/other-site/ack", data={"csrf": county.csrf}).status_code == 403


def test_console_command_serves_and_warns_beyond_localhost(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    from govwatch.commands.console import exposure_warning
    assert exposure_warning("127.0.0.1") == "" and exposure_warning("localhost") == ""
    assert "警告" in exposure_warning("0.0.0.0") and "nginx" in exposure_warning("192.168.1.5")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "govwatch", "console", "--port", str(port)], cwd=tmp_path,
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                resp = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.2)
        assert resp.status_code == 200 and "登录" in resp.text
        assert requests.get(f"http://127.0.0.1:{port}/login", headers={"Host": "evil.example"},
                            timeout=5).status_code == 400
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "值班台已启动" in out and "还没有任何用户" in err


def test_coded_matches_and_uncategorised_rules_read_in_chinese(console, store):
    """A down site's finding records the code "down"; the duty officer reads words, in pages and API."""
    store.upsert_findings([Finding(target_id="other-site", rule="site.down_now", category="", severity="high",
                                   url="http://other.gov.cn/", match="down", first_seen_at=now())])
    duty = login(console, "duty")
    items = [f for f in duty.get("/api/findings").json()["items"] if f["rule"] == "site.down_now"]
    assert items and items[0]["match"] == "网站当前无法访问" and items[0]["category"] == rules.label("site.down_now")
    page = duty.get("/findings").text
    assert "网站当前无法访问" in page and ">down<" not in page


def test_duty_page_shows_the_active_sensitive_period(console, store):
    from datetime import datetime

    from govwatch.models import TZ
    from govwatch.periods import make_period

    client = login(console, "duty")
    assert "敏感时期" not in client.get("/").text
    today = datetime.now(TZ).date()
    store.put_period(make_period("往年两会", "2020-03-03", "2020-03-12").to_dict())
    store.put_period(make_period("<b>抗洪</b>", today.isoformat(), (today + timedelta(days=2)).isoformat()).to_dict())
    page = client.get("/").text
    assert f"敏感时期：&lt;b&gt;抗洪&lt;/b&gt;（{today.isoformat()}至{(today + timedelta(days=2)).isoformat()}）" in page
    assert "<b>抗洪</b>" not in page and "往年两会" not in page
