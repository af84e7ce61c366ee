"""A hostile website for the fetch-policy tests, built at test time.

``HostileSite`` serves on 127.0.0.2 (the registry entry's own address) and links or redirects to
``file://`` URLs and to a second server on 127.0.0.1, an "internal admin" address no registry entry
is on. ``Internal`` counts every request it gets: the tests assert it got none.
"""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "ADMIN-SECRET-7f3a"  # what the internal server would leak


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client hanging up early (a refused redirect, an interrupted crawl) is expected


class _Serving:
    """``with`` starts ``self.server`` on a daemon thread and stops it on leaving."""

    server: _Server

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Internal(_Serving):
    """An internal admin page on 127.0.0.1: must never be reached."""

    def __init__(self):
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits.append(self.path)
                body = f"<html><body><p>{SECRET} 管理后台</p></body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


ARTICLE_TEXT = "为进一步做好本年度公开招聘工作，现将有关事项公告如下。" * 6


class HostileSite(_Serving):
    """A small government-looking site on 127.0.0.2 whose pages point at local files and at
    ``internal`` (a 302 from an article, an attachment link, a homepage link). ``slow`` makes every
    article page wait that many seconds (interrupted-crawl tests)."""

    def __init__(self, internal_url: str, slow: float = 0.0, articles: int = 2):
        self.internal_url = internal_url
        self.slow = slow
        self.articles = articles
        self.hits: list[str] = []
        self.server = _Server(("127.0.0.2", 0), self._handler())
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}/"

    def target(self, **extra) -> dict:
        return {"id": "hostile", "name": "某县人民政府", "platform": "website", "url": self.url,
                "columns": [{"name": "通知公告", "url": self.url + "news/", "kind": "notice"}],
                "rules": {"disabled": ["site.domain"]}, **extra}

    def pages(self) -> dict[str, tuple[int, dict, bytes]]:
        internal = self.internal_url
        items = "".join(f'<li><a href="/news/a{i}.html">公开招聘公告第{i}号</a><span>2026-11-{10 + i:02d}</span></li>'
                        for i in range(1, self.articles + 1))
        # by name: "localhost" resolves to the internal server (the DNS resolver's check, not the literal's)
        named = internal.replace("127.0.0.1", "localhost")
        items += '<li><a href="/news/named.html">公开招聘公告（补充）</a><span>2026-11-09</span></li>'

        home = (f'<html><head><title>某县人民政府</title></head><body><div class="nav">'
                f'<a href="/news/">通知公告</a></div><ul>{items}</ul>'
                f'<a href="/go-admin">办事大厅</a><a href="{internal}/home-link">内部系统</a>'
                f'<a href="{named}/home-name">内部门户</a>'
                f'<div class="footer">主办单位：某县人民政府办公室 网站标识码：1234567890 '
                f'ICP备案号：京ICP备12345678号 京公网安备 11010102000001号</div></body></html>')
        article = (f'<html><head><title>公开招聘公告</title></head><body><h1>公开招聘公告</h1>'
                   f'<div class="info">发布时间：2026-11-11 来源：某县人力资源和社会保障局</div>'
                   f'<div class="content"><p>{ARTICLE_TEXT}</p>'
                   f'<p><a href="/files/list.txt">附件1：名单.txt</a></p>'
                   f'<p><a href="file:///proc/self/environ">附件2：报名表.txt</a></p>'
                   f'<p><a href="file:///etc/hostname">附件3：须知.txt</a></p>'
                   f'<p><a href="{internal}/files/secret.txt">附件4：内部.txt</a></p>'
                   f'</div></body></html>')
        html = {"Content-Type": "text/html; charset=utf-8"}
        pages = {
            "/": (200, html, home.encode()),
            "/news/": (200, html, f"<html><body><ul>{items}</ul></body></html>".encode()),
            "/files/list.txt": (200, {"Content-Type": "text/plain; charset=utf-8"},
                                "拟聘用人员名单：张三 李四".encode()),
            "/go-admin": (302, {"Location": f"{internal}/admin/"}, b""),
            "/robots.txt": (404, {}, b""),
        }
        for i in range(1, self.articles + 1):
            pages[f"/news/a{i}.html"] = (200, html, article.encode())
        # the second article answers with a redirect to the internal admin page
        pages["/news/a2.html"] = (302, {"Location": f"{internal}/admin/secret.html"}, b"")
        pages["/news/named.html"] = (302, {"Location": f"{named}/admin/by-name.html"}, b"")
        return pages

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits.append(self.path)
                status, headers, body = outer.pages().get(self.path, (404, {}, b"not found"))
                if outer.slow and self.path.startswith("/news/a"):
                    time.sleep(outer.slow)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        return Handler
