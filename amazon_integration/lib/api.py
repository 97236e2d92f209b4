"""What the connector asks of Amazon, in its own terms (no Odoo import, no HTTP).

Model code speaks these capabilities only; each Amazon API (MWS in :mod:`.mws_api`; SP-API
next) implements them and owns its operation names, headers, paging words, report and feed
type names and parsers. A second implementation provides:

1. :class:`AmazonApi` with ``sellers``, ``orders``, ``feeds`` and ``reports`` objects that
   implement the four capability classes below, returning these dataclasses;
2. a :class:`~.quota.QuotaTable` (rate, burst and window of each of its operations) and
   :meth:`AmazonApi.bucket` naming the quota of each capability operation;
3. :meth:`AmazonApi.observe` (server time and quota headers of a reply), and
4. errors as :class:`AmazonCallError` with one of the kinds below, texts sanitised.

Every HTTP call goes through the :class:`Gate` given by the caller: it takes the quota before
the call (nothing is sent when it says wait), and records the reply or the error after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from . import reports as reportlib
from .sanitize import redact

MAX_MESSAGE = 500

# ----------------------------------------------------------------------------------- errors

THROTTLED = "throttled"  # back off: the quota was used up after all
TRANSIENT = "transient"  # retry later: timeout, 5xx, unreadable answer
AUTH = "auth"  # fix the credentials
PERMANENT = "permanent"  # give up on this request
RESTART_PAGING = "restart_paging"  # a continuation token went bad: list again from the start

#: the code of a transient error whose answer could be read but did not say what it should
UNREADABLE = "UnreadableResponse"


@dataclass
class AmazonCallError(Exception):
    """A failed call. ``kind`` says what to do next (see the constants above); ``operation``
    is the implementation's own name of the call, for the API log."""

    operation: str
    kind: str
    code: str
    message: str
    http_status: int | None = None
    request_id: str | None = None
    duration: float = 0.0
    headers: dict = field(default_factory=dict)

    def __str__(self):
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{self.operation}: {self.code}{status}: {self.message}"

    @property
    def retryable(self) -> bool:
        return self.kind in (THROTTLED, TRANSIENT, RESTART_PAGING)

    def redacted(self, secrets) -> AmazonCallError:
        """This error with no credential, query string or secret header in its texts (cut
        after redaction, never before: a cut could leave part of a secret unmatched)."""
        self.code = redact(self.code, secrets)[:MAX_MESSAGE]
        self.message = redact(self.message, secrets)[:MAX_MESSAGE]
        return self


class QuotaWait(Exception):
    """No request left in the quota: nothing was sent; try again after ``wait`` seconds.
    ``operation`` is the capability operation (e.g. ``feeds.submit``)."""

    def __init__(self, operation, wait):
        self.operation = operation
        self.wait = wait
        super().__init__(f"{operation}: quota exhausted, next request in {wait:.0f} s")


@dataclass
class Reply:
    """One successful HTTP exchange, as the gate logs it."""

    operation: str
    body: bytes
    headers: dict
    status: int
    request_id: str | None
    duration: float


class Gate(Protocol):
    """The caller's side of every call (quota, clock, API log)."""

    def acquire(self, capability: str, bucket: str, reserve: int) -> float:
        """Take one request of ``bucket``; 0 when taken, else the seconds to wait."""

    def replied(self, capability: str, bucket: str, reply: Reply) -> None:
        """The call succeeded."""

    def failed(self, capability: str, bucket: str, error: AmazonCallError) -> None:
        """The call failed (its texts are sanitised already)."""


# ----------------------------------------------------------------------------- what it says

# states of a feed submission and of a report request, whatever the API calls them
QUEUED = "queued"
IN_PROGRESS = "in_progress"
DONE = "done"
DONE_NO_DATA = "done_no_data"
CANCELLED = "cancelled"
FATAL = "fatal"

#: report kinds the connector reads (each implementation maps them to its report types)
REPORT_ORDERS_NEW = "orders_new"  # new orders, flat file, by purchase date
REPORT_ORDERS_UPDATED = "orders_updated"  # every order changed in a window, by last update
REPORT_FBA_INVENTORY = "fba_inventory"  # Amazon's fulfillable stock of AFN listings
REPORT_SETTLEMENT = "settlement"  # scheduled by Amazon, one per settlement period
REPORT_LISTINGS = "listings"  # every SKU of the seller: ASIN and Amazon's listing status


@dataclass(frozen=True)
class FeedSubmission:
    """A feed Amazon received: its id, where it stands (``state``: the constants above) and
    the API's own word for it (``status``, shown to people)."""

    submission_id: str
    feed_type: str | None
    state: str
    status: str | None = None
    submitted_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class ReportRequest:
    """A report asked for: ``state`` as above; ``report_id`` once there is a document."""

    request_id: str
    kind: str | None
    state: str
    status: str | None = None
    report_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Report:
    """A report document ready to download (requested, or scheduled by Amazon)."""

    report_id: str
    kind: str | None
    request_id: str | None = None
    available_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """Some results and the opaque token of the next page (None: the last page)."""

    items: list
    next_token: str | None = None
    until: datetime | None = None  # orders: the moment the listing is complete up to


# ------------------------------------------------------------------------------ capabilities


class Sellers:
    def participations(self) -> list[str]:
        """Marketplace ids the seller sells on (the connection test)."""
        raise NotImplementedError


class Orders:
    """Orders as the connector's order dicts (see :mod:`.orders`)."""

    def search(
        self,
        *,
        after: datetime | str,
        before: datetime | str | None = None,
        by: str = "updated",
        statuses: list[str] | None = None,
    ) -> Page:
        """The first page of orders changed (``by="updated"``) or created (``"created"``)
        in the window; :meth:`next_page` for the rest."""
        raise NotImplementedError

    def next_page(self, token: str) -> Page:
        raise NotImplementedError

    def items(self, order_id: str) -> Page:
        """The first page of an order's items (``Page.items``: item dicts)."""
        raise NotImplementedError

    def next_items(self, token: str) -> Page:
        raise NotImplementedError


class Feeds:
    def submit(self, kind: str, document: bytes, *, reserve: int = 0) -> FeedSubmission:
        """Send a feed document of ``kind`` (the :mod:`.feeds` kinds). ``reserve`` keeps
        that many submissions of the quota for the callers that pass none."""
        raise NotImplementedError

    def feed_type(self, kind: str) -> str:
        """The API's own name of a feed kind (stored on the feed, shown to people)."""
        raise NotImplementedError

    def status(self, submission_ids: list[str]) -> list[FeedSubmission]:
        raise NotImplementedError

    def submitted_since(self, kind: str, since: datetime) -> list[FeedSubmission]:
        """The submissions of ``kind`` made since ``since`` (finding a lost answer)."""
        raise NotImplementedError

    def result(self, submission_id: str) -> bytes:
        """The processing report of a finished submission."""
        raise NotImplementedError


class Reports:
    def request(self, kind: str, start=None, end=None) -> ReportRequest:
        raise NotImplementedError

    def requests(self, request_ids: list[str]) -> list[ReportRequest]:
        raise NotImplementedError

    def requested_since(self, kind: str, since: datetime) -> list[ReportRequest]:
        """Requests of ``kind`` made since ``since`` (finding one sent before a crash)."""
        raise NotImplementedError

    def available(self, kind: str, since: datetime | None = None) -> Page:
        """The first page of documents of ``kind`` available since ``since`` (scheduled
        reports such as settlements); :meth:`next_available` for the rest."""
        raise NotImplementedError

    def next_available(self, token: str) -> Page:
        raise NotImplementedError

    def download(self, report_id: str, kind: str | None = None) -> bytes:
        """A report's document (``kind``: the report kind, for an API that reads some kinds
        differently, e.g. SP-API's restricted reports)."""
        raise NotImplementedError

    def parse(self, kind: str, body: bytes) -> list[dict]:
        """The rows of a downloaded report: order dicts for the order kinds, stock rows
        (sku, fnsku, asin, condition, quantities) for ``fba_inventory``, listing rows for
        ``listings``. Raises ``ResponseParseError`` for a document that cannot be read.
        The documents are the same on both APIs (Amazon renamed the report types only)."""
        seller_id = self.api.seller_id
        if kind == REPORT_ORDERS_UPDATED:
            return reportlib.parse_xml_orders_report(body, seller_id=seller_id)
        if kind == REPORT_ORDERS_NEW:
            return reportlib.parse_flat_file_orders(body, seller_id=seller_id)
        if kind == REPORT_FBA_INVENTORY:
            return reportlib.parse_afn_inventory(body)
        if kind == REPORT_LISTINGS:
            return reportlib.parse_listings(body)
        raise ValueError(f"no reader for {kind} reports")


class Listings:
    """One listing at a time (SP-API's Listings Items API): the answers are
    :class:`.listings_checks.ListingSubmission` / :class:`.listings_checks.ListingState`."""

    def get(self, sku: str):
        """The listing as Amazon has it: ASIN, status, issues, offer, quantity."""
        raise NotImplementedError

    def put(self, sku: str, product_type: str, attributes: dict, *, preview: bool = False):
        """The whole listing (created or replaced); ``preview``: validated, not saved."""
        raise NotImplementedError

    def patch(self, sku: str, product_type: str, patches: list, *, preview: bool = False):
        """JSON Patch operations on the listing's attributes (stock, price...)."""
        raise NotImplementedError

    def delete(self, sku: str):
        raise NotImplementedError


@dataclass(frozen=True)
class ProductTypeDefinition:
    """A product type's definition in a marketplace: its version and its schema's address."""

    name: str
    version: str
    schema_url: str
    display_name: str | None = None
    requirements: str | None = None


class ProductTypes:
    def search(self, keywords: str | None = None) -> list[tuple[str, str]]:
        """(name, display name) of the product types matching ``keywords``."""
        raise NotImplementedError

    def definition(self, name: str) -> ProductTypeDefinition:
        raise NotImplementedError

    def schema(self, definition: ProductTypeDefinition) -> dict:
        """The JSON Schema a definition points to."""
        raise NotImplementedError


class AmazonApi:
    """One seller account's connection: the four capabilities, its quotas and clock."""

    name = ""
    sellers: Sellers
    orders: Orders
    feeds: Feeds
    reports: Reports
    listings: Listings | None = None  # the "listings" group
    product_types: ProductTypes | None = None

    quotas = None  # its QuotaTable
    #: the account's credential fields this API needs (all required unless optional)
    credential_fields: tuple = ()
    optional_credentials: tuple = ()
    #: the capability groups it implements: "sellers", "orders", "order_feeds" (order
    #: acknowledgements, shipments, refunds), "catalog" (listing feeds), "reports" (FBA
    #: stock, listings, settlements), "order_reports" (new orders with addresses from reports),
    #: "listings" (one listing at a time and product types: ``listings``, ``product_types``)
    capability_groups = frozenset(
        {"sellers", "orders", "order_feeds", "catalog", "reports", "order_reports"}
    )
    #: the groups that also need a restricted (PII) role the seller says the app has
    restricted_groups = frozenset()

    #: the feed kinds (message types) -> the API's own feed type names
    feed_types: dict = {}

    @classmethod
    def feed_type_of(cls, kind: str) -> str:
        """The API's own name of a feed kind, known without connecting (stored on feeds)."""
        return cls.feed_types.get(kind, kind)

    @classmethod
    def supports(cls, group: str) -> bool:
        """Whether this API implements a capability group (the account's cycle leaves out
        the steps that need one it does not)."""
        return group in cls.capability_groups

    @classmethod
    def sustained(cls, capability: str, seconds: float) -> float:
        """How many calls of a capability operation its quota restores in ``seconds`` (what
        a path built on it can keep up with, burst aside)."""
        limit = cls.quotas.limit_for(cls.operation(capability))
        calls = seconds / limit.restore_seconds
        if limit.hourly:
            calls = min(calls, limit.hourly * seconds / 3600.0)
        return calls

    def __init__(self, transport, gate, *, seller_id, marketplaces):
        self.transport = transport
        self.gate = gate
        self.seller_id = seller_id
        self.marketplaces = list(marketplaces)

    def through_gate(self, capability, operation, reserve, send):
        """One call of ``operation`` through the gate: the quota first (QuotaWait, nothing
        sent), then ``send()`` (the transport's call), then its reply or error reported."""
        wait = self.gate.acquire(capability, operation, reserve)
        if wait:
            raise QuotaWait(capability, wait)
        try:
            reply = send()
        except AmazonCallError as error:
            self.gate.failed(capability, operation, error)
            raise
        self.gate.replied(capability, operation, reply)
        return reply

    @classmethod
    def connect(cls, *, credentials, seller_id, endpoint, timeout, marketplaces, gate, **extra):
        """A connection for one account (``credentials``: the account's credential values;
        ``extra``: what one implementation needs more, e.g. SP-API's token store)."""
        raise NotImplementedError

    operations: dict = {}  # capability operation -> the implementation's own operation

    @classmethod
    def operation(cls, capability: str) -> str:
        """The implementation's own name of a capability operation (``feeds.submit``…)."""
        return cls.operations[capability]

    def bucket(self, capability: str) -> str:
        """The quota bucket a capability operation draws on."""
        return self.quotas.bucket_of(self.operation(capability))

    @staticmethod
    def observe(headers: dict) -> float | None:
        """The server's time (POSIX seconds) a reply's headers carry, if any."""
        raise NotImplementedError

    @staticmethod
    def observe_quota(state, now, headers, limit):
        """A quota state aligned with what a reply's headers say of it (else unchanged)."""
        return state
