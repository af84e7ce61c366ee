"""Settings: defaults, then an optional ``govwatch.toml``, then ``GOVWATCH_*`` environment variables.

With no file at all everything runs on the embedded default: SQLite and snapshots under ``./var/``.
Imports nothing of the project.
"""
from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS: dict = {
    "db": "sqlite:///var/govwatch.db",
    "var_dir": "var",
    "lexicon_dirs": [],
    "timezone": "Asia/Shanghai",
    "admin_emails": [],
    "roster": "",
    "crawl": {
        "concurrency": 16,
        "per_domain": 4,
        "timeout": 15,
        "max_page_bytes": 5 * 1024 * 1024,
        "obey_robots": True,
        "verify_tls": True,
        "max_pages_per_target": 500,
        "list_pages": 3,
        "user_agent": "Mozilla/5.0 (compatible; govwatch/0.1)",  # ASCII: HTTP headers are latin-1
        "subprocess_timeout": 3600,
        "redis_url": "",  # set to crawl on several machines: the scheduler queues, govwatch worker crawls
        "retries": 1,
        "autothrottle": True,
        "autothrottle_start_delay": 0.5,
        "autothrottle_target": 2.0,
        # accounts (crawler/accounts.py): per-host spacing and back-off; platforms throttle hard
        "account_delay": 1.0,
        "weibo_delay": 3.0,
        "weibo_backoff": 30.0,
        "weibo_pages": 3,
        "weibo_cookie": "",
        "wechat_blocked_limit": 2,
        "host_refusals": 3,
        "account_workers": 4,
        "feed_entries": 50,
    },
    "thresholds": {
        "homepage_stale_days": 14,
        "column_stale_days": {"news": 14, "notice": 180, "policy": 180, "overview": 365},
        "column_warn_ratio": 0.8,
        "column_stale_veto_count": 5,
        "account_stale_days": {"text": 7, "video": 10},
        "account_stale_veto_days": 14,
        "zombie_candidate_days": 90,
        "zombie_days": 365,
        "reprint_hours": 12,
        "backdated_days": 3,
        # timeline (scanner/timeline.py): blank columns that make a veto, clock skew allowed before a
        # date counts as future, how old the last good crawl may be before a verdict is unknown,
        # reprint matching, and overrides per platform / content type (target.rules override last)
        "column_empty_veto_count": 5,
        "future_date_tolerance_minutes": 60,
        "crawl_max_age_hours": 72,
        "reprint_similarity": 0.8,
        "reprint_lookback_hours": 72,
        "by_platform": {},  # e.g. {"weibo": {"account_stale_days": 3}}
        "by_content_type": {},  # e.g. {"video": {"zombie_candidate_days": 120}}
        "unreachable_share": 0.05,
        "down_consecutive": 3,
        "slow_ms": 3000,
        "tls_expiring_days": 14,
        "probe_timeout": 15,
    },
    "deadlines_days": {"veto": 1, "high": 3, "medium": 5, "low": 5, "info": 5},
    "schedule": {
        "probe_minutes": 30,
        "crawl_hours": 6,
        "nightly": "02:00",
        "recheck": "03:00",
        "flush_seconds": 60,
        "digest": "08:30",
        "monthly_export": "06:00",
        "misfire_grace_seconds": 3600,
        "heartbeat_seconds": 30,  # single-instance lock refresh
        "lock_ttl_seconds": 90,  # a dead service's lock is taken over after this
        "shutdown_grace_seconds": 20,  # running crawl subprocesses get this long after SIGTERM
    },
    "smtp": {
        "host": "127.0.0.1",
        "port": 25,
        "security": "none",  # none, starttls, ssl
        "sender": "govwatch@localhost",
        "sender_name": "政务网站监测",
        "user": "",  # set GOVWATCH_SMTP__USER / GOVWATCH_SMTP__PASSWORD in the environment
        "password": "",
        "timeout": 30,
        "cafile": "",  # a private CA for the mail server's certificate (default: the system's)
    },
    "alerts": {
        "max_attempts": 8,
        "backoff_seconds": 60,  # doubled after each failed attempt
        "backoff_max_seconds": 21600,
        "mute_days": 7,  # repeats per page and rule are muted this long
        "review_before_send": False,  # alerts to offices wait for `govwatch alerts release`
        "immediate_severities": ["veto", "high"],
        "digest_severities": ["medium", "low"],
        "leader_severities": ["veto"],  # what a unit's 负责人 receives at once
        "collector_failures": 3,  # consecutive failed crawls before the admin is told
        "sweep_days": 3,  # how far back the flush job looks for unalerted serious findings
        "batch": 200,
        "webhook_timeout": 10,
        "console_url": "",  # base URL of the console, for links in alerts
    },
    "logging": {
        "level": "INFO",
        "file": "logs/govwatch.log",  # under var_dir
        "max_bytes": 10 * 1024 * 1024,
        "backups": 5,
    },
}

# GOVWATCH_<NAME> for top-level keys; nested keys as GOVWATCH_<SECTION>__<KEY>, e.g. GOVWATCH_SMTP__HOST.
LIST_KEYS = {"lexicon_dirs", "admin_emails"}


class SettingsError(ValueError):
    pass


@dataclass
class Settings:
    data: dict = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    source: str = ""

    def __getattr__(self, name: str):
        data = self.__dict__.get("data", {})
        if name in data:
            return data[name]
        raise AttributeError(name)

    @property
    def var_path(self) -> Path:
        return Path(self.data["var_dir"])

    @property
    def snapshot_dir(self) -> Path:
        return self.var_path / "snapshots"

    def threshold(self, name: str):
        return self.data["thresholds"][name]


def _merge(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


def _coerce(raw: str, like):
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on", "是")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if isinstance(like, list):
        return [p for p in raw.replace(os.pathsep, ",").split(",") if p.strip()]
    return raw


def load_settings(path: str | os.PathLike | None = None, env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    data = copy.deepcopy(DEFAULTS)
    source = ""
    path = path or env.get("GOVWATCH_CONFIG")
    candidate = Path(path) if path else Path("govwatch.toml")
    if path and not candidate.exists():
        raise SettingsError(f"配置文件不存在：{candidate}")
    if candidate.exists():
        try:
            with open(candidate, "rb") as fh:
                _merge(data, tomllib.load(fh))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"配置文件 {candidate} 格式错误：{exc}") from exc
        source = str(candidate)
    for key, raw in env.items():
        if not key.startswith("GOVWATCH_") or key == "GOVWATCH_CONFIG" or key.startswith("GOVWATCH_TEST_"):
            continue
        name = key[len("GOVWATCH_"):].lower()
        section, _, sub = name.partition("__")
        try:
            if sub and isinstance(data.get(section), dict):
                data[section][sub] = _coerce(raw, data[section].get(sub, ""))
            elif section in data:
                data[section] = _coerce(raw, data[section])
        except ValueError as exc:
            raise SettingsError(f"环境变量 {key} 的值无效：{raw!r}") from exc
    if isinstance(data["lexicon_dirs"], str):
        data["lexicon_dirs"] = [data["lexicon_dirs"]]
    if data["db"] == DEFAULTS["db"] and data["var_dir"] != DEFAULTS["var_dir"]:
        # the default database follows the var directory
        data["db"] = "sqlite:///" + str(Path(data["var_dir"]) / "govwatch.db")
    return Settings(data=data, source=source)
