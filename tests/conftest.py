import asyncio
import email
import email.policy
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STORE_KINDS = ["sqlite", "mongomock"] + (["mongodb"] if os.environ.get("GOVWATCH_TEST_MONGO_URI") else [])


def make_store(kind: str, tmp_path: Path):
    if kind == "sqlite":
        from govwatch.store.sqlite import SqliteStore
        return SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
    from govwatch.store.mongo import MongoStore
    if kind == "mongomock":
        import mongomock
        import mongomock.gridfs
        mongomock.gridfs.enable_gridfs_integration()
        return MongoStore(client=mongomock.MongoClient(tz_aware=True), db_name="govwatch_test")
    import uuid
    from pymongo import MongoClient
    client = MongoClient(os.environ["GOVWATCH_TEST_MONGO_URI"], tz_aware=True)
    name = f"govwatch_test_{uuid.uuid4().hex[:8]}"
    store = MongoStore(client=client, db_name=name)
    store._drop_after = name
    return store


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    s = make_store(request.param, tmp_path)
    yield s
    if getattr(s, "_drop_after", None):
        s.client.drop_database(s._drop_after)
    s.close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Tests never read a developer's govwatch.toml or GOVWATCH_* variables."""
    for key in list(os.environ):
        if key.startswith("GOVWATCH_") and not key.startswith("GOVWATCH_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GOVWATCH_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GOVWATCH_DB", f"sqlite:///{tmp_path / 'var' / 'govwatch.db'}")


# A real SMTP server -------------------------------------------------------------------------

class SmtpSink:
    """aiosmtpd handler: refuses the first ``refuse`` deliveries with 451, can be slow."""

    def __init__(self):
        self.refuse = 0
        self.delay = 0.0
        self.attempts = 0
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Temporary failure, try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 2.0.0 OK"

    def ids(self) -> list[str]:
        return [m["X-Govwatch-Alert"] for _, m in self.messages]

    def to(self, addr: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if addr in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=sink.port)
    ctl.start()
    yield sink
    ctl.stop()


# Local HTTP servers -------------------------------------------------------------------------

def serve_http(handler: type[BaseHTTPRequestHandler], port: int = 0) -> ThreadingHTTPServer:
    """Serve ``handler`` on 127.0.0.1 (``port`` 0: any free port) from a daemon thread.
    ``srv.base`` is its root address; stop it with :func:`stop_http`."""
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler)
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def stop_http(srv: ThreadingHTTPServer) -> None:
    srv.shutdown()
    srv.server_close()


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "") -> None:
    """Answer ``handler``'s request with ``body`` (its Content-Length, and Content-Type if given)."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class RobotHandler(BaseHTTPRequestHandler):
    """A group robot (企业微信, 钉钉, 飞书 webhooks): records each POST in ``server.requests`` and answers
    from the queue ``server.answers[path]`` (the last answer repeats; a ``_status`` key sets the HTTP
    status; no queue: ``{"errcode": 0}``)."""

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        srv = self.server
        srv.requests.append({"path": self.path, "type": self.headers.get("Content-Type"), "raw": raw})
        queue = srv.answers.get(urlsplit(self.path).path) or [{"errcode": 0, "errmsg": "ok"}]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        status = answer.pop("_status", 200) if isinstance(answer, dict) else 200
        respond(self, status, json.dumps(answer).encode(), "application/json")

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    """A local group robot (see :class:`RobotHandler`): ``robot.base``, ``.requests``, ``.answers``."""
    srv = serve_http(RobotHandler)
    srv.requests, srv.answers = [], {}
    yield srv
    stop_http(srv)
