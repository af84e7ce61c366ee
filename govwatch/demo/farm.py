"""The site farm: a local HTTP server full of deterministic government websites and accounts.

Tests, benchmarks and ``govwatch demo`` point govwatch at it instead of the internet::

    from govwatch.demo.farm import Farm

    with Farm(seed=7, sites=4) as farm:          # binds 127.0.0.1 on a free port
        registry = farm.targets()                 # registry rows (govwatch.models.Target fields)
        expected = farm.planted()                 # every problem switched on, with its rule id
        farm.set_problem("site-03", "banned_term", on=False)   # "rectify" a page

Everything is generated on request from ``(seed, target, item)`` and ``now``; only small indexes
live in memory, so ``Farm(seed, sites=2000, pages=200)`` starts in well under a second.

Default mix (``sites=4``): site-01 clean (TRS, UTF-8); site-02 clean (Hanweb, GBK, with one page
that declares GB2312 but is UTF-8); site-03 with stale_column, banned_term, privacy_leak,
dead_link, dark_link, footer_missing; site-04 with hijacked_link, attachment_pii, secret_marker,
wrong_term. Accounts: wechat-01 (RSS, one deleted article), wechat-02 (Atom, one blocked page),
wechat-03 (JSON Feed, stale), wechat-04 (empty), weibo-01 (healthy), weibo-02 (HTTP 432),
feed-01 (a Douyin account through RSSHub). Every fifth site after the fourth carries one problem.

Run it in the foreground (prints the base URL, then the registry as one line of JSON)::

    python -m govwatch.demo.farm --seed 7 --sites 50 --pages 200 [--port 0] [--planted]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from govwatch.demo.files import png_bytes
from govwatch.demo.media import PROBLEMS as ACCOUNT_PROBLEMS, Accounts, build_accounts
from govwatch.demo.sites import SITE_PROBLEMS, Websites, build_sites
from govwatch.demo.util import pub_time
from govwatch.demo.variants import Variants
from govwatch.demo.web import Response, html, not_found, redirect

UTC = timezone.utc
__all__ = ["Farm", "main"]


class Farm:
    """A deterministic farm of government websites and new-media accounts on 127.0.0.1.

    ``problems`` maps target ids to the problems they should have instead of their defaults
    (``{"site-01": ["error_500"]}``); ``defaults=False`` starts with every target clean.
    ``timeout_delay`` is how long pages of a site with the "timeout" problem hang (seconds).
    """

    def __init__(self, seed: int = 7, sites: int = 4, now: datetime | None = None, pages: int = 48, *,
                 accounts: int = 0, problems: dict | None = None, defaults: bool = True,
                 timeout_delay: float = 20.0, port: int = 0, record_requests: bool = True,
                 page_delay: float = 0.0, variants: bool = False):
        if sites < 1:
            raise ValueError("sites must be at least 1")
        if now is None:
            self.now, self._fixed_clock = datetime.now(UTC).replace(microsecond=0), False
        else:
            self.now, self._fixed_clock = (now if now.tzinfo else now.replace(tzinfo=UTC)), True
        self.seed = seed
        self.pages = pages
        self.timeout_delay = timeout_delay
        self.page_delay = page_delay  # every answer waits this long: a real server's latency
        self.port = port
        self.record_requests = record_requests
        self.requests: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.sites = Websites(self, build_sites(seed, sites, pages))
        self.accounts = Accounts(self, build_accounts(seed, accounts))
        # the pagination / false-alarm variants of issue 12 (govwatch/demo/variants.py), under /v/<id>/
        self.variants = Variants(self) if variants else None
        self._platform = {s.id: "website" for s in self.sites.specs}
        self._platform.update({a.id: a.platform for a in self.accounts.specs})
        self._problems: dict[str, frozenset] = {}
        self._stamps: dict[str, datetime] = {}
        for spec in (*self.sites.specs, *self.accounts.specs):
            if defaults and spec.defaults:
                self._problems[spec.id] = frozenset(spec.defaults)
        for target_id, names in (problems or {}).items():
            names = frozenset(names)
            for name in names:
                self._check(target_id, name)
            self._problems[target_id] = names

    # --- life cycle ---------------------------------------------------------------------------------

    def start(self) -> "Farm":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.farm = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"govwatch-farm-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # releases handlers hanging for a "timeout" site
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "Farm":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError("the farm has no port yet: call start() first (or pass port=)")
        return f"http://127.0.0.1:{self.port}"

    @property
    def outside_url(self) -> str:
        """The same server under another host name: what pages use for links to "outside" sites."""
        return self.base_url.replace("127.0.0.1", "localhost")

    # --- registry and problems ------------------------------------------------------------------------

    def targets(self) -> list[dict]:
        """Registry rows for every website and account, in govwatch's field names."""
        return ([self.sites.target(s) for s in self.sites.specs]
                + (self.variants.targets() if self.variants else [])
                + [self.accounts.target(a) for a in self.accounts.specs])

    def planted(self) -> list[dict]:
        """Every problem switched on: ``{"target_id", "rule", "url", "match", "problem", "parent_url"}``.

        ``url`` is where the finding is (the article, the attachment, the dead link's target, the
        column list, the account page); ``parent_url`` the page linking to it, where that matters.
        Rules are the scanner's (declared in govwatch/rules.py); ``collector.error`` entries (a Weibo
        account answering 432, a WeChat page asking for a captcha) are operational and may surface
        as crawl errors rather than findings.
        """
        out = []
        for spec in self.sites.specs:
            if self.problems_of(spec.id):
                out.extend(self.sites.planted(spec))
        for a in self.accounts.specs:
            if self.problems_of(a.id):
                out.extend(self.accounts.planted(a))
        if self.variants:
            out.extend(self.variants.planted())
        return out

    def problems(self, target_id: str) -> set[str]:
        """The problems currently switched on for a target."""
        if target_id not in self._platform:
            raise KeyError(target_id)
        return set(self.problems_of(target_id))

    @staticmethod
    def available_problems(platform: str) -> tuple[str, ...]:
        return SITE_PROBLEMS if platform == "website" else ACCOUNT_PROBLEMS[platform]

    def set_problem(self, target_id: str, problem: str, on: bool = True) -> None:
        """Switch a problem on or off; the affected pages change, and so do their ETag and Last-Modified."""
        self._check(target_id, problem)
        with self._lock:
            current = self._problems.get(target_id, frozenset())
            updated = current | {problem} if on else current - {problem}
            if updated == current:
                return
            self._problems[target_id] = frozenset(updated)
            clock = self.now if self._fixed_clock else datetime.now(UTC).replace(microsecond=0)
            previous = self._stamps.get(target_id)
            self._stamps[target_id] = max(clock, previous + timedelta(seconds=1)) if previous else clock

    def _check(self, target_id: str, problem: str) -> None:
        platform = self._platform.get(target_id)
        if platform is None:
            raise KeyError(f"no target {target_id!r}")
        allowed = self.available_problems(platform)
        if problem not in allowed:
            raise ValueError(f"{target_id} ({platform}) has no problem {problem!r}; choose from {', '.join(allowed)}")

    def problems_of(self, target_id: str) -> frozenset:
        return self._problems.get(target_id, frozenset())

    def stamp_of(self, target_id: str) -> datetime | None:
        return self._stamps.get(target_id)

    def special_urls(self) -> dict[str, str]:
        """Named URLs tests reach for directly (GBK page, wrong charset, deleted WeChat article, feeds …)."""
        out = self.sites.landmarks()
        out.update(self.accounts.landmarks())
        out["casino"] = f"{self.outside_url}/casino/index.html"
        return out

    # --- requests -------------------------------------------------------------------------------------

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, method: str, path: str, headers: dict) -> None:
        if self.record_requests:
            with self._lock:
                self.requests.append((method, path, headers))

    # --- routing ----------------------------------------------------------------------------------------

    def handle(self, raw_path: str) -> Response:
        """The response for a request path (with query string)."""
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path.startswith("/v/") and self.variants:
            vid, _, rest = path[3:].partition("/")
            variant = self.variants.by_id.get(vid)
            return self.variants.route(variant, rest, query) if variant else not_found()
        if path.startswith("/s/"):
            sid, slash, rest = path[3:].partition("/")
            spec = self.sites.by_id.get(sid)
            if spec is None:
                return not_found()
            if not slash:
                return redirect(f"/s/{sid}/", 301)
            return self.sites.route(spec, rest, query)
        routed = self.accounts.route(path, query)
        if routed is not None:
            return routed
        if path.startswith("/x/"):  # extra account pages for the account collectors (accounts_extra.py)
            from govwatch.demo.accounts_extra import route_extra
            return route_extra(self, path, query)
        return self._outside(path, query)

    def _outside(self, path: str, query: dict) -> Response:
        """The root of the server, and the pretend outside world (links on host "localhost")."""
        old = pub_time(self.now, 60.0)
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8", last_modified=old)
        if path == "/":
            return self._index()
        if path.startswith("/casino/"):
            return html(_GAMBLING, old)
        if path.startswith("/friend/"):
            sid = path.split("/")[2]
            spec = self.sites.by_id.get(sid)
            if spec is None:
                return not_found()
            if "hijacked_link" in self.problems_of(sid):
                return html(_GAMBLING, self.stamp_of(sid) or old)
            region = spec.voice.region
            page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{region}史志网</title></head><body>'
                    f"<h1>{region}史志网</h1><p>{region}地方志编纂委员会办公室主办。本网发布地方志书、年鉴和党史资料。</p>"
                    "</body></html>")
            return html(page, old)
        if path.startswith("/conac/"):
            if path.endswith(".png"):
                return Response(200, png_bytes(110, 55, (200, 0, 0)), "image/png", last_modified=old)
            spec = next((s for s in self.sites.specs if s.conac == query.get("id")), None)
            name = f"网站名称：{spec.name}　主办单位：{spec.owner}" if spec else "未查询到该网站的标识信息"
            return html(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>党政机关网站标识</title></head>'
                        f"<body><h1>党政机关网站标识</h1><p>{escape(name)}</p></body></html>", old)
        if path.startswith("/beian/"):
            title = "全国互联网安全管理服务平台" if "gongan" in path else "ICP/IP地址/域名信息备案管理系统"
            return html(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
                        f"<body><h1>{title}</h1></body></html>", old)
        return not_found()

    def _index(self) -> Response:
        rows = "".join(f'<li><a href="{escape(t["url"])}">{escape(t["name"])}</a>（{escape(t["platform"])}）</li>'
                       for t in self.targets())
        page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>示范站群</title></head><body>'
                f"<h1>示范站群（seed={self.seed}）</h1><ul>{rows}</ul></body></html>")
        return html(page, pub_time(self.now, 1.0))


# --- HTTP server ----------------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    farm: Farm

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that went away
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are closed after a minute
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stall between them)

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        farm = self.server.farm
        farm._record(self.command, self.path, dict(self.headers.items()))
        if head and farm.variants and self.path.startswith("/v/"):
            # the variants' server, like many government servers, does not implement HEAD
            self.send_response(501)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            resp = farm.handle(self.path)
        except Exception:
            traceback.print_exc()
            resp = Response(500, b"internal error", "text/plain; charset=utf-8", validators=False)
        delay = max(resp.delay, farm.page_delay)
        if delay and farm._stopping.wait(delay):
            self.close_connection = True
            return
        status, body, headers = resp.status, resp.body, dict(resp.headers)
        if resp.validators and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            modified = resp.last_modified or farm.now
            headers["ETag"] = etag
            headers["Last-Modified"] = formatdate(int(modified.timestamp()), usegmt=True)
            if _not_modified(self.headers, etag, modified):
                status = 304
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        if resp.truncate_at is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head or status == 304:
            return
        self.wfile.write(body if resp.truncate_at is None else body[:resp.truncate_at])


def _not_modified(request_headers, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    since = request_headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(modified.timestamp()) <= when.timestamp()


_GAMBLING = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>澳门葡京娱乐场-在线博彩官方网站</title>
<meta name="keywords" content="澳门葡京,在线博彩,百家乐,真人荷官"></head>
<body><div class="banner"><h1>澳门葡京 在线博彩</h1><p>百家乐 真人荷官 24小时在线 注册即送彩金</p></div>
<ul><li>百家乐</li><li>龙虎斗</li><li>老虎机</li><li>体育投注</li></ul></body></html>
"""


# --- command line -----------------------------------------------------------------------------------------

def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govwatch.demo.farm",
                                     description="本地示范站群：在前台运行，先输出基础地址，再输出一行 JSON 格式的监测对象名录。")
    parser.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")
    parser.add_argument("--sites", type=int, default=4, help="政府网站数量（默认 4）")
    parser.add_argument("--pages", type=int, default=48, help="每个网站的文章数（默认 48）")
    parser.add_argument("--accounts", type=int, default=0, help="额外的正常新媒体账号数量（默认 0）")
    parser.add_argument("--port", type=int, default=0, help="监听端口（默认 0：随机空闲端口）")
    parser.add_argument("--now", help="内容日期的参照时间，ISO 格式（默认：当前时间）")
    parser.add_argument("--timeout-delay", type=float, default=20.0, help="“超时”网站的挂起秒数（默认 20）")
    parser.add_argument("--page-delay", type=float, default=0.0, help="每个请求的响应延迟秒数，模拟真实服务器（默认 0）")
    parser.add_argument("--clean", action="store_true", help="不预置任何问题")
    parser.add_argument("--planted", action="store_true", help="在名录之后再输出一行预置问题 JSON")
    parser.add_argument("--variants", action="store_true", help="加入各类分页方式和误报场景的变体网站（/v/…）")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else None
    farm = Farm(args.seed, args.sites, now, args.pages, accounts=args.accounts, defaults=not args.clean,
                timeout_delay=args.timeout_delay, port=args.port, record_requests=False,
                page_delay=args.page_delay, variants=args.variants)
    farm.start()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    print(farm.base_url, flush=True)
    print(json.dumps(farm.targets(), ensure_ascii=False), flush=True)
    if args.planted:
        print(json.dumps(farm.planted(), ensure_ascii=False), flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        farm.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
