"""Email through the standard library: smtplib and email.message.

Security ``none`` (plain, for a relay on localhost), ``starttls`` or ``ssl``. Credentials come from
the environment (``GOVWATCH_SMTP__USER``, ``GOVWATCH_SMTP__PASSWORD``, read by the settings loader),
never from an alert. One connection is reused for a whole flush.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from govwatch.alerts.base import Sender, SendError
from govwatch.alerts.compose import header_safe
from govwatch.models import Alert


def valid_address(addr: str) -> bool:
    if not addr or any(c in addr for c in "\r\n,;<>\"\\ \t") or addr.count("@") != 1:
        return False
    local, domain = addr.split("@")
    return bool(local) and "." in domain and parseaddr(addr)[1] == addr


def build_message(alert: Alert, sender: str, sender_name: str = "政务网站监测") -> EmailMessage:
    if not valid_address(alert.to):
        raise SendError(f"收件地址无效：{alert.to!r}", permanent=True)
    msg = EmailMessage()
    # header_safe again although compose did it: a subject must never carry CR/LF into the header
    msg["Subject"] = header_safe(alert.subject) or "政务网站监测提醒"
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = alert.to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "govwatch.local"
    # The same Message-ID on every attempt: a receiver can drop a duplicate after a crash.
    msg["Message-ID"] = f"<{alert.id}@{domain}>"
    msg["X-Govwatch-Alert"] = alert.id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(alert.body or alert.subject)
    if alert.html:
        msg.add_alternative(alert.html, subtype="html")
    return msg


class SmtpSender(Sender):
    channel = "email"

    def __init__(self, smtp: dict, on_round_trip=None):
        self.host = smtp.get("host", "127.0.0.1")
        self.port = int(smtp.get("port", 25))
        self.security = (smtp.get("security") or "none").lower()
        self.sender = smtp.get("sender") or "govwatch@localhost"
        self.sender_name = smtp.get("sender_name") or "政务网站监测"
        self.user = smtp.get("user") or ""
        self.password = smtp.get("password") or ""
        self.timeout = float(smtp.get("timeout", 30))
        self.cafile = smtp.get("cafile") or None
        self.on_round_trip = on_round_trip  # optional callable(seconds): for the benchmark
        self._conn: smtplib.SMTP | None = None
        if self.security not in ("none", "starttls", "ssl"):
            raise SendError(f"SMTP 加密方式无效：{self.security}（应为 none、starttls 或 ssl）", permanent=True)

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context(cafile=self.cafile))
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                conn.ehlo()
                if self.security == "starttls":
                    conn.starttls(context=ssl.create_default_context(cafile=self.cafile))
                    conn.ehlo()
            if self.user:
                conn.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP 登录失败（{exc.smtp_code}）：请检查 GOVWATCH_SMTP__USER 和 "
                            f"GOVWATCH_SMTP__PASSWORD", connection=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"无法连接邮件服务器 {self.host}:{self.port}：{exc}", connection=True) from exc
        return conn

    def send(self, alert: Alert) -> None:
        import time

        msg = build_message(alert, self.sender, self.sender_name)
        for attempt in (1, 2):  # a reused connection may have been dropped by the server: reconnect once
            if self._conn is None:
                self._conn = self._connect()
            t0 = time.perf_counter()
            try:
                self._conn.send_message(msg, from_addr=self.sender, to_addrs=[alert.to])
                return
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if attempt == 2:
                    raise SendError(f"邮件服务器断开连接：{exc}", connection=True) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                code, resp = next(iter(exc.recipients.values()), (450, b""))
                raise SendError(f"收件人被拒绝（{code}）：{_text(resp)}", permanent=code >= 500) from exc
            except smtplib.SMTPResponseException as exc:  # SMTPDataError, SMTPSenderRefused …
                if exc.smtp_code == 421:
                    self._drop()
                raise SendError(f"邮件服务器拒收（{exc.smtp_code}）：{_text(exc.smtp_error)}",
                                permanent=500 <= exc.smtp_code < 600) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise SendError(f"发送邮件失败：{exc}", connection=True) from exc
            finally:
                if self.on_round_trip:
                    self.on_round_trip(time.perf_counter() - t0)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


def _text(resp) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
