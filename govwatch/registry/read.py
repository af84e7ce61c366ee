"""Reading registry files: CSV, XLSX and YAML tables to rows, rows to targets (every problem collected
with its row).
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable

import yaml

from govwatch.models import (
    OPERATOR_LABELS, Contact, Maintenance, Target,
)

from govwatch.registry.fields import (
    BLANK_MARKS, HEADER_SEARCH_ROWS, OPERATOR_ALIASES, Problem, RegistryError, SPREADSHEET_SUFFIXES,
    YAML_SUFFIXES, _FORMULA_RE, _SCHEME_RE, _SPREADSHEET_FALLBACK_HEADERS, _YAML_FALLBACK_HEADERS, _blank,
    _norm, _text, _website_url, derive_id, header_key, parse_bool, parse_columns, parse_contacts,
    parse_content_type, parse_date, parse_email, parse_emails, parse_id, parse_maintenance, parse_mapping,
    parse_operator_type, parse_owner_level, parse_phone, parse_platform, parse_tags, parse_url,
)

# --------------------------------------------------------------------------------------------
# Rows to targets




@dataclass
class _Row:
    """One entry of a file, its values keyed by field key with the header they came from."""
    number: int
    cells: dict[str, tuple[str, Any]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # key -> header, also for blank cells
    line: int | None = None  # YAML: line of the entry
    lines: dict[str, int] = field(default_factory=dict)  # YAML: header -> line
    problems: list[Problem] = field(default_factory=list)  # found while reading the cells


class _RowParser:
    """Builds one Target from a _Row, collecting every problem instead of stopping at the first."""

    def __init__(self, row: _Row, fallback_headers: dict[str, str]):
        self.row = row
        self.fallback = fallback_headers
        self.problems: list[Problem] = list(row.problems)

    def header(self, key: str) -> str:
        if key in self.row.cells:
            return self.row.cells[key][0]
        return self.row.headers.get(key) or self.fallback[key]

    def fail(self, key: str, message: str) -> None:
        header = self.header(key)
        self.problems.append(Problem(self.row.number, header, message, self.row.lines.get(header, self.row.line)))

    def has(self, key: str) -> bool:
        return key in self.row.cells

    def get(self, key: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        if not self.has(key):
            return default
        try:
            return parse(self.row.cells[key][1])
        except ValueError as exc:
            self.fail(key, str(exc))
            return default

    def merge(self, values: dict, field_name: str, value: Any, key: str, other_key: str) -> None:
        """Set a field that two columns can fill; they must agree."""
        current = values.get(field_name)
        if current and value and current != value:
            self.fail(key, f"与“{self.header(other_key)}”列的“{current}”不一致")
        elif value:
            values[field_name] = value

    def target(self) -> Target | None:
        v: dict[str, Any] = {}
        v["name"] = self.get("name", _text, "")
        if not v["name"] and not self._failed("name"):
            self.fail("name", "名称不能为空")
        platform = self.get("platform", parse_platform, "")
        if not self.has("platform"):
            self.fail("platform", "平台不能为空")
        v["platform"] = platform
        v["url"] = self.get("url", parse_url, "")
        v["account_id"] = self.get("account_id", _text, "")
        v["feed_url"] = self.get("feed_url", parse_url, "")
        self._locator(v)
        if platform and not (v["url"] or v["account_id"] or v["feed_url"]) and not self._failed(
                "locator", "url", "account_id", "feed_url"):
            key = next((k for k in ("locator", "url", "account_id", "feed_url") if k in self.row.headers), "locator")
            self.fail(key, "网址、账号ID、订阅源至少填写一项")

        for key in ("owner", "office", "parent"):
            v[key] = self.get(key, _text, "")
        v["owner_level"] = self.get("owner_level", parse_owner_level, "")
        v["emails"] = self.get("emails", parse_emails, [])
        v["content_type"] = self.get("content_type", parse_content_type, "text")
        v["columns"] = self.get("columns", parse_columns, [])
        v["tags"] = self.get("tags", parse_tags, [])
        v["enabled"] = self.get("enabled", parse_bool, True)
        v["rules"] = self.get("rules", parse_mapping, {})
        v["crawl"] = self.get("crawl", parse_mapping, {})
        v["operator_qualified"] = self.get("operator_qualified", parse_bool, None)
        self._operator(v)
        v["maintenance"] = self._maintenance()
        v["contacts"] = self._contacts()

        given_id = self.get("id", parse_id, "")
        v["id"] = given_id or (derive_id(platform, v["name"], v["owner"]) if platform and v["name"] else "")
        self.target_id = v["id"]  # known even when the row has problems: duplicates are reported too
        if self.problems:
            return None
        return Target.from_dict(v)

    def _failed(self, *keys: str) -> bool:
        headers = {self.header(k) for k in keys}
        return any(p.field in headers for p in self.problems)

    def _locator(self, v: dict) -> None:
        """网址或账号ID: a website's address, or an account's URL or else its id."""
        platform = v["platform"]
        text = self.get("locator", _text, "")
        if not text or not platform:
            return
        if platform == "website":
            self.merge(v, "url", self.get("locator", _website_url, ""), "locator", "url")
        elif _SCHEME_RE.match(text):
            self.merge(v, "url", self.get("locator", parse_url, ""), "locator", "url")
        else:
            self.merge(v, "account_id", text, "locator", "account_id")

    def _operator(self, v: dict) -> None:
        v["operator_type"] = self.get("operator_type", parse_operator_type, "")
        v["operator_name"] = self.get("operator_name", _text, "")
        operator = self.get("operator", _text, "")
        if operator:
            code = OPERATOR_ALIASES.get(_norm(operator))
            if code:
                self.merge(v, "operator_type", code, "operator", "operator_type")
            else:
                self.merge(v, "operator_name", operator, "operator", "operator_name")
        outsourced = self.get("outsourced", parse_bool, None)
        current = v["operator_type"]
        if outsourced is True and current not in ("", "outsourced"):
            self.fail("outsourced", f"填写为“是”，但运营主体为“{OPERATOR_LABELS[current]}”")
        elif outsourced is False and current == "outsourced":
            self.fail("outsourced", "填写为“否”，但运营主体为“外包”")
        elif outsourced is True:
            v["operator_type"] = "outsourced"
        v["operator_type"] = v["operator_type"] or "self"

    def _maintenance(self) -> Maintenance | None:
        kind, until = self.get("maintenance", parse_maintenance, ("", None))
        if self.has("maintenance_until"):
            separate = self.get("maintenance_until", parse_date)
            if until and separate and until != separate:
                self.fail("maintenance_until", f"与“{self.header('maintenance')}”中的截止日期不一致")
            until = until or separate
            if separate and not kind and not self._failed("maintenance"):
                self.fail("maintenance_until", "填写了维护截止日期，但没有填写维护状态（升级改版或临时关停）")
        return Maintenance(kind=kind, until=until) if kind else None

    def _contacts(self) -> list[Contact]:
        contacts = self.get("contacts", lambda value: parse_contacts(value, "联系人"), [])
        for role, prefix in (("负责人", "leader"), ("联系人", "liaison")):
            people = self.get(prefix, lambda value, role=role: parse_contacts(value, role), [])
            for key, attr, parse in ((f"{prefix}_phone", "phone", parse_phone),
                                     (f"{prefix}_email", "email", parse_email)):
                value = self.get(key, parse, "")
                if not value:
                    continue
                if len(people) != 1:
                    self.fail(key, f"只能在“{self.header(prefix)}”列恰好填写一人时使用")
                elif getattr(people[0], attr) and getattr(people[0], attr) != value:
                    self.fail(key, f"与“{self.header(prefix)}”列中的“{getattr(people[0], attr)}”不一致")
                else:
                    setattr(people[0], attr, value)
            contacts += people
        return sorted(contacts, key=lambda c: c.role != "负责人")  # the 负责人 first, order kept


def _targets_from_rows(path: Path, rows: list[_Row], fallback_headers: dict[str, str]) -> list[Target]:
    problems: list[Problem] = []
    targets: list[Target] = []
    first_row: dict[str, int] = {}
    unit = "个条目" if path.suffix.lower() in YAML_SUFFIXES else "行"
    for row in rows:
        parser = _RowParser(row, fallback_headers)
        target = parser.target()
        target_id = getattr(parser, "target_id", "")
        if target_id and target_id in first_row:  # reported with the row's other problems, not after them
            if parser.has("id"):
                parser.fail("id", f"编号“{target_id}”与第{first_row[target_id]}{unit}重复（每个监测对象的编号应唯一）")
            else:
                parser.fail("name", f"与第{first_row[target_id]}{unit}重复：主办单位、平台、名称都相同（未填编号时由这三项生成编号）")
            target = None
        elif target_id:
            first_row[target_id] = row.number
        problems.extend(parser.problems)
        if target is not None:
            targets.append(target)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.line or 0))  # stable: a row's problems in column order
        raise RegistryError(path, problems)
    return targets


# --------------------------------------------------------------------------------------------
# Readers


@dataclass
class Registry:
    """A loaded registry file: its targets and the spreadsheet headers govwatch did not use."""
    targets: list[Target]
    ignored_headers: list[str] = field(default_factory=list)


def load_targets(path: str | Path) -> list[Target]:
    """All targets of a registry file, or RegistryError naming every bad row and field."""
    return read_registry(path).targets


def read_registry(path: str | Path) -> Registry:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + SPREADSHEET_SUFFIXES:
        raise RegistryError(path, [Problem(None, "", "不支持的文件类型（可用 .yaml、.yml、.csv、.xlsx；"
                                                     ".xls 请在 Excel 中另存为 .xlsx）")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(path, [Problem(None, "", f"无法读取文件：{exc.strerror or exc}")]) from exc
    if suffix in YAML_SUFFIXES:
        return Registry(_targets_from_rows(path, _yaml_rows(path, data), _YAML_FALLBACK_HEADERS))
    if suffix == ".xlsx":
        table = _xlsx_table(path, data)
    else:
        try:
            table = _csv_table(data)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise RegistryError(path, [Problem(None, "", f"无法读取 CSV 文件（请另存为 UTF-8 或 GBK 编码的 CSV）：{exc}")]) from exc
    rows, ignored = _table_rows(path, table)
    return Registry(_targets_from_rows(path, rows, _SPREADSHEET_FALLBACK_HEADERS), ignored)


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode text"
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")  # GBK, as Excel saves CSV on Chinese Windows


def _csv_table(data: bytes) -> list[list[Any]]:
    text = _decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    return [list(record) for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_table(path: Path, data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RegistryError(path, [Problem(None, "", f"不是有效的 Excel (.xlsx) 文件：{exc}")]) from exc
    tables = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets]
    # The first sheet that has a header row; the first sheet (for the error) when none has.
    return next((t for t in tables if _find_header(t) is not None), tables[0] if tables else [])


def _find_header(table: list[list[Any]]) -> int | None:
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = {header_key(c) for c in row} - {None}
        if "name" in keys and len(keys) >= 2:
            return index
    return None


def _spreadsheet_value(value: Any) -> str:
    """A cell as text: numbers without .0, dates as ISO, "-" as blank, formula quote removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text in BLANK_MARKS:
        return ""
    if text.startswith("'") and _FORMULA_RE.match(text):
        text = text[1:]
    return text


def _table_rows(path: Path, table: list[list[Any]]) -> tuple[list[_Row], list[str]]:
    header_index = _find_header(table)
    if header_index is None:
        raise RegistryError(path, [Problem(None, "", f"前{HEADER_SEARCH_ROWS}行中找不到表头（表头须包含“名称”和“平台”等列，"
                                                     "可用列名见 docs/registry.md）")])
    header_cells = [_spreadsheet_value(c) for c in table[header_index]]
    keys = [header_key(h) for h in header_cells]
    if "platform" not in keys:
        raise RegistryError(path, [Problem(header_index + 1, "", "表头缺少必填列“平台”")])
    headers: dict[str, str] = {}
    for key, header in zip(keys, header_cells):
        if key:
            headers.setdefault(key, header)
    ignored = [h for h, k in zip(header_cells, keys) if h and not k]

    rows = []
    for index in range(header_index + 1, len(table)):
        values = [_spreadsheet_value(c) for c in table[index]]
        if not any(values):
            continue
        row = _Row(number=index + 1, headers=headers)
        for key, header, value in zip(keys, header_cells, values):
            if not key or not value:
                continue
            if key in row.cells and row.cells[key][1] != value:
                other = row.cells[key][0]
                row.problems.append(Problem(row.number, header, f"与“{other}”列表示同一项，但内容不一致"))
            row.cells.setdefault(key, (header, value))
        rows.append(row)
    return rows, ignored


class _YamlLoader(yaml.SafeLoader):
    """Safe loading, except that timestamps stay text: a bad date is then reported by field."""


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def _yaml_rows(path: Path, data: bytes) -> list[_Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(path, [Problem(None, "", "YAML 文件应为 UTF-8 编码")]) from exc
    try:
        document = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
        node = yaml.compose(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise RegistryError(path, [Problem(None, "", f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}")]) from exc
    if document is None:
        return []
    if isinstance(document, dict) and isinstance(node, yaml.MappingNode):
        entries = document.get("targets")
        node = next((v for k, v in node.value if k.value == "targets"), None)
    else:
        entries = document
    if not isinstance(entries, list) or not isinstance(node, yaml.SequenceNode):
        raise RegistryError(path, [Problem(None, "", "YAML 文件应为监测对象的列表，或含有 targets: 列表的映射")])

    rows = []
    for index, (entry, entry_node) in enumerate(zip(entries, node.value), start=1):
        row = _Row(number=index, line=entry_node.start_mark.line + 1)
        if not isinstance(entry, dict):
            row.problems.append(Problem(index, "", "每个条目应为“字段: 值”的映射", row.line))
            rows.append(row)
            continue
        row.lines = {str(k.value): k.start_mark.line + 1 for k, _ in entry_node.value}
        for header, value in entry.items():
            header = str(header)
            key = header_key(header)
            if key is None:
                row.problems.append(Problem(index, header, "未知字段（可用字段见 docs/registry.md）", row.lines.get(header)))
                continue
            row.headers.setdefault(key, header)
            value = value.strip() if isinstance(value, str) else value
            if _blank(value):
                continue
            if key in row.cells:
                row.problems.append(Problem(index, header, f"与“{row.cells[key][0]}”表示同一项，只能填写一个",
                                            row.lines.get(header)))
                continue
            row.cells[key] = (header, value)
        rows.append(row)
    return rows
