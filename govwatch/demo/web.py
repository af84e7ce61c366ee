"""What a farm route returns, and small constructors for the common responses."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    last_modified: datetime | None = None
    validators: bool = True  # send ETag and Last-Modified, answer conditional requests with 304
    delay: float = 0.0  # seconds to hang before answering (a site that times out)
    truncate_at: int | None = None  # hostile: declare the full length, send this many bytes, drop the connection


def html(text: str, last_modified: datetime | None = None, charset: str = "utf-8",
         declared: str | None = None, status: int = 200) -> Response:
    """An HTML page encoded in ``charset``; ``declared`` is what the Content-Type claims (default: the truth)."""
    body = text.encode(charset, errors="xmlcharrefreplace")
    return Response(status, body, f"text/html; charset={declared or charset}", last_modified=last_modified)


def json_body(obj, last_modified: datetime | None = None, status: int = 200,
              content_type: str = "application/json; charset=utf-8") -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, content_type, last_modified=last_modified)


def not_found() -> Response:
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 页面不存在</title></head>"
            "<body><div class=\"error\"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除。</p>"
            "<p><a href=\"javascript:history.back()\">返回上一页</a></p></div></body></html>")
    return Response(404, page.encode("utf-8"), validators=False)


def server_error() -> Response:
    page = ("<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
            "<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return Response(500, page.encode("ascii"), validators=False)


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", headers={"Location": location}, validators=False)
