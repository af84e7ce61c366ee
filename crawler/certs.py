"""The expiry date (notAfter) of a server's certificate, read without trusting it.

The probe reads the certificate whether or not the target's TLS is verified: a site with
``verify_tls: false`` still has a certificate that can expire, and an expired one fails
verification before its date can be read through the verified path. The DER walk below reads only
the few fields before ``validity``; every length is bounded by the buffer, nothing is evaluated.
"""
from __future__ import annotations

import socket
import ssl
from datetime import datetime
from urllib.parse import urlsplit

from govwatch.models import UTC

MAX_CERT_BYTES = 64 * 1024


class CertError(ValueError):
    pass


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``pos``."""
    if pos + 2 > end:
        raise CertError("truncated")
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > end:
            raise CertError("bad length")
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    if pos + length > end:
        raise CertError("truncated")
    return tag, pos, pos + length


def _time(tag: int, raw: bytes) -> datetime:
    text = raw.decode("ascii")
    if not text.endswith("Z"):
        raise CertError("time not in UTC")
    if tag == 0x17:  # UTCTime YYMMDDHHMM[SS]Z
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMM[SS]Z
        raise CertError("not a time")
    digits = text[:-1]
    fmt = "%Y%m%d%H%M%S" if len(digits) == 14 else "%Y%m%d%H%M"
    return datetime.strptime(digits, fmt).replace(tzinfo=UTC)


def not_after(der: bytes) -> datetime:
    """notAfter of a DER-encoded X.509 certificate."""
    if not der or len(der) > MAX_CERT_BYTES:
        raise CertError("no certificate")
    tag, start, end = _tlv(der, 0, len(der))  # Certificate
    if tag != 0x30:
        raise CertError("not a certificate")
    tag, pos, end = _tlv(der, start, end)  # tbsCertificate
    if tag != 0x30:
        raise CertError("not a certificate")
    tag, s, e = _tlv(der, pos, end)
    if tag == 0xA0:  # [0] version
        pos = e
    # serialNumber, signature, issuer, then validity
    for _ in range(3):
        _, _, pos = _tlv(der, pos, end)
    tag, s, e = _tlv(der, pos, end)
    if tag != 0x30:
        raise CertError("no validity")
    _, _, after_before = _tlv(der, s, e)  # notBefore
    tag, ts, te = _tlv(der, after_before, e)  # notAfter
    return _time(tag, der[ts:te])


def peer_not_after(url: str, timeout: float) -> datetime | None:
    """When the certificate served at ``url`` expires (https only); None when it cannot be read."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # only to read the date: nothing is sent over this connection
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as sock:
            with ctx.wrap_socket(sock, server_hostname=parts.hostname) as tls:
                der = tls.getpeercert(binary_form=True)
        return not_after(der) if der else None
    except (OSError, ssl.SSLError, CertError, ValueError, UnicodeDecodeError):
        return None
