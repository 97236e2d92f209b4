"""The one place where the connector talks HTTP to Amazon MWS (no Odoo import).

It drives python-amazon-mws (signing, parameters, paths and versions per API section) and adds
what the library lacks: an explicit timeout on every request, one error type with a kind that
says what to do next (retry later, back off, fix credentials, give up), ErrorResponses sent with
HTTP 200 treated as errors, and the request id and duration of every call for the API log.

Quota accounting and logging to the database are the Odoo side's (``amazon.account``); this
module only performs one call and reports what happened.
"""

from __future__ import annotations

import threading
import time

import mws
import mws.mws as mws_module
import requests

from . import responses
from .api import AmazonCallError, Reply
from .sanitize import install_log_filter

DEFAULT_TIMEOUT = 30.0

# python-amazon-mws calls ``requests.request`` without a timeout. Its module-level ``request``
# is replaced once by a function that applies the timeout of the calling thread's transport.
_local = threading.local()


def _request_with_timeout(method, url, timeout=None, **kwargs):
    timeout = timeout or getattr(_local, "timeout", DEFAULT_TIMEOUT)
    return requests.request(method, url, timeout=timeout, **kwargs)


mws_module.request = _request_with_timeout
# urllib3 logs each request line (the signed query string included) at DEBUG
install_log_filter()

# operation -> (python-amazon-mws class, method name, fixed keyword arguments)
OPERATIONS = {
    "SubmitFeed": (mws.Feeds, "submit_feed", {}),
    "GetFeedSubmissionList": (mws.Feeds, "get_feed_submission_list", {}),
    "GetFeedSubmissionListByNextToken": (mws.Feeds, "get_feed_submission_list", {}),
    "GetFeedSubmissionResult": (mws.Feeds, "get_feed_submission_result", {}),
    "CancelFeedSubmissions": (mws.Feeds, "cancel_feed_submissions", {}),
    "RequestReport": (mws.Reports, "request_report", {}),
    "GetReportRequestList": (mws.Reports, "get_report_request_list", {}),
    "GetReportRequestListByNextToken": (mws.Reports, "get_report_request_list", {}),
    "GetReportList": (mws.Reports, "get_report_list", {}),
    "GetReportListByNextToken": (mws.Reports, "get_report_list", {}),
    "GetReport": (mws.Reports, "get_report", {}),
    "ListOrders": (mws.Orders, "list_orders", {}),
    "ListOrdersByNextToken": (mws.Orders, "list_orders", {}),
    "GetOrder": (mws.Orders, "get_order", {}),
    "ListOrderItems": (mws.Orders, "list_order_items", {}),
    "ListOrderItemsByNextToken": (mws.Orders, "list_order_items", {}),
    "ListMarketplaceParticipations": (mws.Sellers, "list_marketplace_participations", {}),
    "ListMarketplaceParticipationsByNextToken": (
        mws.Sellers,
        "list_marketplace_participations",
        {},
    ),
    "GetServiceStatus": (mws.Sellers, "get_service_status", {}),
}


class MwsReply(Reply):
    """A successful call: the raw body (XML or flat file), headers and bookkeeping."""

    def xml(self):
        """The body parsed with the connector's tolerant parser (lxml element)."""
        return responses.parse_xml(self.body)


#: a failed MWS call is the connector's generic failed call
MwsCallError = AmazonCallError


class MwsTransport:
    """Calls MWS operations for one seller account at one endpoint."""

    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        seller_id: str,
        endpoint: str,
        auth_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self._credentials = (access_key, secret_key, seller_id, auth_token or "")
        self._clients = {}

    def __repr__(self):  # never show the keys
        return f"<MwsTransport {self._credentials[2]} @ {self.endpoint}>"

    @property
    def _secrets(self):
        access_key, secret_key, _seller_id, auth_token = self._credentials
        return (access_key, secret_key, auth_token)

    def call(self, operation: str, **kwargs) -> MwsReply:
        """Perform ``operation`` with python-amazon-mws keyword arguments; raise MwsCallError.

        Every error that leaves here went through the sanitiser: whatever the library or the
        HTTP client wrote into an exception, no credential, signed query string or secret
        header reaches the caller's messages and logs.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown MWS operation {operation!r}")
        started = time.monotonic()
        try:
            return self._call(operation, started, **kwargs)
        except MwsCallError as error:
            raise error.redacted(self._secrets) from None
        except Exception as exc:  # an unforeseen failure of the library: same rules
            error = MwsCallError(
                operation,
                "permanent",
                "ClientError",
                f"{exc.__class__.__name__}: {exc}",
                duration=time.monotonic() - started,
            )
            raise error.redacted(self._secrets) from None

    def _client(self, cls):
        client = self._clients.get(cls)
        if client is None:
            access_key, secret_key, seller_id, auth_token = self._credentials
            client = cls(
                access_key, secret_key, seller_id, domain=self.endpoint, auth_token=auth_token
            )
            self._clients[cls] = client
        return client

    def _call(self, operation, started, **kwargs):
        cls, method, fixed = OPERATIONS[operation]
        previous = getattr(_local, "timeout", None)
        _local.timeout = self.timeout
        try:
            result = getattr(self._client(cls), method)(**fixed, **kwargs)
        except mws.MWSError as exc:
            raise self._error_from_response(operation, exc, started) from None
        except requests.Timeout as exc:
            raise MwsCallError(
                operation,
                "transient",
                "Timeout",
                f"no answer within {self.timeout:g} s ({exc.__class__.__name__})",
                duration=time.monotonic() - started,
            ) from None
        except requests.RequestException as exc:
            raise MwsCallError(
                operation,
                "transient",
                "ConnectionError",
                f"{exc.__class__.__name__}: {exc}",
                duration=time.monotonic() - started,
            ) from None
        finally:
            _local.timeout = previous
        duration = time.monotonic() - started
        response = result.response
        body = response.content
        headers = dict(response.headers)
        if _looks_like_xml(body) and isinstance(result, mws_module.DataWrapper):
            # python-amazon-mws falls back to raw data when the XML does not parse
            raise MwsCallError(
                operation,
                "transient",
                "MalformedResponse",
                f"Amazon's answer is not well-formed XML: {body[:120]!r}",
                response.status_code,
                _header_id(headers),
                duration,
                headers,
            )
        error = responses.error_from_body(body) if _looks_like_xml(body) else None
        if error is not None:  # an ErrorResponse sent with HTTP 200
            raise MwsCallError(
                operation,
                responses.classify(error.code, response.status_code),
                error.code or "ErrorResponse",
                error.message or "",
                response.status_code,
                error.request_id or responses.request_id(body, headers),
                duration,
                headers,
            )
        return MwsReply(
            operation,
            body,
            headers,
            response.status_code,
            _header_id(headers) or (responses.request_id(body) if _is_small_xml(body) else None),
            duration,
        )

    def _error_from_response(self, operation, exc, started):
        response = getattr(exc, "response", None)
        duration = time.monotonic() - started
        if response is None:  # raised by the library itself (e.g. a Content-MD5 mismatch)
            return MwsCallError(operation, "transient", "ClientError", str(exc), duration=duration)
        body = response.content or b""
        headers = dict(response.headers)
        info = responses.error_from_body(body) if body else None
        code = (info.code if info else None) or f"HTTP{response.status_code}"
        message = (info.message if info else None) or body[:300].decode("utf-8", "replace")
        return MwsCallError(
            operation,
            responses.classify(code, response.status_code),
            code,
            message.strip(),
            response.status_code,
            (info.request_id if info else None) or _header_id(headers),
            duration,
            headers,
        )


def _looks_like_xml(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<"


def _is_small_xml(body: bytes) -> bool:
    return len(body) < 200_000 and _looks_like_xml(body)


def _header_id(headers: dict) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get("x-mws-request-id") or lowered.get("x-amzn-requestid")
