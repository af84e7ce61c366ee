"""Decode HTML bytes to text, surviving pages whose declared charset is wrong.

Order: byte-order mark → strict UTF-8 (valid multi-byte UTF-8 is almost never another encoding by
accident, and many Chinese pages declare GB2312 while serving UTF-8) → the charsets declared in
the Content-Type header and in ``<meta>`` (GB2312 and GBK read as their superset GB18030) →
GB18030 (the usual undeclared legacy encoding of Chinese sites) → charset-normalizer's detection → a lenient decode of the best candidate.
"""
from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)

# Declared names mapped to the codec that reads every page written under that name.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "big5hkscs", "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
    "ascii": "utf-8", "us-ascii": "utf-8", "utf8": "utf-8", "unicode": "utf-8",
}
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
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


def declared_charsets(body: bytes, content_type_header: str | None = None) -> list[str]:
    """Codec names declared by the header, an XML declaration and ``<meta>`` tags, in that order."""
    names: list[str | None] = []
    if content_type_header:
        m = _HEADER_CHARSET.search(content_type_header)
        if m:
            names.append(m.group(1))
    head = body[:16384]
    m = _XML_ENCODING.search(head)
    if m:
        names.append(m.group(1).decode("ascii", "ignore"))
    names.extend(m.group(1).decode("ascii", "ignore") for m in _META_CHARSET.finditer(head))
    seen: list[str] = []
    for name in names:
        codec = normalise_charset(name)
        if codec and codec not in seen:
            seen.append(codec)
    return seen


def _errors(body: bytes, codec: str) -> int:
    """How many undecodable sequences ``body`` has in ``codec`` (0 means a clean decode)."""
    try:
        body.decode(codec)
        return 0
    except UnicodeDecodeError:
        pass
    except LookupError:
        return len(body)
    count = 0
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    position = 0
    while position < len(body):
        try:
            decoder.decode(body[position:], final=True)
            break
        except UnicodeDecodeError as exc:
            count += 1
            position += max(exc.end, 1)
            decoder.reset()
    return count


def _acceptable(body: bytes, codec: str) -> bool:
    errors = _errors(body, codec)
    return errors == 0 or errors <= max(1, len(body) * _TOLERATED_ERROR_RATE)


def decode_html(body: bytes, content_type_header: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; returns ``(text, codec name)``."""
    if isinstance(body, str):
        return body, "unicode"
    if not body:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec.replace("-sig", "")
    declared = declared_charsets(body, content_type_header)
    utf16 = [c for c in declared if c.startswith("utf-16") or c.startswith("utf-32")]
    if utf16 and _acceptable(body, utf16[0]):
        return body.decode(utf16[0], errors="replace"), utf16[0]

    non_ascii = any(b > 0x7F for b in body)
    if not non_ascii:
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
    # Nothing decodes cleanly: take the candidate with the fewest errors.
    candidates = [c for c in [*declared, detected, "utf-8", "gb18030"] if c]
    best = min(candidates, key=lambda c: _errors(body, c))
    return body.decode(best, errors="replace"), best


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        return None
    best = from_bytes(body[:200_000]).best()
    if best is None:
        return None
    return normalise_charset(best.encoding)
