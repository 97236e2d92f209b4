"""Tolerant handling of MWS response bodies: XML parsing, errors, paging, dates and amounts.

Everything here is pure Python (lxml and the stdlib); the connector's HTTP adapter and the
order/report parsers build on it.

`parse_xml` returns the root element with the namespaces removed from element tags: MWS answers
the same vocabulary under several namespaces (``mws.amazonaws.com`` and
``mws.amazonservices.com``, one per API section and version), so parsers look elements up by
their local name only. The element helpers (`find`, `findall`, `text`) match local names and so
work on namespaced trees as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal
from urllib.parse import unquote

from lxml import etree

__all__ = [
    "AUTH",
    "PERMANENT",
    "RESTART_PAGING",
    "THROTTLED",
    "TRANSIENT",
    "ErrorKind",
    "MwsErrorInfo",
    "MwsErrorResponse",
    "ResponseParseError",
    "classify",
    "decode_text",
    "error_from_body",
    "find",
    "findall",
    "format_amount",
    "has_more",
    "local_name",
    "next_token",
    "parse_amount",
    "parse_bool",
    "parse_datetime",
    "parse_int",
    "parse_xml",
    "raise_for_error",
    "request_id",
    "text",
]

ErrorKind = Literal["throttled", "transient", "auth", "permanent", "restart_paging"]
THROTTLED: ErrorKind = "throttled"
TRANSIENT: ErrorKind = "transient"
AUTH: ErrorKind = "auth"
PERMANENT: ErrorKind = "permanent"
RESTART_PAGING: ErrorKind = "restart_paging"

CENT = Decimal("0.01")


class ResponseParseError(ValueError):
    """A body (XML, flat file or a single value in it) that cannot be understood."""


class MwsErrorResponse(ResponseParseError):
    """A parser was handed an ``ErrorResponse`` instead of the result it expected."""

    def __init__(self, info: MwsErrorInfo):
        self.info = info
        super().__init__(f"Amazon answered with an error: {info.code}: {info.message}")


@dataclass(frozen=True)
class MwsErrorInfo:
    """The first ``Error`` of an ``ErrorResponse``."""

    code: str
    message: str
    type: str | None = None
    request_id: str | None = None
    detail: str | None = None


# ---------------------------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------------------------

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.S)
_XMLNS_ATTR = re.compile(rb"""(\sxmlns(?::[\w.-]+)?\s*=\s*)(["'])(.*?)\2""", re.S)
_WS = re.compile(rb"\s+")
_UTF8_BOM = b"\xef\xbb\xbf"


def _parser() -> etree.XMLParser:
    # Entities are never expanded and nothing is fetched: bodies come from the network.
    return etree.XMLParser(resolve_entities=False, no_network=True)


def _normalise_xml(body: bytes) -> bytes:
    """Repair what Amazon's documentation samples break: whitespace inside xmlns values."""

    def fix(match: re.Match) -> bytes:
        return match.group(1) + match.group(2) + _WS.sub(b"", match.group(3)) + match.group(2)

    return _XMLNS_ATTR.sub(fix, body)


def _to_bytes(body: bytes | str) -> bytes:
    if isinstance(body, str):
        # A str has no encoding any more: drop a declaration that would claim one.
        return _XML_DECL.sub(b"", body.lstrip("\ufeff \t\r\n").encode("utf-8"), count=1)
    return bytes(body)


def parse_xml(body: bytes | str) -> etree._Element:
    """Parse an MWS XML body into its root element, element tags without namespaces.

    Tolerates leading whitespace or a BOM before the declaration, a missing or inconsistent
    declaration, whitespace inside namespace URIs, and unknown elements (they are kept).
    Raises `ResponseParseError` for an empty or non-XML body.
    """
    if body is None:
        raise ResponseParseError("empty response body (None)")
    data = _to_bytes(body)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    data = data.strip()
    if not data:
        raise ResponseParseError("empty response body")
    if not data.startswith(b"<"):
        raise ResponseParseError(f"response body is not XML: {_snippet(data)!r}")
    root = None
    first_error: Exception | None = None
    for repair in (bytes, _normalise_xml):  # the repair pass only runs when needed
        try:
            root = etree.fromstring(repair(data), _parser())
            break
        except etree.XMLSyntaxError as exc:
            first_error = first_error or exc
    if root is None:
        # Last resort for an odd declaration (wrong encoding name, two declarations...):
        # drop it and read the bytes as UTF-8.
        stripped = _normalise_xml(_XML_DECL.sub(b"", data, count=1)).lstrip()
        try:
            root = etree.fromstring(stripped, _parser())
        except etree.XMLSyntaxError:
            raise ResponseParseError(
                f"malformed XML response: {first_error} (body starts {_snippet(data)!r})"
            ) from first_error
    _strip_namespaces(root)
    return root


def _snippet(data: bytes, size: int = 80) -> str:
    return data[:size].decode("utf-8", "replace")


def _strip_namespaces(root: etree._Element) -> None:
    stripped = False
    for el in root.iter(etree.Element):
        tag = el.tag
        if tag[0] == "{":
            el.tag = tag.split("}", 1)[1]
            stripped = True
    if stripped:
        etree.cleanup_namespaces(root)


def local_name(el: etree._Element) -> str:
    """The element's tag without namespace ('' for comments and processing instructions)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.split("}", 1)[1] if tag[0] == "{" else tag


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    # "{*}name" matches the local name in any namespace or none (lxml's C-level matcher).
    return list(el.iterchildren("{*}" + name))


def findall(el: etree._Element | None, path: str) -> list[etree._Element]:
    """Elements under `el` along a slash-separated path of local names (no wildcards)."""
    if el is None:
        return []
    current = [el]
    for step in path.split("/"):
        current = [c for parent in current for c in parent.iterchildren("{*}" + step)]
        if not current:
            break
    return current


def find(el: etree._Element | None, path: str) -> etree._Element | None:
    """First element under `el` along `path` (local names), or None."""
    if el is None:
        return None
    if "/" not in path:
        return next(el.iterchildren("{*}" + path), None)
    found = findall(el, path)
    return found[0] if found else None


def text(el: etree._Element | None, path: str | None = None) -> str | None:
    """Stripped text of `el` (or of its first descendant along `path`); None when empty."""
    target = find(el, path) if path else el
    if target is None or target.text is None:
        return None
    value = target.text.strip()
    return value or None


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_RE_ERROR_FIELD = {
    name: re.compile(
        rb"<(?:\w+:)?" + name.encode() + rb">(.*?)</(?:\w+:)?" + name.encode() + b">", re.S
    )
    for name in ("Code", "Message", "Type", "Detail", "RequestID", "RequestId")
}


def error_from_body(body: bytes | str | None) -> MwsErrorInfo | None:
    """The error Amazon reported in `body` (whatever the HTTP status), or None.

    Only a root ``ErrorResponse`` counts: per-item ``Error`` elements inside a result are data.
    A body that is not well-formed but plainly is an ErrorResponse is read with a regex.
    """
    if body is None:
        return None
    data = _to_bytes(body)
    if b"ErrorResponse" not in data[:2048]:
        return None
    try:
        root = parse_xml(data)
    except ResponseParseError:
        return _error_by_regex(data)
    if local_name(root) != "ErrorResponse":
        return None
    return _info_from_root(root)


def _info_from_root(root: etree._Element) -> MwsErrorInfo:
    error = find(root, "Error")
    return MwsErrorInfo(
        code=text(error, "Code") or "",
        message=text(error, "Message") or "",
        type=text(error, "Type"),
        request_id=text(root, "RequestID") or text(root, "RequestId") or _metadata_id(root),
        detail=text(error, "Detail"),
    )


def _error_by_regex(data: bytes) -> MwsErrorInfo | None:
    values = {}
    for name, regex in _RE_ERROR_FIELD.items():
        match = regex.search(data)
        values[name] = match.group(1).decode("utf-8", "replace").strip() or None if match else None
    if not values["Code"]:
        return None
    return MwsErrorInfo(
        code=values["Code"],
        message=values["Message"] or "",
        type=values["Type"],
        request_id=values["RequestID"] or values["RequestId"],
        detail=values["Detail"],
    )


def raise_for_error(root: etree._Element) -> None:
    """Raise `MwsErrorResponse` when `root` (from `parse_xml`) is an ErrorResponse."""
    if local_name(root) == "ErrorResponse":
        raise MwsErrorResponse(_info_from_root(root))


_THROTTLED_CODES = frozenset({"RequestThrottled", "QuotaExceeded", "Throttled", "Throttling"})
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "InternalFailure",
        # Pseudo-codes the adapter uses for failures without an Amazon answer.
        "Timeout",
        "RequestTimeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ConnectionError",
    }
)
_AUTH_CODES = frozenset(
    {
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AccessDenied",
        "InvalidClientTokenId",  # Amazon's documented ErrorResponse sample
    }
)


def classify(code: str | None, http_status: int | None = None) -> ErrorKind:
    """What the caller should do about an error.

    ``throttled``: wait for the quota to restore; ``transient``: retry later with backoff;
    ``auth``: credentials or permissions are wrong, stop until a human fixes them;
    ``restart_paging``: a NextToken went bad, call the original (non-ByNextToken) operation
    again; ``permanent``: the request itself is wrong. The code wins over the status (a 503
    carrying RequestThrottled is throttling, not an outage). For network failures pass one of
    the pseudo-codes ``Timeout`` or ``ConnectionError`` with ``http_status=None``.
    """
    code = (code or "").strip()
    if code == "NextTokenCorrupted":
        return RESTART_PAGING
    if code in _THROTTLED_CODES:
        return THROTTLED
    if code in _AUTH_CODES:
        return AUTH
    if code in _TRANSIENT_CODES:
        return TRANSIENT
    if http_status is not None:
        if http_status == 429:
            return THROTTLED
        if http_status >= 500 or http_status == 408:
            return TRANSIENT
        if not code and http_status in (401, 403):
            return AUTH
    return PERMANENT


def _metadata_id(root: etree._Element) -> str | None:
    return text(root, "ResponseMetadata/RequestId") or text(root, "ResponseMetadata/RequestID")


def request_id(
    body: bytes | str | etree._Element | None, headers: Mapping | None = None
) -> str | None:
    """Amazon's request id: ResponseMetadata/RequestId or an ErrorResponse's RequestID from the
    body, else the ``x-mws-request-id`` header (any case). Never raises."""
    if body is not None:
        root = body
        if not isinstance(body, etree._Element):
            try:
                root = parse_xml(body)
            except ResponseParseError:
                root = None
        if root is not None:
            found = _metadata_id(root) or text(root, "RequestID") or text(root, "RequestId")
            if found:
                return found
    if headers:
        for key, value in headers.items():
            if str(key).lower() in ("x-mws-request-id", "x-amzn-requestid") and value:
                return str(value).strip()
    return None


# ---------------------------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------------------------


def next_token(result_element: etree._Element | None) -> str | None:
    """The NextToken directly under a ``...Result`` element, or None when absent or empty."""
    if result_element is None:
        return None
    for child in _children(result_element, "NextToken"):
        value = (child.text or "").strip()
        if value:
            return value
    return None


def has_more(result_element: etree._Element | None) -> bool:
    """Whether another page exists: HasNext, else MoreResultsAvailable, else a NextToken.

    A flag saying true without a NextToken gives False: there is no way to ask for the page.
    """
    if result_element is None:
        return False
    for flag in ("HasNext", "MoreResultsAvailable"):
        nodes = _children(result_element, flag)
        if nodes:
            return bool(parse_bool(nodes[0].text)) and next_token(result_element) is not None
    return next_token(result_element) is not None


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------

_DT_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|[+-]\d{2}|[A-Za-z]{1,5})?$"
)
# 13.03.2017 07:06:20 UTC (EU settlement files), 13/03/2017, 2017/03/13 (JP)
_DT_DMY = re.compile(
    r"^(?P<d>\d{1,2})(?P<sep>[./])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?$"
)
_DT_YMD_SLASH = re.compile(
    r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?$"
)
_TZ_NAMES = {
    "Z": 0,
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MEZ": 1,
    "MESZ": 2,
    "JST": 9,
    "IST": 5.5,
}


def _tz_offset(tz: str | None) -> timedelta:
    if not tz:
        return timedelta(0)  # Amazon's naive timestamps are UTC
    if tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        delta = timedelta(hours=hours, minutes=minutes)
        return -delta if tz[0] == "-" else delta
    hours = _TZ_NAMES.get(tz.upper())
    if hours is None:
        raise ResponseParseError(f"unknown time zone {tz!r}")
    return timedelta(hours=hours)


def parse_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from Amazon's many date spellings; None for None or blank.

    Accepts ISO 8601 with ``Z``, ``+00:00``, ``+0000`` or another offset, any number of
    fractional digits, a space instead of ``T``, URL-encoded colons (``%3A``, as in Amazon's
    samples), ``2017-03-13 07:06:20 UTC``, ``13.03.2017 07:06:20 UTC``, ``2017/03/13``, a bare
    date (midnight UTC) and a few zone names (UTC, GMT, PST, CET, JST...). A value without zone
    is UTC. Raises `ResponseParseError` for anything else, impossible dates included
    (``20178-02-20``, ``2017-02-30``).
    """
    if value is None:
        return None
    raw = value
    value = value.strip()
    if not value:
        return None
    if "%" in value:
        value = unquote(value)
    match = _DT_ISO.match(value) or _DT_YMD_SLASH.match(value)
    if match is None:
        match = _DT_DMY.match(value)
        if match is not None and match.group("sep") == "/" and int(match.group("m")) > 12:
            # 03/13/2017: month first (US); day first otherwise.
            parts = match.groupdict()
            parts["d"], parts["m"] = parts["m"], parts["d"]
            return _build_datetime(parts, raw)
    if match is None:
        raise ResponseParseError(f"unrecognised or impossible date {raw!r}")
    return _build_datetime(match.groupdict(), raw)


def _build_datetime(parts: dict, raw: str) -> datetime:
    fraction = (parts.get("f") or "")[:6].ljust(6, "0")
    try:
        naive = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts.get("H") or 0),
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise ResponseParseError(f"impossible date {raw!r}: {exc}") from exc
    return (naive - _tz_offset(parts.get("tz"))).replace(tzinfo=timezone.utc)


def parse_amount(value: str | int | Decimal | None) -> Decimal | None:
    """A Decimal from an amount string; None for None or blank.

    Accepts ``12.34``, ``-4.50``, ``1,234.56``, and the EU spellings ``4,50`` and ``1.234,56``:
    with both separators the last one is the decimal point; a lone comma is a decimal comma
    (Amazon's files never group thousands without decimals). Raises `ResponseParseError`.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    raw = value
    value = value.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not value:
        return None
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        if value.count(",") > 1:
            raise ResponseParseError(f"unrecognised amount {raw!r}")
        value = value.replace(",", ".")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ResponseParseError(f"unrecognised amount {raw!r}") from None
    if not result.is_finite():
        raise ResponseParseError(f"unrecognised amount {raw!r}")
    return result


def format_amount(value: Decimal | str | int | None) -> str | None:
    """The contract's amount string: two decimals, half-up (``Decimal('4.5')`` → ``'4.50'``)."""
    amount = parse_amount(value) if not isinstance(value, Decimal) else value
    if amount is None:
        return None
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})


def parse_bool(value: str | bool | None) -> bool | None:
    """True/False from ``true``/``false`` (and 1/0, yes/no, Y/N); None for None, blank or junk."""
    if value is None or isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def parse_int(value: str | int | None) -> int | None:
    """An int from ``3`` or ``3.0``; None for None or blank; `ResponseParseError` otherwise."""
    if value is None or isinstance(value, int):
        return value
    stripped = value.strip()
    if not stripped:
        return None
    try:
        return int(stripped)
    except ValueError:
        amount = parse_amount(stripped)
        if amount is None or amount != amount.to_integral_value():
            raise ResponseParseError(f"not a whole number: {value!r}") from None
        return int(amount)


# ---------------------------------------------------------------------------------------------
# Flat files
# ---------------------------------------------------------------------------------------------


def decode_text(data: bytes | str, encoding: str | None = None) -> str:
    """Text of a flat-file report: BOM removed; `encoding` if given, else UTF-8, else cp1252.

    Amazon writes UTF-8 in most marketplaces and Windows-1252 in older EU files; bytes that are
    undefined even in cp1252 fall back to Latin-1 so that a report is never lost to decoding.
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = encoding or "utf-8"
    if encoding:
        return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
