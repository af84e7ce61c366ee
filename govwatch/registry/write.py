"""Writing registry files (the same headers, so an exported file loads to identical targets) and
listing targets.
"""
from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import yaml

from govwatch.models import (
    CONTENT_TYPE_LABELS, OPERATOR_LABELS, PLATFORM_LABELS, Column,
    Contact, Target, now,
)

from govwatch.registry.fields import (
    CHANNEL_LABELS, COLUMN_KIND_LABELS, EXPORT_HEADERS, EXPORT_KEYS, Problem, RegistryError,
    YAML_SUFFIXES, _FORMULA_RE, _blank, infer_column_kind,
)

# --------------------------------------------------------------------------------------------
# Export


def _contact_cell(c: Contact) -> str:
    parts = [c.name, c.email, c.phone, c.hours]
    if c.channels != ["email"]:
        parts.append("渠道:" + ",".join(CHANNEL_LABELS.get(ch, ch) for ch in c.channels))
    parts.append(c.webhook)
    return "|".join(p for p in parts if p)


def _column_cell(c: Column) -> str:
    kind = "" if c.kind == infer_column_kind(c.name) else COLUMN_KIND_LABELS.get(c.kind, c.kind)
    parts = [c.name, c.url, kind, str(c.max_gap_days) if c.max_gap_days else ""]
    while parts and not parts[-1]:
        parts.pop()
    return "|".join(parts)


def _bool_cell(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _json_cell(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if value else ""


def spreadsheet_cells(t: Target) -> dict[str, str]:
    """A target as spreadsheet text, by field key (the keys of EXPORT_KEYS)."""
    m = t.maintenance
    return {
        "id": t.id, "name": t.name, "platform": PLATFORM_LABELS.get(t.platform, t.platform),
        "locator": t.url, "account_id": t.account_id, "feed_url": t.feed_url, "owner": t.owner,
        "owner_level": t.owner_level, "parent": t.parent, "office": t.office,
        "emails": ";".join(t.emails),
        "leader": ";".join(_contact_cell(c) for c in t.contacts if c.role == "负责人"),
        "liaison": ";".join(_contact_cell(c) for c in t.contacts if c.role != "负责人"),
        "operator": OPERATOR_LABELS.get(t.operator_type, t.operator_type),
        "operator_name": t.operator_name, "operator_qualified": _bool_cell(t.operator_qualified),
        "content_type": CONTENT_TYPE_LABELS.get(t.content_type, t.content_type),
        "columns": ";".join(_column_cell(c) for c in t.columns),
        "maintenance": m.kind if m else "", "maintenance_until": m.until.isoformat() if m and m.until else "",
        "tags": "、".join(t.tags), "enabled": _bool_cell(t.enabled),
        "rules": _json_cell(t.rules), "crawl": _json_cell(t.crawl),
    }


def neutralise(text: str) -> str:
    """Keep Excel from running a cell as a formula (=, +, -, @): prefix a single quote."""
    return "'" + text if _FORMULA_RE.match(text) else text


def _spreadsheet_rows(targets: list[Target]) -> list[list[str]]:
    return [[neutralise(cells[k]) for k in EXPORT_KEYS] for cells in map(spreadsheet_cells, targets)]


def _yaml_entry(t: Target) -> dict:
    """A target for YAML, leaving out what equals the default (what load fills in again)."""
    defaults = {"operator_type": "self", "content_type": "text", "enabled": True}
    entry = {}
    for key, value in t.registry_dict().items():
        if _blank(value) or defaults.get(key) == value:
            continue
        entry[key] = value
    if t.maintenance:
        entry["maintenance"] = {k: v for k, v in t.maintenance.to_dict().items() if v is not None}
    if t.columns:
        entry["columns"] = [
            {k: v for k, v in c.to_dict().items()
             if not (_blank(v) or (k == "kind" and v == infer_column_kind(c.name)))}
            for c in t.columns
        ]
    if t.contacts:
        entry["contacts"] = [
            {k: v for k, v in c.to_dict().items() if not (v == "" or (k == "channels" and v == ["email"]))}
            for c in t.contacts
        ]
    return entry


def export_targets(targets: list[Target], path: str | Path) -> None:
    """Write targets to .xlsx, .csv (UTF-8 with BOM, for Excel) or .yaml; load_targets reads it back."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(targets, path)
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(EXPORT_HEADERS)
            writer.writerows(_spreadsheet_rows(targets))
    elif suffix in YAML_SUFFIXES:
        text = yaml.safe_dump({"targets": [_yaml_entry(t) for t in targets]}, allow_unicode=True,
                              sort_keys=False, default_flow_style=False, width=120)
        path.write_text(text, encoding="utf-8")
    else:
        raise RegistryError(path, [Problem(None, "", "不支持的导出类型（可用 .xlsx、.csv、.yaml）")])


def _write_xlsx(targets: list[Target], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "监测对象"
    sheet.append(list(EXPORT_HEADERS))
    rows = _spreadsheet_rows(targets)
    for row in rows:
        sheet.append([value or None for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(EXPORT_HEADERS):
        longest = max([len(header) * 2] + [min(len(r[index]), 40) for r in rows])
        sheet.column_dimensions[get_column_letter(index + 1)].width = longest + 2
    sheet.freeze_panes = "C2"
    workbook.save(path)


# --------------------------------------------------------------------------------------------
# Listing


def target_status(t: Target, at: datetime | None = None) -> str:
    """停用, the maintenance state (with its end date), or 启用."""
    if not t.enabled:
        return "停用"
    if t.in_maintenance(at or now()):
        until = t.maintenance.until
        return t.maintenance.kind + (f"（至{until.isoformat()}）" if until else "")
    return "启用"


def target_rows(targets: list[Target], at: datetime | None = None) -> list[list[str]]:
    """Rows under LIST_HEADERS, for ``govwatch targets list``."""
    return [
        [t.id, t.name, PLATFORM_LABELS.get(t.platform, t.platform), t.owner, t.office,
         t.url or t.account_id or t.feed_url, target_status(t, at)]
        for t in targets
    ]
