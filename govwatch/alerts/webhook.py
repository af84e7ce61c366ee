"""Group-chat robots: 企业微信 (wecom), 钉钉 (dingtalk), 飞书 (feishu).

A webhook recipient is written ``kind:URL`` (``dingtalk:https://oapi.dingtalk.com/robot/send?access_token=…``)
or just the URL when its host tells the kind (qyapi.weixin.qq.com, oapi.dingtalk.com, open.feishu.cn,
open.larksuite.com). A signing secret (钉钉/飞书 “加签”) goes in the fragment: ``…#secret=SEC…``.

Payloads are plain-text messages built as dicts and serialised with ``json.dumps``: crawled text can
neither break the JSON nor inject markdown links.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from urllib.parse import parse_qs, quote_plus, urlsplit, urlunsplit

from govwatch.alerts.base import Sender, SendError
from govwatch.alerts.compose import clean_text, header_safe
from govwatch.models import Alert

KINDS = ("wecom", "dingtalk", "feishu")
KIND_LABELS = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}
HOSTS = {"qyapi.weixin.qq.com": "wecom", "oapi.dingtalk.com": "dingtalk",
         "open.feishu.cn": "feishu", "open.larksuite.com": "feishu"}
# bytes of message text each robot accepts (企业微信 text: 2048 bytes)
LIMITS = {"wecom": 2048, "dingtalk": 8000, "feishu": 8000}
# error codes meaning "too fast, try later"; any other non-zero code is a configuration problem
RATE_LIMITED = {"wecom": {45009, 45033}, "dingtalk": {130101, 410100}, "feishu": {9499, 11232, 11233}}


def parse_webhook(spec: str) -> tuple[str, str, str] | None:
    """``kind:URL#secret=…`` or a known URL → (kind, url without fragment, secret); None if invalid."""
    spec = (spec or "").strip()
    kind = ""
    head, sep, rest = spec.partition(":")
    if sep and head.lower() in KINDS:
        kind, spec = head.lower(), rest.strip()
    try:
        parts = urlsplit(spec)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in spec for c in "\r\n "):
        return None
    kind = kind or HOSTS.get((parts.hostname or "").lower(), "")
    if not kind:
        return None
    secret = parse_qs(parts.fragment).get("secret", [""])[0]
    return kind, urlunsplit(parts._replace(fragment="")), secret


def display(spec: str) -> str:
    """A webhook recipient for screens and logs: kind and host, never the token or the secret."""
    parsed = parse_webhook(spec)
    if not parsed:  # never the path or query of an address we cannot parse: they hold the token
        text = (spec or "").strip()
        head, sep, rest = text.partition(":")
        try:
            host = urlsplit(rest.strip() if sep and head.lower() in KINDS else text).netloc.rsplit("@", 1)[-1]
        except ValueError:
            host = ""
        return f"无效的机器人地址 {host}".strip()
    kind, url, _ = parsed
    return f"{KIND_LABELS[kind]}机器人 {urlsplit(url).netloc}"


def _truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - len("…".encode())].decode("utf-8", "ignore") + "…"


# a line that starts an item: "1." of an immediate alert, a target, a severity or a finding of a digest
_ITEM_START = re.compile(r"^(?:\d+\.\s*$|■ |  【|    - )")
_TAIL_MARK = "——"


def fit_text(subject: str, body: str, limit: int) -> str:
    """Subject and body within ``limit`` UTF-8 bytes, cut between items, never inside one.

    Items (an immediate alert's numbered problems, a digest's entries) are kept whole, in order, as
    many as fit; the rest are counted in a closing line pointing to the e-mail and the system. Only
    when not even the first item fits is it cut, at a line end.
    """
    head = header_safe(subject)
    text = f"{head}\n\n{body}"
    if len(text.encode("utf-8")) <= limit:
        return text
    lines = body.split("\n")
    if _TAIL_MARK in lines:  # the automatic footer is dropped first
        lines = lines[:lines.index(_TAIL_MARK)]
    blocks: list[list[str]] = [[]]
    for line in lines:
        if _ITEM_START.match(line) and blocks[-1]:
            blocks.append([])
        blocks[-1].append(line)
    items = len(blocks) - 1

    def render(kept: list[list[str]], left: int) -> str:
        out = "\n".join("\n".join(b) for b in kept).rstrip()
        if left:
            out += f"\n\n……另有 {left} 项因消息长度限制未列出，请查看提醒邮件或登录系统。"
        return f"{head}\n\n{out}"

    kept = [blocks[0]]
    for n, block in enumerate(blocks[1:], 1):
        if len(render([*kept, block], items - n).encode("utf-8")) > limit:
            break
        kept.append(block)
    shown = render(kept, items - (len(kept) - 1))
    if (len(kept) > 1 or not items) and len(shown.encode("utf-8")) <= limit:
        return shown
    # a single item (or the introduction) longer than the limit: whole lines, as many as fit
    out, added = head + "\n", 0
    for line in "\n".join("\n".join(b) for b in blocks).split("\n"):
        candidate = f"{out}\n{line}"
        if len((candidate + "\n……").encode("utf-8")) > limit:
            break
        out, added = candidate, added + bool(line.strip())
    if not added:  # one enormous line: only bytes can be cut
        return _truncate_bytes(f"{head}\n\n{body}", limit)
    return _truncate_bytes(out + "\n……", limit)


def build_request(kind: str, url: str, secret: str, subject: str, body: str,
                  at: float | None = None) -> tuple[str, bytes]:
    """The URL to post to and the JSON body for one message."""
    text = fit_text(subject, clean_text(body).strip(), LIMITS[kind])
    now = time.time() if at is None else at
    if kind == "wecom":
        payload: dict = {"msgtype": "text", "text": {"content": text}}
    elif kind == "dingtalk":
        payload = {"msgtype": "text", "text": {"content": text}}
        if secret:
            ts = str(int(now * 1000))
            digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={quote_plus(base64.b64encode(digest))}"
    elif kind == "feishu":
        payload = {"msg_type": "text", "content": {"text": text}}
        if secret:
            ts = str(int(now))
            digest = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
            payload = {"timestamp": ts, "sign": base64.b64encode(digest).decode(), **payload}
    else:
        raise SendError(f"未知的机器人类型：{kind}", permanent=True)
    return url, json.dumps(payload, ensure_ascii=False).encode("utf-8")


class WebhookSender(Sender):
    channel = "webhook"

    def __init__(self, timeout: float = 10, session=None):
        self.timeout = timeout
        self._session = session

    @property
    def session(self):
        if self._session is None:
            import requests
            self._session = requests.Session()
        return self._session

    def send(self, alert: Alert) -> None:
        import requests

        parsed = parse_webhook(alert.to)
        if not parsed:
            raise SendError(f"机器人地址无效：{display(alert.to)}", permanent=True)
        kind, url, secret = parsed
        post_url, data = build_request(kind, url, secret, alert.subject, alert.body)
        try:
            resp = self.session.post(post_url, data=data, timeout=self.timeout,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        except requests.RequestException as exc:
            raise SendError(f"{KIND_LABELS[kind]}机器人无法连接：{type(exc).__name__}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise SendError(f"{KIND_LABELS[kind]}机器人暂时不可用（HTTP {resp.status_code}）")
        if resp.status_code >= 400:
            raise SendError(f"{KIND_LABELS[kind]}机器人拒绝（HTTP {resp.status_code}）", permanent=True)
        try:
            answer = resp.json()
        except ValueError:
            answer = {}
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
        if code not in (0, None):
            msg = answer.get("errmsg") or answer.get("msg") or ""
            permanent = code not in RATE_LIMITED[kind]
            raise SendError(f"{KIND_LABELS[kind]}机器人返回错误 {code}：{str(msg)[:100]}", permanent=permanent)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
