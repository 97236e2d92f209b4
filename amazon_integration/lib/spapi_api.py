"""The capabilities over the Selling Partner API (no Odoo import).

Implemented here: the connection test (Sellers API getMarketplaceParticipations), the order
reads (Orders API v2026-01-01 searchOrders with the items, buyer, recipient, fulfillment and
proceeds included; getOrder) and the order feeds (Feeds API: createFeedDocument, upload to the
pre-signed URL — made again when it expired —, createFeed, getFeed(s), getFeedDocument; the XML
acknowledgement, fulfillment and payment adjustment documents Amazon still takes) and the
reports (Reports API: FBA stock, the listings read-back, the all-orders XML report, the
scheduled V2 settlements, and the flat order report with the buyers' addresses, whose document
is read with a restricted data token from the Tokens API). The catalog over SP-API (Listings
Items API, JSON_LISTINGS_FEED) comes next: :meth:`SpApi.supports` says which capability groups
an account on this API can use, and the account's cycle leaves the others out
(``amazon_sync``).

Quotas are Amazon's token buckets per operation (rate and burst from each operation's usage
plan in Amazon's models), counted on the account like MWS's.
"""

from __future__ import annotations

import base64
import json
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from . import api, listings_checks, listings_json
from .api import AmazonCallError, QuotaWait
from .quota import Limit, QuotaTable, with_rate
from .responses import ResponseParseError, parse_datetime
from .spapi_orders import FULFILLMENT_STATUSES, INCLUDED_DATA, parse_order, parse_search
from .spapi_transport import LWA_ENDPOINT, SpApiTransport


def _bucket(rate_per_second, burst):
    """Amazon's usage plan (rate, burst) as the connector's token bucket."""
    return Limit(burst, 1.0 / rate_per_second)


#: usage plans of the operations used (models/*.json, "Usage Plan" of each operation)
SPAPI_QUOTAS = QuotaTable(
    limits={
        "getMarketplaceParticipations": _bucket(0.016, 15),
        "searchOrders": _bucket(0.0056, 20),
        "getOrder": _bucket(0.5, 30),
        "createFeedDocument": _bucket(0.5, 15),
        "createFeed": _bucket(0.0083, 15),
        "getFeed": _bucket(2.0, 15),
        "getFeeds": _bucket(0.0222, 10),
        "getFeedDocument": _bucket(0.0222, 10),
        "createReport": _bucket(0.0167, 15),
        "getReports": _bucket(0.0222, 10),
        "getReport": _bucket(2.0, 15),
        "getReportDocument": _bucket(0.0167, 15),
        "createRestrictedDataToken": _bucket(1.0, 10),
        "getListingsItem": _bucket(5.0, 10),
        "putListingsItem": _bucket(5.0, 10),
        "patchListingsItem": _bucket(5.0, 5),
        "deleteListingsItem": _bucket(5.0, 5),
        "searchDefinitionsProductTypes": _bucket(5.0, 10),
        "getDefinitionsProductType": _bucket(5.0, 10),
    }
)

OPERATIONS = {
    "sellers.participations": "getMarketplaceParticipations",
    "orders.search": "searchOrders",
    "orders.next_page": "searchOrders",
    "orders.items": "getOrder",
    "orders.next_items": "getOrder",
    "feeds.document": "createFeedDocument",
    "feeds.submit": "createFeed",
    "feeds.status": "getFeed",
    "feeds.list": "getFeeds",
    "feeds.result": "getFeedDocument",
    "reports.request": "createReport",
    "reports.status": "getReport",
    "reports.list": "getReports",
    "reports.available": "getReports",
    "reports.next_available": "getReports",
    "reports.download": "getReportDocument",
    "tokens.restricted": "createRestrictedDataToken",
    "listings.get": "getListingsItem",
    "listings.put": "putListingsItem",
    "listings.patch": "patchListingsItem",
    "listings.delete": "deleteListingsItem",
    "product_types.search": "searchDefinitionsProductTypes",
    "product_types.definition": "getDefinitionsProductType",
}
#: what each operation is on the wire
ROUTES = {
    "getMarketplaceParticipations": ("GET", "/sellers/v1/marketplaceParticipations"),
    "searchOrders": ("GET", "/orders/2026-01-01/orders"),
    "getOrder": ("GET", "/orders/2026-01-01/orders/{orderId}"),
    "createFeedDocument": ("POST", "/feeds/2021-06-30/documents"),
    "createFeed": ("POST", "/feeds/2021-06-30/feeds"),
    "getFeed": ("GET", "/feeds/2021-06-30/feeds/{feedId}"),
    "getFeeds": ("GET", "/feeds/2021-06-30/feeds"),
    "getFeedDocument": ("GET", "/feeds/2021-06-30/documents/{feedDocumentId}"),
    "createReport": ("POST", "/reports/2021-06-30/reports"),
    "getReport": ("GET", "/reports/2021-06-30/reports/{reportId}"),
    "getReports": ("GET", "/reports/2021-06-30/reports"),
    "getReportDocument": ("GET", "/reports/2021-06-30/documents/{reportDocumentId}"),
    "createRestrictedDataToken": ("POST", "/tokens/2021-03-01/restrictedDataToken"),
    "getListingsItem": ("GET", "/listings/2021-08-01/items/{sellerId}/{sku}"),
    "putListingsItem": ("PUT", "/listings/2021-08-01/items/{sellerId}/{sku}"),
    "patchListingsItem": ("PATCH", "/listings/2021-08-01/items/{sellerId}/{sku}"),
    "deleteListingsItem": ("DELETE", "/listings/2021-08-01/items/{sellerId}/{sku}"),
    "searchDefinitionsProductTypes": ("GET", "/definitions/2020-09-01/productTypes"),
    "getDefinitionsProductType": ("GET", "/definitions/2020-09-01/productTypes/{productType}"),
}
#: the report kinds read over SP-API
REPORT_TYPES = {
    api.REPORT_ORDERS_NEW: "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    api.REPORT_ORDERS_UPDATED: "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    api.REPORT_FBA_INVENTORY: "GET_AFN_INVENTORY_DATA",
    api.REPORT_LISTINGS: "GET_MERCHANT_LISTINGS_ALL_DATA",
    api.REPORT_SETTLEMENT: "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
}
_REPORT_KINDS = {value: key for key, value in REPORT_TYPES.items()}
#: restricted reports (buyer names and addresses): their documents are read with a restricted
#: data token (Tokens API), which Amazon gives only to an app with the Direct-to-Consumer
#: Shipping role
RESTRICTED_REPORT_TYPES = frozenset({"GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"})
#: the feed documents' message types → SP-API feed types (the catalog ones Amazon removed on
#: 2025-07-31 and answers FATAL: an SP-API account never sends them)
FEED_TYPES = {
    "OrderAcknowledgement": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
    "OrderFulfillment": "POST_ORDER_FULFILLMENT_DATA",
    "OrderAdjustment": "POST_PAYMENT_ADJUSTMENT_DATA",
    listings_json.MESSAGE_KIND: listings_json.FEED_TYPE,
}
#: the uploaded document's content type per feed type (XML unless named)
CONTENT_TYPES = {listings_json.FEED_TYPE: listings_json.CONTENT_TYPE}
FEED_STATES = {
    "IN_QUEUE": api.QUEUED,
    "IN_PROGRESS": api.IN_PROGRESS,
    "DONE": api.DONE,
    "CANCELLED": api.CANCELLED,
    "FATAL": api.FATAL,
}
XML_CONTENT_TYPE = "text/xml; charset=UTF-8"
#: a report Amazon had no data for ends CANCELLED (SP-API has no DONE_NO_DATA); the connector
#: never cancels one itself
REPORT_STATES = {**FEED_STATES, "CANCELLED": api.DONE_NO_DATA}
#: the credentials an account on this API needs (all of them required)
CREDENTIALS = ("lwa_client_id", "lwa_client_secret", "lwa_refresh_token")
#: the order reads and the report lists are paged at Amazon's maximum
PAGE_SIZE = 100
REPORT_PAGE_SIZE = 100

#: SP-API's regional endpoints, and the region of each marketplace
REGION_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
MARKETPLACE_REGIONS = {
    **dict.fromkeys(("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8", "A2Q3Y263D00KWC"), "na"),
    **dict.fromkeys(
        (
            "A1F83G8C2ARO7P",  # UK
            "A1PA6795UKMFR9",  # DE
            "A13V1IB3VIYZZH",  # FR
            "APJ6JRA9NG5V4",  # IT
            "A1RKKUPIHCS9HS",  # ES
            "A1805IZSGTT6HS",  # NL
            "A2NODRKZP88ZB9",  # SE
            "A1C3SOZRARQ6R3",  # PL
            "A33AVAJ2PDY3EV",  # TR
            "A2VIGQ35RCS4UG",  # AE
            "A17E79C6D8DWNP",  # SA
            "A21TJRUUN4KGV",  # IN
            "AMEN7PMS3EDWL",  # BE
            "ARBP9OOSHTCHU",  # EG
        ),
        "eu",
    ),
    **dict.fromkeys(("A1VC38T7YXB528", "A39IBJ37TRP1C6", "A19VAU5U5O7RUS"), "fe"),
}


def region_endpoint(marketplace_code):
    """SP-API's endpoint for a marketplace (None for one the connector does not know)."""
    region = MARKETPLACE_REGIONS.get(marketplace_code)
    return REGION_ENDPOINTS.get(region)


def _iso(moment):
    if isinstance(moment, str):
        return moment
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _malformed(operation, error):
    return AmazonCallError(operation, api.TRANSIENT, api.UNREADABLE, str(error))


class SpApi(api.AmazonApi):
    """One selling partner on SP-API: ``transport`` and the caller's ``gate``."""

    name = "spapi"
    quotas = SPAPI_QUOTAS
    operations = OPERATIONS
    feed_types = FEED_TYPES
    credential_fields = CREDENTIALS
    capability_groups = frozenset(
        {"sellers", "orders", "order_feeds", "reports", "order_reports", "listings"}
    )
    #: new orders from the order report need the buyers' addresses: a restricted role
    restricted_groups = frozenset({"order_reports"})

    def __init__(self, transport, gate, *, seller_id, marketplaces):
        super().__init__(transport, gate, seller_id=seller_id, marketplaces=marketplaces)
        self.sellers = _Sellers(self)
        self.orders = _Orders(self)
        self.feeds = _Feeds(self)
        self.reports = _Reports(self)
        self.listings = _Listings(self)
        self.product_types = _ProductTypes(self)

    @classmethod
    def connect(
        cls,
        *,
        credentials,
        seller_id,
        endpoint,
        timeout,
        marketplaces,
        gate,
        tokens=None,
        lwa_endpoint=None,
        **_extra,
    ):
        """An SP-API connection (``credentials``: the LWA client id, client secret and refresh
        token; ``tokens``: where the access token is shared between workers)."""
        transport = SpApiTransport(
            client_id=credentials["lwa_client_id"],
            client_secret=credentials["lwa_client_secret"],
            refresh_token=credentials["lwa_refresh_token"],
            endpoint=endpoint,
            tokens=tokens,
            lwa_endpoint=lwa_endpoint or LWA_ENDPOINT,
            timeout=timeout,
        )
        return cls(transport, gate, seller_id=seller_id, marketplaces=marketplaces)

    @staticmethod
    def observe(headers):
        """The server's time from the HTTP ``Date`` header (whole seconds)."""
        value = {str(k).lower(): v for k, v in (headers or {}).items()}.get("date")
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return None

    @staticmethod
    def observe_quota(state, now, headers, limit):
        """The bucket at the rate Amazon says it applies (``x-amzn-RateLimit-Limit``, in
        requests per second): a seller with a higher usage plan gets it, a lower one is
        followed before Amazon throttles."""
        value = {str(k).lower(): v for k, v in dict(headers or {}).items()}.get(
            "x-amzn-ratelimit-limit"
        )
        return with_rate(state, value) if value else state

    def call(
        self, capability, *, path_args=None, params=None, json_body=None, reserve=0, token=None
    ):
        """One SP-API call through the gate: quota first (QuotaWait, nothing sent).
        ``token``: a restricted data token to call with instead of the access token."""
        operation = OPERATIONS[capability]
        method, path = ROUTES[operation]
        path = path.format(**(path_args or {}))

        def send():
            try:
                return self.transport.call(
                    operation, method, path, params=params, json_body=json_body, token=token
                )
            except AmazonCallError as error:
                paged = bool(params) and ("nextToken" in params or "paginationToken" in params)
                if paged and error.http_status == 400:
                    # Amazon refuses a page token it no longer knows: list again from the start
                    error.kind, error.code = api.RESTART_PAGING, "NextTokenCorrupted"
                raise

        return self.through_gate(capability, operation, reserve, send)


class _Part:
    def __init__(self, owner):
        self.api = owner


class _Sellers(_Part, api.Sellers):
    def participations(self):
        reply = self.api.call("sellers.participations")
        payload = reply.json().get("payload")
        if not isinstance(payload, list):
            raise _malformed(reply.operation, "no payload list")
        return sorted(
            {
                (entry.get("marketplace") or {}).get("id")
                for entry in payload
                if (entry.get("participation") or {}).get("isParticipating", True)
                and (entry.get("marketplace") or {}).get("id")
            }
        )


def _pack(token, params):
    """The page token the callers keep (opaque to them): Amazon's token with the first
    request's filters, which searchOrders wants again with every following page."""
    data = json.dumps({"token": token, "params": params}, sort_keys=True).encode()
    return "sp1:" + base64.urlsafe_b64encode(data).decode()


def _unpack(token):
    if not token.startswith("sp1:"):
        raise AmazonCallError(
            "searchOrders", api.RESTART_PAGING, "NextTokenCorrupted", "not a page token of ours"
        )
    try:
        data = json.loads(base64.urlsafe_b64decode(token[4:].encode()))
        return data["token"], data["params"]
    except (ValueError, KeyError, TypeError):
        raise AmazonCallError(
            "searchOrders", api.RESTART_PAGING, "NextTokenCorrupted", "unreadable page token"
        ) from None


class _Orders(_Part, api.Orders):
    def _page(self, reply, params):
        try:
            orders, token, until = parse_search(reply.json(), seller_id=self.api.seller_id)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        return api.Page(orders, _pack(token, params) if token else None, until)

    def search(self, *, after, before=None, by="updated", statuses=None):
        window = ("createdAfter", "createdBefore")
        if by != "created":
            window = ("lastUpdatedAfter", "lastUpdatedBefore")
        params = {
            window[0]: _iso(after),
            window[1]: _iso(before) if before else None,
            "marketplaceIds": self.api.marketplaces,
            # MWS-only words (InvoiceUnconfirmed) have no v2026 status: left out
            "fulfillmentStatuses": sorted(
                {FULFILLMENT_STATUSES[s] for s in statuses or [] if s in FULFILLMENT_STATUSES}
            ),
            "maxResultsPerPage": PAGE_SIZE,
            "includedData": INCLUDED_DATA,
        }
        params = {key: value for key, value in params.items() if value not in (None, [])}
        return self._page(self.api.call("orders.search", params=params), params)

    def next_page(self, token):
        """The next page: the first request's filters again, with Amazon's token."""
        amazon_token, params = _unpack(token)
        reply = self.api.call(
            "orders.next_page", params={**params, "paginationToken": amazon_token}
        )
        return self._page(reply, params)

    def items(self, order_id):
        """The order's items: getOrder includes them (one page)."""
        reply = self.api.call(
            "orders.items",
            path_args={"orderId": order_id},
            params={"includedData": INCLUDED_DATA},
        )
        try:
            order = parse_order(reply.json().get("order"), seller_id=self.api.seller_id)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        if order["amazon_order_id"] != order_id:
            raise _malformed(reply.operation, f"order {order['amazon_order_id']}, not {order_id}")
        return api.Page(order["items"], None)

    def next_items(self, token):
        raise _malformed("getOrder", "getOrder has no item pages")


def _when(value):
    try:
        return parse_datetime(value) if value else None
    except ResponseParseError:
        return None


class _Feeds(_Part, api.Feeds):
    def feed_type(self, kind):
        return self.api.feed_type_of(kind)

    @staticmethod
    def _submission(feed):
        if not isinstance(feed, dict) or not feed.get("feedId"):
            raise ResponseParseError("a feed without feedId")
        status = feed.get("processingStatus")
        return api.FeedSubmission(
            submission_id=str(feed["feedId"]),
            feed_type=feed.get("feedType"),
            state=FEED_STATES.get(status, api.QUEUED),
            status=status,
            submitted_at=_when(feed.get("createdTime")),
            completed_at=_when(feed.get("processingEndTime")),
        )

    def submit(self, kind, document, *, reserve=0):
        """createFeedDocument, the upload, createFeed. A pre-signed URL that expired before
        the upload (Amazon gives five minutes) is asked for again, once."""
        feed_type = self.feed_type(kind)
        if feed_type not in FEED_TYPES.values():
            raise AmazonCallError(
                "createFeed",
                api.PERMANENT,
                "UnsupportedFeedType",
                f"{kind} feeds are not sent over SP-API (Amazon removed the XML listing feeds)",
            )
        content_type = CONTENT_TYPES.get(feed_type, XML_CONTENT_TYPE)
        # a JSON_LISTINGS_FEED applies to one marketplace (the account's own)
        marketplaces = self.api.marketplaces[:1] if feed_type in CONTENT_TYPES else None
        for attempt in (1, 2):
            reply = self.api.call("feeds.document", json_body={"contentType": content_type})
            created = reply.json()
            if not created.get("feedDocumentId") or not created.get("url"):
                raise _malformed(reply.operation, "createFeedDocument without document or URL")
            try:
                self.api.transport.upload(
                    "uploadFeedDocument", created["url"], document, content_type
                )
                break
            except AmazonCallError as error:
                if error.code != "ExpiredUrl" or attempt == 2:
                    raise
        reply = self.api.call(
            "feeds.submit",
            reserve=reserve,
            json_body={
                "feedType": feed_type,
                "marketplaceIds": marketplaces or self.api.marketplaces,
                "inputFeedDocumentId": created["feedDocumentId"],
            },
        )
        feed_id = reply.json().get("feedId")
        if not feed_id:
            raise _malformed(reply.operation, "createFeed without feedId")
        return api.FeedSubmission(str(feed_id), feed_type, api.QUEUED, "IN_QUEUE")

    def status(self, submission_ids):
        """getFeed for each (no batch read in the Feeds API); the ones the quota leaves
        for later are simply not in the answer (the caller asks again)."""
        found = []
        for feed_id in submission_ids:
            try:
                reply = self.api.call("feeds.status", path_args={"feedId": feed_id})
            except QuotaWait:
                if found:
                    break
                raise
            try:
                found.append(self._submission(reply.json()))
            except ResponseParseError as error:
                raise _malformed(reply.operation, error) from None
        return found

    def submitted_since(self, kind, since):
        reply = self.api.call(
            "feeds.list",
            params={
                "feedTypes": [self.feed_type(kind)],
                "createdSince": _iso(since),
                "pageSize": 100,
            },
        )
        try:
            return [self._submission(feed) for feed in reply.json().get("feeds") or []]
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def result(self, submission_id):
        """The processing report: getFeed for its document, getFeedDocument, download."""
        reply = self.api.call("feeds.status", path_args={"feedId": submission_id})
        document_id = reply.json().get("resultFeedDocumentId")
        if not document_id:
            raise _malformed(reply.operation, f"feed {submission_id} has no result document")
        reply = self.api.call("feeds.result", path_args={"feedDocumentId": document_id})
        document = reply.json()
        if not document.get("url"):
            raise _malformed(reply.operation, "getFeedDocument without URL")
        return self.api.transport.download(
            "downloadFeedDocument", document["url"], document.get("compressionAlgorithm")
        ).body


class _Reports(_Part, api.Reports):
    @staticmethod
    def _request(report):
        if not isinstance(report, dict) or not report.get("reportId"):
            raise ResponseParseError("a report without reportId")
        status = report.get("processingStatus")
        return api.ReportRequest(
            request_id=str(report["reportId"]),
            kind=_REPORT_KINDS.get(report.get("reportType"), report.get("reportType")),
            state=REPORT_STATES.get(status, api.QUEUED),
            status=status,
            report_id=report.get("reportDocumentId"),
            start=_when(report.get("dataStartTime")),
            end=_when(report.get("dataEndTime")),
            submitted_at=_when(report.get("createdTime")),
        )

    def _type(self, kind):
        if kind not in REPORT_TYPES:
            raise AmazonCallError(
                "createReport",
                api.PERMANENT,
                "UnsupportedReportType",
                f"{kind} reports are not read over SP-API by this version of the connector",
            )
        return REPORT_TYPES[kind]

    def request(self, kind, start=None, end=None):
        body = {"reportType": self._type(kind), "marketplaceIds": self.api.marketplaces}
        if start:
            body["dataStartTime"] = _iso(start)
        if end:
            body["dataEndTime"] = _iso(end)
        reply = self.api.call("reports.request", json_body=body)
        report_id = reply.json().get("reportId")
        if not report_id:
            raise _malformed(reply.operation, "createReport without reportId")
        return api.ReportRequest(str(report_id), kind, api.QUEUED, "IN_QUEUE", start=start, end=end)

    def requests(self, request_ids):
        found = []
        for report_id in request_ids:
            try:
                reply = self.api.call("reports.status", path_args={"reportId": report_id})
            except QuotaWait:
                if found:
                    break
                raise
            try:
                found.append(self._request(reply.json()))
            except ResponseParseError as error:
                raise _malformed(reply.operation, error) from None
        return found

    def _list(self, capability, params):
        reply = self.api.call(capability, params=params)
        data = reply.json()
        try:
            return [self._request(r) for r in data.get("reports") or []], data.get("nextToken")
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def requested_since(self, kind, since):
        found, _token = self._list(
            "reports.list",
            {"reportTypes": [self._type(kind)], "createdSince": _iso(since), "pageSize": 100},
        )
        return found

    def _page(self, requests, token):
        reports = [
            api.Report(
                report_id=r.report_id,
                kind=r.kind,
                request_id=r.request_id,
                available_at=r.submitted_at,
            )
            for r in requests
            if r.state == api.DONE and r.report_id
        ]
        return api.Page(reports, token or None)

    def available(self, kind, since=None):
        params = {
            "reportTypes": [self._type(kind)],
            "processingStatuses": ["DONE"],
            "pageSize": REPORT_PAGE_SIZE,
        }
        if since:
            params["createdSince"] = _iso(since)
        return self._page(*self._list("reports.available", params))

    def next_available(self, token):
        return self._page(*self._list("reports.next_available", {"nextToken": token}))

    def _restricted_token(self, method, path):
        """A restricted data token for one resource (createRestrictedDataToken)."""
        body = {"restrictedResources": [{"method": method, "path": path}]}
        try:
            reply = self.api.call("tokens.restricted", json_body=body)
        except AmazonCallError as error:
            if error.kind in (api.AUTH, api.PERMANENT):
                # the app lacks the role, the connection itself is fine
                error.kind = api.PERMANENT
                error.message = (
                    f"{error.message} — Amazon gives the buyers' addresses of the order "
                    "reports only to an app with the Direct-to-Consumer Shipping role: add "
                    "it to the app in Seller Central, or untick Direct-to-Consumer Shipping "
                    "Role on the account (new orders then come from searchOrders only)"
                )
            raise
        token = reply.json().get("restrictedDataToken")
        if not token:
            raise _malformed(reply.operation, "createRestrictedDataToken without a token")
        return token

    def download(self, report_id, kind=None):
        """``report_id``: the report's document id (what :class:`api.Report` carries); a
        restricted report's document is asked for with a restricted data token."""
        path_args = {"reportDocumentId": report_id}
        token = None
        if REPORT_TYPES.get(kind) in RESTRICTED_REPORT_TYPES:
            method, path = ROUTES[OPERATIONS["reports.download"]]
            token = self._restricted_token(method, path.format(**path_args))
        reply = self.api.call("reports.download", path_args=path_args, token=token)
        document = reply.json()
        if not document.get("url"):
            raise _malformed(reply.operation, "getReportDocument without URL")
        return self.api.transport.download(
            "downloadReportDocument", document["url"], document.get("compressionAlgorithm")
        ).body


#: what getListingsItem includes (the listing form shows them)
LISTING_DATA = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability")


class _Listings(_Part, api.Listings):
    """The Listings Items API for the account's marketplace (the first of its list)."""

    def _call(self, capability, sku, *, params=None, json_body=None):
        path_args = {"sellerId": self.api.seller_id, "sku": quote(sku, safe="")}
        query = {"marketplaceIds": self.api.marketplaces[:1], "issueLocale": "en_US"}
        reply = self.api.call(
            capability, path_args=path_args, params={**query, **(params or {})}, json_body=json_body
        )
        return reply

    def _submission(self, reply):
        try:
            return listings_checks.parse_submission(reply.body)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def get(self, sku):
        reply = self._call("listings.get", sku, params={"includedData": list(LISTING_DATA)})
        try:
            return listings_checks.parse_listing(reply.body, self.api.marketplaces[0])
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None

    def put(self, sku, product_type, attributes, *, preview=False):
        body = {"productType": product_type, "requirements": "LISTING", "attributes": attributes}
        params = {"mode": "VALIDATION_PREVIEW"} if preview else None
        return self._submission(self._call("listings.put", sku, params=params, json_body=body))

    def patch(self, sku, product_type, patches, *, preview=False):
        body = {"productType": product_type, "patches": patches}
        params = {"mode": "VALIDATION_PREVIEW"} if preview else None
        return self._submission(self._call("listings.patch", sku, params=params, json_body=body))

    def delete(self, sku):
        return self._submission(self._call("listings.delete", sku))


class _ProductTypes(_Part, api.ProductTypes):
    def search(self, keywords=None):
        params = {"marketplaceIds": self.api.marketplaces[:1]}
        if keywords:
            params["keywords"] = [keywords]
        reply = self.api.call("product_types.search", params=params)
        found = reply.json().get("productTypes")
        if not isinstance(found, list):
            raise _malformed(reply.operation, "no productTypes list")
        return [
            (t.get("name"), t.get("displayName") or t.get("name")) for t in found if t.get("name")
        ]

    def definition(self, name):
        reply = self.api.call(
            "product_types.definition",
            path_args={"productType": quote(name, safe="")},
            params={
                "marketplaceIds": self.api.marketplaces[:1],
                "sellerId": self.api.seller_id,
                "requirements": "LISTING",
                "locale": "DEFAULT",
            },
        )
        data = reply.json()
        try:
            version = listings_checks.schema_version(data)
        except ResponseParseError as error:
            raise _malformed(reply.operation, error) from None
        link = (data.get("schema") or {}).get("link") or {}
        if not link.get("resource"):
            raise _malformed(reply.operation, f"{name}: a definition without its schema link")
        return api.ProductTypeDefinition(
            name=data.get("productType") or name,
            version=version,
            schema_url=link["resource"],
            display_name=data.get("displayName"),
            requirements=data.get("requirements"),
        )

    def schema(self, definition):
        body = self.api.transport.download("downloadProductTypeSchema", definition.schema_url).body
        try:
            return listings_checks.json_object(body, f"the {definition.name} schema")
        except ResponseParseError as error:
            raise _malformed("downloadProductTypeSchema", error) from None
