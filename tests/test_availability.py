"""Availability: probe against a real local HTTP server, and the pure judgment over checks."""
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import respond, serve_http, stop_http
from crawler.probe import probe_targets
from govwatch.models import UTC, Check, Target
from scanner.availability import judge_availability

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def checks(pattern: str, start=T0, step=timedelta(minutes=30)):
    return [Check("s", "http://x/", start + step * i, ch == "o", 200 if ch == "o" else None, 100,
                  "" if ch == "o" else "访问超时") for i, ch in enumerate(pattern)]


def rules(hits):
    return sorted(h.rule for h in hits)


def test_three_consecutive_failures_mean_down():
    hits, down = judge_availability("http://x/", checks("ooxx"), T0 + timedelta(hours=2))
    assert not down and rules(hits) == []
    hits, down = judge_availability("http://x/", checks("ooxxx"), T0 + timedelta(hours=3))
    assert down and rules(hits) == ["site.down_now"]
    assert hits[0].severity == "high" and "连续 3 次" in hits[0].detail


def test_recovery_clears_down():
    hits, down = judge_availability("http://x/", checks("xxxo"), T0 + timedelta(hours=2))
    assert not down and rules(hits) == []


def test_weekly_unreachable_share_at_the_national_threshold():
    # 7 days x 48 probes = 336; 5% is 16.8 → 17 failures reach the threshold, 16 do not
    week_start = T0 - timedelta(days=7) + timedelta(minutes=1)
    ok16 = "x" * 16 + "o" * 320
    ok17 = "x" * 17 + "o" * 319
    hits, _ = judge_availability("http://x/", checks(ok16, start=week_start), T0 + timedelta(days=0))
    assert "site.unreachable" not in rules(hits)
    hits, _ = judge_availability("http://x/", checks(ok17, start=week_start), T0)
    assert "site.unreachable" in rules(hits)
    assert [h.severity for h in hits if h.rule == "site.unreachable"] == ["veto"]


def test_too_few_probes_judge_nothing_weekly():
    hits, _ = judge_availability("http://x/", checks("x" + "o" * 5), T0 + timedelta(hours=3))
    assert "site.unreachable" not in rules(hits)


def test_tls_expiry():
    cs = checks("o")
    cs[0].tls_expires_at = T0 + timedelta(days=10)
    hits, _ = judge_availability("https://x/", cs, T0)
    assert [(h.rule, h.severity) for h in hits] == [("site.tls_expiring", "medium")]
    cs[0].tls_expires_at = T0 - timedelta(days=1)
    hits, _ = judge_availability("https://x/", cs, T0)
    assert [(h.rule, h.severity) for h in hits] == [("site.tls_expiring", "high")]
    cs[0].tls_expires_at = T0 + timedelta(days=60)
    assert judge_availability("https://x/", cs, T0)[0] == []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        code = 500 if self.path.startswith("/broken") else 200
        respond(self, code, "<html><body>首页</body></html>".encode(), "text/html; charset=utf-8")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = serve_http(Handler)
    yield srv.base
    stop_http(srv)


def test_probe_records_every_outcome(server):
    free = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    dead_port = free.server_address[1]
    free.server_close()
    targets = [Target(id="ok", name="正常", url=f"{server}/"),
               Target(id="err", name="出错", url=f"{server}/broken"),
               Target(id="slow", name="超时", url=f"{server}/slow"),
               Target(id="dead", name="关停", url=f"http://127.0.0.1:{dead_port}/"),
               Target(id="wx", name="公众号", platform="wechat", url=f"{server}/")]
    got = {c.target_id: c for c in probe_targets(targets, timeout=0.5)}
    assert set(got) == {"ok", "err", "slow", "dead"}  # accounts are not probed
    assert got["ok"].ok and got["ok"].http_status == 200
    assert not got["err"].ok and got["err"].error == "HTTP 500"
    assert not got["slow"].ok and "超时" in got["slow"].error
    assert not got["dead"].ok and got["dead"].http_status is None


# ---------------------------------------------------------------- certificates (issue 20)

def _cert(tmp_path, days_left: int):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now_ = datetime.now(UTC).replace(microsecond=0)
    expires = now_ + timedelta(days=days_left)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now_ - timedelta(days=400))
            .not_valid_after(expires)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / f"cert{days_left}.pem", tmp_path / f"key{days_left}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, expires, cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def https_server(tmp_path):
    import ssl

    servers = []

    def start(days_left: int):
        cert, key, expires, _ = _cert(tmp_path, days_left)
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"https://127.0.0.1:{srv.server_address[1]}/", expires

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_certificate_dates_are_read_from_der(tmp_path):
    from crawler.certs import CertError, not_after

    for days in (-3, 30, 20000):  # 20000 days: a GeneralizedTime after 2049
        _, _, expires, der = _cert(tmp_path, days)
        assert not_after(der) == expires
    for bad in (b"", b"\x30\x82\xff\xff", b"\x02\x01\x00", der[:40]):
        with pytest.raises(CertError):
            not_after(bad)


def test_an_expired_certificate_is_reported_as_expired_with_its_date(https_server):
    from govwatch.models import fmt_local

    url, expires = https_server(-3)
    # verified (the default): the probe fails, and says why with the date, at the first probe
    check = probe_targets([Target(id="s", name="示范", url=url)], timeout=3)[0]
    assert not check.ok and check.tls_expires_at == expires
    assert check.error == f"证书已过期（{fmt_local(expires)} 过期）"
    hits, down = judge_availability(url, [check], check.at)
    assert not down and [(h.rule, h.category, h.severity) for h in hits] == [("site.tls_expiring", "证书已过期", "high")]
    assert fmt_local(expires) in hits[0].detail and "已过期" in hits[0].detail
    # verify_tls false: the page answers, and the expiry is still read
    check = probe_targets([Target(id="s", name="示范", url=url, crawl={"verify_tls": False})], timeout=3)[0]
    assert check.ok and check.tls_expires_at == expires
    assert [h.category for h in judge_availability(url, [check], check.at)[0]] == ["证书已过期"]


def test_a_valid_certificate_with_verification_off_is_read_but_not_reported(https_server):
    url, expires = https_server(90)
    check = probe_targets([Target(id="s", name="示范", url=url, crawl={"verify_tls": False})], timeout=3)[0]
    assert check.ok and check.tls_expires_at == expires
    assert judge_availability(url, [check], check.at)[0] == []
    url, expires = https_server(10)  # within tls_expiring_days: 即将过期, not 已过期
    check = probe_targets([Target(id="s", name="示范", url=url, crawl={"verify_tls": False})], timeout=3)[0]
    assert [(h.category, h.severity) for h in judge_availability(url, [check], check.at)[0]] == [("证书即将过期", "medium")]
    # a self-signed but current certificate, verified: a TLS error, not an expiry
    check = probe_targets([Target(id="s", name="示范", url=url)], timeout=3)[0]
    assert not check.ok and check.error.startswith("证书或 TLS 错误")
