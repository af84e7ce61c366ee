"""Robot webhooks (企业微信, 钉钉, 飞书) against a local HTTP server: JSON shapes, signatures,
hostile text, rate limits and permanent errors."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit


from govwatch.alerts import enqueue_for_findings, flush
from govwatch.alerts.webhook import build_request, display, parse_webhook
from govwatch.models import UTC, Contact, Finding, Target
from govwatch.settings import load_settings

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
HOSTILE = '通知"}],"x":"\\\n[点我](http://evil.example)\u202e<script>'


def setup(store, robot, hooks: dict[str, str]):
    settings = load_settings()
    settings.data["admin_emails"] = []
    contacts = [Contact(name=name, email="", webhook=spec, channels=["webhook"]) for name, spec in hooks.items()]
    store.upsert_targets([Target(id="wx", name="某县发布", platform="wechat", office="县委宣传部",
                                 url="https://mp.weixin.qq.com/", emails=[], contacts=contacts)])
    f = Finding(target_id="wx", rule="banned.rumor", category="谣言", severity="veto", url="https://mp.weixin.qq.com/s/x",
                title=HOSTILE, match="谣言", snippet=HOSTILE, deadline=T0 + timedelta(days=1))
    store.upsert_findings([f], at=T0)
    enqueue_for_findings(store, settings, [store.get_finding(f.id)], T0)
    return settings


def test_three_robot_formats(store, robot):
    hooks = {"企业微信": f"wecom:{robot.base}/wecom?key=K",
             "钉钉": f"dingtalk:{robot.base}/ding?access_token=T#secret=SECabc",
             "飞书": f"feishu:{robot.base}/feishu/hook#secret=fs-secret"}
    robot.answers["/feishu/hook"] = [{"code": 0, "msg": "success"}]
    settings = setup(store, robot, hooks)
    result = flush(store, settings, at=T0)
    assert result.sent == 3
    by_path = {urlsplit(r["path"]).path: r for r in robot.requests}
    for r in by_path.values():
        assert r["type"] == "application/json; charset=utf-8"
    wecom = json.loads(by_path["/wecom"]["raw"])
    assert set(wecom) == {"msgtype", "text"} and wecom["msgtype"] == "text"
    content = wecom["text"]["content"]
    assert content.startswith("【单项否决】某县发布：谣言")
    assert '"}],"x":"\\' in content  # hostile text survives as data, inside the string
    assert "\u202e" not in content  # bidi override dropped
    assert len(content.encode()) <= 2048
    ding = json.loads(by_path["/ding"]["raw"])
    assert ding["msgtype"] == "text" and ding["text"]["content"].startswith("【单项否决】")
    q = parse_qs(urlsplit(by_path["/ding"]["path"]).query)
    assert q["access_token"] == ["T"]
    ts, sign = q["timestamp"][0], q["sign"][0]
    expected = base64.b64encode(hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()).decode()
    assert sign == expected
    fs = json.loads(by_path["/feishu/hook"]["raw"])
    assert fs["msg_type"] == "text" and fs["content"]["text"].startswith("【单项否决】")
    expected = base64.b64encode(hmac.new(f"{fs['timestamp']}\nfs-secret".encode(), b"", hashlib.sha256).digest()).decode()
    assert fs["sign"] == expected
    assert "secret" not in by_path["/feishu/hook"]["path"]  # the fragment never goes on the wire
    assert all(a.status == "sent" for a in store.list_alerts())
    logged = json.dumps(store.list_alert_log(limit=100), ensure_ascii=False, default=str)
    assert "SECabc" not in logged and "fs-secret" not in logged and "key=K" not in logged  # no secrets in the log
    assert "钉钉机器人 127.0.0.1" in logged


def test_rate_limit_retries_and_configuration_errors_fail(store, robot):
    robot.answers["/limited"] = [{"errcode": 45009, "errmsg": "api freq out of limit"}, {"errcode": 0}]
    robot.answers["/revoked"] = [{"errcode": 93000, "errmsg": "invalid webhook url"}]
    robot.answers["/down"] = [{"_status": 502}, {"errcode": 0}]
    settings = setup(store, robot, {"a": f"wecom:{robot.base}/limited", "b": f"wecom:{robot.base}/revoked",
                                    "c": f"dingtalk:{robot.base}/down"})
    first = flush(store, settings, at=T0)
    assert (first.sent, first.retried, first.failed) == (0, 2, 1)
    failed = store.list_alerts(status="failed")
    assert len(failed) == 1 and "93000" in failed[0].last_error and failed[0].attempts == 1
    second = flush(store, settings, at=T0 + timedelta(minutes=5))
    assert second.sent == 2
    assert len(robot.requests) == 5


def test_webhook_addresses():
    assert parse_webhook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")[0] == "wecom"
    assert parse_webhook("https://oapi.dingtalk.com/robot/send?access_token=t#secret=S")[::2] == ("dingtalk", "S")
    assert parse_webhook("https://open.feishu.cn/open-apis/bot/v2/hook/x")[0] == "feishu"
    assert parse_webhook("FEISHU:http://10.0.0.1/hook")[:2] == ("feishu", "http://10.0.0.1/hook")
    assert parse_webhook("https://example.com/hook") is None  # unknown kind
    assert parse_webhook("wecom:javascript:alert(1)") is None
    assert parse_webhook("wecom:http://a/b\r\nX: y") is None
    shown = display("https://oapi.dingtalk.com/robot/send?access_token=SECRET#secret=S2")
    assert "SECRET" not in shown and "S2" not in shown and "钉钉" in shown
    url, body = build_request("wecom", "http://x/h", "", "主题\r\nX", "正文" * 2000)
    assert len(json.loads(body)["text"]["content"].encode()) <= 2048
    assert json.loads(body)["text"]["content"].startswith("主题 X\n\n")
