"""Registry checks: judgments over the target list itself, no I/O.

- ``registry.duplicate_account``: one owner with two or more enabled accounts on one platform
  (国办发〔2018〕123号: 一个单位原则上在同一平台只开设一个政务新媒体账号). Websites are excluded, and
  so are ``feed`` and ``other``, whose one code covers many different platforms.
- ``registry.outsourced_unqualified``: content operation outsourced to an operator not recorded
  as qualified (``operator_qualified`` is not True).

Disabled targets are not monitored and raise nothing.
"""
from __future__ import annotations

from govwatch import rules as catalogue
from govwatch.models import PLATFORM_LABELS, Hit, Target

DUPLICATE_ACCOUNT = "registry.duplicate_account"
OUTSOURCED_UNQUALIFIED = "registry.outsourced_unqualified"
NOT_ACCOUNT_PLATFORMS = frozenset({"website", "feed", "other"})


def check_registry(targets: list[Target]) -> list[tuple[str, Hit]]:
    """Every registry problem as (target id, hit), in the order of ``targets``."""
    return duplicate_accounts(targets) + outsourced_unqualified(targets)


def _owner_key(owner: str) -> str:
    return "".join(owner.split())


def duplicate_accounts(targets: list[Target]) -> list[tuple[str, Hit]]:
    groups: dict[tuple[str, str], list[Target]] = {}
    for t in targets:
        if t.enabled and t.platform not in NOT_ACCOUNT_PLATFORMS and _owner_key(t.owner):
            groups.setdefault((_owner_key(t.owner), t.platform), []).append(t)
    hits = []
    for (_, platform), group in groups.items():
        if len(group) < 2:
            continue
        label = PLATFORM_LABELS.get(platform, platform)
        owner = group[0].owner
        names = "、".join(f"“{t.name}”" for t in group)
        hit = Hit(
            rule=DUPLICATE_ACCOUNT, category=catalogue.label(DUPLICATE_ACCOUNT),
            severity=catalogue.severity(DUPLICATE_ACCOUNT), field="registry",
            match=f"{owner}·{label}",
            detail=f"一个单位同一平台多个账号：{owner}在{label}开设了{len(group)}个账号（{names}）",
            suggestion=catalogue.measure_text(DUPLICATE_ACCOUNT),
        )
        hits.extend((t.id, hit) for t in group)
    return hits


def outsourced_unqualified(targets: list[Target]) -> list[tuple[str, Hit]]:
    hits = []
    for t in targets:
        if not t.enabled or t.operator_type != "outsourced" or t.operator_qualified is True:
            continue
        operator = f"“{t.operator_name}”" if t.operator_name else "外包单位（名录未填写名称）"
        state = "不具备新闻信息服务资质" if t.operator_qualified is False else "名录未登记其具备新闻信息服务资质"
        hits.append((t.id, Hit(
            rule=OUTSOURCED_UNQUALIFIED, category=catalogue.label(OUTSOURCED_UNQUALIFIED),
            severity=catalogue.severity(OUTSOURCED_UNQUALIFIED), field="registry",
            match=t.operator_name or "外包",
            detail=f"{t.name}的内容运营外包给{operator}，{state}",
            suggestion=catalogue.measure_text(OUTSOURCED_UNQUALIFIED),
        )))
    return hits
