"""The MWS implementation of the capabilities (:mod:`.api`): python-amazon-mws through
:mod:`.transport`, answers read by the MWS parsers (:mod:`.responses`, :mod:`.orders`,
:mod:`.reports`, :mod:`.processing_report`). Every MWS operation name, quota, header, paging
word, report and feed type and processing status lives here or in those parsers.
"""

from __future__ import annotations

from datetime import datetime, timezone

from . import api
from . import orders as orderlib
from . import reports as reportlib
from .api import AmazonCallError
from .feeds import FEED_TYPES
from .processing_report import parse_feed_submission_list
from .quota import Limit, QuotaTable, observe_hourly
from .responses import ResponseParseError
from .transport import MwsTransport

#: Amazon's MWS throttling (seed 003): bucket -> limit, and the operations sharing a bucket.
MWS_QUOTAS = QuotaTable(
    limits={
        "SubmitFeed": Limit(15, 120.0, 30),
        "GetFeedSubmissionList": Limit(10, 45.0, 80),
        "GetFeedSubmissionListByNextToken": Limit(30, 2.0, 1800),
        "GetFeedSubmissionCount": Limit(10, 45.0, 80),
        "GetFeedSubmissionResult": Limit(15, 60.0, 60),
        "RequestReport": Limit(15, 60.0, 60),
        "GetReport": Limit(15, 60.0, 60),
        "GetReportRequestList": Limit(10, 45.0, 80),
        "GetReportRequestListByNextToken": Limit(30, 2.0, 1800),
        "GetReportList": Limit(10, 60.0, 60),
        "GetReportListByNextToken": Limit(30, 2.0, 1800),
        "ListOrders": Limit(6, 60.0),
        "ListOrderItems": Limit(30, 2.0),
        "GetOrder": Limit(6, 60.0),
        "ListMarketplaceParticipations": Limit(15, 60.0),
        "GetServiceStatus": Limit(2, 300.0),
    },
    shared={
        "ListOrdersByNextToken": "ListOrders",
        "ListOrderItemsByNextToken": "ListOrderItems",
        "ListMarketplaceParticipationsByNextToken": "ListMarketplaceParticipations",
    },
)

#: capability operation -> the MWS operation that does it
OPERATIONS = {
    "sellers.participations": "ListMarketplaceParticipations",
    "orders.search": "ListOrders",
    "orders.next_page": "ListOrdersByNextToken",
    "orders.items": "ListOrderItems",
    "orders.next_items": "ListOrderItemsByNextToken",
    "feeds.submit": "SubmitFeed",
    "feeds.status": "GetFeedSubmissionList",
    "feeds.result": "GetFeedSubmissionResult",
    "reports.request": "RequestReport",
    "reports.status": "GetReportRequestList",
    "reports.available": "GetReportList",
    "reports.next_available": "GetReportListByNextToken",
    "reports.download": "GetReport",
}

REPORT_TYPES = {
    api.REPORT_ORDERS_NEW: "_GET_FLAT_FILE_ORDERS_DATA_",
    api.REPORT_ORDERS_UPDATED: "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_",
    api.REPORT_FBA_INVENTORY: "_GET_AFN_INVENTORY_DATA_",
    api.REPORT_LISTINGS: "_GET_MERCHANT_LISTINGS_ALL_DATA_",
    api.REPORT_SETTLEMENT: "_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_",
}
_REPORT_KINDS = {value: key for key, value in REPORT_TYPES.items()}

#: reports listed per GetReportList page (Amazon's maximum)
REPORT_PAGE_SIZE = 100

#: FeedProcessingStatus / ReportProcessingStatus -> the connector's state
STATES = {
    "_SUBMITTED_": api.QUEUED,
    "_UNCONFIRMED_": api.QUEUED,
    "_AWAITING_ASYNCHRONOUS_REPLY_": api.IN_PROGRESS,
    "_IN_PROGRESS_": api.IN_PROGRESS,
    "_IN_SAFETY_NET_": api.IN_PROGRESS,
    "_DONE_": api.DONE,
    "_DONE_NO_DATA_": api.DONE_NO_DATA,
    "_CANCELLED_": api.CANCELLED,
}


def _iso(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _malformed(operation, error):
    """A well-formed answer that is not what the operation answers (a transient failure)."""
    return AmazonCallError(operation, api.TRANSIENT, api.UNREADABLE, str(error))


class MwsApi(api.AmazonApi):
    """One MWS seller account: ``transport`` (an :class:`~.transport.MwsTransport`) and the
    caller's ``gate`` (quota, clock, API log)."""

    name = "mws"
    quotas = MWS_QUOTAS
    operations = OPERATIONS
    feed_types = FEED_TYPES
    credential_fields = ("access_key", "secret_key", "auth_token")
    optional_credentials = ("auth_token",)

    def __init__(self, transport, gate, *, seller_id, marketplaces):
        super().__init__(transport, gate, seller_id=seller_id, marketplaces=marketplaces)
        self.sellers = _Sellers(self)
        self.orders = _Orders(self)
        self.feeds = _Feeds(self)
        self.reports = _Reports(self)

    @classmethod
    def connect(cls, *, credentials, seller_id, endpoint, timeout, marketplaces, gate, **_extra):
        """An MWS connection for one account (``credentials``: access_key, secret_key,
        auth_token)."""
        transport = MwsTransport(
            access_key=credentials["access_key"],
            secret_key=credentials["secret_key"],
            auth_token=credentials.get("auth_token"),
            seller_id=seller_id,
            endpoint=endpoint,
            timeout=timeout,
        )
        return cls(transport, gate, seller_id=seller_id, marketplaces=marketplaces)

    @staticmethod
    def observe(headers):
        value = {str(k).lower(): v for k, v in (headers or {}).items()}.get("x-mws-timestamp")
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except (AttributeError, ValueError):
            return None

    @staticmethod
    def observe_quota(state, now, headers, limit):
        """The hourly count aligned with ``x-mws-quota-*`` headers (unchanged without)."""
        lower = {str(k).lower(): v for k, v in dict(headers or {}).items()}
        try:
            quota_max = float(lower["x-mws-quota-max"])
            remaining = float(lower["x-mws-quota-remaining"])
            resets_on = lower.get("x-mws-quota-resetson")
            reset_at = (
                datetime.fromisoformat(str(resets_on).strip().replace("Z", "+00:00"))
                if resets_on
                else None
            )
        except (KeyError, TypeError, ValueError):
            return state
        if reset_at is not None and reset_at.tzinfo is None:
            reset_at = reset_at.replace(tzinfo=timezone.utc)
        return observe_hourly(
            state, now, limit, quota_max, remaining, reset_at.timestamp() if reset_at else None
        )

    def call(self, capability, operation=None, reserve=0, **kwargs):
        """One MWS call through the gate: quota first (QuotaWait, nothing sent), then the
        request, then the reply or the error reported to the gate."""
        operation = operation or OPERATIONS[capability]
        return self.through_gate(
            capability, operation, reserve, lambda: self.transport.call(operation, **kwargs)
        )


class _Part:
    def __init__(self, owner):
        self.api = owner

    def _call(self, capability, operation=None, **kwargs):
        return self.api.call(capability, operation, **kwargs)


class _Sellers(_Part, api.Sellers):
    def participations(self):
        root = self._call("sellers.participations").xml()
        return sorted(
            {el.text for el in root.iter() if el.tag.split("}")[-1] == "MarketplaceId" and el.text}
        )


class _Orders(_Part, api.Orders):
    def _page(self, reply):
        try:
            orders, token, until = orderlib.parse_list_orders(
                reply.body, seller_id=self.api.seller_id
            )
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        return api.Page(orders, token, until)

    def search(self, *, after, before=None, by="updated", statuses=None):
        params = {"marketplaceids": self.api.marketplaces, "orderstatus": statuses or []}
        if by == "created":
            params["created_after"] = _iso(after)
            if before:
                params["created_before"] = _iso(before)
        else:
            params["lastupdatedafter"] = _iso(after)
            if before:
                params["lastupdatedbefore"] = _iso(before)
        return self._page(self._call("orders.search", **params))

    def next_page(self, token):
        return self._page(self._call("orders.next_page", next_token=token))

    def _items(self, reply, order_id=None):
        try:
            found, items, token = orderlib.parse_list_order_items(reply.body)
        except (ResponseParseError, ValueError) as error:
            raise _malformed(reply.operation, error) from None
        if order_id and found and found != order_id:
            raise _malformed(reply.operation, f"items of {found}, not of {order_id}")
        return api.Page(items, token)

    def items(self, order_id):
        return self._items(self._call("orders.items", amazon_order_id=order_id), order_id)

    def next_items(self, token):
        return self._items(self._call("orders.next_items", next_token=token))


class _Feeds(_Part, api.Feeds):
    @staticmethod
    def _submission(info):
        return api.FeedSubmission(
            submission_id=info.submission_id,
            feed_type=info.feed_type,
            state=STATES.get(info.processing_status, api.QUEUED),
            status=info.processing_status,
            submitted_at=info.submitted_date,
        )

    def _infos(self, reply):
        try:
            return [self._submission(i) for i in parse_feed_submission_list(reply.body)]
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def feed_type(self, kind):
        return self.api.feed_type_of(kind)

    def submit(self, kind, document, *, reserve=0):
        reply = self._call(
            "feeds.submit",
            reserve=reserve,
            feed=document,
            feed_type=self.feed_type(kind),
            marketplaceids=self.api.marketplaces,
        )
        infos = self._infos(reply)
        if not infos:
            raise _malformed(reply.operation, "no FeedSubmissionId")
        return infos[0]

    def status(self, submission_ids):
        reply = self._call("feeds.status", feedids=list(submission_ids), max_count="100")
        return self._infos(reply)

    def submitted_since(self, kind, since):
        reply = self._call(
            "feeds.status",
            feedtypes=[self.feed_type(kind)],
            fromdate=_iso(since),
            max_count="100",
        )
        return self._infos(reply)

    def result(self, submission_id):
        return self._call("feeds.result", feedid=submission_id).body


class _Reports(_Part, api.Reports):
    @staticmethod
    def _request(info):
        return api.ReportRequest(
            request_id=info.report_request_id,
            kind=_REPORT_KINDS.get(info.report_type, info.report_type),
            state=STATES.get(info.status, api.QUEUED),
            status=info.status,
            report_id=info.generated_report_id,
            start=info.start_date,
            end=info.end_date,
            submitted_at=info.submitted_date,
        )

    def request(self, kind, start=None, end=None):
        params = {"report_type": REPORT_TYPES[kind], "marketplaceids": self.api.marketplaces}
        if start:
            params["start_date"] = _iso(start)
        if end:
            params["end_date"] = _iso(end)
        reply = self._call("reports.request", **params)
        try:
            return self._request(reportlib.parse_request_report(reply.body))
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def _request_list(self, **params):
        reply = self._call("reports.status", **params)
        try:
            page = reportlib.parse_report_request_list(reply.body)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        return [self._request(info) for info in page.requests]

    def requests(self, request_ids):
        return self._request_list(requestids=list(request_ids))

    def requested_since(self, kind, since):
        return self._request_list(types=[REPORT_TYPES[kind]], fromdate=_iso(since))

    def _available(self, reply):
        try:
            page = reportlib.parse_report_list(reply.body)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        reports = [
            api.Report(
                report_id=info.report_id,
                kind=_REPORT_KINDS.get(info.report_type, info.report_type),
                request_id=info.report_request_id,
                available_at=info.available_date,
            )
            for info in page.reports
        ]
        return api.Page(reports, page.next_token if page.has_next else None)

    def available(self, kind, since=None):
        params = {"types": [REPORT_TYPES[kind]], "max_count": str(REPORT_PAGE_SIZE)}
        if since:
            params["fromdate"] = _iso(since)
        return self._available(self._call("reports.available", **params))

    def next_available(self, token):
        return self._available(self._call("reports.next_available", next_token=token))

    def download(self, report_id, kind=None):
        return self._call("reports.download", report_id=report_id).body
