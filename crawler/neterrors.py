"""Network and TLS failures in the words an office understands.

Exception texts from urllib3, OpenSSL and Twisted are English and technical
("HTTPSConnectionPool(host=…): Max retries exceeded … [SSL: CERTIFICATE_VERIFY_FAILED] …"). People see
one Chinese reason; the original text goes to the log for whoever debugs it.
"""
from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# (pattern over the lower-cased exception text, Chinese reason), most specific first
_REASONS = (
    (r"certificate has expired|certificate expired", "证书已过期"),
    (r"self[- ]signed certificate", "证书为自签名证书，不受信任"),
    (r"hostname mismatch|doesn't match|does not match|not valid for", "证书与网站域名不符"),
    (r"unable to get local issuer|unable to verify the first certificate|certificate chain",
     "证书链不完整（缺少中间证书）或签发机构不受信任"),
    (r"certificate verify failed|certificate_verify_failed", "证书校验失败"),
    (r"wrong version number|unsupported protocol|tlsv1 alert|handshake failure|sslv3 alert|ssl", "TLS 握手失败"),
    (r"name or service not known|nodename nor servname|getaddrinfo failed|temporary failure in name resolution|"
     r"no address associated|dns", "域名解析失败"),
    (r"connection refused", "连接被拒绝（服务器未在该端口提供服务）"),
    (r"connection reset|reset by peer", "连接被服务器重置"),
    (r"no route to host|network is unreachable|host is unreachable", "无法到达服务器（网络不可达）"),
    (r"timed out|timeout", "访问超时"),
    (r"too many redirects|exceeded \d+ redirects", "重定向次数过多"),
    (r"remote end closed|connection aborted|connection lost|incomplete read|chunkedencodingerror|"
     r"responsefailed|dataloss", "连接中断（服务器提前关闭了连接）"),
    (r"max retries exceeded", "多次尝试后仍无法连接"),
)
_COMPILED = tuple((re.compile(p), reason) for p, reason in _REASONS)


def network_reason(error: BaseException | str, prefix: str = "") -> str:
    """One Chinese reason for a failed request; the English original is logged, never shown."""
    text = str(error)
    low = text.lower()[:2000]
    for pattern, reason in _COMPILED:
        if pattern.search(low):
            break
    else:
        reason = "网络错误（详见采集日志）"
    log.info("network failure (%s): %s", reason, text[:500])
    return f"{prefix}{reason}"
