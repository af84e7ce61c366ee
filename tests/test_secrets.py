"""Secrets never leave settings: robot tokens, signing secrets and SMTP credentials are masked in
logs, alert-log records, messages and command output."""
import json
import logging

import pytest

from govwatch.models import Alert, now
from govwatch.redact import redact, redact_data, register

TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
SECRET = "SEC" + "0123456789abcdef" * 4
DINGTALK = f"dingtalk:https://oapi.dingtalk.com/robot/send?access_token={TOKEN}#secret={SECRET}"


@pytest.mark.parametrize("text", [
    DINGTALK,
    f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}",
    f"feishu:https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}",
    f"连接失败：https://oapi.dingtalk.com/robot/send?timestamp=1&sign={TOKEN}&x=1",
    f"smtp://user:{TOKEN}@mail.example.gov.cn:465",
    f"钉钉加签密钥 {SECRET} 已配置",
])
def test_credentials_are_masked_in_text(text):
    masked = redact(text)
    assert TOKEN not in masked and SECRET not in masked, masked
    assert "***" in masked


def test_registered_settings_values_are_masked_anywhere():
    from govwatch.redact import register_settings

    register_settings({"smtp": {"user": "monitor@example.gov.cn", "password": "Pa55-w0rd!x"},
                       "crawl": {"weibo_cookie": "SUB=_2A25abcdef"}})
    event = {"error": "535 认证失败 Pa55-w0rd!x", "nested": [{"cookie": "SUB=_2A25abcdef"}], "n": 3}
    masked = redact_data(event)
    assert "Pa55-w0rd!x" not in json.dumps(masked) and "SUB=_2A25abcdef" not in json.dumps(masked)
    assert masked["n"] == 3
    register("ab")  # too short to mask safely: ignored
    assert redact("abc ab") == "abc ab"


def test_release_and_cancel_events_do_not_record_the_webhook(store):
    from govwatch.alerts.policy import release

    at = now()
    alerts = [Alert(dedup_key=f"k{i}", channel="webhook", to=DINGTALK, subject=f"提醒{i}", body="正文",
                    status="held", created_at=at, next_attempt_at=at) for i in range(2)]
    store.enqueue_alerts(alerts)
    release(store, at=at)
    log = store.list_alert_log()
    assert [e["event"] for e in log] == ["released", "released"]
    dumped = json.dumps(log, ensure_ascii=False)
    assert TOKEN not in dumped and SECRET not in dumped
    assert "钉钉机器人 oapi.dingtalk.com" in dumped


def test_every_alert_log_record_is_masked_by_the_store(store):
    store.log_alert_event({"event": "failed", "to": DINGTALK, "error": f"HTTP 400 for url {DINGTALK}"})
    dumped = json.dumps(store.list_alert_log(), ensure_ascii=False)
    assert TOKEN not in dumped and SECRET not in dumped


def test_failure_message_to_admins_masks_the_robot():
    from govwatch.alerts.compose import failure_message

    alert = Alert(dedup_key="k", channel="webhook", to=DINGTALK, subject="s", body="b", attempts=8,
                  last_error="钉钉机器人拒绝")
    msg = failure_message(alert)
    assert TOKEN not in msg.text + msg.html and SECRET not in msg.text + msg.html


def test_alerts_test_command_does_not_echo_the_token(tmp_path, capsys, robot):
    from govwatch.cli import main

    address = f"dingtalk:{robot.base}/robot/send?access_token={TOKEN}#secret={SECRET}"
    assert main(["alerts", "test", address]) == 0
    assert main(["alerts", "log", "--format", "json"]) == 0
    assert len(robot.requests) == 1
    out = capsys.readouterr()
    assert "测试提醒已发送" in out.out
    assert TOKEN not in out.out + out.err and SECRET not in out.out + out.err


def test_log_files_never_carry_the_smtp_password(tmp_path, monkeypatch):
    from govwatch.settings import load_settings
    from scheduler.logs import setup_logging, teardown_logging

    monkeypatch.setenv("GOVWATCH_SMTP__PASSWORD", "s3cret-Mail-Pw")
    monkeypatch.setenv("GOVWATCH_VAR_DIR", str(tmp_path))
    settings = load_settings()
    path = setup_logging(settings)
    try:
        log = logging.getLogger("govwatch.test")
        log.error("smtp login with %s failed", "s3cret-Mail-Pw", extra={"url": DINGTALK})
        try:
            raise RuntimeError(f"posting to {DINGTALK}")
        except RuntimeError:
            log.exception("robot failed")
    finally:
        teardown_logging()
    text = path.read_text(encoding="utf-8")
    assert "smtp login with" in text and "robot failed" in text
    assert "s3cret-Mail-Pw" not in text and TOKEN not in text and SECRET not in text


def test_the_cli_without_log_handlers_masks_warnings(capsys, monkeypatch):
    """Commands configure no logging: warnings reach stderr through logging.lastResort, masked too."""
    from govwatch.commands._common import settings_from

    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    settings_from(type("Args", (), {"config": None})())
    logging.getLogger("govwatch.test").warning("robot at %s failed", DINGTALK)
    err = capsys.readouterr().err
    assert "robot at" in err and TOKEN not in err and SECRET not in err
