"""The Store protocol: domain methods, not a query language.

Two implementations: ``sqlite.SqliteStore`` (embedded default) and ``mongo.MongoStore``. Both pass the
same contract suite (tests/test_store_contract.py). Everything persistent goes through here.
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator, Protocol

from govwatch.models import (
    FINDING_TRANSITIONS, Alert, Check, Finding, Item, Run, Target, aware, now,
)


class StoreError(Exception):
    """A user-facing storage error (Chinese message)."""


def storage_error_message(exc: BaseException, doing: str = "") -> str:
    """A Chinese message for a storage failure: a full disk, a corrupted or locked database, no
    permission. Used by the store and by the command line for errors raised by the database driver."""
    import errno

    text = str(exc)
    low = text.lower()
    what = f"{doing}失败：" if doing else ""
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in low or "no space" in low:
        return f"{what}磁盘空间不足，请清理磁盘（快照目录、日志、导出材料）后重试；未完成的写入已撤销"
    if "malformed" in low or "not a database" in low or "file is encrypted" in low or "corrupt" in low:
        return (f"{what}数据库文件已损坏或不是 govwatch 数据库（{text[:80]}）：请从备份恢复，"
                "或用 sqlite3 的 .recover 命令导出可读部分后重建")
    if "locked" in low or "busy" in low:
        return f"{what}数据库正被其他进程占用（{text[:80]}），请稍后重试"
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in low or "read-only" in low:
        return f"{what}没有写入权限或磁盘为只读（{text[:80]}）"
    return f"{what}存储错误（{type(exc).__name__}: {text[:120]}）"


class TransitionError(StoreError):
    pass


@dataclass
class UpsertResult:
    """What an item upsert did: ids of new items, of changed items, and how many were unchanged."""
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class FindingFilter:
    status: Iterable[str] | None = None
    severity: Iterable[str] | None = None
    target_id: str | None = None
    target_ids: Iterable[str] | None = None
    rule_prefix: str | None = None
    item_id: str | None = None
    since: datetime | None = None  # first_seen_at >= since
    until: datetime | None = None  # first_seen_at < until
    seen_since: datetime | None = None  # last_seen_at >= seen_since
    deadline_before: datetime | None = None  # deadline < deadline_before (aware; none: not matched)
    limit: int | None = None
    offset: int = 0  # skip this many (a page of a listing)
    newest_first: bool = False  # order by first sighting, newest first (default: oldest first)
    by_deadline: bool = False  # order by deadline, then id (earliest first); wins over newest_first


@dataclass
class ColumnState:
    """Per-column publication state maintained at ingest (keeps nightly detection O(targets))."""
    target_id: str
    column: str
    last_published_at: datetime | None = None
    items: int = 0


@dataclass(slots=True)
class TargetSummary:
    """The few fields that tell whether a target can be judged without loading it: nightly
    detection skips plainly current accounts (most of them) this way."""
    id: str
    platform: str
    content_type: str = "text"
    has_rules: bool = False
    last_published_at: datetime | None = None
    last_crawl_ok_at: datetime | None = None
    consecutive_failures: int = 0
    error_kind: str = ""
    columns: list[tuple[str, str, int | None]] = field(default_factory=list)  # websites: name, kind, max gap


class Store(Protocol):
    # targets -----------------------------------------------------------------
    def upsert_targets(self, targets: list[Target]) -> tuple[int, int]: ...
    def get_target(self, target_id: str) -> Target | None: ...
    def list_targets(self, enabled_only: bool = False) -> list[Target]: ...
    def update_target_state(self, target_id: str, **fields) -> None: ...
    def target_summaries(self, enabled_only: bool = True) -> list[TargetSummary]: ...
    def get_targets(self, target_ids: list[str]) -> list[Target]: ...
    # items -------------------------------------------------------------------
    def upsert_items(self, items: list[Item], at: datetime | None = None) -> UpsertResult: ...
    def get_item(self, item_id: str) -> Item | None: ...
    def iter_items(self, target_id: str | None = None, not_scanned_with: str | None = None,
                   batch: int = 500) -> Iterator[Item]: ...
    def item_signatures(self, target_id: str) -> dict[str, tuple[str, str, str]]: ...
    def mark_scanned(self, item_ids: list[str], version: str) -> None: ...
    def set_item_state(self, item_id: str, state: str, at: datetime | None = None) -> None: ...
    def column_states(self, target_id: str | None = None,
                      target_ids: list[str] | None = None) -> list[ColumnState]: ...
    def column_states_before(self, target_id: str, horizon: datetime) -> list[ColumnState]: ...
    def record_column_listing(self, target_id: str, column: str, latest: datetime | None,
                              entries: int) -> None: ...
    def count_items(self, target_id: str | None = None) -> int: ...
    # findings ----------------------------------------------------------------
    def upsert_findings(self, findings: list[Finding], at: datetime | None = None) -> UpsertResult: ...
    def get_finding(self, finding_id: str) -> Finding | None: ...
    def list_findings(self, flt: FindingFilter | None = None) -> list[Finding]: ...
    def count_findings(self, flt: FindingFilter | None = None) -> int: ...
    def transition_finding(self, finding_id: str, to: str, by: str = "system", note: str = "",
                           at: datetime | None = None, evidence: dict | None = None) -> Finding: ...
    def update_finding(self, finding_id: str, **fields) -> None: ...
    def set_deadlines(self, deadlines: dict[str, datetime | None]) -> int: ...
    # small named values the application keeps beside its records (e.g. the deadline table in force)
    def get_meta(self, key: str) -> str | None: ...
    def put_meta(self, key: str, value: str) -> None: ...
    # checks ------------------------------------------------------------------
    def record_checks(self, checks: list[Check]) -> None: ...
    def list_checks(self, target_id: str, since: datetime | None = None) -> list[Check]: ...
    # alerts ------------------------------------------------------------------
    def enqueue_alerts(self, alerts: list[Alert]) -> int: ...
    def due_alerts(self, at: datetime, limit: int = 100) -> list[Alert]: ...
    def update_alert(self, alert_id: str, **fields) -> None: ...
    def list_alerts(self, status: str | None = None, limit: int = 200) -> list[Alert]: ...
    # runs --------------------------------------------------------------------
    def start_run(self, job: str, at: datetime | None = None) -> Run: ...
    def finish_run(self, run: Run, ok: bool, stats: dict | None = None, error: str = "",
                   at: datetime | None = None) -> None: ...
    def list_runs(self, job: str | None = None, limit: int = 50) -> list[Run]: ...
    # timeline ----------------------------------------------------------------
    def publication_times(self, target_ids: list[str], since: datetime,
                          until: datetime) -> dict[str, list[datetime]]: ...
    # people's decisions and logs ---------------------------------------------------
    def add_ignore_rule(self, rule: dict) -> str: ...
    def list_ignore_rules(self) -> list[dict]: ...
    def delete_ignore_rule(self, rule_id: str) -> bool: ...
    def log_alert_event(self, event: dict) -> None: ...
    def list_alert_log(self, limit: int = 200) -> list[dict]: ...
    # sensitive periods (govwatch/periods.py): Period.to_dict() records, one per name ---------
    def put_period(self, period: dict) -> bool: ...
    def get_period(self, name: str) -> dict | None: ...
    def list_periods(self) -> list[dict]: ...
    def delete_period(self, name: str) -> bool: ...
    # single-instance locks ---------------------------------------------------------
    def try_lock(self, name: str, holder: str, ttl_seconds: int, at: datetime | None = None) -> bool: ...
    def release_lock(self, name: str, holder: str) -> None: ...
    # console users, sessions and the audit trail ----------------------------------
    def put_user(self, user: dict) -> None: ...
    def get_user(self, name: str) -> dict | None: ...
    def list_users(self) -> list[dict]: ...
    def update_user(self, name: str, **fields) -> dict: ...
    def create_session(self, session: dict) -> None: ...
    def get_session(self, session_id: str, at: datetime | None = None) -> dict | None: ...
    def get_session_user(self, session_id: str, at: datetime | None = None) -> tuple[dict, dict | None] | None: ...
    def extend_session(self, session_id: str, expires_at: datetime) -> None: ...
    def delete_session(self, session_id: str) -> None: ...
    def delete_user_sessions(self, name: str) -> int: ...
    def log_audit(self, event: dict) -> None: ...
    def list_audit(self, limit: int = 200, user: str | None = None) -> list[dict]: ...
    # snapshots ---------------------------------------------------------------
    def get_ocr(self, sha256: str) -> dict | None: ...
    def put_ocr(self, sha256: str, result: dict, at: datetime | None = None) -> None: ...
    def add_ocr_backlog(self, target_id: str, entries: list[dict], at: datetime | None = None) -> None: ...
    def take_ocr_backlog(self, target_id: str, limit: int = 100) -> list[dict]: ...

    def put_snapshot(self, raw: bytes) -> str: ...
    def get_snapshot(self, sha256: str) -> bytes | None: ...
    # lifecycle ---------------------------------------------------------------
    def close(self) -> None: ...


# Helpers shared by both backends ---------------------------------------------

def snapshot_key(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def compress(raw: bytes) -> bytes:
    # mtime=0 keeps the stored bytes deterministic for identical pages
    return gzip.compress(raw, compresslevel=6, mtime=0)


def ignore_rule_record(rule: dict) -> dict:
    """An ignore rule as stored: the same rule (target, URL pattern, term, rule) keeps one id."""
    from govwatch.models import stable_id

    rule = dict(rule)
    rule.setdefault("created_at", now().isoformat())
    rule["id"] = rule.get("id") or stable_id(rule.get("target_id", ""), rule.get("url_pattern", ""),
                                             rule.get("term", ""), rule.get("rule", ""), length=12)
    return rule


def merge_registry(stored: dict, incoming: Target) -> dict:
    """Re-import: registry fields come from the file, derived state stays as stored."""
    fresh = incoming.to_dict(jsonable=True)
    return stored | {k: fresh[k] for k in Target.REGISTRY_FIELDS}


def merge_finding(old: Finding | None, new: Finding, at: datetime) -> Finding:
    """A rescan refreshes what the scanner said, keeps what people decided.

    Status, history, first sighting, deadline, alerting and severity overrides survive; a rescan
    never reopens a false positive or a closed finding.
    """
    if old is None:
        new.first_seen_at = new.first_seen_at or at
        new.last_seen_at = new.last_seen_at or at
        if not new.history:
            new.history = [{"at": at.isoformat(), "by": "system", "from": "", "to": new.status,
                            "note": "发现问题"}]
        return new
    new.status = old.status
    new.history = list(old.history)
    new.first_seen_at = old.first_seen_at
    new.last_seen_at = at
    new.deadline = old.deadline
    new.alerted_at = old.alerted_at
    new.severity_override = old.severity_override
    # the evidence is the page as it was when the problem was first seen; a later sighting is kept
    # beside it, never over it (the monthly export must show the original)
    if old.evidence:
        latest = new.evidence.get("snapshot") if new.evidence else None
        new.evidence = dict(old.evidence)
        if latest and latest != old.evidence.get("snapshot"):
            new.evidence["latest_snapshot"] = latest
    return new


def apply_transition(f: Finding, to: str, by: str, note: str, at: datetime,
                     evidence: dict | None) -> Finding:
    from govwatch.models import FINDING_STATUS_LABELS

    if to not in FINDING_TRANSITIONS:
        raise TransitionError(f"未知的问题状态：{to}")
    if to != f.status and to not in FINDING_TRANSITIONS[f.status]:
        raise TransitionError(
            f"问题 {f.id} 不能从“{FINDING_STATUS_LABELS[f.status]}”改为“{FINDING_STATUS_LABELS[to]}”")
    entry = {"at": at.isoformat(), "by": by, "from": f.status, "to": to, "note": note}
    if evidence:
        entry["evidence"] = evidence
        f.evidence = {**f.evidence, "rectified": evidence} if to in ("rectified", "closed") else evidence
    f.history = [*f.history, entry]
    f.status = to
    return f


def item_changed(old_hash: str | None, new: Item) -> bool:
    return old_hash is not None and old_hash != new.content_hash


def stamp(at: datetime | None) -> datetime:
    return aware(at) if at else now()
