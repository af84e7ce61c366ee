"""Fetch only http(s), never an internal address the registry does not justify: the address policy
(crawler/netguard.py) and every fetch path that uses it (crawl, attachments, link checks, accounts,
recheck, probe)."""
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.hostile_site import SECRET, HostileSite, Internal

from crawler.netguard import AddressPolicy, RefusedURL, guarded_session, is_internal
from govwatch.models import Target

ROOT = Path(__file__).resolve().parents[1]
ENV_MARKER = "ENVIRON-LEAK-91c2"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)


def fake_resolver(table):
    return lambda host: table.get(host, [])


# --------------------------------------------------------------------------- the policy itself

@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.9", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1",
                                     "fc00::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1", "not-an-ip"])
def test_internal_addresses(address):
    assert is_internal(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "202.108.22.5", "2400:3200::1"])
def test_public_addresses(address):
    assert not is_internal(address)


def test_a_public_looking_name_resolving_to_loopback_is_refused():
    resolve = fake_resolver({"www.gov.example": ["8.8.4.4"],
                             "evil.example": ["127.0.0.1"], "mixed.example": ["8.8.8.8", "10.0.0.7"]})
    registry = [Target(id="t", name="t", url="http://www.gov.example/")]
    policy = AddressPolicy.for_targets(registry, resolver=resolve)
    assert policy.trusted == set()
    assert policy.check_url("http://www.gov.example/a.html") == ["8.8.4.4"]
    for url in ("http://evil.example/admin", "http://mixed.example/", "http://127.0.0.1:8080/",
                "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://2130706433/"):
        with pytest.raises(RefusedURL):
            policy.check_url(url)
    for url in ("file:///proc/self/environ", "ftp://x.example/a", "data:text/plain,hi", "s3://b/k",
                "gopher://127.0.0.1/"):
        with pytest.raises(RefusedURL, match="http/https"):
            policy.check_url(url)


def test_a_registry_entry_on_an_internal_address_trusts_that_address_only():
    resolve = fake_resolver({"intranet.gov": ["10.20.0.5"]})
    registry = [Target(id="a", name="a", url="http://127.0.0.1:8000/s/site-01/"),
                Target(id="b", name="b", url="http://intranet.gov/")]
    policy = AddressPolicy.for_targets(registry, resolver=resolve)
    assert policy.trusted == {"127.0.0.1", "10.20.0.5"}
    policy.check_url("http://127.0.0.1:9999/other")
    policy.check_url("http://intranet.gov/x")
    with pytest.raises(RefusedURL):
        policy.check_url("http://10.20.0.6/")
    widened = AddressPolicy.for_targets([], resolver=resolve, extra=["intranet.gov"])
    assert widened.trusted == {"10.20.0.5"}


# --------------------------------------------------------------------------- requests-based paths

@pytest.fixture
def hostile():
    with Internal() as internal, HostileSite(internal.url) as site:
        yield site, internal


def _settings():
    from govwatch.settings import load_settings

    return load_settings(env={})


def _paths(site):
    """Every requests-based fetch path, as (name, fetch(url) -> (refused?, error text))."""
    from crawler.accounts import Http
    from crawler.probe import _Sessions, probe_one
    from govwatch.recheck import Fetcher

    settings = _settings()
    target = Target.from_dict(site.target())
    policy = AddressPolicy.for_targets([target])

    http = Http(settings.crawl, policy)

    def accounts(url):
        got = http.get(url)
        return got.error_kind == "refused", got.error

    fetcher = Fetcher(settings, policy=policy)

    def recheck(url):
        got = fetcher.get(url, target)
        return got.error_kind == "refused", got.error

    def probe(url):
        check = probe_one(Target(id="p", name="p", url=url), 5, "govwatch-test",
                          sessions=_Sessions(policy, "govwatch-test"))
        return (not check.ok and "拒绝访问" in check.error), check.error

    def extract(url):
        from govwatch.commands.extract import _read_input

        if not url.startswith(("http://", "https://")):
            return True, "拒绝访问：不是 http/https 网址"  # a path, read as a local file by design
        try:
            _read_input(url)
        except OSError as exc:
            return "拒绝访问" in str(exc), str(exc)
        return False, ""

    return {"accounts": accounts, "recheck": recheck, "probe": probe, "extract": extract}


@pytest.mark.parametrize("path", ["accounts", "recheck", "probe", "extract"])
def test_every_requests_path_refuses_file_urls_and_internal_redirects(hostile, path):
    site, internal = hostile
    get = _paths(site)[path]
    urls = ["file:///proc/self/environ", "file:///etc/hostname", site.url + "go-admin", site.url + "news/a2.html"]
    if path != "extract":  # `govwatch extract URL` trusts the host its user typed, as a registry entry
        urls.append(internal.url + "/admin/")
    for url in urls:
        refused, error = get(url)
        assert refused, (url, error)
        assert "拒绝访问" in error
    assert internal.hits == []
    refused, error = get(site.url)  # the registry entry itself is fetched normally
    assert not refused and not error


def test_a_guarded_session_checks_every_redirect_hop(hostile):
    import requests

    from crawler.netguard import RefusedRequest

    site, internal = hostile
    session = guarded_session(AddressPolicy(["127.0.0.2"]))
    assert session.get(site.url, timeout=5).status_code == 200
    with pytest.raises(RefusedRequest):
        session.get(site.url + "news/a2.html", timeout=5)
    with pytest.raises(requests.exceptions.InvalidSchema):
        session.get("file:///proc/self/environ")
    assert internal.hits == []


# --------------------------------------------------------------------------- the Scrapy crawl

def _crawl(tmp_path, *extra, env=None):
    env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}", GOVWATCH_VAR_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT), GOVWATCH_TEST_LEAK=ENV_MARKER, **(env or {}))
    return subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites", *extra],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def _store(tmp_path):
    from govwatch.store.sqlite import SqliteStore

    return SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")


def test_the_crawl_reads_no_local_file_and_no_internal_address(tmp_path, hostile):
    site, internal = hostile
    store = _store(tmp_path)
    store.upsert_targets([Target.from_dict(site.target())])
    store.close()
    proc = _crawl(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ENV_MARKER not in proc.stdout + proc.stderr
    store = _store(tmp_path)
    items = list(store.iter_items(target_id="hostile"))
    urls = {i.url for i in items}
    assert site.url + "news/a1.html" in urls
    assert site.url + "files/list.txt" in urls  # an attachment on the site's own host is read
    assert all(u.startswith(site.url) for u in urls), urls
    for item in items:
        assert ENV_MARKER not in item.text and SECRET not in item.text
    # nothing from the environment or the admin page in any snapshot or finding
    for path in (tmp_path / "snapshots").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            try:
                raw = gzip.decompress(raw)
            except OSError:
                pass
            assert ENV_MARKER.encode() not in raw and SECRET.encode() not in raw, path
    for f in store.list_findings():
        assert ENV_MARKER not in f.snippet + f.match and SECRET not in f.snippet + f.match
    assert internal.hits == [], internal.hits
    target = store.get_target("hostile")
    refused = [e for e in target.crawl_errors if e["kind"] == "refused"]
    assert {e["url"] for e in refused} >= {"file:///proc/self/environ", internal.url + "/files/secret.txt",
                                           internal.url + "/admin/secret.html"}
    named = internal.url.replace("127.0.0.1", "localhost")
    assert named + "/admin/by-name.html" in {e["url"] for e in refused}, target.crawl_errors  # by the resolver
    # the refused link checks are no dead-link findings (nothing is known about them)
    dead = [f for f in store.list_findings() if f.rule == "site.dead_link"]
    assert all("go-admin" not in f.match and internal.url not in f.match and "localhost" not in f.match
               for f in dead), dead
    store.close()
    # the exported evidence package carries nothing local either
    out = tmp_path / "export"
    env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}", GOVWATCH_VAR_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "govwatch", "export", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    exported = [p for p in out.rglob("*") if p.is_file()]
    assert exported, proc.stdout
    for path in exported:
        for name, raw in _contents(path):
            assert ENV_MARKER.encode() not in raw and SECRET.encode() not in raw, (path, name)


def _contents(path):
    """(name, bytes) of a file, of every member of a zip (xlsx included), gzip undone."""
    import zipfile

    raw = path.read_bytes()
    members = [(path.name, raw)]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            members = [(n, zf.read(n)) for n in zf.namelist()]
    out = []
    for name, data in members:
        try:
            data = gzip.decompress(data)
        except OSError:
            pass
        out.append((name, data))
    return out


def test_attachments_only_from_own_and_listed_hosts(tmp_path):
    """An attachment on another (public-looking) host is refused unless the registry lists it."""
    from crawler.spiders.site import SiteSpider
    from govwatch.models import Column

    t = Target(id="t", name="t", url="http://www.a.gov.cn/", columns=[Column(name="c", url="http://c.a.gov.cn/l/")],
               crawl={"attachment_hosts": ["files.a.gov.cn"]})
    spider = SiteSpider(targets=[t])
    spider.settings = type("S", (), {"get": lambda self, k, d=None: {"attachment_hosts": ["cdn.example.com"]}})()
    assert spider._attachment_hosts(t) == {"www.a.gov.cn", "c.a.gov.cn", "files.a.gov.cn", "cdn.example.com"}


def test_a_configured_proxy_on_the_intranet_is_trusted(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://10.9.8.7:3128")
    policy = AddressPolicy.for_targets([Target(id="t", name="t", url="http://www.gov.example/")],
                                       resolver=fake_resolver({"www.gov.example": ["8.8.4.4"]}))
    assert policy.trusted == {"10.9.8.7"}


def test_collector_failure_messages_mask_feed_keys():
    from govwatch.alerts.compose import collector_message

    target = Target(id="a", name="某县发布", platform="wechat",
                    feed_url="http://rsshub.example.gov.cn/wechat/abc?key=TOPSECRETKEY123")
    msg = collector_message(target, 3, "http", "HTTP 403 http://rsshub.example.gov.cn/x?key=TOPSECRETKEY123", None)
    assert "TOPSECRETKEY123" not in msg.text + msg.html


def test_a_name_resolving_differently_at_connection_time_is_refused(hostile):
    """DNS rebinding: the check sees a trusted address, the connection goes to another one."""
    import socket

    from crawler.netguard import RefusedRequest

    site, internal = hostile
    port = internal.url.rsplit(":", 1)[1]
    # the policy's resolver says 127.0.0.2 (trusted: the registry entry is on it); the system
    # resolver, used by urllib3 to connect, says 127.0.0.1 for "localhost"
    policy = AddressPolicy(["127.0.0.2"], resolver=fake_resolver({"localhost": ["127.0.0.2"]}))
    session = guarded_session(policy)
    assert "127.0.0.1" in {a[4][0] for a in socket.getaddrinfo("localhost", None)}
    with pytest.raises(RefusedRequest, match="拒绝访问"):
        session.get(f"http://localhost:{port}/admin/", timeout=5)
    assert internal.hits == []


def test_another_targets_intranet_address_is_not_trusted_for_a_public_site(tmp_path, hostile):
    """A second registry entry sits on 127.0.0.1 (an intranet site): its address is trusted for its own
    crawl, not for the hostile site's redirects and links to it."""
    site, internal = hostile
    store = _store(tmp_path)
    store.upsert_targets([Target.from_dict(site.target()),
                          Target(id="intranet", name="内网门户", url=internal.url + "/",
                                 rules={"disabled": ["site.domain"]})])
    store.close()
    proc = _crawl(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "/" in internal.hits  # the intranet entry itself is crawled
    leaked = {"/admin/secret.html", "/files/secret.txt", "/home-link", "/admin/"}
    assert not leaked & set(internal.hits), internal.hits
    # by name ("localhost"), the connection reaches the trusted intranet address, but the answer is
    # refused for the hostile target: nothing of it is kept
    store = _store(tmp_path)
    assert all(SECRET not in i.text for i in store.iter_items(target_id="hostile")), [(i.url, i.title, i.text[:80]) for i in store.iter_items(target_id="hostile") if SECRET in i.text]
    store.close()
