"""Registry fields: the column headers a file may use, the vocabularies (Chinese labels and aliases),
the errors, and one parser per field.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from govwatch.models import (
    CONTENT_TYPE_LABELS, MAINTENANCE_KINDS, OPERATOR_LABELS, OWNER_LEVELS, PLATFORM_LABELS, Column,
    Contact, column_kind, stable_id,
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


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
