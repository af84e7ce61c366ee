"""One bounded HTTP GET with requests, for the collectors that do not run inside Scrapy (accounts,
rectification recheck): timeout, size cap, TLS switch, and failures classified in Chinese.

Sessions come from ``crawler.netguard.guarded_session``: only http(s), and only addresses the
address policy allows, every redirect hop included. ``fetch`` refuses other schemes itself too, so
a plain session handed in by a caller still never reads ``file://``."""
from __future__ import annotations

from crawler.neterrors import network_reason

from dataclasses import dataclass, field

GONE_STATUSES = (404, 410)


@dataclass
class Fetched:
    """One HTTP answer, or why there was none (``error_kind``: network or http)."""
    url: str
    status: int | None = None
    body: bytes = b""
    headers: dict = field(default_factory=dict)  # lower-case names
    final_url: str = ""
    error_kind: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400 and not self.error_kind

    @property
    def gone(self) -> bool:
        return self.status in GONE_STATUSES

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).lower()


def header_value(value: str) -> str | bytes:
    """Header values go out as Latin-1; others (a Chinese User-Agent) as UTF-8 bytes, as Scrapy sends them."""
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8")


def fetch(session, url: str, *, timeout: float, max_bytes: int, verify: bool = True,
          headers: dict | None = None) -> Fetched:
    """GET ``url`` once; never raises for network trouble, and never reads past ``max_bytes``."""
    import requests

    from crawler.netguard import AddressPolicy, RefusedRequest, RefusedURL

    try:
        AddressPolicy().check_scheme(url)
    except RefusedURL as exc:
        return Fetched(url, None, error_kind="refused", error=str(exc))
    try:
        with session.get(url, headers={k: header_value(v) for k, v in (headers or {}).items()},
                         timeout=timeout, stream=True, verify=verify, allow_redirects=True) as resp:
            chunks, size = [], 0
            for chunk in resp.iter_content(65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    return Fetched(url, None, error_kind="http", error="页面超过大小上限")
            return Fetched(url, resp.status_code, b"".join(chunks),
                           {k.lower(): v for k, v in resp.headers.items()}, resp.url)
    except RefusedRequest as exc:
        return Fetched(url, None, error_kind="refused", error=str(exc))
    except requests.Timeout:
        return Fetched(url, None, error_kind="network", error="访问超时")
    except requests.exceptions.SSLError as exc:
        return Fetched(url, None, error_kind="network", error=network_reason(exc, "证书或 TLS 错误："))
    except requests.ConnectionError as exc:
        return Fetched(url, None, error_kind="network", error=network_reason(exc, "连接失败："))
    except requests.RequestException as exc:
        return Fetched(url, None, error_kind="network", error=network_reason(exc))
