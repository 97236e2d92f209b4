"""One sanitiser for every text that leaves the connection to Amazon (no Odoo import).

Whatever a library puts in its exception (python-amazon-mws signs the query string, so a
connection error names AWSAccessKeyId, MWSAuthToken and Signature; an HTTP client may show
headers; an OAuth answer may echo a token), the text that reaches an error message, a log line,
an API log record or a chatter message goes through :func:`redact` first:

- the credential values the caller knows are replaced, wherever they appear;
- query strings are cut from URLs (``https://host/path?...`` → ``https://host/path``), the way
  Odoo's own ``_make_request`` reports a URL without its parameters;
- ``name=value`` pairs of credential-bearing parameters are masked even outside a URL;
- header lines and header dictionaries with credentials (Authorization, x-amz-access-token,
  x-amz-security-token, Cookie) keep their name and lose their value.

:class:`RedactingFilter` applies the same rules to the log records of the HTTP libraries
(urllib3 logs every request line, query string included, at DEBUG).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

#: parameters whose value is a credential or proves one (MWS, SP-API, LWA, AWS SigV4)
SECRET_PARAMS = (
    "AWSAccessKeyId",
    "MWSAuthToken",
    "Signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "access_token",
    "refresh_token",
    "client_secret",
    "client_id",
    "password",
)
SECRET_HEADERS = (
    "authorization",
    "x-amz-access-token",
    "x-amz-security-token",
    "proxy-authorization",
    "cookie",
    "set-cookie",
)

# a URL (absolute, or a path as urllib3 logs it) followed by a query string
_URL_QUERY = re.compile(
    r"((?:[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>?#]*|/[^\s'\"<>?#]*))\?[^\s'\"<>#]*"
)
_PARAM = re.compile(
    r"(?i)\b(" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=([^&\s'\"<>]+)"
)
_HEADER_LINE = re.compile(
    r"(?i)\b(" + "|".join(re.escape(h) for h in SECRET_HEADERS) + r")(\s*:\s*)([^\r\n,}]+)"
)
_HEADER_ITEM = re.compile(
    r"(?i)(['\"](?:" + "|".join(re.escape(h) for h in SECRET_HEADERS) + r")['\"]\s*:\s*)"
    r"(['\"])(.*?)\2"
)
_JSON_SECRET = re.compile(
    r"(?i)(['\"](?:access_token|refresh_token|client_secret)['\"]\s*:\s*)(['\"])(.*?)\2"
)

#: credential values shorter than this are not searched for (they would mask ordinary words)
MIN_SECRET_LENGTH = 4


def redact(text, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with no credential, query string or secret header value left in it."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text)
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    text = _HEADER_ITEM.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", text)
    text = _JSON_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", text)
    text = _HEADER_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _URL_QUERY.sub(r"\1", text)
    return _PARAM.sub(lambda m: f"{m.group(1)}={MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a log record's text through :func:`redact` (query strings, secret headers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTERED_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
    "mws",
    "odoo.tests.common.requests",  # Odoo's test harness logs each request URL it lets through
)


def install_log_filter() -> None:
    """Attach one :class:`RedactingFilter` to the HTTP libraries' loggers (idempotent)."""
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
