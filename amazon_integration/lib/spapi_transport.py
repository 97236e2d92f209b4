"""The one place where the connector talks HTTP to the Selling Partner API (no Odoo import).

A thin client on ``requests`` (see the README's dependency table for why not a generated SDK):
Login with Amazon (the refresh token exchanged for a one-hour access token, kept in a
:class:`TokenStore` the caller provides so that every worker shares it), one JSON REST call
with an explicit timeout, and one error type whose kind says what to do next. No retry sleeps
here: a throttled call (HTTP 429 ``QuotaExceeded``) is an error of kind ``throttled`` that the
caller reschedules; the one retry this client makes is after refreshing an access token Amazon
called expired. Every error text goes through the sanitiser: no client secret, refresh token,
access token or header value reaches a message or a log.
"""

from __future__ import annotations

import gzip
import json
import time
from urllib.parse import urlsplit

import requests

from . import api
from .api import AmazonCallError, Reply
from .sanitize import install_log_filter

DEFAULT_TIMEOUT = 30.0
#: Login with Amazon's token endpoint (every region)
LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"
#: an access token is refreshed this long before Amazon's expiry (seconds)
TOKEN_MARGIN = 60.0

install_log_filter()


class TokenStore:
    """Where the access token lives between calls and workers (the Odoo side stores it in
    the database). ``get()`` returns a token still valid for at least ``TOKEN_MARGIN``
    seconds, or None; ``put(token, expires_in)`` keeps a new one; ``clear()`` forgets it."""

    def get(self) -> str | None:
        raise NotImplementedError

    def put(self, token: str, expires_in: float) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class MemoryTokenStore(TokenStore):
    """A token kept in this process (tests, scripts)."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.token = None
        self.expires_at = 0.0

    def get(self):
        if self.token and self.clock() < self.expires_at - TOKEN_MARGIN:
            return self.token
        return None

    def put(self, token, expires_in):
        self.token, self.expires_at = token, self.clock() + float(expires_in)

    def clear(self):
        self.token, self.expires_at = None, 0.0


class SpApiReply(Reply):
    """A successful call: the raw body, headers and bookkeeping."""

    def json(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError as error:
            raise AmazonCallError(
                self.operation, api.TRANSIENT, api.UNREADABLE, f"not JSON: {error}"
            ) from None


def _errors_of(body):
    """(code, message) of an SP-API error body ``{"errors": [{code, message, details}]}``."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None, None
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        message = " ".join(str(first.get(k) or "") for k in ("message", "details")).strip()
        return first.get("code"), message
    if isinstance(data, dict) and data.get("error"):  # Login with Amazon's shape
        return data.get("error"), data.get("error_description") or ""
    return None, None


def _kind_of(status, code):
    if status == 429 or code == "QuotaExceeded":
        return api.THROTTLED
    if status in (401, 403):
        return api.AUTH
    if status >= 500 or status in (408,):
        return api.TRANSIENT
    return api.PERMANENT


class SpApiTransport:
    """Calls SP-API operations for one selling partner at one regional endpoint."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        endpoint: str,
        tokens: TokenStore,
        lwa_endpoint: str = LWA_ENDPOINT,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ):
        self.endpoint = endpoint.rstrip("/")
        self.lwa_endpoint = lwa_endpoint
        self.timeout = timeout
        self.tokens = tokens
        self._credentials = (client_id, client_secret, refresh_token)
        self._last_token = None
        self._restricted = None  # the last restricted data token (redacted like the rest)
        self.session = session or requests.Session()

    def __repr__(self):  # never show the credentials
        return f"<SpApiTransport {urlsplit(self.endpoint).netloc}>"

    @property
    def _secrets(self):
        return (*self._credentials, self._last_token, self._restricted)

    # ------------------------------------------------------------------ Login with Amazon

    def access_token(self, force=False):
        """A valid access token: the stored one, else a new one from Login with Amazon."""
        token = None if force else self.tokens.get()
        if token:
            self._last_token = token
            return token
        client_id, client_secret, refresh_token = self._credentials
        started = time.monotonic()
        try:
            response = self.session.post(
                self.lwa_endpoint,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise self._transport_error("LwaToken", exc, started) from None
        if response.status_code != 200:
            code, message = _errors_of(response.content)
            kind = api.TRANSIENT if response.status_code >= 500 else api.AUTH
            raise AmazonCallError(
                "LwaToken",
                kind,
                code or f"HTTP{response.status_code}",
                _lwa_explanation(code, message),
                http_status=response.status_code,
                duration=time.monotonic() - started,
            )
        try:
            data = response.json()
            token, expires_in = data["access_token"], float(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise AmazonCallError(
                "LwaToken",
                api.TRANSIENT,
                api.UNREADABLE,
                f"Login with Amazon answered without a token ({exc.__class__.__name__})",
                http_status=response.status_code,
                duration=time.monotonic() - started,
            ) from None
        self._last_token = token
        self.tokens.put(token, expires_in)
        return token

    # ------------------------------------------------------------------ one call

    def call(
        self, operation, method, path, *, params=None, json_body=None, token=None
    ) -> SpApiReply:
        """Perform one SP-API operation; raise AmazonCallError (sanitised). ``token``: a
        restricted data token to send instead of the access token (never renewed here)."""
        started = time.monotonic()
        if token:
            self._restricted = token
        try:
            try:
                return self._send(operation, method, path, params, json_body, started, token)
            except AmazonCallError as error:
                if error.kind != api.AUTH or error.operation == "LwaToken" or token:
                    raise
                # an access token Amazon no longer takes (expired early, revoked by a
                # rotation): one new token and one more try
                self.tokens.clear()
                self.access_token(force=True)
                return self._send(operation, method, path, params, json_body, started)
        except AmazonCallError as error:
            raise error.redacted(self._secrets) from None
        except Exception as exc:  # an unforeseen failure: same rules
            error = AmazonCallError(
                operation,
                api.PERMANENT,
                "ClientError",
                f"{exc.__class__.__name__}: {exc}",
                duration=time.monotonic() - started,
            )
            raise error.redacted(self._secrets) from None

    def _send(self, operation, method, path, params, json_body, started, token=None):
        token = token or self.access_token()
        try:
            response = self.session.request(
                method,
                f"{self.endpoint}{path}",
                params=_query(params),
                json=json_body,
                headers={"x-amz-access-token": token, "accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise self._transport_error(operation, exc, started) from None
        headers = dict(response.headers)
        request_id = headers.get("x-amzn-RequestId") or headers.get("x-amzn-requestid")
        duration = time.monotonic() - started
        if response.status_code >= 300:
            code, message = _errors_of(response.content)
            raise AmazonCallError(
                operation,
                _kind_of(response.status_code, code),
                code or f"HTTP{response.status_code}",
                message or response.reason or "",
                http_status=response.status_code,
                request_id=request_id,
                duration=duration,
                headers=headers,
            )
        return SpApiReply(
            operation, response.content, headers, response.status_code, request_id, duration
        )

    # ------------------------------------------------------------------ documents

    def upload(self, operation, url, data, content_type):
        """PUT a feed document to its pre-signed URL (no token: the URL is the grant).
        An expired URL (Amazon gives five minutes) is an error of code ``ExpiredUrl``."""
        started = time.monotonic()
        try:
            try:
                response = self.session.put(
                    url, data=data, headers={"Content-Type": content_type}, timeout=self.timeout
                )
            except requests.RequestException as exc:
                raise self._transport_error(operation, exc, started) from None
            if response.status_code >= 300:
                expired = response.status_code == 403 and b"expired" in response.content.lower()
                raise AmazonCallError(
                    operation,
                    api.TRANSIENT if expired or response.status_code >= 500 else api.PERMANENT,
                    "ExpiredUrl" if expired else f"HTTP{response.status_code}",
                    "the upload URL expired" if expired else response.reason or "",
                    http_status=response.status_code,
                    duration=time.monotonic() - started,
                )
            return SpApiReply(
                operation, b"", dict(response.headers), response.status_code, None,
                time.monotonic() - started,
            )  # fmt: skip
        except AmazonCallError as error:
            raise error.redacted(self._secrets) from None

    def download(self, operation, url, compression=None):
        """GET a document from its pre-signed URL, gunzipped when Amazon says GZIP."""
        started = time.monotonic()
        try:
            try:
                response = self.session.get(url, timeout=self.timeout)
            except requests.RequestException as exc:
                raise self._transport_error(operation, exc, started) from None
            if response.status_code >= 300:
                raise AmazonCallError(
                    operation,
                    api.TRANSIENT,
                    f"HTTP{response.status_code}",
                    response.reason or "the document could not be downloaded",
                    http_status=response.status_code,
                    duration=time.monotonic() - started,
                )
            body = response.content
            if (compression or "").upper() == "GZIP":
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError) as exc:
                    raise AmazonCallError(
                        operation, api.TRANSIENT, api.UNREADABLE, f"not gzip: {exc}"
                    ) from None
            return SpApiReply(
                operation, body, dict(response.headers), response.status_code, None,
                time.monotonic() - started,
            )  # fmt: skip
        except AmazonCallError as error:
            raise error.redacted(self._secrets) from None

    @staticmethod
    def _transport_error(operation, exc, started):
        code = "Timeout" if isinstance(exc, requests.Timeout) else "ConnectionError"
        return AmazonCallError(
            operation,
            api.TRANSIENT,
            code,
            f"{exc.__class__.__name__}: {exc}",
            duration=time.monotonic() - started,
        )


def _query(params):
    """Query parameters as SP-API takes them: lists comma-separated, None left out."""
    out = {}
    for key, value in (params or {}).items():
        if value is None or value == []:
            continue
        out[key] = ",".join(value) if isinstance(value, (list, tuple)) else value
    return out


def _lwa_explanation(code, message):
    if code == "invalid_client":
        return f"Login with Amazon refused the client id or client secret ({message})"
    if code == "invalid_grant":
        return (
            "Login with Amazon refused the refresh token: it was revoked or belongs to another "
            f"application; authorise the application again ({message})"
        )
    return message or "Login with Amazon refused the request"
