"""Network failures reach people in Chinese: one reason, never the library's English text."""
import socket

import pytest

from crawler.neterrors import network_reason

CASES = [
    ("HTTPSConnectionPool(host='a.gov.cn', port=443): Max retries exceeded with url: / (Caused by "
     "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
     "certificate has expired (_ssl.c:1006)')))", "证书已过期"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate", "自签名"),
    ("hostname 'a.gov.cn' doesn't match 'b.gov.cn'", "域名不符"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", "证书链"),
    ("HTTPConnectionPool(host='x', port=80): Max retries exceeded (Caused by NameResolutionError("
     "\"Failed to resolve 'x' ([Errno -2] Name or service not known)\"))", "域名解析失败"),
    ("[Errno 111] Connection refused", "连接被拒绝"),
    ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", "重置"),
    ("[Errno 113] No route to host", "无法到达"),
    ("Read timed out. (read timeout=15)", "访问超时"),
    ("something nobody has seen before", "网络错误"),
]


@pytest.mark.parametrize("text, reason", CASES)
def test_reasons_are_chinese_and_hide_the_english(text, reason):
    said = network_reason(text)
    assert reason in said
    assert not any(ch.isascii() and ch.isalpha() for ch in said), said


def test_a_probe_of_a_closed_port_says_why_in_chinese():
    from datetime import UTC, datetime

    from crawler.probe import probe_one
    from govwatch.models import Target

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    target = Target(id="t", name="示范", platform="website", url=f"http://127.0.0.1:{port}/")
    check = probe_one(target, 5, "govwatch-test", datetime.now(UTC))
    assert not check.ok and "连接被拒绝" in check.error and "Errno" not in check.error, check.error
