"""Orders API (2013-09-01): ListOrders(+ByNextToken), GetOrder, ListOrderItems(+ByNextToken),
order storage in SQLite and the time-driven order lifecycle.

Orders are stored as JSON (datetimes as ISO strings, decoded back for every key ending in
"_date") with the columns the filters need. On every tick (before each request) the orders
whose next planned event is due move on: Pending -> Unshipped when the payment hold ends
(`Config.payment_hold_minutes`, fixed per order at creation), AFN orders -> Shipped by Amazon
`afn_ship_delay_minutes` (default 240) after payment, planned buyer cancellations -> Canceled.
Each change sets last_update_date to the time the event was due (see ordergen.apply_due_events).

ListOrders follows Amazon's rules: exactly one of CreatedAfter / LastUpdatedAfter; the
matching *Before (default and maximum: two minutes before the sandbox's now, echoed in the
result); MarketplaceId.Id.N required (the seller's own marketplaces); OrderStatus.Status.N
with Unshipped and PartiallyShipped only together; FulfillmentChannel.Channel.N (AFN, MFN);
PaymentMethod.Method.N; BuyerEmail and SellerOrderId exclude the status/channel/payment/
LastUpdated filters; MaxResultsPerPage 1..100 (default 100). Results are sorted by
(PurchaseDate, AmazonOrderId) or, with LastUpdatedAfter, (LastUpdateDate, AmazonOrderId), and
paged by keyset, so pages are stable. NextTokens are opaque, stored in SQLite, reusable, and
expire after 24 sandbox hours; an unknown or expired one is InvalidParameterValue (400).
ListOrderItems pages `ORDER_ITEMS_PAGE` (20) items per page.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

from . import registry
from .catalog import catalog_rows
from .clock import UTC, parse_iso
from .errors import ApiError, invalid, missing
from .ordergen import GenOptions, apply_due_events, generate_orders, next_event
from .registry import Request, Response, Seller
from .render_orders import render_get_order, render_list_order_items, render_list_orders
from .sellers import issue_token, redeem_token

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    seller_id TEXT NOT NULL,
    amazon_order_id TEXT NOT NULL,
    marketplace_id TEXT NOT NULL,
    status TEXT NOT NULL,
    fulfillment_channel TEXT NOT NULL,
    payment_method TEXT,
    buyer_email TEXT,
    seller_order_id TEXT,
    purchase_date TEXT NOT NULL,      -- sortable UTC text, see _key()
    last_update_date TEXT NOT NULL,
    next_event_at TEXT,               -- NULL: nothing planned
    data TEXT NOT NULL,               -- the order dict as JSON
    PRIMARY KEY (seller_id, amazon_order_id)
);
CREATE INDEX IF NOT EXISTS orders_created ON orders (seller_id, purchase_date, amazon_order_id);
CREATE INDEX IF NOT EXISTS orders_updated ON orders (seller_id, last_update_date,
                                                     amazon_order_id);
CREATE INDEX IF NOT EXISTS orders_next_event ON orders (next_event_at);
"""

ORDER_STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
CHANNELS = ("AFN", "MFN")
PAYMENT_METHODS = ("COD", "CVS", "Other")
ORDER_ITEMS_PAGE = 20
MAX_GET_ORDER_IDS = 50
LATENCY = timedelta(minutes=2)  # Amazon: *Before no later than two minutes before now


# ---- storage ------------------------------------------------------------------------------


def _key(dt: datetime) -> str:
    """Fixed-width UTC text that sorts like the datetime."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _decode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, key) for v in value]
    if isinstance(value, str) and key.endswith("_date") and value:
        try:
            # Fast path for what _encode wrote; parse_iso for anything a caller stored.
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


def dumps_order(order: dict) -> str:
    return json.dumps(_encode(order), ensure_ascii=False, sort_keys=True)


def loads_order(text: str) -> dict:
    return _decode(json.loads(text))


def ensure_schema(store) -> None:
    store.ensure_schema(SCHEMA)


@registry.on_startup
def _startup(state) -> None:
    ensure_schema(state.store)


def load_order(db: sqlite3.Connection, seller_id: str, amazon_order_id: str) -> dict | None:
    """The order dict (datetimes decoded), or None."""
    row = db.execute(
        "SELECT data FROM orders WHERE seller_id = ? AND amazon_order_id = ?",
        (seller_id, amazon_order_id),
    ).fetchone()
    return loads_order(row[0]) if row else None


def save_order(db: sqlite3.Connection, order: dict) -> None:
    """Insert or replace an order; the caller sets last_update_date when it changes it.
    The next planned event is recomputed from the order itself."""
    event = next_event(order)
    ack = order.get("acknowledged") or {}
    db.execute(
        "INSERT INTO orders (seller_id, amazon_order_id, marketplace_id, status, "
        "fulfillment_channel, payment_method, buyer_email, seller_order_id, purchase_date, "
        "last_update_date, next_event_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(seller_id, amazon_order_id) DO UPDATE SET "
        "marketplace_id = excluded.marketplace_id, status = excluded.status, "
        "fulfillment_channel = excluded.fulfillment_channel, "
        "payment_method = excluded.payment_method, buyer_email = excluded.buyer_email, "
        "seller_order_id = excluded.seller_order_id, purchase_date = excluded.purchase_date, "
        "last_update_date = excluded.last_update_date, next_event_at = excluded.next_event_at, "
        "data = excluded.data",
        (
            order["seller_id"],
            order["amazon_order_id"],
            order["marketplace_id"],
            order["status"],
            order["fulfillment_channel"],
            order.get("payment_method") or "Other",
            order.get("buyer_email"),
            ack.get("merchant_order_id"),
            _key(order["purchase_date"]),
            _key(order["last_update_date"]),
            _key(event[0]) if event else None,
            dumps_order(order),
        ),
    )


def list_orders_admin(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    """Every order of the seller, oldest purchase first."""
    rows = db.execute(
        "SELECT data FROM orders WHERE seller_id = ? ORDER BY purchase_date, amazon_order_id",
        (seller_id,),
    ).fetchall()
    return [loads_order(r[0]) for r in rows]


def all_orders(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    return list_orders_admin(db, seller_id)


def gen_options(state, window: timedelta | None = None) -> GenOptions:
    """Generator options from the sandbox configuration."""
    config = state.config
    opts = GenOptions(
        payment_hold=timedelta(minutes=float(getattr(config, "payment_hold_minutes", 30.0))),
        afn_ship_delay=timedelta(minutes=float(getattr(config, "afn_ship_delay_minutes", 240))),
    )
    if window is not None:
        opts.window = window
    return opts


def create_orders(
    state,
    db: sqlite3.Connection,
    seller: Seller,
    count: int,
    *,
    seed: int | None,
    now: datetime,
    window: timedelta | None = None,
    options: GenOptions | None = None,
) -> list[dict]:
    """Generate and store `count` orders for the seller (catalog SKUs, else demo SKUs).

    seed None: a per-store batch counter (combined with --seed) keeps runs reproducible.
    If an order id already exists (same seed twice), the batch is redrawn with a derived seed.
    Orders whose planned events are already due (purchase dates in the past) are advanced.
    """
    if seed is None:
        batch = state.store.next_id(db, "ordergen_batch")
        seed = f"{getattr(state.config, 'seed', None)}/{batch}"
    opts = options or gen_options(state, window)
    catalog = catalog_rows(db, seller.seller_id)
    attempt = 0
    while True:
        orders = generate_orders(
            seller.seller_id,
            list(seller.marketplace_ids),
            count,
            seed=seed if attempt == 0 else f"{seed}#{attempt}",
            now=now,
            catalog=catalog,
            options=opts,
        )
        ids = [o["amazon_order_id"] for o in orders]
        clash = _any_exists(db, ids)
        if not clash and len(set(ids)) == len(ids):
            break
        attempt += 1
    for order in orders:
        apply_due_events(order, now)
        save_order(db, order)
    return orders


def _any_exists(db: sqlite3.Connection, ids: list[str]) -> bool:
    """Whether any of these order ids is stored already (any seller)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT 1 FROM orders WHERE amazon_order_id IN ({marks}) LIMIT 1"
        if db.execute(sql, chunk).fetchone():
            return True
    return False


@registry.on_tick
def advance_orders(state, db: sqlite3.Connection, now: datetime) -> None:
    """Apply every planned event that is due (payment, cancellation, AFN shipment)."""
    rows = db.execute(
        "SELECT data FROM orders WHERE next_event_at IS NOT NULL AND next_event_at <= ?",
        (_key(now),),
    ).fetchall()
    for row in rows:
        order = loads_order(row[0])
        if apply_due_events(order, now):
            save_order(db, order)


# ---- tokens -------------------------------------------------------------------------------


# ---- parameters ---------------------------------------------------------------------------


def enumerated(params: dict[str, str], prefix: str) -> list[str]:
    """Values of Prefix.1, Prefix.2, ... in index order."""
    found = []
    for key, value in params.items():
        if key.startswith(prefix + "."):
            index = key[len(prefix) + 1 :]
            if index.isdigit():
                found.append((int(index), value))
    return [v for _i, v in sorted(found)]


def date_param(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid(name, value, "It must be an ISO 8601 date.") from None


def _bounded(name: str, value: datetime, limit: datetime) -> None:
    if value > limit:
        raise invalid(
            name,
            value.isoformat(),
            "It must be no later than two minutes before the time the request was submitted.",
        )


def _list_orders_filters(req: Request) -> dict:
    p = req.params
    created_after = date_param(p, "CreatedAfter")
    created_before = date_param(p, "CreatedBefore")
    updated_after = date_param(p, "LastUpdatedAfter")
    updated_before = date_param(p, "LastUpdatedBefore")
    if (created_after is None) == (updated_after is None):
        raise ApiError(
            "InvalidParameterValue",
            "Exactly one of CreatedAfter and LastUpdatedAfter must be specified.",
        )
    if created_after is not None and updated_before is not None:
        raise ApiError(
            "InvalidParameterValue", "LastUpdatedBefore cannot be combined with CreatedAfter."
        )
    if updated_after is not None and created_before is not None:
        raise ApiError(
            "InvalidParameterValue", "CreatedBefore cannot be combined with LastUpdatedAfter."
        )
    limit = req.now - LATENCY
    by = "created" if created_after is not None else "updated"
    after = created_after if by == "created" else updated_after
    before = created_before if by == "created" else updated_before
    _bounded("CreatedAfter" if by == "created" else "LastUpdatedAfter", after, limit)
    if before is None:
        before = limit
    else:
        _bounded("CreatedBefore" if by == "created" else "LastUpdatedBefore", before, limit)
    if before < after:
        raise ApiError(
            "InvalidParameterValue", "The *Before date must be later than the *After date."
        )
    markets = enumerated(p, "MarketplaceId.Id")
    if not markets:
        raise missing("MarketplaceId.Id.1")
    if len(markets) > 50:
        raise ApiError("InvalidParameterValue", "At most 50 MarketplaceId values are allowed.")
    for market in markets:
        if market not in req.seller.marketplace_ids:
            raise invalid("MarketplaceId", market, "The seller does not participate in it.")
    statuses = enumerated(p, "OrderStatus.Status")
    for status in statuses:
        if status not in ORDER_STATUSES:
            raise invalid("OrderStatus.Status", status)
    if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
        raise ApiError(
            "InvalidParameterValue",
            "Unshipped and PartiallyShipped must be used together: ask for both or neither.",
        )
    channels = enumerated(p, "FulfillmentChannel.Channel")
    for channel in channels:
        if channel not in CHANNELS:
            raise invalid("FulfillmentChannel.Channel", channel)
    methods = enumerated(p, "PaymentMethod.Method")
    for method in methods:
        if method not in PAYMENT_METHODS:
            raise invalid("PaymentMethod.Method", method)
    buyer_email = p.get("BuyerEmail") or None
    seller_order_id = p.get("SellerOrderId") or None
    if buyer_email and seller_order_id:
        raise ApiError(
            "InvalidParameterValue", "BuyerEmail and SellerOrderId cannot be specified together."
        )
    if (buyer_email or seller_order_id) and (statuses or channels or methods or by == "updated"):
        raise ApiError(
            "InvalidParameterValue",
            "BuyerEmail or SellerOrderId cannot be combined "
            "with OrderStatus, FulfillmentChannel, PaymentMethod or LastUpdated "
            "filters.",
        )
    size_text = p.get("MaxResultsPerPage") or "100"
    if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
        raise invalid("MaxResultsPerPage", size_text, "It must be between 1 and 100.")
    return {
        "by": by,
        "after": _key(after),
        "before": _key(before),
        "before_iso": before.isoformat(),
        "markets": markets,
        "statuses": statuses,
        "channels": channels,
        "methods": methods,
        "buyer_email": buyer_email,
        "seller_order_id": seller_order_id,
        "size": int(size_text),
        "last": None,
    }


def _page(db, seller_id: str, f: dict) -> tuple[list[dict], bool]:
    column = "purchase_date" if f["by"] == "created" else "last_update_date"
    where = ["seller_id = ?", f"{column} >= ?", f"{column} <= ?"]
    args: list = [seller_id, f["after"], f["before"]]
    for name, values in (
        ("marketplace_id", f["markets"]),
        ("status", f["statuses"]),
        ("fulfillment_channel", f["channels"]),
        ("payment_method", f["methods"]),
    ):
        if values:
            where.append(f"{name} IN ({','.join('?' * len(values))})")
            args.extend(values)
    if f["buyer_email"]:
        where.append("buyer_email = ?")
        args.append(f["buyer_email"])
    if f["seller_order_id"]:
        where.append("seller_order_id = ?")
        args.append(f["seller_order_id"])
    if f["last"]:
        where.append(f"({column} > ? OR ({column} = ? AND amazon_order_id > ?))")
        args.extend([f["last"][0], f["last"][0], f["last"][1]])
    rows = db.execute(
        f"SELECT {column}, amazon_order_id, data FROM orders WHERE {' AND '.join(where)} "
        f"ORDER BY {column}, amazon_order_id LIMIT ?",
        [*args, f["size"] + 1],
    ).fetchall()
    more = len(rows) > f["size"]
    rows = rows[: f["size"]]
    if rows:
        f["last"] = [rows[-1][0], rows[-1][1]]
    return [loads_order(r[2]) for r in rows], more


def _list_orders_response(req: Request, f: dict) -> Response:
    with req.state.store.tx() as db:
        orders, more = _page(db, req.seller.seller_id, f)
        token = issue_token(db, req, "ListOrders", f) if more else None
    before = parse_iso(f["before_iso"])
    body = render_list_orders(
        orders,
        request_id=req.request_id,
        action=req.action,
        next_token=token,
        created_before=before if f["by"] == "created" else None,
        last_updated_before=before if f["by"] == "updated" else None,
    )
    return Response(body)


@registry.operation("ListOrders", section="Orders", throttle="ListOrders")
def list_orders(req: Request) -> Response:
    return _list_orders_response(req, _list_orders_filters(req))


@registry.operation("ListOrdersByNextToken", section="Orders", throttle="ListOrders")
def list_orders_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        f = redeem_token(db, req, "ListOrders", invalid_code="InvalidParameterValue")
    return _list_orders_response(req, f)


@registry.operation("GetOrder", section="Orders", throttle="GetOrder")
def get_order(req: Request) -> Response:
    ids = enumerated(req.params, "AmazonOrderId.Id")
    if not ids:
        raise missing("AmazonOrderId.Id.1")
    if len(ids) > MAX_GET_ORDER_IDS:
        raise ApiError(
            "InvalidParameterValue",
            f"At most {MAX_GET_ORDER_IDS} AmazonOrderId values are allowed.",
        )
    with req.state.store.tx() as db:
        orders = [load_order(db, req.seller.seller_id, i) for i in dict.fromkeys(ids)]
    return Response(render_get_order([o for o in orders if o], request_id=req.request_id))


def _items_response(req: Request, order_id: str, offset: int) -> Response:
    page_size = int(getattr(req.state.config, "order_items_page", ORDER_ITEMS_PAGE))
    with req.state.store.tx() as db:
        order = load_order(db, req.seller.seller_id, order_id)
        if order is None:
            raise invalid("AmazonOrderId", order_id, "No such order for this seller.")
        items = order["items"][offset : offset + page_size]
        token = None
        if offset + page_size < len(order["items"]):
            token = issue_token(
                db, req, "ListOrderItems", {"order": order_id, "offset": offset + page_size}
            )
    return Response(
        render_list_order_items(
            order, items, request_id=req.request_id, action=req.action, next_token=token
        )
    )


@registry.operation("ListOrderItems", section="Orders", throttle="ListOrderItems")
def list_order_items(req: Request) -> Response:
    order_id = req.params.get("AmazonOrderId")
    if not order_id:
        raise missing("AmazonOrderId")
    return _items_response(req, order_id, 0)


@registry.operation("ListOrderItemsByNextToken", section="Orders", throttle="ListOrderItems")
def list_order_items_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        payload = redeem_token(db, req, "ListOrderItems", invalid_code="InvalidParameterValue")
    return _items_response(req, payload["order"], int(payload["offset"]))
