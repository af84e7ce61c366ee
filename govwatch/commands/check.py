"""govwatch check: the pre-publication check (先审后发) of drafts (.txt, .html, .docx, or - for stdin).

Exit status: 0 when nothing is at high or veto, 1 otherwise, 2 when an input cannot be read.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from crawler import bounds
from crawler.attachments import AttachmentError
from govwatch.cli import CliError

TITLE_MAX = 50
BLOCKING = ("veto", "high")
FIELD_LABELS = {"title": "标题", "text": "正文", "source": "来源", "url": "链接"}
FORM_KEYS = ("文字内容是否准确", "政治用语是否规范", "是否涉密（涉军/涉隐私等）", "信息内容")


def register(sub) -> None:
    p = sub.add_parser("check", help="发布前检查（先审后发）：检查 .txt、.html、.docx、.doc、.pdf 草稿和图片，- 表示标准输入")
    p.add_argument("files", nargs="+", metavar="文件",
                   help="草稿文件（.txt、.html、.docx、.doc、.wps、.pdf，或 .png、.jpg 等图片：识别其中的文字），"
                        "- 表示从标准输入读取")
    p.add_argument("--title", help="标题（不给出时取 HTML 的 <title>，或文本的第一行短句）")
    p.add_argument("--source", help="来源（转载稿件的原发单位或媒体）；不给出时取正文中的“来源：…”一行")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="输出格式：text（中文报告，默认）或 json（每个输入一行 JSON）")
    p.add_argument("--lexicon-dir", action="append", default=[], metavar="目录",
                   help="额外的词库目录（合并到内置词库之上，可重复）")
    p.set_defaults(func=cmd_check)


class Unreadable(Exception):
    """An input that cannot be read; the message is Chinese and names the file."""


# --- reading drafts ------------------------------------------------------------------------
DETECT_SAMPLE_BYTES = 65536  # charset detection looks at this much of an undecodable draft


def decode_bytes(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECT_SAMPLE_BYTES]).best()
    if best is None:
        raise UnicodeDecodeError("unknown", data, 0, len(data), "无法识别的文字编码")
    return data.decode(best.encoding, errors="replace")


def collapse_blank_lines(text: str) -> str:
    """Runs of blank lines become one line break (trailing spaces before them go too).

    Line by line: the pattern it replaces, ``[ \\t\\u00a0]*\\n[\\s\\u00a0]*\\n+``, retried a whole
    space run from each of its characters (quadratic on a draft of spaces)."""
    out: list[str] = []
    blank = False
    for line in text.split("\n"):
        if not line or line.isspace():
            blank = True
            continue
        if out and blank:
            out[-1] = out[-1].rstrip(" \t\u00a0")
        out.append(line)
        blank = False
    return "\n".join(out).strip()


def read_docx(data: bytes) -> str:
    """Paragraph text of a .docx, one paragraph per line: the crawler's attachment reader, in its
    worker process (zip-bomb, size, time and memory limits of the ``[parse]`` settings)."""
    from crawler.attachments import read_attachment

    return read_attachment(data, "docx")


BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
              "table", "ul", "ol", "blockquote", "pre", "figcaption", "caption", "header", "footer"}


def read_html(data: bytes) -> tuple[str, str, list]:
    """``(title, text, links)`` of an HTML draft."""
    from crawler.encoding import decode_html
    from crawler.page import parse_html

    doc = parse_html(decode_html(data)[0])  # bounded like a crawled page: size and nesting
    if doc is None:
        return "", "", []
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title = ""
    t = doc.find(".//title")
    if t is not None and (t.text_content() or "").strip():
        title = t.text_content().strip()
    else:
        h1 = doc.find(".//h1")
        if h1 is not None:
            title = h1.text_content().strip()
    links = [a.get("href") for a in doc.iter("a") if a.get("href", "").startswith(("http://", "https://"))]
    for el in doc.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    body = doc.find("body")
    text = (body if body is not None else doc).text_content()
    text = collapse_blank_lines(text)
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    return title, text, links


def read_input(name: str) -> tuple[str, str, list]:
    """``(title, text, links)`` of one input; raises Unreadable with a Chinese message."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise Unreadable(f"无法读取 {name}：文件不存在") from None
    except IsADirectoryError:
        raise Unreadable(f"无法读取 {name}：这是一个目录，不是文件") from None
    except PermissionError:
        raise Unreadable(f"无法读取 {name}：没有读取权限") from None
    except OSError as exc:
        raise Unreadable(f"无法读取 {name}：{exc.strerror or exc}") from None
    suffix = Path(name).suffix.lower() if name != "-" else ""
    try:
        if suffix == ".docx":
            return "", read_docx(data), []
        if suffix in (".html", ".htm", ".shtml", ".xhtml"):
            return read_html(data)
        return "", decode_bytes(data), []
    except Unreadable:
        raise
    except AttachmentError as exc:
        raise Unreadable(f"无法读取 {name}：{exc}") from None
    except UnicodeDecodeError:
        raise Unreadable(f"无法读取 {name}：文字编码无法识别（请保存为 UTF-8）") from None
    except Exception as exc:  # broken zip, XML or HTML: the draft cannot be read
        kind = "Word 文档" if suffix == ".docx" else "文件"
        raise Unreadable(f"无法读取 {name}：{kind}已损坏或格式不对（{type(exc).__name__}）") from None


def split_title(text: str) -> tuple[str, str]:
    """A draft's first short line without closing punctuation is its title."""
    stripped = text.lstrip()
    first, nl, rest = stripped.partition("\n")
    first = first.strip()
    if nl and rest.strip() and 0 < len(first) <= TITLE_MAX and first[-1] not in "。；;，,：:！!？?":
        return first, rest
    return "", text


# --- the 信息发布审核登记表 -----------------------------------------------------------------
def build_form(hits, *, reprint: bool, source: str) -> dict:
    rules = [(h.rule, h.severity) for h in hits]
    typo = [r for r, _ in rules if r == "expression.typo"]
    political = [r for r, s in rules if (r.startswith(("expression.term", "expression.leader"))
                                         or (r.startswith("banned.") and s in BLOCKING))]
    secret = [r for r, s in rules if (r.startswith("secret.") and s in BLOCKING)
              or (r.startswith("privacy.") and s in ("veto", "high", "medium"))]
    blocking = [h for h in hits if h.severity in BLOCKING]
    if blocking:
        opinion = f"发现 {len(blocking)} 处严重或单项否决问题，须修改后再发布"
    elif hits:
        opinion = f"发现 {len(hits)} 处一般或提示问题，请核实后发布"
    else:
        opinion = "未发现问题"
    return {
        "文字内容是否准确": "否" if typo else "是",
        "政治用语是否规范": "否" if political else "是",
        "是否涉密（涉军/涉隐私等）": "是" if secret else "否",
        "信息内容": "转载" if reprint else "原创",
        "来源": source,
        "机器初审意见": opinion + "（机器预审结果，须经人工审核）",
    }


def finding_dict(h) -> dict:
    return {"rule": h.rule, "category": h.category, "severity": h.severity, "match": h.match,
            "start": h.start, "end": h.end, "snippet": h.snippet, "suggestion": h.suggestion,
            "field": h.field, "detail": h.detail}


DOCUMENT_SUFFIXES = (".pdf", ".doc", ".wps", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def read_document_input(name: str, ocr_cfg: dict) -> tuple[str, list[dict], list[str]]:
    """Text of a PDF, an old Word file or an image (OCR), with the OCR lines and what was not read."""
    from crawler.attachments import AttachmentError
    from crawler.documents import read_document

    try:
        data = Path(name).read_bytes()
    except OSError as exc:
        raise Unreadable(f"无法读取 {name}：{exc.strerror or exc}") from None
    try:
        doc = read_document(data, Path(name).suffix, ocr_cfg)
    except AttachmentError as exc:
        raise Unreadable(f"无法读取 {name}：{exc}") from None
    if not doc.text.strip():
        raise Unreadable(f"无法读取 {name}：{'；'.join(doc.notes) or '未识别到文字'}")
    return doc.text, doc.lines, doc.notes


def check_one(lexicon, name: str, args, thresholds: dict | None = None, ocr_cfg: dict | None = None) -> dict:
    from scanner.content import scan_document
    from scanner.sources import infer_reprint, source_in_text

    lines: list[dict] = []
    unread: list[str] = []
    if name != "-" and Path(name).suffix.lower() in DOCUMENT_SUFFIXES and ocr_cfg is not None:
        text, lines, unread = read_document_input(name, ocr_cfg)
        title, links = "", []
    else:
        title, text, links = read_input(name)
    if args.title is not None:
        title = args.title
    elif not title:
        title, text = split_title(text)
    source = args.source if args.source is not None else source_in_text(text)
    hits = scan_document(lexicon, title=title, text=text, source=source, links=links, thresholds=thresholds,
                         max_chars=bounds.limits().max_scan_chars)
    reprint = infer_reprint(text, source)
    findings = [finding_dict(h) for h in hits]
    if lines:  # read from an image: say where in it
        from govwatch.models import ocr_evidence

        for f in findings:
            if f["field"] == "text":
                where = ocr_evidence({}, _LinesOnly(lines, name), f["start"], f["end"])
                f.update({k: where[k] for k in ("image_box", "image_page") if k in where})
    return {"input": name, "title": title, "findings": findings, "ocr": bool(lines), "unread": unread,
            "form": build_form(hits, reprint=reprint, source=source), "_hits": hits}


class _LinesOnly:
    """What ocr_evidence reads of an item, for a local file."""

    def __init__(self, lines: list[dict], name: str):
        self.meta, self.url, self.parent_url = {"ocr_lines": lines}, name, ""


# --- output --------------------------------------------------------------------------------
def render_text(result: dict) -> str:
    from govwatch.models import SEVERITY_LABELS, SEVERITIES

    lines = [f"== {result['input']} =="]
    if result.get("error"):
        lines.append(f"错误：{result['error']}")
        return "\n".join(lines)
    lines.append(f"标题：{result['title'] or '（未识别到标题）'}")
    if result.get("ocr"):
        lines.append("（文字由图片识别得到，可能有个别字识别错误）")
    for note in result.get("unread") or ():
        lines.append(f"（未检查：{note}）")
    hits = result["_hits"]
    if hits:
        counts = [f"{SEVERITY_LABELS[s]} {n} 处" for s in SEVERITIES
                  if (n := sum(1 for h in hits if h.severity == s))]
        lines.append(f"共发现 {len(hits)} 处问题（{'，'.join(counts)}）：")
    else:
        lines.append("未发现问题。")
    for i, h in enumerate(hits, 1):
        where = FIELD_LABELS.get(h.field, h.field)
        if h.start >= 0:
            where += f"第 {h.start + 1}–{h.end} 字"
        match = f"：“{h.match}”" if h.match else ""
        lines.append(f"{i}.【{SEVERITY_LABELS.get(h.severity, h.severity)}】{h.category}（{where}）{match}")
        if h.snippet and h.field != "url":
            lines.append(f"   上下文：{h.snippet}")
        box = result["findings"][i - 1].get("image_box")
        if box:
            page = result["findings"][i - 1].get("image_page")
            lines.append(f"   图片位置：{'第 %d 页，' % page if page else ''}左上 ({box[0]}, {box[1]})，"
                         f"右下 ({box[2]}, {box[3]})（文字识别）")
        if h.suggestion:
            lines.append(f"   修改建议：{h.suggestion}")
        if h.detail:
            lines.append(f"   说明：{h.detail}")
    lines.append("信息发布审核登记表（机器预审）：")
    for key, value in result["form"].items():
        if key == "来源" and not value:
            continue
        lines.append(f"  {key}：{value}")
    return "\n".join(lines)


def settings_in_force(args, settings):
    """The settings a check runs with: those of an active sensitive period (its extra lexicon
    directories and thresholds, as crawl and scan use them) when the database declares one. No
    database yet means no period; a database that cannot be read is said once and the check runs
    on the configured settings (a draft check must not depend on the monitoring database). A draft
    check changes nothing: the database is opened read-only, without the write-side housekeeping
    of other commands (deadlines following the settings), and none is created."""
    from govwatch.commands._common import in_force, store_from

    db = str(settings.db)
    if db.startswith("sqlite:///") and db != "sqlite:///:memory:" and not Path(db[len("sqlite:///"):]).exists():
        return settings
    try:
        return in_force(settings, store_from(args, settings, read_only=True), announce=False)
    except Exception as exc:  # noqa: BLE001  (an unreachable or broken database: check without periods)
        print(f"提示：无法读取敏感时期设置（{exc}），按常规设置检查。", file=sys.stderr)
        return settings


def cmd_check(args) -> int:
    from govwatch.commands._common import settings_from
    from scanner.lexicon import load_lexicon

    for d in args.lexicon_dir:
        if not Path(d).is_dir():
            raise CliError(f"词库目录不存在：{d}")
    settings = settings_in_force(args, settings_from(args))
    periods = [p.name for p in settings.active_periods]
    lexicon = load_lexicon([*settings.lexicon_dirs, *args.lexicon_dir], cache_dir=settings.var_path / "cache")
    if periods and args.format == "text":
        for p in settings.active_periods:
            print(f"{p.line}，已加载该时期的词库和阈值。")
        print()
    unreadable = blocking = False
    for i, name in enumerate(args.files):
        try:
            result = check_one(lexicon, name, args, settings.thresholds, settings.data["ocr"])
        except Unreadable as exc:
            unreadable = True
            print(f"错误：{exc}", file=sys.stderr)
            result = {"input": name, "error": str(exc), "findings": [], "form": None, "_hits": []}
        if periods:
            result["periods"] = periods
        if any(h.severity in BLOCKING for h in result["_hits"]):
            blocking = True
        if args.format == "json":
            out = {k: v for k, v in result.items() if not k.startswith("_")}
            print(json.dumps(out, ensure_ascii=False))
        else:
            if i:
                print()
            print(render_text(result))
    if unreadable:
        return 2
    return 1 if blocking else 0
