"""Sensitive periods (敏感时期): date ranges the admin declares (a congress, an anniversary, a
disaster) during which stricter settings apply.

A period is active on every day from its start day to its end day inclusive, days counted in
Asia/Shanghai. What a period changes:

- thresholds: its own overrides (``--set thresholds.KEY=VALUE``) over the configured values;
- lexicons: its extra lexicon directories, appended to ``lexicon_dirs``;
- probing: ``schedule.probe_minutes`` becomes the period's own interval, else
  ``periods.probe_minutes`` (never longer than the configured interval);
- alerts: findings of ``periods.urgent_severities`` (veto) are alerted at once, never left for the
  digest and never held back by a contact's sending hours (govwatch/alerts/policy.py asks
  ``urgent_severities``).

``effective_settings`` is the one place that turns settings plus the active periods into the
settings in force. Periods are stored through the store (``put_period`` / ``list_periods`` /
``delete_period``) as plain dicts (``Period.to_dict``). Imports no store.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from govwatch.models import TZ, aware, now
from govwatch.settings import SPECS, Settings

NAME_MAX = 60
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(ValueError):
    """A period that cannot be declared: the message (Chinese) names the field."""


@dataclass
class Period:
    name: str
    start: date
    end: date
    probe_minutes: int | None = None  # None: periods.probe_minutes
    overrides: dict = field(default_factory=dict)  # dotted thresholds key -> number
    lexicon_dirs: list[str] = field(default_factory=list)
    created_by: str = ""
    created_at: datetime | None = None

    def active_on(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def span(self) -> str:
        return f"{self.start.isoformat()}至{self.end.isoformat()}"

    @property
    def line(self) -> str:
        """The line alerts and the console carry."""
        return f"敏感时期：{self.name}（{self.span}）"

    def to_dict(self) -> dict:
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "probe_minutes": self.probe_minutes, "overrides": dict(self.overrides),
                "lexicon_dirs": list(self.lexicon_dirs), "created_by": self.created_by,
                "created_at": self.created_at.isoformat() if self.created_at else None}

    @classmethod
    def from_dict(cls, d: dict) -> "Period":
        created = d.get("created_at")
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        return cls(name=d["name"], start=date.fromisoformat(d["start"]), end=date.fromisoformat(d["end"]),
                   probe_minutes=d.get("probe_minutes"), overrides=dict(d.get("overrides") or {}),
                   lexicon_dirs=list(d.get("lexicon_dirs") or []), created_by=d.get("created_by") or "",
                   created_at=aware(created) if created else None)


# ----------------------------------------------------------------------------- declaring

def parse_day(value: str, what: str) -> date:
    value = (value or "").strip()
    if not _DAY.fullmatch(value):
        raise PeriodError(f"{what}应为 YYYY-MM-DD 格式的日期：{value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PeriodError(f"{what}不是有效的日期：{value!r}") from exc


def parse_override(text: str) -> tuple[str, int | float]:
    """``thresholds.KEY=VALUE`` -> (key, number); only numeric thresholds can be overridden."""
    key, sep, raw = (text or "").partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise PeriodError(f"--set 应写成 thresholds.设置项=数值：{text!r}")
    spec = SPECS.get(key)
    if spec is None or not key.startswith("thresholds."):
        raise PeriodError(f"--set 的设置项未知（只能覆盖 thresholds.* 中的数值阈值，见 govwatch settings）：{key}")
    if isinstance(spec.default, bool) or not isinstance(spec.default, (int, float)):
        raise PeriodError(f"--set 的设置项 {key} 不是数值阈值，敏感时期不能覆盖")
    try:
        value: int | float = int(raw) if isinstance(spec.default, int) and re.fullmatch(r"[+-]?\d+", raw) else float(raw)
    except ValueError as exc:
        raise PeriodError(f"--set {key} 的值应为数字：{raw!r}") from exc
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise PeriodError(f"--set {key} 的值应为非负数字：{raw!r}")
    return key, value


def make_period(name: str, start: str, end: str, probe_minutes: int | None = None,
                sets: list[str] | None = None, lexicon_dirs: list[str] | None = None,
                created_by: str = "", at: datetime | None = None) -> Period:
    """A validated period from the command line's words."""
    from pathlib import Path

    name = (name or "").strip()
    if not name:
        raise PeriodError("名称不能为空")
    if len(name) > NAME_MAX or not name.isprintable():
        raise PeriodError(f"名称应为不超过 {NAME_MAX} 个可打印字符：{name!r}")
    first = parse_day(start, "开始日期 --from ")
    last = parse_day(end, "结束日期 --to ")
    if last < first:
        raise PeriodError(f"结束日期 --to {last.isoformat()} 早于开始日期 --from {first.isoformat()}")
    if probe_minutes is not None and probe_minutes < 1:
        raise PeriodError(f"探测间隔 --probe-minutes 应为正整数（分钟）：{probe_minutes}")
    overrides = dict(parse_override(s) for s in sets or [])
    dirs = []
    for d in lexicon_dirs or []:
        p = Path(d).expanduser()
        if not p.is_dir():
            raise PeriodError(f"词库目录 --lexicon-dir 不存在：{d}")
        dirs.append(str(p.resolve()))
    return Period(name=name, start=first, end=last, probe_minutes=probe_minutes, overrides=overrides,
                  lexicon_dirs=dirs, created_by=created_by, created_at=aware(at) if at else now())


# ----------------------------------------------------------------------------- in force

def local_day(at: datetime) -> date:
    return aware(at).astimezone(TZ).date()


def active_periods(periods, at: datetime | None = None) -> list[Period]:
    """The periods (``Period`` or stored dicts) active at ``at``, by start day then name."""
    day = local_day(at or now())
    chosen = [p if isinstance(p, Period) else Period.from_dict(p) for p in periods]
    return sorted((p for p in chosen if p.active_on(day)), key=lambda p: (p.start, p.name))


def periods_at(store, at: datetime | None = None) -> list[Period]:
    """The active periods as the store keeps them."""
    return active_periods(store.list_periods(), at)


def _set_dotted(data: dict, key: str, value) -> None:
    *parents, leaf = key.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def effective_settings(settings: Settings, periods: list[Period]) -> Settings:
    """The settings in force during ``periods`` (already filtered to the active ones): thresholds
    overridden (in start order, a later period's value winning), lexicon directories appended,
    the probe interval the shortest of the periods' and the configured one. ``settings`` is not
    changed; with no period it is returned as is."""
    if not periods:
        return settings
    data = copy.deepcopy(settings.data)
    dirs = list(data.get("lexicon_dirs") or [])
    default_minutes = int(lookup_default(data, "periods.probe_minutes"))
    minutes = int(data["schedule"]["probe_minutes"])
    for p in sorted(periods, key=lambda p: (p.start, p.name)):
        for key, value in p.overrides.items():
            _set_dotted(data, key, value)
        dirs += [d for d in p.lexicon_dirs if d not in dirs]
        minutes = min(minutes, int(p.probe_minutes or default_minutes))
    data["lexicon_dirs"] = dirs
    data["schedule"]["probe_minutes"] = max(1, minutes)
    return Settings(data=data, source=settings.source, sources=dict(settings.sources),
                    active_periods=sorted(periods, key=lambda p: (p.start, p.name)))


def lookup_default(data: dict, key: str):
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return SPECS[key].default
        node = node[part]
    return node


def settings_at(settings: Settings, store, at: datetime | None = None) -> Settings:
    """Effective settings at ``at`` from the periods the store keeps."""
    return effective_settings(settings, periods_at(store, at))


def urgent_severities(settings: Settings, periods: list[Period]) -> frozenset[str]:
    """Severities alerted at once, past digests and sending hours: none outside a period."""
    if not periods:
        return frozenset()
    return frozenset(lookup_default(settings.data, "periods.urgent_severities") or ())
