"""Text of attachments: 公示 spreadsheets and PDFs are where ID numbers most often leak.

``attachment_text`` reads one file in this process, within the ``[parse]`` limits
(crawler.bounds); ``read_attachment`` does the same in a worker process with a time and memory
limit, so that one hostile file costs that file (an ``AttachmentError`` with a Chinese reason), not
the crawl.  The crawler, recheck and ``govwatch check`` use ``read_attachment``.

- PDF through pypdf: at most ``max_pdf_pages`` pages; a page whose content stream is larger than
  ``max_pdf_page_bytes`` or inflates more than ``max_pdf_inflation`` times is skipped, and pages
  sharing a content stream are read once.  Skipped pages are not silent: ``attachment_read`` /
  ``read_attachment_notes`` return notes ("第 3–5 页未读取：…"), which the crawler keeps in the
  item's ``meta["unread"]`` and a finding's evidence ``unread``.
- DOCX and XLSX are zip files: at most ``max_zip_entries`` members, ``max_zip_bytes`` declared
  uncompressed in all, no member inflating more than ``max_zip_ratio`` times (zip bombs); their XML
  is pull-parsed in chunks (at most ``max_xml_bytes`` of it), elements freed as soon as read.  An
  XLSX is read cell by cell from its XML, never by its declared ``<dimension>``: at most
  ``max_sheet_rows`` rows, ``max_sheet_cols`` columns and ``max_sheet_cells`` cells.  A number
  whose cell style shows a date or time (built-in formats 14–22 and their East Asian kin, custom
  formats with y/m/d or h/s) is written as YYYY-MM-DD (with the time when it has one), counting
  from 1900 or, with the workbook's ``date1904``, from 1904; other numbers stay as stored.
- XLS and WPS's ET spreadsheets through xlrd, within the same row, column and cell limits.
- Old binary Word (.doc) and WPS text (.wps) have no well-kept pure-Python reader; they are
  recorded as unreadable rather than guessed at.
"""
from __future__ import annotations

import atexit
import io
import json
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date, timedelta

from crawler import bounds
from crawler.bounds import ParseLimits

READABLE = ("pdf", "docx", "xlsx", "xls", "et", "txt", "csv")
MAX_CHARS = bounds.ParseLimits().max_attachment_chars  # kept for callers that read the default
PDF_INFLATION_FLOOR = 16384  # a content stream this small is read whatever its compression
ZIP_RATIO_FLOOR = 1024 * 1024  # a zip member this small is read whatever its compression ratio
_CHUNK = 65536

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class AttachmentError(Exception):
    """The attachment could not be read (Chinese message)."""


def attachment_text(body: bytes, ext: str, limits: ParseLimits | None = None) -> str:
    """The text of one attachment, read in this process within ``limits``."""
    return attachment_read(body, ext, limits)[0]


def attachment_read(body: bytes, ext: str, limits: ParseLimits | None = None) -> tuple[str, list[str]]:
    """(text, notes) of one attachment, read in this process within ``limits``: the notes say in
    Chinese which parts were left unread and why (PDF pages over a limit)."""
    lim = limits or bounds.limits()
    ext = ext.lower().lstrip(".")
    notes: list[str] = []
    try:
        if ext == "pdf":
            return _pdf(body, lim, notes), notes
        if ext == "docx":
            return docx_text(body, lim), notes
        if ext == "xlsx":
            return _xlsx(body, lim), notes
        if ext in ("xls", "et"):
            return _xls(body, lim), notes
        if ext in ("txt", "csv"):
            from crawler.encoding import decode_html
            return decode_html(body)[0][:lim.max_attachment_chars], notes
    except AttachmentError:
        raise
    except MemoryError:
        raise AttachmentError(f"无法读取 {ext} 附件：内存超出上限（{lim.worker_memory_mb} MB）") from None
    except Exception as exc:  # a damaged file from a hostile server must not stop the crawl
        raise AttachmentError(f"无法读取 {ext} 附件：{type(exc).__name__}: {str(exc)[:100]}") from exc
    raise AttachmentError(f"暂不支持读取 .{ext} 附件")


# ----------------------------------------------------------------------------- PDF

def _pdf(body: bytes, lim: ParseLimits, notes: list[str] | None = None) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    parts, size, seen = [], 0, set()
    skipped: dict[object, tuple[str, int, list[int]]] = {}  # content key -> (why, inflation, pages)
    total = len(reader.pages)
    for number, page in enumerate(reader.pages):
        if number >= lim.max_pdf_pages:
            break
        key = _content_key(page)
        if key is not None:
            if key in skipped:
                skipped[key][2].append(number + 1)  # the same unread stream as an earlier page
                continue
            if key in seen:
                continue  # the same content stream as an earlier page: the same text
            seen.add(key)
        why, ratio = _page_content_problem(page, lim)
        if why:
            skipped[key if key is not None else ("page", number)] = (why, ratio, [number + 1])
            continue
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > lim.max_attachment_chars:
            last = min(total, lim.max_pdf_pages)
            if notes is not None and number + 1 < last:
                notes.append(f"文字已达 {lim.max_attachment_chars} 字（parse.max_attachment_chars），"
                             f"第 {_span(number + 2, last)} 页未读取")
            break
    if notes is not None:
        # one note per reason, whatever the number of pages
        by_reason: dict[str, tuple[int, list[int]]] = {}
        for why, ratio, pages in skipped.values():
            worst, all_pages = by_reason.get(why, (0, []))
            by_reason[why] = (max(worst, ratio), all_pages + pages)
        for why, (worst, pages) in by_reason.items():
            if why == "inflation":
                why = (f"内容超过 {PDF_INFLATION_FLOOR // 1024} KB 且解压后为压缩前的 {worst} 倍"
                       f"{'（最高）' if len(pages) > 1 else ''}，超过 {lim.max_pdf_inflation} 倍"
                       "（parse.max_pdf_inflation），视为异常")
            notes.append(f"第 {page_ranges(pages)} 页未读取：{why}")
        if total > lim.max_pdf_pages:
            notes.append(f"共 {total} 页，只读取前 {lim.max_pdf_pages} 页（parse.max_pdf_pages），"
                         f"第 {_span(lim.max_pdf_pages + 1, total)} 页未读取")
    return "\n".join(parts)[:lim.max_attachment_chars]


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def page_ranges(pages) -> str:
    """1, 2, 3, 5 -> "1–3、5"."""
    out: list[tuple[int, int]] = []
    for p in sorted(set(pages)):
        if out and out[-1][1] == p - 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return "、".join(_span(a, b) for a, b in out)


def _streams(page) -> list:
    contents = page.get("/Contents")
    if contents is None:
        return []
    obj = contents.get_object()
    return [item.get_object() for item in obj] if isinstance(obj, list) else [obj]


def _content_key(page):
    refs = []
    contents = page.get("/Contents")
    if contents is None:
        return None
    items = contents.get_object() if not hasattr(contents, "idnum") else [contents]
    if not isinstance(items, list):
        return None
    for item in items:
        if not hasattr(item, "idnum"):
            return None
        refs.append((item.idnum, item.generation))
    return tuple(refs)


def _page_content_problem(page, lim: ParseLimits) -> tuple[str, int]:
    """Why a page's content streams are not read ("" when they are within the byte and inflation
    limits; "inflation" with the ratio, or the reason in Chinese); decoded one by one, each stream
    stopping the check as soon as the page is over its limit."""
    decoded = encoded = 0
    for stream in _streams(page):
        raw = getattr(stream, "_data", b"") or b""
        encoded += len(raw)
        decoded += len(stream.get_data())
        if decoded > lim.max_pdf_page_bytes:
            return f"内容解压后超过 {lim.max_pdf_page_bytes} 字节（parse.max_pdf_page_bytes）", 0
    if decoded <= PDF_INFLATION_FLOOR or decoded <= lim.max_pdf_inflation * max(encoded, 1):
        return "", 0
    return "inflation", decoded // max(encoded, 1)


def open_zip(body: bytes, lim: ParseLimits) -> zipfile.ZipFile:
    """A zip file whose directory is within the limits (entries, declared size, ratio)."""
    zf = zipfile.ZipFile(io.BytesIO(body))
    infos = zf.infolist()
    if len(infos) > lim.max_zip_entries:
        raise AttachmentError(f"压缩包内文件过多（{len(infos)} 个，上限 {lim.max_zip_entries}），疑似恶意文件，未读取")
    total = sum(i.file_size for i in infos)
    if total > lim.max_zip_bytes:
        raise AttachmentError(f"解压后过大（{total // 1048576} MB，上限 {lim.max_zip_bytes // 1048576} MB），未读取")
    for info in infos:
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > lim.max_zip_ratio * max(info.compress_size, 1):
            raise AttachmentError(f"{info.filename} 压缩比异常（{info.file_size // max(info.compress_size, 1)} 倍，"
                                  f"上限 {lim.max_zip_ratio} 倍），疑似压缩炸弹，未读取")
    return zf


def _prune(root) -> None:
    """Drop every finished element: only the path of last children (where the parser is) stays."""
    node = root
    while node is not None and len(node):
        if len(node) > 1:
            del node[:-1]
        node = node[-1]


def _pull(zf: zipfile.ZipFile, name: str, lim: ParseLimits, root_tag: str, tags: tuple[str, ...]):
    """Elements ``tags`` of member ``name`` as each ends, from a pull parser fed in chunks (at
    most ``max_xml_bytes`` of XML).  After each chunk every finished element is dropped from the
    tree, so memory stays that of one chunk however many elements the part has; the caller reads
    what it needs from each element when it is yielded."""
    from lxml import etree

    parser = etree.XMLPullParser(events=("start", "end"), tag=(root_tag, *tags), resolve_entities=False,
                                 no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
    root = None
    read = 0
    with zf.open(name) as fh:
        while read < lim.max_xml_bytes:
            chunk = fh.read(min(_CHUNK, lim.max_xml_bytes - read))
            if not chunk:
                break
            read += len(chunk)
            parser.feed(chunk)
            for event, el in parser.read_events():
                if event == "end":
                    yield el
                elif root is None:
                    root = el.getroottree().getroot()
            if root is not None:
                _prune(root)
        else:
            return  # the part is longer than max_xml_bytes: what was read is the text
    parser.close()
    for event, el in parser.read_events():
        if event == "end":
            yield el


def docx_text(body: bytes, lim: ParseLimits | None = None) -> str:
    """Paragraph text of a .docx (word/document.xml), one paragraph per line (tabs and breaks kept).

    Streamed: text, tab and break elements are read as they end and finished elements are freed
    after each chunk, so a paragraph of millions of empty runs holds no more memory than a short one."""
    lim = lim or bounds.limits()
    zf = open_zip(body, lim)
    try:
        zf.getinfo("word/document.xml")
    except KeyError:
        raise AttachmentError("不是有效的 Word 文档（缺少 word/document.xml）") from None
    lines, parts, size = [], [], 0
    tags = (f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}p")
    for el in _pull(zf, "word/document.xml", lim, f"{W}document", tags):
        tag = el.tag
        if tag == f"{W}t":
            parts.append(el.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}p":
            line = "".join(parts)
            parts = []
            if line:
                lines.append(line)
                size += len(line) + 1
                if size > lim.max_attachment_chars:
                    break
    return "\n".join(lines)[:lim.max_attachment_chars]


_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _shared_strings(zf: zipfile.ZipFile, lim: ParseLimits) -> list[str]:
    try:
        zf.getinfo("xl/sharedStrings.xml")
    except KeyError:
        return []
    out, size = [], 0
    for si in _pull(zf, "xl/sharedStrings.xml", lim, f"{S}sst", (f"{S}si",)):
        # the text runs, without phonetic guides (rPh)
        text = "".join(t.text or "" for t in si.iter(f"{S}t") if t.getparent().tag != f"{S}rPh")
        out.append(text)
        size += len(text)
        if len(out) >= lim.max_sheet_cells or size > 4 * lim.max_attachment_chars:
            break
    return out


def _sheet_names(zf: zipfile.ZipFile) -> list[str]:
    names = [n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)]
    return sorted(names, key=lambda n: (int(m.group()) if (m := re.search(r"[0-9]+", n.rsplit("/", 1)[1])) else 0, n))


def _add_row(lines: list[str], values: dict[int, str]) -> int:
    """Append a row's cells (by column number, tab-separated, trailing blanks dropped) to ``lines``
    unless the row is blank; the characters it adds."""
    if not values:
        return 0
    line = "\t".join(values.get(i, "") for i in range(1, max(values) + 1)).rstrip()
    if not line.strip():
        return 0
    lines.append(line)
    return len(line) + 1


# Built-in number formats that show a date or a time (ECMA-376 18.8.30): 14–22, the mm:ss ones,
# and those East Asian locales give dates and times (zh-CN: 27 "yyyy年m月", 31 "yyyy年m月d日",
# 32 "h时mm分", 57 "yyyy年m月" and so on), which Chinese Excel and WPS write.
_BUILTIN_DATE = frozenset({14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58})
_BUILTIN_TIME = frozenset({18, 19, 20, 21, 32, 33, 34, 35, 45, 46, 47, 55, 56})
_FMT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')  # quoted text, escapes, [Red] [$-804], padding
_DATE_EPOCH_1900 = date(1899, 12, 30)  # serial 61 is 1900-03-01 (Excel counts a 1900-02-29)
_DATE_EPOCH_1904 = date(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def format_kind(code: str) -> str:
    """"date", "datetime", "time" or "" for a custom number format code (its first section):
    literals, escapes and brackets set aside, ``y``/``d`` make a date, ``h``/``s`` a time (an ``m``
    is months beside a date, minutes beside a time); an elapsed time (``[h]:mm``) is no date."""
    first = code.split(";", 1)[0]
    if re.search(r"\[(?:h+|m+|s+)\]", first, re.IGNORECASE):
        return ""
    letters = _FMT_LITERALS.sub("", first).lower()
    has_date = "y" in letters or "d" in letters
    has_time = "h" in letters or "s" in letters
    if has_date and has_time:
        return "datetime"
    return "date" if has_date else "time" if has_time else ""


def _xlsx_styles(zf: zipfile.ZipFile, lim: ParseLimits) -> tuple[dict[int, str], bool]:
    """(cell style index -> "date" / "datetime" / "time" for the styles that show a date or time,
    whether the workbook counts from 1904)."""
    names = set(zf.namelist())
    custom: dict[int, str] = {}
    kinds: dict[int, str] = {}
    if "xl/styles.xml" in names:
        index = 0
        for el in _pull(zf, "xl/styles.xml", lim, f"{S}styleSheet", (f"{S}numFmt", f"{S}xf")):
            if el.tag == f"{S}numFmt":
                try:
                    custom[int(el.get("numFmtId") or -1)] = format_kind(el.get("formatCode") or "")
                except ValueError:
                    pass
                continue
            parent = el.getparent()
            if parent is None or parent.tag != f"{S}cellXfs":
                continue  # cellStyleXfs and dxfs: not what a cell's s= points at
            try:
                fmt = int(el.get("numFmtId") or 0)
            except ValueError:
                fmt = 0
            kind = custom.get(fmt) if fmt in custom else \
                "date" if fmt in _BUILTIN_DATE else "time" if fmt in _BUILTIN_TIME else ""
            if kind:
                kinds[index] = kind
            index += 1
            if index >= lim.max_sheet_cells:
                break
    date1904 = False
    if "xl/workbook.xml" in names:
        for el in _pull(zf, "xl/workbook.xml", lim, f"{S}workbook", (f"{S}workbookPr",)):
            date1904 = (el.get("date1904") or "").strip().lower() in ("1", "true")
            break
    return kinds, date1904


def excel_date(raw: str, kind: str, date1904: bool = False) -> str:
    """A serial date-time shown the way its format means it: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or
    HH:MM[:SS]; ``raw`` itself when it is not a serial a date can be made of."""
    try:
        serial = float(raw)
    except ValueError:
        return raw
    if not 0 <= serial <= _MAX_SERIAL or serial != serial:
        return raw
    days = int(serial)
    seconds = round((serial - days) * 86400)
    if seconds >= 86400:
        days, seconds = days + 1, seconds - 86400
    hh, mm, ss = seconds // 3600, seconds // 60 % 60, seconds % 60
    clock = f"{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")
    if kind == "time":
        return clock
    if date1904:
        day = _DATE_EPOCH_1904 + timedelta(days=days)
    elif days == 60:
        return "1900-02-29"  # Excel's (Lotus's) day that never was
    elif days < 60:
        if days == 0:
            return raw if kind == "date" else clock
        day = _DATE_EPOCH_1900 + timedelta(days=days + 1)
    else:
        day = _DATE_EPOCH_1900 + timedelta(days=days)
    text = day.isoformat()
    return f"{text} {clock}" if kind == "datetime" and seconds else text


def _xlsx(body: bytes, lim: ParseLimits) -> str:
    zf = open_zip(body, lim)
    shared = _shared_strings(zf, lim)
    styles, date1904 = _xlsx_styles(zf, lim)
    lines, size, cells = [], 0, 0
    for name in _sheet_names(zf):
        values: dict[int, str] = {}
        position = 0
        for el in _pull(zf, name, lim, f"{S}worksheet", (f"{S}c", f"{S}row")):
            if el.tag == f"{S}c":
                cells += 1
                position += 1
                m = _CELL_REF.fullmatch(el.get("r") or "")
                if m:
                    position = _col_number(m.group(1))
                    if int(m.group(2)) > lim.max_sheet_rows:
                        break  # rows come in order: the rest of the sheet is beyond the bound
                if position <= lim.max_sheet_cols:
                    values[position] = _cell_value(el, shared, styles, date1904)
                if cells >= lim.max_sheet_cells:
                    break
                continue
            r = el.get("r")
            if r and r.isdigit() and int(r) > lim.max_sheet_rows:
                break
            size += _add_row(lines, values)
            values, position = {}, 0
            if size > lim.max_attachment_chars:
                break
        size += _add_row(lines, values)  # the sheet's last row, when no row element follows it
        if size > lim.max_attachment_chars or cells >= lim.max_sheet_cells:
            break
    return "\n".join(lines)[:lim.max_attachment_chars]


def _cell_value(c, shared: list[str], styles: dict[int, str] | None = None, date1904: bool = False) -> str:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{S}t"))
    v = c.find(f"{S}v")
    raw = (v.text or "") if v is not None else ""
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "TRUE" if raw == "1" else "FALSE"
    if kind == "n" and styles and raw:
        style = c.get("s")
        shown = styles.get(int(style)) if style and style.isdigit() else None
        if shown:
            return excel_date(raw, shown, date1904)
    if kind == "n" and raw.endswith(".0"):
        return raw[:-2]
    return raw


# ----------------------------------------------------------------------------- XLS

def _xls(body: bytes, lim: ParseLimits) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=body, on_demand=True)
    lines, size, cells = [], 0, 0
    for sheet in book.sheets():
        for r in range(min(sheet.nrows, lim.max_sheet_rows)):
            row = sheet.row_values(r, 0, min(sheet.ncols, lim.max_sheet_cols))
            cells += len(row)
            values = [str(v) if v not in (None, "") else "" for v in row]
            if any(values):
                line = "\t".join(values).rstrip()
                lines.append(line)
                size += len(line) + 1
            if size > lim.max_attachment_chars or cells >= lim.max_sheet_cells:
                return "\n".join(lines)[:lim.max_attachment_chars]
    return "\n".join(lines)[:lim.max_attachment_chars]


# ----------------------------------------------------------------------------- the worker
#
# The worker is a separate interpreter (``python -m crawler.attachments``), not a fork: forking
# the crawler would copy its threads' locks and its address space (which a memory limit would then
# count), and multiprocessing's spawn re-imports the parent's main script.  Messages have an 8-byte
# length in front, over the child's stdin and stdout: a pickle to the child (what the crawler sends),
# JSON back (the child has handled hostile bytes, so the crawler never unpickles what it says); the
# child limits its own address space before reading anything.

def _send(fh, obj) -> None:
    _write_framed(fh, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _reply(fh, status: str, text: str, notes: list[str] | None = None) -> None:
    _write_framed(fh, json.dumps([status, text, notes or []], ensure_ascii=False).encode("utf-8"))


def _write_framed(fh, data: bytes) -> None:
    fh.write(struct.pack("!Q", len(data)) + data)
    fh.flush()


def _recv_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _worker_loop(memory_mb: int) -> None:  # pragma: no cover - runs in the child process
    import resource

    limit = memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    stdin, stdout = sys.stdin.buffer.fileno(), sys.stdout.buffer
    while True:
        try:
            (size,) = struct.unpack("!Q", _recv_exact(stdin, 8, None))
            body, ext, limits = pickle.loads(_recv_exact(stdin, size, None))
        except (EOFError, OSError):
            return
        try:
            _reply(stdout, "ok", *attachment_read(body, ext, ParseLimits(**limits)))
        except AttachmentError as exc:
            _reply(stdout, "error", str(exc))
        except MemoryError:
            del body
            _reply(stdout, "error", f"无法读取 {ext} 附件：内存超出上限（{memory_mb} MB）")
            return  # start afresh: the heap may be fragmented
        body = None


class _Worker:
    """One worker process, started on first use and replaced after a timeout or a crash."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.memory_mb = 0

    def _start(self, memory_mb: int) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler.attachments", str(memory_mb)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, close_fds=True)
        self.memory_mb = memory_mb

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a killed process always ends
            pass
        for fh in (proc.stdin, proc.stdout):
            try:
                fh.close()
            except OSError:
                pass

    def run(self, body: bytes, ext: str, lim: ParseLimits) -> tuple[str, list[str]]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None or self.memory_mb != lim.worker_memory_mb:
                self.stop()
                self._start(lim.worker_memory_mb)
            deadline = time.monotonic() + lim.worker_timeout
            try:
                _send(self.proc.stdin, (bytes(body), ext, lim.as_dict()))
                fd = self.proc.stdout.fileno()
                (size,) = struct.unpack("!Q", _recv_exact(fd, 8, deadline))
                status, value, notes = json.loads(_recv_exact(fd, size, deadline).decode("utf-8"))
            except TimeoutError:
                self.stop()
                raise AttachmentError(f"读取 .{ext} 附件超时（超过 {lim.worker_timeout:g} 秒），已跳过") from None
            except (EOFError, OSError, ValueError, struct.error):
                self.stop()
                raise AttachmentError(f"读取 .{ext} 附件时读取进程异常退出（可能超出内存上限 "
                                      f"{lim.worker_memory_mb} MB），已跳过") from None
        if status == "ok":
            notes = [str(n)[:300] for n in notes[:20]] if isinstance(notes, list) else []
            return str(value), notes
        raise AttachmentError(str(value))


_WORKER = _Worker()


def read_attachment(body: bytes, ext: str, limits: ParseLimits | None = None) -> str:
    """``attachment_text`` in the worker process, within ``parse.worker_timeout`` seconds and
    ``parse.worker_memory_mb`` of memory; raises AttachmentError (Chinese) when it cannot."""
    return read_attachment_notes(body, ext, limits)[0]


def read_attachment_notes(body: bytes, ext: str, limits: ParseLimits | None = None) -> tuple[str, list[str]]:
    """``attachment_read`` in the worker process: (text, what was left unread and why)."""
    lim = limits or bounds.limits()
    ext = ext.lower().lstrip(".")
    if ext not in READABLE:
        raise AttachmentError(f"暂不支持读取 .{ext} 附件")
    return _WORKER.run(body, ext, lim)


def stop_worker() -> None:
    """Stop the worker process (it is restarted on the next read)."""
    with _WORKER.lock:
        _WORKER.stop()


atexit.register(stop_worker)

if __name__ == "__main__":  # pragma: no cover - the worker process
    _worker_loop(int(sys.argv[1]) if len(sys.argv) > 1 else bounds.ParseLimits().worker_memory_mb)
