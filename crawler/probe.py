"""Availability probe: one GET of each website's homepage, concurrent and bounded.

Every probe becomes a Check. The national indicator counts a probe as failed
when the homepage does not answer within 15 seconds or answers with an error.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlsplit

import requests

from crawler.neterrors import network_reason
from crawler.http import header_value
from crawler.netguard import ALLOWED_SCHEMES, AddressPolicy, RefusedRequest, guarded_session
from govwatch.models import Check, Target, fmt_local, now

READ_LIMIT = 256 * 1024  # enough to know the page answers; never read a huge body


class _Sessions:
    """Guarded sessions for probes (crawler.netguard: http(s) only, allowed addresses only)."""

    def __init__(self, policy: AddressPolicy, user_agent: str):
        self.policy, self.user_agent = policy, user_agent

    def get(self, target_id: str | None = None) -> requests.Session:
        """A session for one probe of ``target_id``: it trusts only what that target's entry is on
        (one request per target and round: nothing to reuse; the caller closes it)."""
        return guarded_session(self.policy.for_target(target_id), header_value(self.user_agent))


def tls_expiry(url: str, timeout: float) -> datetime | None:
    """When the site's certificate expires (https only), read whether or not it verifies."""
    from crawler.certs import peer_not_after

    return peer_not_after(url, timeout)


def probe_one(target: Target, timeout: float, user_agent: str, at: datetime | None = None,
              sessions: _Sessions | None = None) -> Check:
    at = at or now()
    sessions = sessions or _Sessions(AddressPolicy.for_targets([target]), user_agent)
    verify = target.crawl.get("verify_tls", True)
    t0 = time.monotonic()
    try:
        if urlsplit(target.url).scheme.lower() not in ALLOWED_SCHEMES:
            raise RefusedRequest(f"拒绝访问：只采集 http/https 链接（{target.url[:40]}）")
        with sessions.get(target.id) as session, session.get(target.url, timeout=timeout, verify=verify,
                                                             stream=True, allow_redirects=True) as resp:
            deadline = t0 + timeout
            read = 0
            for chunk in resp.iter_content(16384):
                read += len(chunk)
                if read >= READ_LIMIT or time.monotonic() > deadline:
                    break
            elapsed = int((time.monotonic() - t0) * 1000)
            ok = resp.status_code < 400 and elapsed <= timeout * 1000
            error = "" if ok else (f"HTTP {resp.status_code}" if resp.status_code >= 400 else "访问超时")
            expires = tls_expiry(resp.url, timeout)
            return Check(target.id, target.url, at, ok, resp.status_code, elapsed, error, expires)
    except RefusedRequest as exc:
        error = str(exc)
    except requests.exceptions.SSLError as exc:
        expires = tls_expiry(target.url, timeout)
        if expires is not None and expires <= at:
            error = f"证书已过期（{fmt_local(expires)} 过期）"
        else:
            error = network_reason(exc, "证书或 TLS 错误：")
        return Check(target.id, target.url, at, False, None, int((time.monotonic() - t0) * 1000), error, expires)
    except requests.exceptions.Timeout:
        error = "访问超时"
    except requests.exceptions.TooManyRedirects:
        error = "重定向次数过多"
    except requests.exceptions.ConnectionError as exc:
        error = network_reason(exc, "无法连接：")
    except requests.exceptions.RequestException as exc:
        error = network_reason(exc, "请求失败：")
    return Check(target.id, target.url, at, False, None, int((time.monotonic() - t0) * 1000), error)


def probe_targets(targets: list[Target], *, timeout: float = 15, workers: int = 16,
                  user_agent: str = "govwatch", at: datetime | None = None, on_done=None,
                  trusted_hosts=()) -> list[Check]:
    """Probe every website target concurrently (at most ``workers`` at once)."""
    sites = [t for t in targets if t.platform == "website" and t.url]
    at = at or now()
    sessions = _Sessions(AddressPolicy.for_targets(sites, extra=trusted_hosts), user_agent)
    checks: list[Check] = []
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(sites) or 1)))
    try:
        for check in pool.map(lambda t: probe_one(t, timeout, user_agent, at, sessions), sites):
            checks.append(check)
            if on_done:
                on_done(check)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # interrupted: probes not started never start
        raise
    pool.shutdown()
    return checks
