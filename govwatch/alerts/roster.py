"""The duty roster (值班表): dated shifts, in a YAML or CSV file named by the ``roster`` setting.

CSV (UTF-8, with or without BOM; header row required, columns in any order)::

    start,end,name,email,phone,webhook
    2026-11-01 08:00,2026-11-01 20:00,张三,zhangsan@example.gov.cn,13800000000,
    2026-11-01 20:00,2026-11-02 08:00,李四,lisi@example.gov.cn,,dingtalk:https://oapi.dingtalk.com/robot/send?access_token=…

YAML::

    shifts:
      - start: 2026-11-01 08:00
        end: 2026-11-01 20:00
        name: 张三
        email: zhangsan@example.gov.cn
        webhook: ""            # optional, see govwatch/alerts/webhook.py for the forms

Times are Beijing time (Asia/Shanghai) unless they carry an offset; ``end`` is exclusive, so
back-to-back shifts never overlap. A shift may cross midnight. Several people on shift at once all
receive immediate alerts. ``start``/``end`` may also be written ``2026-11-01T08:00``.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from govwatch.models import TZ


class RosterError(ValueError):
    """The roster file cannot be read (Chinese message)."""


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    name: str
    email: str = ""
    phone: str = ""
    webhook: str = ""

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _when(value, where: str) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        text = str(value or "").strip().replace("/", "-")
        if not text:
            raise RosterError(f"{where}：缺少时间")
        try:
            dt = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError as exc:
            raise RosterError(f"{where}：时间格式无效 {text!r}（应为 2026-11-01 08:00）") from exc
    return dt.replace(tzinfo=TZ) if dt.tzinfo is None else dt


def parse_rows(rows: list[dict], source: str) -> list[Shift]:
    shifts = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise RosterError(f"{source} 第 {n} 条班次格式无效")
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        if not any(str(v or "").strip() for v in row.values()):
            continue
        where = f"{source} 第 {n} 条班次"
        start, end = _when(row.get("start"), where), _when(row.get("end"), where)
        if end <= start:
            raise RosterError(f"{where}：结束时间应晚于开始时间")
        name = str(row.get("name") or "").strip()
        email = str(row.get("email") or "").strip()
        webhook = str(row.get("webhook") or "").strip()
        if not name:
            raise RosterError(f"{where}：缺少值班人姓名（name）")
        if not email and not webhook:
            raise RosterError(f"{where}：值班人 {name} 没有邮箱（email）或机器人地址（webhook）")
        if webhook:
            from govwatch.alerts.webhook import parse_webhook
            if parse_webhook(webhook) is None:
                raise RosterError(f"{where}：值班人 {name} 的机器人地址无法使用（应为 wecom:网址、dingtalk:网址、"
                                  "feishu:网址，或企业微信、钉钉、飞书的官方网址）")
        shifts.append(Shift(start, end, name, email, str(row.get("phone") or "").strip(), webhook))
    return sorted(shifts, key=lambda s: s.start)


def load_roster(path: str | os.PathLike) -> list[Shift]:
    p = Path(path)
    if not p.exists():
        raise RosterError(f"值班表文件不存在：{p}")
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise RosterError(f"值班表 {p} 不是有效的 YAML：{exc}") from exc
        rows = data.get("shifts") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise RosterError(f"值班表 {p} 应包含 shifts 列表")
        return parse_rows(rows, str(p))
    if p.suffix.lower() == ".csv":
        return parse_rows(list(csv.DictReader(io.StringIO(text))), str(p))
    raise RosterError(f"值班表 {p} 应为 .yaml、.yml 或 .csv 文件")


_cache: dict[str, tuple[float, list[Shift]]] = {}


def on_duty(path: str | os.PathLike | None, at: datetime) -> list[Shift]:
    """Who is on shift at ``at`` (re-read when the file changes). [] when no roster is configured."""
    if not path:
        return []
    key = str(path)
    try:
        mtime = os.stat(key).st_mtime
    except OSError as exc:
        raise RosterError(f"值班表文件不存在：{key}") from exc
    cached = _cache.get(key)
    if not cached or cached[0] != mtime:
        cached = _cache[key] = (mtime, load_roster(key))
    return [s for s in cached[1] if s.covers(at)]
