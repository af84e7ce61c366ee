"""Registry files (底数): load targets from YAML, CSV or XLSX and export them again.

File handling; the one function given a store is ``judge_registry``, which records the registry
checks' findings after an import and closes (已整改) those a re-import has fixed. Offices keep their registry in an Excel 政务新媒体统计表, so
spreadsheets are read by their Chinese column headers (or the English field names of
``govwatch.models.Target``); ``HEADERS`` is the full list and ``docs/registry.md`` documents it
for users.

A file with any bad row imports nothing: ``load_targets`` raises ``RegistryError`` listing every
problem with its row (spreadsheet row as Excel shows it, header = row 1; YAML entry and line) and
the field as the file names it. ``export_targets`` writes the same headers back, so an exported
file loads to identical targets.

Compact cell syntax of spreadsheets (a cell holds several entries separated by ``;`` or a line
break, the parts of one entry separated by ``|``):

- 栏目: ``名称|网址|类型|最长间隔天数``; 类型 and 天数 are optional, a missing 类型 is inferred
  from the name (``infer_column_kind``).
- 负责人 / 联系人: ``姓名|邮箱|电话|时段|渠道:邮件,群机器人|webhook网址``; after the name the parts
  may come in any order and are recognised by their shape.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from govwatch.models import (
    CONTENT_TYPE_LABELS, MAINTENANCE_KINDS, OPERATOR_LABELS, OWNER_LEVELS, PLATFORM_LABELS, Column,
    Contact, Maintenance, Target, column_kind, now, stable_id,
)

# --------------------------------------------------------------------------------------------
# Headers

# Field key -> accepted headers. The first header is the one export writes. Keys are Target
# fields, except: ``locator`` (网址或账号ID: url or account_id depending on the platform and the
# value), ``operator`` (运营主体: an operator type or else the operator's name), ``outsourced``
# (是否外包), ``maintenance_until``, and the contact columns ``leader*`` (负责人) and
# ``liaison*`` (联系人).
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "ID", "对象编号", "监测对象编号"),
    "name": ("名称", "账号名称", "网站名称", "新媒体名称", "政务新媒体名称", "应用名称", "name"),
    "platform": ("平台", "平台类型", "所在平台", "开设平台", "platform"),
    "locator": ("网址", "网址或账号ID", "网址/账号ID", "网址或账号", "账号ID或网址", "网站地址", "网站网址",
                "首页地址", "链接"),
    "url": ("url",),
    "account_id": ("账号ID", "账号", "UID", "微信号", "原始ID", "account_id"),
    "feed_url": ("订阅源", "RSS", "RSS地址", "订阅地址", "feed_url"),
    "owner": ("主办单位", "单位名称", "开办单位", "开设单位", "owner"),
    "owner_level": ("主办单位级别", "层级", "单位层级", "单位级别", "级别", "owner_level"),
    "parent": ("上级单位", "上级主管单位", "parent"),
    "office": ("责任科室", "责任处室", "负责科室", "管理科室", "office"),
    "emails": ("联系邮箱", "邮箱", "电子邮箱", "责任科室邮箱", "emails", "email"),
    "leader": ("负责人", "负责人姓名"),
    "leader_phone": ("负责人电话", "负责人手机", "负责人联系电话"),
    "leader_email": ("负责人邮箱",),
    "liaison": ("联系人", "联系人姓名"),
    "liaison_phone": ("联系人电话", "联系人手机", "联系电话"),
    "liaison_email": ("联系人邮箱",),
    "contacts": ("contacts",),
    "operator": ("运营主体",),
    "operator_type": ("运营主体类型", "运营方式", "内容运营团队属性", "operator_type"),
    "operator_name": ("运营单位", "外包单位", "外包单位名称", "运营单位名称", "外包或转包单位", "operator_name"),
    "outsourced": ("是否外包", "内容运营业务是否存在外包或转包", "是否存在外包"),
    "operator_qualified": ("是否具备资质", "外包单位资质", "是否具备新闻信息服务资质", "operator_qualified"),
    "content_type": ("内容类型", "content_type"),
    "columns": ("栏目", "监测栏目", "columns"),
    "maintenance": ("维护状态", "运维状态", "maintenance"),
    "maintenance_until": ("维护截止", "维护截止日期", "维护截止时间", "maintenance_until"),
    "tags": ("标签", "tags"),
    "enabled": ("是否启用", "启用", "enabled"),
    "rules": ("检查规则", "规则设置", "rules"),
    "crawl": ("采集设置", "采集选项", "crawl"),
}

# What export writes, in this order (all of them are read back by load_targets).
EXPORT_KEYS = (
    "id", "name", "platform", "locator", "account_id", "feed_url", "owner", "owner_level", "parent",
    "office", "emails", "leader", "liaison", "operator", "operator_name", "operator_qualified",
    "content_type", "columns", "maintenance", "maintenance_until", "tags", "enabled", "rules", "crawl",
)
EXPORT_HEADERS = tuple(HEADERS[k][0] for k in EXPORT_KEYS)

# Columns of ``target_rows`` (for ``govwatch targets list``).
LIST_HEADERS = ("编号", "名称", "平台", "主办单位", "责任科室", "网址或账号", "状态")

SPREADSHEET_SUFFIXES = (".csv", ".xlsx")
YAML_SUFFIXES = (".yaml", ".yml")
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in 统计表


def _norm(text: str) -> str:
    """Loose form for matching headers and labels: NFKC, no spaces or * marks, lower case."""
    text = unicodedata.normalize("NFKC", str(text)).replace("帐", "账")
    text = re.sub(r"[\s*]", "", text).lower()
    return re.sub(r"\([^()]*\)$", "", text) or text  # a trailing note: 联系邮箱(多个用分号隔开)


_HEADER_KEYS = {_norm(h): key for key, headers in HEADERS.items() for h in headers}
# How an error names a field the file lacks: the export header, or in YAML the field name.
_SPREADSHEET_FALLBACK_HEADERS = {key: headers[0] for key, headers in HEADERS.items()}
_YAML_FALLBACK_HEADERS = {
    key: next((h for h in headers if h.isascii() and h.islower()), headers[0]) for key, headers in HEADERS.items()
} | {"locator": "url"}


def header_key(header: Any) -> str | None:
    """The field key a column header stands for, or None when govwatch does not use it."""
    if header is None:
        return None
    return _HEADER_KEYS.get(_norm(header))


# --------------------------------------------------------------------------------------------
# Value vocabularies


def _aliases(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(alias): code for code, names in pairs.items() for alias in (code, *names)}


PLATFORM_ALIASES = _aliases({
    "website": ("网站", "政府网站", "门户网站", "政府门户网站", "部门网站", "官网", "web"),
    "wechat": ("微信", "微信公众号", "公众号", "微信公众平台", "微信服务号", "微信订阅号", "weixin"),
    "weibo": ("微博", "新浪微博", "政务微博"),
    "douyin": ("抖音", "抖音号"),
    "toutiao": ("头条", "今日头条", "头条号"),
    "kuaishou": ("快手", "快手号"),
    "bilibili": ("哔哩哔哩", "B站", "bilibili"),
    "app": ("APP", "移动客户端", "客户端", "移动应用"),
    "miniprogram": ("小程序", "微信小程序", "支付宝小程序"),
    "feed": ("订阅源", "RSS"),
    "other": ("其他",),
})
OPERATOR_ALIASES = _aliases({
    "self": ("自营", "自有", "自主运营", "本单位"),
    "subsidiary": ("下属单位", "下属事业单位"),
    "mainstream_media": ("主流媒体", "新闻媒体"),
    "outsourced": ("外包", "第三方", "委托运营", "外包运营"),
})
CONTENT_TYPE_ALIASES = _aliases({"text": ("图文", "文字"), "video": ("音视频", "视频", "短视频")})
OWNER_LEVEL_ALIASES = _aliases({
    "省": ("省级", "省本级"),
    "市": ("市级", "地市", "地级市", "设区市"),
    "县": ("县级", "区县", "县区", "县(市、区)"),
    "部门": ("部门级", "省直部门", "市直部门", "县直部门"),
})
MAINTENANCE_ALIASES = _aliases({"升级改版": ("改版", "升级"), "临时关停": ("关停", "临时关闭")})
COLUMN_KIND_LABELS = {
    "news": "动态", "notice": "通知公告", "policy": "政策文件", "overview": "概况",
    "interaction": "互动", "other": "其他",
}
COLUMN_KIND_ALIASES = _aliases({
    "news": ("动态", "要闻", "动态要闻", "新闻"), "notice": ("通知公告", "通知", "公告"),
    "policy": ("政策文件", "政策", "文件"), "overview": ("概况", "简介"),
    "interaction": ("互动", "政务咨询", "咨询", "留言"), "other": ("其他",),
})
CONTACT_ROLES = ("负责人", "联系人")
CHANNEL_LABELS = {"email": "邮件", "webhook": "群机器人"}
CHANNEL_ALIASES = _aliases({"email": ("邮件", "邮箱"), "webhook": ("群机器人", "机器人")})
TRUE_WORDS = frozenset({"是", "true", "yes", "y", "1", "启用", "有", "具备", "√", "✓"})
FALSE_WORDS = frozenset({"否", "false", "no", "n", "0", "停用", "禁用", "无", "不具备", "×", "✗"})

# Cells offices use for "nothing here" (spreadsheets only).
BLANK_MARKS = frozenset({"-", "--", "—", "——", "/", "／"})
# A cell Excel would run as a formula; export prefixes "'" and load strips it again. Values that
# already start with quotes before such a character get one more, so the round trip is exact.
_FORMULA_RE = re.compile(r"'*[=+\-@]")

_LIST_SPLIT = re.compile(r"[,，;；、\s]+")
_ENTRY_SPLIT = re.compile(r"[;；\n]+")
_PART_SPLIT = re.compile(r"[|｜]")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE_RE = re.compile(r"\+?[0-9()（）\- ]{5,20}(转[0-9]{1,6})?")
_HOURS_RE = re.compile(r"([0-2]?\d):([0-5]\d)\s*[-~～至]\s*([0-2]?\d):([0-5]\d)")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,79}")
_BARE_DOMAIN_RE = re.compile(r"[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+(:\d+)?(/\S*)?")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def infer_column_kind(name: str) -> str:
    """The kind of a website column from its name (通知公告 → notice); news when nothing fits."""
    return column_kind(name) or "news"


def derive_id(platform: str, name: str, owner: str) -> str:
    """The stable id of a target whose file gives none."""
    return f"{platform}-{stable_id(platform, name, owner, length=10)}"


# --------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    """One bad value. ``row`` is the spreadsheet row (header = 1) or the YAML entry (from 1)."""
    row: int | None
    field: str  # the header or key as the file writes it
    message: str
    line: int | None = None  # YAML only


class RegistryError(Exception):
    """A registry file that cannot be imported; ``str()`` is the Chinese message for users."""

    def __init__(self, path: str | Path, problems: list[Problem]):
        self.path = str(path)
        self.problems = problems
        super().__init__(self.message())

    @property
    def is_yaml(self) -> bool:
        return self.path.lower().endswith(YAML_SUFFIXES)

    def location(self, p: Problem) -> str:
        if p.row is None:
            place = ""
        elif self.is_yaml:
            place = f"第{p.row}个条目" + (f"（第{p.line}行）" if p.line else "")
        else:
            place = f"第{p.row}行"
        column = f"“{p.field}”" if p.field else ""
        return f"{place} {column}".strip()

    def message(self) -> str:
        rows = sorted({p.row for p in self.problems if p.row is not None})
        unit = "个条目" if self.is_yaml else "行"
        if rows:
            head = f"名录文件“{self.path}”有 {len(rows)} {unit}存在错误："
        else:
            head = f"名录文件“{self.path}”无法导入："
        lines = []
        for p in self.problems:
            where = self.location(p)
            lines.append(f"  {where}：{p.message}" if where else f"  {p.message}")
        return "\n".join([head, *lines])


# --------------------------------------------------------------------------------------------
# Value parsers: each takes a cell (text) or a YAML value and returns the field's value, or
# raises ValueError with a Chinese message.


def _text(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise ValueError(f"应为文本，而不是“{value}”")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    return str(value).strip()


def _label_choices(labels: dict[str, str]) -> str:
    return "、".join(labels.values())


def parse_platform(value: Any) -> str:
    text = _text(value)
    code = PLATFORM_ALIASES.get(_norm(text))
    if not code:
        raise ValueError(f"无法识别的平台“{text}”（可填：{_label_choices(PLATFORM_LABELS)}）")
    return code


def parse_url(value: Any) -> str:
    text = _text(value)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https") and not parts.hostname:
        raise ValueError(f"网址缺少域名：“{text}”（应为完整网址，例如 http://www.example.gov.cn/）")
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or re.search(r"\s", text)):
        raise ValueError(f"网址格式不正确：“{text}”（应以 http:// 或 https:// 开头，例如 http://www.example.gov.cn/）")
    return text


_ROBOT_PREFIX_RE = re.compile(r"(wecom|dingtalk|feishu)\s*[:：]", re.I)


def parse_robot(value: Any) -> str:
    """A group robot: ``wecom:URL`` / ``dingtalk:URL`` / ``feishu:URL`` (any host: a private 企业微信
    deployment, a proxy), or the URL alone when its host tells the kind (qyapi.weixin.qq.com …).
    Checked here, at import, so that no robot is dropped later for an address nobody can send to."""
    from govwatch.alerts.webhook import parse_webhook

    text = _text(value)
    m = _ROBOT_PREFIX_RE.match(text)
    if m:
        text = f"{m.group(1).lower()}:{text[m.end():].strip()}"
        parse_url(text.split(":", 1)[1])  # the URL part: http(s), a host, no spaces
    else:
        parse_url(text)
    if parse_webhook(text) is None:
        raise ValueError(f"无法判断机器人“{text[:80]}”的类型：企业微信、钉钉、飞书以外的地址（内网部署、代理）"
                         "请写成 wecom:网址、dingtalk:网址 或 feishu:网址")
    return text


def _website_url(value: Any) -> str:
    """A website address; a bare domain (www.example.gov.cn) gets http:// in front."""
    text = _text(value)
    if not _SCHEME_RE.match(text) and _BARE_DOMAIN_RE.fullmatch(text):
        text = "http://" + text
    return parse_url(text)


def _split_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        for part in _LIST_SPLIT.split(_text(item)):
            if part and part not in out:
                out.append(part)
    return out


def parse_email(value: Any) -> str:
    text = _text(value)
    if not _EMAIL_RE.fullmatch(text):
        raise ValueError(f"邮箱格式不正确：“{text}”")
    return text


def parse_emails(value: Any) -> list[str]:
    emails = _split_list(value)
    bad = [e for e in emails if not _EMAIL_RE.fullmatch(e)]
    if bad:
        raise ValueError("邮箱格式不正确：" + "、".join(f"“{e}”" for e in bad))
    return emails


def parse_phone(value: Any) -> str:
    text = _text(value)
    if not _PHONE_RE.fullmatch(text):
        raise ValueError(f"电话号码格式不正确：“{text}”")
    return text


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _norm(_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"应填“是”或“否”，而不是“{_text(value)}”")


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?",
                     text)
    try:
        if not m:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"日期格式不正确：“{text}”（例：2026-12-31）") from None


def _vocabulary(aliases: dict[str, str], labels: dict[str, str], what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value)
        code = aliases.get(_norm(text))
        if code is None:
            raise ValueError(f"无法识别的{what}“{text}”（可填：{_label_choices(labels)}）")
        return code
    return parse


parse_operator_type = _vocabulary(OPERATOR_ALIASES, OPERATOR_LABELS, "运营主体")
parse_content_type = _vocabulary(CONTENT_TYPE_ALIASES, CONTENT_TYPE_LABELS, "内容类型")
parse_owner_level = _vocabulary(OWNER_LEVEL_ALIASES, {k: k for k in OWNER_LEVELS}, "单位级别")
parse_maintenance_kind = _vocabulary(MAINTENANCE_ALIASES, {k: k for k in MAINTENANCE_KINDS}, "维护状态")
parse_column_kind = _vocabulary(COLUMN_KIND_ALIASES, COLUMN_KIND_LABELS, "栏目类型")
parse_channel = _vocabulary(CHANNEL_ALIASES, CHANNEL_LABELS, "提醒渠道")


def parse_maintenance(value: Any) -> tuple[str, date | None]:
    """维护状态: a kind (cell), or in YAML a mapping {kind, until}."""
    if not isinstance(value, dict):
        return parse_maintenance_kind(value), None
    _check_keys(value, ("kind", "until"), "维护状态")
    until = value.get("until")
    return parse_maintenance_kind(value.get("kind") or ""), None if _blank(until) else parse_date(until)


def parse_id(value: Any) -> str:
    text = _text(value)
    if not _ID_RE.fullmatch(text):
        raise ValueError(f"编号“{text}”只能包含字母、数字和 _ . : -，且以字母或数字开头")
    return text


def parse_tags(value: Any) -> list[str]:
    return _split_list(value)


def parse_mapping(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    text = _text(value)
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ValueError(f"应为 JSON 对象，例如 {{\"account.stale\": {{\"days\": 5}}}}，而不是“{text}”")
    return parsed


def _check_keys(d: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = [str(k) for k in d if k not in allowed]
    if unknown:
        raise ValueError(f"{what}中有未知字段：{'、'.join(unknown)}（可用：{', '.join(allowed)}）")


def _positive_int(value: Any) -> int:
    text = _text(value).removesuffix("天").strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"最长间隔天数应为正整数，而不是“{_text(value)}”")
    return int(text)


def _column(name: Any, url: Any = "", kind: Any = "", max_gap: Any = None) -> Column:
    name = _text(name)
    if not name:
        raise ValueError("栏目名称不能为空")
    if _ENTRY_SPLIT.search(name) or _PART_SPLIT.search(name):
        raise ValueError(f"栏目名称“{name}”不能包含 | 或 ;")
    url = _text(url) if url not in (None, "") else ""
    kind = _text(kind) if kind not in (None, "") else ""
    return Column(
        name=name,
        url=parse_url(url) if url else "",
        kind=parse_column_kind(kind) if kind else infer_column_kind(name),
        max_gap_days=_positive_int(max_gap) if max_gap not in (None, "") else None,
    )


def _columns_from_cell(text: str) -> list[Column]:
    columns = []
    for entry in _ENTRY_SPLIT.split(text):
        if not entry.strip():
            continue
        parts = [p.strip() for p in _PART_SPLIT.split(entry)]
        if len(parts) > 4:
            raise ValueError(f"栏目“{entry.strip()}”的格式应为 名称|网址|类型|最长间隔天数")
        columns.append(_column(*parts))
    return columns


def parse_columns(value: Any) -> list[Column]:
    items = value if isinstance(value, list) else [value]
    columns: list[Column] = []
    for item in items:
        if isinstance(item, dict):
            _check_keys(item, ("name", "url", "kind", "max_gap_days"), "栏目")
            columns.append(_column(item.get("name"), item.get("url"), item.get("kind"), item.get("max_gap_days")))
        else:
            columns.extend(_columns_from_cell(_text(item)))
    names = [c.name for c in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError("栏目名称重复：" + "、".join(repeated))
    return columns


def parse_hours(value: Any) -> str:
    text = _text(value)
    m = _HOURS_RE.fullmatch(text)
    if not m or int(m.group(1)) > 24 or int(m.group(3)) > 24:
        raise ValueError(f"接收时段格式不正确：“{text}”（例：08:00-22:00）")
    return f"{int(m.group(1)):02d}:{m.group(2)}-{int(m.group(3)):02d}:{m.group(4)}"


def _channels(value: Any) -> list[str]:
    parts = value if isinstance(value, list) else re.split(r"[,，、+/\s]+", _text(value))
    out: list[str] = []
    for part in parts:
        if _text(part):
            code = parse_channel(part)
            if code not in out:
                out.append(code)
    return out


def _contact_from_cell(entry: str, role: str) -> Contact:
    name, *parts = [p.strip() for p in _PART_SPLIT.split(entry)]
    if not name:
        raise ValueError(f"“{entry}”缺少姓名（格式：姓名|邮箱|电话|时段|渠道:邮件|webhook网址）")
    contact = Contact(name=name, role=role)
    for part in filter(None, parts):
        channel = re.match(r"(渠道|channels)\s*[:：]", part)
        if channel:
            contact.channels = _channels(part[channel.end():])
        elif _SCHEME_RE.match(part) or _ROBOT_PREFIX_RE.match(part):
            contact.webhook = parse_robot(part)
        elif "@" in part:
            contact.email = parse_email(part)
        elif _HOURS_RE.fullmatch(part):
            contact.hours = parse_hours(part)
        elif _PHONE_RE.fullmatch(part):
            contact.phone = part
        else:
            raise ValueError(f"无法识别联系人“{name}”的“{part}”（应为邮箱、电话、时段、渠道:… 或 webhook 网址）")
    return contact


_CONTACT_KEYS = ("name", "role", "email", "phone", "webhook", "channels", "hours")


def _contact_from_dict(d: dict, role: str) -> Contact:
    _check_keys(d, _CONTACT_KEYS, "联系人")
    name = _text(d.get("name") or "")
    if not name:
        raise ValueError("联系人缺少姓名（name）")
    if _ENTRY_SPLIT.search(name) or _PART_SPLIT.search(name):
        raise ValueError(f"联系人姓名“{name}”不能包含 | 或 ;")
    role = _text(d.get("role") or role)
    if role not in CONTACT_ROLES:
        raise ValueError(f"联系人角色应为 {'或'.join(CONTACT_ROLES)}，而不是“{role}”")
    get = lambda key, parse, default="": parse(d[key]) if d.get(key) not in (None, "") else default  # noqa: E731
    return Contact(
        name=name, role=role, email=get("email", parse_email), phone=get("phone", parse_phone),
        webhook=get("webhook", parse_robot), hours=get("hours", parse_hours),
        channels=_channels(d["channels"]) if "channels" in d and d["channels"] is not None else ["email"],
    )


def parse_contacts(value: Any, role: str) -> list[Contact]:
    items = value if isinstance(value, list) else [value]
    contacts: list[Contact] = []
    for item in items:
        if isinstance(item, dict):
            contacts.append(_contact_from_dict(item, role))
        else:
            contacts.extend(_contact_from_cell(e.strip(), role) for e in _ENTRY_SPLIT.split(_text(item)) if e.strip())
    return contacts


# --------------------------------------------------------------------------------------------
# Rows to targets


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


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
