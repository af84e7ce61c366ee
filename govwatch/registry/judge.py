"""Registry findings: the registry rules judged after an import, recorded, rectified and reopened
through the lifecycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


from govwatch.models import (
    now,
)


# --------------------------------------------------------------------------------------------
# Registry findings

REGISTRY_RULES = ("registry.duplicate_account", "registry.outsourced_unqualified")


@dataclass
class RegistryJudgment:
    problems: list = field(default_factory=list)  # (target id, Hit)
    new: int = 0
    rectified: list = field(default_factory=list)  # Finding, as it was before closing
    reopened: int = 0


def judge_registry(store, settings=None, at: datetime | None = None) -> RegistryJudgment:
    """Judge the registry as the store now holds it (after an import).

    Problems found are recorded (``registry.*`` findings); open ones no longer produced, because the
    re-imported registry fixed them (an account closed or merged, the operator's qualification
    recorded), become 已整改; a problem back after being marked 已整改 is opened again. What people
    closed (销号) or called a false positive stays as they decided.
    """
    from govwatch.lifecycle import OPEN_STATUSES, deadline_days, record_hits, rectify, reopen
    from govwatch.models import Finding
    from govwatch.store import FindingFilter
    from scanner.registry_rules import check_registry

    at = at or now()
    judgment = RegistryJudgment(problems=check_registry(store.list_targets()))
    before = {f.id: f for f in store.list_findings(FindingFilter(rule_prefix="registry."))
              if f.rule in REGISTRY_RULES}
    stats = record_hits(store, [(None, tid, hit) for tid, hit in judgment.problems], at=at,
                        deadline_days=deadline_days(settings))
    judgment.new = stats.findings_new
    produced = {Finding.from_hit(hit, target_id=tid, at=at).id for tid, hit in judgment.problems}
    for fid in produced:
        old = before.get(fid)
        if old is not None and old.status == "rectified":
            reopen(store, fid, "名录检查：问题再次出现", at)
            judgment.reopened += 1
    for fid, f in before.items():
        if fid in produced or f.status not in OPEN_STATUSES:
            continue
        rectify(store, fid, "名录更新后复查未再发现该问题", at, {"registry_checked_at": at.isoformat()})
        judgment.rectified.append(f)
    return judgment
