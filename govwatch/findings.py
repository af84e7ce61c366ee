"""The finding lifecycle as people drive it: triage, severity overrides,
ignore rules, deadlines (整改时限) and overdue findings.

Every decision a person makes is kept in the finding's history (at, by, from, to, note), so a rescan
(which keeps history, status and overrides, see ``store.base.merge_finding``) never loses it.

Layer 4: imports the models, the store and nothing above.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Callable, Iterable

from govwatch.models import units_below
from govwatch.models import (
    FINDING_STATUS_LABELS, FINDING_STATUSES, FINDING_TRANSITIONS, SEVERITIES, SEVERITY_LABELS, SEVERITY_RANK,
    TZ,
    Finding, Hit, Item, aware, normalise_match, now,
)
from govwatch import lifecycle
from govwatch.lifecycle import (  # noqa: F401  (statuses, deadlines and history live in the lifecycle)
    DEFAULT_DEADLINE_DAYS, DONE_STATUSES, OPEN_STATUSES, deadline_days, deadline_for, is_overdue, last_change,
    status_at,
)
from govwatch.store import FindingFilter, Store, StoreError



class FindingError(ValueError):
    """A user-facing error in the lifecycle (Chinese message)."""


# Status and severity names people type: the English ids, the Chinese labels and common synonyms.
STATUS_ALIASES: dict[str, str] = {
    **{s: s for s in FINDING_STATUSES},
    **{label: s for s, label in FINDING_STATUS_LABELS.items()},
    "未处理": "open", "新发现": "open", "待确认": "open", "重新打开": "open", "重开": "open", "reopen": "open",
    "确认": "confirmed",
    "正在整改": "rectifying", "整改": "rectifying",
    "整改完成": "rectified", "已修改": "rectified", "已处理": "rectified",
    "销号": "closed", "已关闭": "closed", "关闭": "closed",
    "误报": "false_positive", "非问题": "false_positive", "false-positive": "false_positive",
}
SEVERITY_ALIASES: dict[str, str] = {
    **{s: s for s in SEVERITIES},
    **{label: s for s, label in SEVERITY_LABELS.items()},
    "否决": "veto", "一票否决": "veto", "高": "high", "中": "medium", "低": "low", "信息": "info",
}


def parse_status(text: str) -> str:
    status = STATUS_ALIASES.get((text or "").strip().lower()) or STATUS_ALIASES.get((text or "").strip())
    if not status:
        names = "、".join(f"{label}（{s}）" for s, label in FINDING_STATUS_LABELS.items())
        raise FindingError(f"无法识别的问题状态“{text}”，可用：{names}")
    return status


def parse_severity(text: str) -> str:
    severity = SEVERITY_ALIASES.get((text or "").strip().lower()) or SEVERITY_ALIASES.get((text or "").strip())
    if not severity:
        names = "、".join(f"{label}（{s}）" for s, label in SEVERITY_LABELS.items())
        raise FindingError(f"无法识别的问题级别“{text}”，可用：{names}")
    return severity


def parse_day(text: str) -> datetime:
    """``YYYY-MM-DD`` (the start of that day in Asia/Shanghai) or an ISO 8601 time."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=TZ)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FindingError(f"日期格式应为 YYYY-MM-DD：{text}") from exc
    return value if value.tzinfo else value.replace(tzinfo=TZ)


# ---------------------------------------------------------------------------- deadlines

def _late_filter(at: datetime, target_ids: list[str] | None, **kw) -> FindingFilter:
    return lifecycle.overdue_filter(at, target_ids=target_ids, **kw)


def _overdue_order(f: Finding) -> tuple:
    return SEVERITY_RANK.get(f.effective_severity, 9), aware(f.deadline), f.id


def overdue(store: Store, at: datetime | None = None, *, target_ids: Iterable[str] | None = None,
            limit: int | None = None) -> list[Finding]:
    """Open findings past their deadline, most serious and oldest deadline first; ``limit``: the
    first so many only (the duty page), read one severity at a time in that order."""
    at = at or now()
    ids = list(target_ids) if target_ids is not None else None
    if limit is None:
        return sorted(store.list_findings(_late_filter(at, ids, by_deadline=True)), key=_overdue_order)
    late: list[Finding] = []
    for severity in SEVERITIES:  # most serious first
        if len(late) >= limit:
            return late[:limit]
        late += store.list_findings(_late_filter(at, ids, severity=[severity], by_deadline=True,
                                                 limit=limit - len(late)))
    if len(late) < limit:  # severities outside the known ones come last (as in the full list)
        others = [f for f in store.list_findings(_late_filter(at, ids, by_deadline=True))
                  if f.effective_severity not in SEVERITY_RANK]
        late += sorted(others, key=_overdue_order)
    return late[:limit]


def count_overdue(store: Store, at: datetime | None = None, *, target_ids: Iterable[str] | None = None) -> int:
    """How many findings ``overdue`` lists, counted in the store's index."""
    return store.count_findings(_late_filter(at or now(), list(target_ids) if target_ids is not None else None))


# ---------------------------------------------------------------------------- listing

def target_ids_of_owner(store: Store, owner: str) -> list[str]:
    """Targets of ``owner`` and of every unit below it in the roll-up (a county's office sees its
    departments), as the console and the monthly export count them."""
    targets = store.list_targets()
    units = units_below(targets, [owner])
    return [t.id for t in targets if t.owner in units]


def list_findings(store: Store, *, status: Iterable[str] | str | None = None,
                  severity: Iterable[str] | str | None = None, target: str | None = None,
                  owner: str | None = None, since: datetime | None = None, until: datetime | None = None,
                  rule_prefix: str | None = None, limit: int | None = None) -> list[Finding]:
    """Findings filtered the way the duty officer asks; status and severity accept Chinese names.

    ``severity`` filters on the effective severity (a person's override wins); ``since``/``until``
    bound the first sighting.
    """
    if isinstance(status, str):
        status = [status]
    if isinstance(severity, str):
        severity = [severity]
    flt = FindingFilter(
        status=[parse_status(s) for s in status] if status else None,
        severity=[parse_severity(s) for s in severity] if severity else None,
        target_id=target or None, since=since, until=until, rule_prefix=rule_prefix, limit=limit)
    if owner:
        flt.target_ids = target_ids_of_owner(store, owner)
        if not flt.target_ids:
            return []
    return store.list_findings(flt)


def get_finding(store: Store, finding_id: str) -> Finding:
    f = store.get_finding((finding_id or "").strip())
    if f is None:
        raise FindingError(f"问题不存在：{finding_id}")
    return f


# ---------------------------------------------------------------------------- triage

def set_status(store: Store, finding_id: str, status: str, by: str, note: str = "",
               at: datetime | None = None, evidence: dict | None = None) -> Finding:
    """Move a finding along its lifecycle; the change goes into its history with who and why."""
    to = parse_status(status)
    f = get_finding(store, finding_id)
    if not (by or "").strip():
        raise FindingError("请用 --by 注明操作人")
    if to == f.status:
        raise FindingError(f"问题 {f.id} 已经是“{FINDING_STATUS_LABELS[to]}”状态")
    if to not in FINDING_TRANSITIONS[f.status]:
        allowed = "、".join(FINDING_STATUS_LABELS[s] for s in FINDING_TRANSITIONS[f.status])
        raise FindingError(f"问题 {f.id} 不能从“{FINDING_STATUS_LABELS[f.status]}”改为“{FINDING_STATUS_LABELS[to]}”"
                           f"（可改为：{allowed}）")
    try:
        return lifecycle.transition(store, f.id, to, by=by.strip(), note=note or "", at=at or now(),
                                    evidence=evidence)
    except StoreError as exc:
        raise FindingError(str(exc)) from exc


def override_severity(store: Store, finding_id: str, level: str, by: str, why: str,
                      at: datetime | None = None, settings=None) -> Finding:
    """A person sets the finding's severity; the history records who, why, from and to.

    The deadline of a finding still open is recomputed from its first sighting with the new
    severity (a finding raised to 单项否决 must be fixed within a day).
    """
    new = parse_severity(level)
    if not (by or "").strip() or not (why or "").strip():
        raise FindingError("调整问题级别须注明操作人（--by）和理由（--why）")
    at = at or now()
    f = get_finding(store, finding_id)
    old = f.effective_severity
    if new == old:
        raise FindingError(f"问题 {f.id} 的级别已经是“{SEVERITY_LABELS[new]}”")
    note = f"问题级别由“{SEVERITY_LABELS.get(old, old)}”调整为“{SEVERITY_LABELS[new]}”，理由：{why.strip()}"
    fields: dict = {"severity_override": "" if new == f.severity else new}
    if f.status in OPEN_STATUSES and f.first_seen_at:
        deadline = deadline_for(new, f.first_seen_at, settings)
        fields["deadline"] = deadline
        note += f"；整改时限改为 {deadline.astimezone(TZ):%Y-%m-%d %H:%M}"
    # Appending to the history through a same-status transition is one atomic write in the store;
    # the override itself is a second field-level update that leaves the history alone.
    lifecycle.annotate(store, f, by.strip(), note, at)
    store.update_finding(f.id, **fields)
    return get_finding(store, f.id)


# ---------------------------------------------------------------------------- ignore rules

@dataclass(frozen=True)
class IgnoreRule:
    """A person's decision that some hits are not problems: a URL pattern and/or a term, optionally
    within one target and for one rule (or rule family)."""
    id: str = ""
    target_id: str = ""
    url_pattern: str = ""
    term: str = ""
    rule: str = ""
    by: str = ""
    why: str = ""
    created_at: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> "IgnoreRule":
        return cls(**{k: str(d.get(k) or "") for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def describe(self) -> str:
        parts = []
        if self.target_id:
            parts.append(f"监测对象 {self.target_id}")
        if self.url_pattern:
            parts.append(f"网址 {self.url_pattern}")
        if self.term:
            parts.append(f"词语“{self.term}”")
        if self.rule:
            parts.append(f"规则 {self.rule}")
        return "，".join(parts)


def _url_matcher(pattern: str) -> Callable[[str], bool]:
    """Glob (``*``, ``?``) when the pattern has wildcards, otherwise the URL itself or a prefix."""
    if any(c in pattern for c in "*?["):
        rx = re.compile(fnmatch.translate(pattern))
        return lambda url: bool(rx.match(url))
    return lambda url: url == pattern or url.startswith(pattern)


def _rule_matcher(rule: str) -> Callable[[str], bool]:
    if not rule:
        return lambda r: True
    if rule.endswith("."):
        return lambda r: r.startswith(rule)
    return lambda r: r == rule or r.startswith(rule + ".")


class _Compiled:
    __slots__ = ("rule", "target_id", "url", "term", "rule_ok")

    def __init__(self, rule: IgnoreRule):
        self.rule = rule
        self.target_id = rule.target_id
        self.url = _url_matcher(rule.url_pattern) if rule.url_pattern else None
        self.term = normalise_match(rule.term) if rule.term else ""
        self.rule_ok = _rule_matcher(rule.rule)

    def matches(self, target_id: str, url: str, rule: str, match: str) -> bool:
        if self.target_id and self.target_id != target_id:
            return False
        if not self.rule_ok(rule):
            return False
        if self.url is not None and not self.url(url or ""):
            return False
        if self.term and normalise_match(match or "") != self.term:
            return False
        return True


class IgnorePredicate:
    """``predicate(item, hit) -> bool``: True when people said to ignore this hit.

    This is what the crawl and scan paths pass as ``Ingestor(ignore=...)``. Hits without an item
    (site checks) are matched on ``hit.url`` and the ``target_id`` keyword.
    """

    def __init__(self, rules: Iterable[dict | IgnoreRule]):
        self.rules = [r if isinstance(r, IgnoreRule) else IgnoreRule.from_dict(r) for r in rules]
        self._compiled = [_Compiled(r) for r in self.rules]

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def __call__(self, item: Item | None, hit: Hit, target_id: str = "") -> bool:
        tid = item.target_id if item is not None else target_id
        urls = {hit.url, item.url if item is not None else ""} - {""}
        return any(c.matches(tid, url, hit.rule, hit.match) for c in self._compiled for url in (urls or {""}))

    def matching_rule(self, f: Finding) -> IgnoreRule | None:
        for c in self._compiled:
            if c.matches(f.target_id, f.url, f.rule, f.match):
                return c.rule
        return None


def make_ignore_predicate(rules: Iterable[dict | IgnoreRule]) -> IgnorePredicate:
    return IgnorePredicate(rules)


def ignore_predicate(store: Store) -> IgnorePredicate:
    """The predicate built from every ignore rule in the store."""
    return IgnorePredicate(store.list_ignore_rules())


def add_ignore_rule(store: Store, target_id: str | None = None, url_pattern: str | None = None,
                    term: str | None = None, rule: str | None = None, *, by: str, why: str,
                    apply_to_existing: bool = True, at: datetime | None = None) -> tuple[IgnoreRule, list[str]]:
    """Record an ignore rule with who and why. Later scans skip matching hits; with
    ``apply_to_existing`` the matching open findings become 误报 with the rule as the note.

    Returns the rule and the ids of the findings it marked 误报.
    """
    url_pattern, term, rule, target_id = (url_pattern or "").strip(), (term or "").strip(), \
        (rule or "").strip(), (target_id or "").strip()
    if not url_pattern and not term:
        raise FindingError("忽略规则须指定网址模式（--url-pattern）或词语（--term）")
    if not (by or "").strip() or not (why or "").strip():
        raise FindingError("添加忽略规则须注明操作人（--by）和理由（--why）")
    if target_id and store.get_target(target_id) is None:
        raise FindingError(f"监测对象不存在：{target_id}")
    at = at or now()
    data = {"target_id": target_id, "url_pattern": url_pattern, "term": term, "rule": rule,
            "by": by.strip(), "why": why.strip(), "created_at": at.isoformat()}
    data["id"] = store.add_ignore_rule(data)
    saved = IgnoreRule.from_dict(data)
    marked: list[str] = []
    if apply_to_existing:
        compiled = _Compiled(saved)
        for f in lifecycle.open_findings(store, target_id=target_id or None):
            if "false_positive" not in FINDING_TRANSITIONS[f.status]:
                continue  # already being rectified: people decide, not the rule
            if compiled.matches(f.target_id, f.url, f.rule, f.match):
                lifecycle.transition(store, f.id, "false_positive", by=saved.by, at=at,
                                     note=f"忽略规则 {saved.id}（{saved.describe()}）：{saved.why}")
                marked.append(f.id)
    return saved, marked


def list_ignore_rules(store: Store) -> list[IgnoreRule]:
    return [IgnoreRule.from_dict(r) for r in store.list_ignore_rules()]


def delete_ignore_rule(store: Store, rule_id: str) -> None:
    if not store.delete_ignore_rule(rule_id):
        raise FindingError(f"忽略规则不存在：{rule_id}")
