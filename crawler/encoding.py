"""Decode HTML bytes to text, surviving pages whose declared charset is wrong.

The order follows the WHATWG encoding-sniffing rules that browsers use, with one pragmatic step
for Chinese sites:

1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE) decides;
2. the charset of the HTTP ``Content-Type`` header, when it names UTF-16 (any other declared
   charset is tried after step 4);
3. the prescan of the first 1024 bytes for ``<meta charset>`` / ``<meta http-equiv>``: a
   ``<meta>`` declaring UTF-16 means UTF-8 (a page that can be prescanned as ASCII is not UTF-16),
   ``x-user-defined`` means windows-1252;
4. strict UTF-8 (valid multi-byte UTF-8 is almost never another encoding by accident, and many
   Chinese pages declare GB2312 while serving UTF-8);
5. the declared charsets (header, then ``<meta>``, then a ``<meta>`` or XML declaration later in
   the first 16 KB), GB2312 and GBK read as their superset GB18030;
6. GB18030 (the usual undeclared legacy encoding of Chinese sites), charset-normalizer's
   detection on a bounded sample, and a lenient decode of the candidate with the fewest errors.

Every step is linear in the size of the page: undecodable bytes are counted by a codec error
handler (no re-decoding from each error), and counting stops once the page is known to be unfit.
"""
from __future__ import annotations

import codecs
import re
import threading

PRESCAN_BYTES = 1024  # WHATWG prescan window
LATE_META_BYTES = 16384  # a <meta> after the prescan window is a weaker hint
DETECT_SAMPLE_BYTES = 65536  # what charset-normalizer sees

# Bounded patterns: no unbounded repetition in front of the part that must match.
_META_CHARSET = re.compile(rb"""<meta\s[^<>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s{0,64}<\?xml[^<>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""", re.I)

# Declared names mapped to the codec that reads every page written under that name.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "big5hkscs", "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
    "ascii": "utf-8", "us-ascii": "utf-8", "utf8": "utf-8", "unicode": "utf-8",
    "x-user-defined": "cp1252",
}
# WHATWG: only these three byte-order marks are honoured (FF FE 00 00 reads as UTF-16LE).
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"), (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
]
# A handful of undecodable bytes (a truncated or mixed page) is tolerated per this many bytes.
_TOLERATED_ERROR_RATE = 1 / 2000


def normalise_charset(name: str | None) -> str | None:
    """The Python codec to use for a declared charset name, or None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _is_utf16(codec: str | None) -> bool:
    return bool(codec) and codec.startswith(("utf-16", "utf-32"))


def _header_charset(content_type_header: str | None) -> str | None:
    if not content_type_header:
        return None
    m = _HEADER_CHARSET.search(content_type_header[:1024])
    return normalise_charset(m.group(1)) if m else None


def _meta_charsets(head: bytes) -> list[str]:
    """Codecs named by ``<meta>`` tags (and an XML declaration) in ``head``; UTF-16 read as UTF-8."""
    names = []
    m = _XML_ENCODING.search(head)
    if m:
        names.append(m.group(1).decode("ascii", "ignore"))
    names.extend(m.group(1).decode("ascii", "ignore") for m in _META_CHARSET.finditer(head))
    out = []
    for name in names:
        codec = normalise_charset(name)
        if _is_utf16(codec):
            codec = "utf-8"  # WHATWG: a document that could be prescanned as ASCII is not UTF-16
        if codec:
            out.append(codec)
    return out


def declared_charsets(body: bytes, content_type_header: str | None = None) -> list[str]:
    """Codec names declared by the header, the prescanned ``<meta>`` (first 1024 bytes) and later
    ones in the first 16 KB, in that order; a ``<meta>`` declaring UTF-16 counts as UTF-8."""
    names: list[str | None] = [_header_charset(content_type_header)]
    names.extend(_meta_charsets(body[:PRESCAN_BYTES]))
    names.extend(_meta_charsets(body[:LATE_META_BYTES]))
    seen: list[str] = []
    for codec in names:
        if codec and codec not in seen:
            seen.append(codec)
    return seen


class _TooMany(Exception):
    pass


_counter = threading.local()


def _count_error(exc: UnicodeDecodeError):
    _counter.n += 1
    if _counter.n > _counter.limit:
        raise _TooMany
    return "", exc.end


codecs.register_error("govwatch.count", _count_error)


def _errors(body: bytes, codec: str, limit: int | None = None) -> int:
    """How many undecodable sequences ``body`` has in ``codec`` (0 means a clean decode).

    One pass through the codec: a registered error handler counts and skips each bad sequence.
    Counting stops just above ``limit`` (the result is then ``limit + 1``)."""
    limit = len(body) if limit is None else limit
    _counter.n, _counter.limit = 0, limit
    try:
        body.decode(codec, errors="govwatch.count")
    except _TooMany:
        return limit + 1
    except LookupError:
        return len(body)
    return _counter.n


def _tolerated(body: bytes) -> int:
    return max(1, int(len(body) * _TOLERATED_ERROR_RATE))


def _acceptable(body: bytes, codec: str) -> bool:
    return _errors(body, codec, _tolerated(body)) <= _tolerated(body)


def decode_html(body: bytes, content_type_header: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; returns ``(text, codec name)``."""
    if isinstance(body, str):
        return body, "unicode"
    if not body:
        return "", "utf-8"
    for bom, codec, name in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), name
    header = _header_charset(content_type_header)
    if _is_utf16(header) and _acceptable(body, header):  # the transport may say UTF-16; a <meta> may not
        return body.decode(header, errors="replace"), header
    declared = declared_charsets(body, content_type_header)
    declared = [c for c in declared if not _is_utf16(c)]

    if body.isascii():
        codec = declared[0] if declared else "utf-8"
        return body.decode(codec, errors="replace"), codec
    if _acceptable(body, "utf-8"):
        return body.decode("utf-8", errors="replace"), "utf-8"
    for codec in declared:
        if codec != "utf-8" and _acceptable(body, codec):
            return body.decode(codec, errors="replace"), codec

    # The sites we watch are Chinese: an undeclared or misdeclared legacy page is most often GBK.
    if "gb18030" not in declared and _acceptable(body, "gb18030"):
        return body.decode("gb18030", errors="replace"), "gb18030"
    detected = _detect(body)
    if detected and _acceptable(body, detected):
        return body.decode(detected, errors="replace"), detected
    # Nothing decodes cleanly: take the candidate with the fewest errors (counted up to a bound
    # that keeps this linear: beyond a quarter of the bytes every candidate is as bad).
    candidates = list(dict.fromkeys(c for c in [*declared, detected, "utf-8", "gb18030"] if c))
    bound = max(1, len(body) // 4)
    best = min(candidates, key=lambda c: _errors(body, c, bound))
    return body.decode(best, errors="replace"), best


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        return None
    best = from_bytes(body[:DETECT_SAMPLE_BYTES]).best()
    if best is None:
        return None
    codec = normalise_charset(best.encoding)
    return None if _is_utf16(codec) else codec
