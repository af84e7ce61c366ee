"""Where govwatch may connect: the one address policy for every fetch path.

Crawled pages are hostile. A link, an attachment or a redirect may point at ``file:///proc/self/environ``,
at the machine's own admin ports (``http://127.0.0.1:…``) or at the intranet (``10.…``, ``169.254.169.254``).
The rules, enforced here and only here:

- only ``http`` and ``https`` URLs are fetched (Scrapy's file, s3, ftp and data handlers are off);
- no connection to a loopback, link-local, private, shared, multicast, unspecified or reserved address
  (anything Python's ``ipaddress`` does not call global), unless a registry entry itself is on that
  address (the site farm on 127.0.0.1, intranet deployments): ``AddressPolicy.for_targets``;
- every resolved address is checked, every redirect hop included.

Enforcement points, all built on ``AddressPolicy``:

- Scrapy crawls: ``GuardMiddleware`` (a downloader middleware; redirects are new requests and pass
  through it again) refuses other schemes and internal IP literals, and ``GuardedResolver`` (the
  reactor's DNS resolver) refuses host names resolving to internal addresses at connection time, so
  a name cannot be checked on one address and connected on another;
- requests-based paths (accounts, recheck, probe, extract): ``guarded_session`` mounts ``GuardAdapter``,
  which checks every request it sends, redirect hops included (requests sends each hop through the
  adapter), refuses any scheme other than http(s), and checks the peer address of every new
  connection (a name re-resolved to another address between check and connect is caught).
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

ALLOWED_SCHEMES = ("http", "https")
SETTING = "GOVWATCH_TRUSTED_ADDRESSES"  # Scrapy setting: the internal addresses registry entries are on
SETTING_BY_TARGET = "GOVWATCH_TRUSTED_BY_TARGET"  # target id -> the internal addresses its entry is on
SETTING_COMMON = "GOVWATCH_TRUSTED_COMMON"  # trusted for every target (crawl.trusted_hosts, proxies)
RESOLVE_WORKERS = 32  # concurrent lookups when trusting a registry's hosts

Resolver = Callable[[str], list[str]]


class RefusedURL(Exception):
    """A URL govwatch will not fetch (Chinese message)."""


def _system_resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def _ip(value: str):
    try:
        ip = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def proxy_hosts() -> set[str]:
    """Hosts of the HTTP proxies configured in the environment (http_proxy, https_proxy …)."""
    from urllib.request import getproxies

    return {host_of(url if "://" in url else f"http://{url}") for key, url in getproxies().items()
            if key in ("http", "https") and url} - {""}


def is_internal(address: str) -> bool:
    """True for any address that is not publicly routable (loopback, private, link-local, shared,
    reserved, multicast, unspecified …). Unparseable addresses count as internal."""
    ip = _ip(address)
    if ip is None:
        return True
    return not ip.is_global or ip.is_multicast or ip.is_unspecified


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class AddressPolicy:
    """Which URLs may be fetched. ``trusted``: internal addresses a registry entry is on.
    ``resolver(host) -> [address, …]`` is injectable (tests); the default is the system resolver."""

    def __init__(self, trusted: Iterable[str] = (), resolver: Resolver | None = None):
        self.trusted = {str(_ip(a)) for a in trusted if _ip(a) is not None}
        self.resolver = resolver or _system_resolve
        self.common: set[str] = set(self.trusted)  # trusted for every target
        self.by_target: dict[str, set[str]] = {}  # target id -> internal addresses its entry is on

    @classmethod
    def for_targets(cls, targets, resolver: Resolver | None = None, extra: Iterable[str] = ()) -> "AddressPolicy":
        """A policy trusting what the given registry entries are on (see ``trust``)."""
        return cls((), resolver).trust(targets, extra)

    def trust(self, targets, extra: Iterable[str] = ()) -> "AddressPolicy":
        """Trust the internal addresses that the registry's own entries are on (site URL, feed URL,
        column URLs, listed article URLs); ``extra`` adds addresses or host names (the
        ``crawl.trusted_hosts`` setting, for intranet mirrors). ``by_target`` keeps which target
        each address belongs to (``for_target``); ``common`` what every target may reach."""
        own: dict[str, set[str]] = {}
        for t in targets:
            urls = [getattr(t, "url", ""), getattr(t, "feed_url", "")]
            urls += [getattr(c, "url", "") for c in getattr(t, "columns", None) or []]
            listed = (getattr(t, "crawl", None) or {}).get("urls") or []
            urls += [u for u in listed if isinstance(u, str)]
            own[getattr(t, "id", "")] = {host_of(u) for u in urls if u} - {""}
        shared = {str(h).lower() for h in extra if h} | proxy_hosts()  # a proxy is usually on the intranet
        hosts = set().union(shared, *own.values())
        names = sorted(h for h in hosts if _ip(h) is None)
        # thousands of registry hosts: resolved concurrently, so a round does not wait on DNS one by one
        with ThreadPoolExecutor(max_workers=max(1, min(RESOLVE_WORKERS, len(names)))) as pool:
            resolved = dict(zip(names, pool.map(self.resolver, names)))

        def internal(host_set) -> set[str]:
            addresses = [a for h in host_set for a in ([h] if _ip(h) is not None else resolved.get(h, []))]
            return {str(_ip(a)) for a in addresses if _ip(a) is not None and is_internal(a)}

        self.common |= internal(shared)
        for target_id, host_set in own.items():
            self.by_target.setdefault(target_id, set()).update(internal(host_set))
        self.trusted |= self.common.union(*self.by_target.values())
        return self

    def for_target(self, target_id: str | None) -> "AddressPolicy":
        """The policy of one target's requests: only the internal addresses its own registry entry is
        on (and the shared ones); the whole policy when the target is unknown."""
        if not target_id or target_id not in self.by_target:
            return self
        narrow = AddressPolicy(self.common | self.by_target[target_id], self.resolver)
        return narrow

    # ------------------------------------------------------------------ checks
    def check_scheme(self, url: str) -> None:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            scheme = ""
        if scheme not in ALLOWED_SCHEMES:
            raise RefusedURL(f"拒绝访问：只采集 http/https 链接（{scheme or '无协议'}）")

    def check_address(self, address: str, host: str = "") -> None:
        ip = _ip(address)
        if ip is None or (is_internal(address) and str(ip) not in self.trusted):
            shown = f"{host}（{address}）" if host and host != address else address
            raise RefusedURL(f"拒绝访问内网或保留地址：{shown}")

    def literal_address(self, url: str) -> str | None:
        """The URL's host if it is an IP literal (checked without resolving), else None."""
        host = host_of(url)
        return str(_ip(host)) if _ip(host) is not None else None

    def check_url(self, url: str) -> list[str]:
        """Check scheme and every address the host resolves to; returns the addresses."""
        self.check_scheme(url)
        host = host_of(url)
        if not host:
            raise RefusedURL("拒绝访问：链接没有主机名")
        literal = self.literal_address(url)
        addresses = [literal] if literal else self.resolver(host)
        if not addresses:
            raise RefusedURL(f"域名解析失败：{host}")
        for address in addresses:
            self.check_address(address, host)
        return addresses


# ---------------------------------------------------------------------- requests

def guarded_session(policy: AddressPolicy, user_agent: str | bytes | None = None):
    """A requests Session that only fetches http(s) URLs the policy allows, every redirect hop included."""
    session = requests.Session()
    adapter = GuardAdapter(policy)
    # only http and https are mounted; requests raises InvalidSchema for anything else
    session.adapters.clear()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session


class _RefusedConnection(Exception):
    """Raised inside urllib3 when the socket is connected to a refused address (not an OSError, so
    urllib3 neither retries nor wraps it); GuardAdapter turns it into RefusedRequest."""


def _guarded_pool(pool_cls, policy: AddressPolicy):
    """A urllib3 pool class whose connections check the address the socket actually connected to
    (a name re-resolved by urllib3 to another address than the one checked is caught here)."""

    class Connection(pool_cls.ConnectionCls):
        def _new_conn(self):
            sock = super()._new_conn()
            try:
                peer = sock.getpeername()[0]
                policy.check_address(peer, self.host)
            except RefusedURL as exc:
                sock.close()
                raise _RefusedConnection(str(exc)) from None
            except OSError:
                pass  # no peer address (already closed): the request fails on its own
            return sock

    return type(f"Guarded{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": Connection})


class GuardAdapter(HTTPAdapter):
    """An HTTPAdapter that checks each request against the policy before sending it (scheme and every
    address the host resolves to) and each new connection's peer address. requests sends every
    redirect hop through the adapter, so redirects are checked too."""

    def __init__(self, policy: AddressPolicy, **kwargs):
        self.policy = policy  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _guarded_pool(HTTPConnectionPool, self.policy),
            "https": _guarded_pool(HTTPSConnectionPool, self.policy)}

    def send(self, request, *args, **kwargs):
        try:
            self.policy.check_url(request.url)
            return super().send(request, *args, **kwargs)
        except RefusedURL as exc:
            raise RefusedRequest(str(exc), request=request) from None
        except _RefusedConnection as exc:
            raise RefusedRequest(str(exc), request=request) from None


class RefusedRequest(requests.exceptions.InvalidURL):
    """requests' side of RefusedURL: an InvalidURL, so callers' RequestException handling sees it."""


# ---------------------------------------------------------------------- Scrapy

class RefusedAddress(IgnoreRequest):
    """Scrapy's side of RefusedURL: the request is dropped and its errback told why."""


class RefusedLookup(DNSLookupError):
    """A host name resolving to a refused address, as the reactor's resolver reports it."""


_REFUSED_NAMES: dict[str, str] = {}  # host name -> why the resolver refused it (this process)


def refused_failure(failure) -> str:
    """Why a Scrapy request failed by this policy, or "". Twisted reports a resolver's refusal only
    as "no results for hostname lookup", so names the resolver refused are remembered here."""
    if is_refusal(getattr(failure, "value", None)):
        value = failure.value
        while value is not None and "拒绝访问" not in str(value):
            value = value.__cause__ or value.__context__
        return str(value) if value is not None else "拒绝访问"
    request = getattr(failure, "request", None)
    return _REFUSED_NAMES.get(host_of(request.url), "") if request is not None else ""


def is_refusal(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it wraps: Scrapy re-raises Twisted's DNS errors as its own) is a
    refusal by this policy."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (RefusedURL, RefusedAddress, RefusedLookup, RefusedRequest)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class GuardMiddleware:
    """Downloader middleware: every request (redirect hops and robots.txt included) must be http(s),
    and an IP-literal host must be allowed; host names are checked by GuardedResolver on connection."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler):
        policy = AddressPolicy(crawler.settings.getlist(SETTING))
        by_target = crawler.settings.getdict(SETTING_BY_TARGET) or {}
        policy.common = set(crawler.settings.getlist(SETTING_COMMON) or [])
        policy.by_target = {k: set(v) for k, v in by_target.items()}
        return cls(policy)

    def process_request(self, request, spider=None):
        try:
            self.policy.check_scheme(request.url)
            literal = self.policy.literal_address(request.url)
            if literal:
                # an IP literal is checked against what this request's own target is on: a public
                # site redirecting to another target's intranet address is refused
                self.policy.for_target(request.meta.get("target_id")).check_address(literal)
            elif not host_of(request.url):
                raise RefusedURL("拒绝访问：链接没有主机名")
        except RefusedURL as exc:
            raise RefusedAddress(str(exc)) from None
        return None

    def process_response(self, request, response, spider=None):
        """The address the response actually came from, checked against the request's own target:
        a name another target's intranet address answers for gives this target nothing."""
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            try:
                self.policy.for_target(request.meta.get("target_id")).check_address(str(ip), host_of(request.url))
            except RefusedURL as exc:
                raise RefusedAddress(str(exc)) from None
        return response


class GuardedResolver(CachingThreadedResolver):
    """The reactor's DNS resolver for crawls: a name resolving to a refused address fails the
    connection (checked on the address actually used, cached answers included)."""

    policy: AddressPolicy = AddressPolicy()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy(crawler.settings.getlist(SETTING))
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's interface)
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address, name):
        try:
            self.policy.check_address(address, name)
        except RefusedURL as exc:
            _REFUSED_NAMES[str(name).lower()] = str(exc)
            raise RefusedLookup(str(exc)) from None
        return address
