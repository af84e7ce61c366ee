"""``govwatch extract``: what a page says about itself, one JSON object per input and line.

Contract (used by users and by our checks)::

    govwatch extract FILE_OR_URL... [--url URL] --format json

Each line is ``{"input", "title", "published_at", "published_at_source", "source", "author",
"text", "links"}`` (``published_at`` is ISO 8601 with its offset, or null). An input that cannot be
read or fetched gives ``{"input", "error"}`` on its line and the other inputs still print; the exit
status is then 1.

``--explain`` prints, instead of JSON, every publication-time candidate the page offers (kind,
label, confidence, precision, role) in the order that picks one, and why the winner won
(``crawler.extract`` documents the order).
"""
from __future__ import annotations

import sys

CONTRACT_FIELDS = ("title", "published_at", "published_at_source", "source", "author", "text", "links")
FETCH_TIMEOUT = 15  # seconds, as for availability probes
MAX_BYTES = 5 * 1024 * 1024  # as crawl.max_page_bytes
USER_AGENT = "Mozilla/5.0 (compatible; govwatch/1.0; +https://github.com/govwatch)"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract", help="从网页提取标题、发布时间、来源、正文和链接",
        description="从本地网页文件或网址提取标题、发布时间、来源、作者、正文和链接，每个输入输出一行 JSON。"
                    "政府网站文章页、新闻页和微信公众号文章页均可。",
    )
    parser.add_argument("inputs", nargs="+", metavar="文件或网址",
                        help="本地 HTML 文件路径，或以 http:// / https:// 开头的网址；“-” 表示从标准输入读取")
    parser.add_argument("--url", help="页面的原始网址（用于本地文件：补全相对链接、从网址识别日期、识别微信文章）")
    parser.add_argument("--format", choices=["json"], default="json", help="输出格式：json（每个输入一行，默认）")
    parser.add_argument("--full", action="store_true", help="输出全部字段（附件、图片、meta 标签、编码、页面类型与状态）")
    parser.add_argument("--explain", action="store_true",
                        help="不输出 JSON，改为列出页面中所有发布时间候选（来源、标注、置信度、精度）及采用理由")
    parser.set_defaults(func=run)


def _read_input(name: str) -> tuple[bytes, str, dict | None]:
    """(body, url, headers) for a file path, ``-`` or an http(s) URL; raises OSError with a Chinese message."""
    if name.startswith(("http://", "https://")):
        from crawler.http import fetch
        from crawler.netguard import AddressPolicy, guarded_session
        from govwatch.models import Target

        # the page's own host may be internal (a page on the farm, an intranet site); a redirect
        # elsewhere into internal addresses is refused, as in a crawl
        policy = AddressPolicy.for_targets([Target(id="extract", name="extract", url=name)])
        with guarded_session(policy, USER_AGENT) as session:
            got = fetch(session, name, timeout=FETCH_TIMEOUT, max_bytes=MAX_BYTES)
        if got.error_kind == "refused":
            raise OSError(got.error)
        if got.error == "访问超时":
            raise OSError(f"获取网页超时（{FETCH_TIMEOUT} 秒）")
        if got.error_kind:
            raise OSError(f"无法获取网页：{got.error}")
        if got.status >= 400:
            raise OSError(f"获取网页失败：HTTP {got.status}")
        return got.body, got.final_url or name, dict(got.headers)
    if name == "-":
        return sys.stdin.buffer.read(), "", None
    try:
        with open(name, "rb") as handle:
            return handle.read(), "", None
    except FileNotFoundError as exc:
        raise OSError("无法读取文件：文件不存在") from exc
    except IsADirectoryError as exc:
        raise OSError("无法读取文件：这是一个目录") from exc
    except PermissionError as exc:
        raise OSError("无法读取文件：没有读取权限") from exc
    except OSError as exc:
        raise OSError(f"无法读取文件：{exc.strerror or type(exc).__name__}") from exc


def extract_one(name: str, url: str | None = None, full: bool = False) -> dict:
    """The output object for one input (never raises for unreadable input or unparsable pages)."""
    from crawler.extract import extract_page

    try:
        body, fetched_url, headers = _read_input(name)
    except OSError as exc:
        return {"input": name, "error": str(exc)}
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if suffix in DOCUMENT_SUFFIXES:
        return _document_record(name, body, suffix, full)
    try:
        result = extract_page(body, url=url or fetched_url, headers=headers)
    except Exception as exc:  # noqa: BLE001 - one broken page must not stop the others
        return {"input": name, "error": f"无法解析网页：{type(exc).__name__}: {exc}"}
    data = result.to_json_dict()
    if full:
        return {"input": name, **data}
    return {"input": name, **{key: data[key] for key in CONTRACT_FIELDS}}


_ROLE_NAMES = {"published": "发布", "written": "成文", "updated": "更新", "other": "其他（非发布时间）"}
_PRECISION_NAMES = {"second": "秒", "minute": "分钟", "day": "日", "month": "月", "": "—"}


def explain_text(record: dict) -> str:
    """The --explain report of one input (Chinese, for users)."""
    from crawler.pubtime import DATE_KIND_NAMES

    lines = [f"== {record['input']}"]
    if "error" in record:
        return "\n".join(lines + [f"错误：{record['error']}"])
    lines.append(f"标题：{record.get('title') or '（无）'}")
    published = record.get("published_at")
    lines.append(f"发布时间：{published or '（无）'}　精度：{_PRECISION_NAMES[record.get('published_at_precision') or '']}"
                 f"　来源：{record.get('published_at_source')}"
                 + (f"　标注：{record['published_at_label']}" if record.get("published_at_label") else ""))
    if record.get("written_at"):
        lines.append(f"成文日期：{record['written_at']}（时效按发布日期判断）")
    lines.append(f"理由：{record.get('date_reason') or '—'}")
    candidates = sorted(record.get("date_candidates") or [], key=lambda c: -c["confidence"])
    lines.append(f"候选（{len(candidates)} 个，按优先顺序）：")
    for c in candidates:
        kind = DATE_KIND_NAMES.get(c["kind"], c["kind"])
        label = f"“{c['label']}”" if c["label"] else ""
        lines.append(f"  {c['confidence']:.2f}  {c['value']}  {kind}{label}  精度：{_PRECISION_NAMES[c['precision']]}"
                     f"  用途：{_ROLE_NAMES.get(c['role'], c['role'])}  原文：{c['text']}")
    return "\n".join(lines)
DOCUMENT_SUFFIXES = ("pdf", "doc", "wps", "png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff")


def _document_record(name: str, body: bytes, suffix: str, full: bool) -> dict:
    """An image, a scanned PDF or an old Word file: its text (OCR where needed), no page structure."""
    from crawler.attachments import AttachmentError
    from crawler.documents import read_document
    from govwatch.settings import load_settings

    try:
        doc = read_document(body, suffix, load_settings().data["ocr"])
    except (AttachmentError, ValueError) as exc:
        return {"input": name, "error": str(exc)}
    if not doc.text.strip():
        return {"input": name, "error": "；".join(doc.notes) or "未识别到文字"}
    record = {"input": name, "title": "", "published_at": None, "published_at_source": "none", "source": "",
              "author": "", "text": doc.text, "links": []}
    if full:
        record.update({"text_source": doc.source, "ocr_lines": doc.lines, "notes": doc.notes})
    return record


def run(args) -> int:
    import json

    failed = 0
    for name in args.inputs:
        record = extract_one(name, url=args.url, full=args.full or args.explain)
        failed += "error" in record
        if args.explain:
            sys.stdout.write(explain_text(record) + "\n")
        else:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 1 if failed else 0
