"""The SP-API operations the sandbox serves (JSON, through the `spapi` frame):

- Sellers API v1: getMarketplaceParticipations (`GET /sellers/v1/marketplaceParticipations`);
- Orders API v2026-01-01: searchOrders (`GET /orders/2026-01-01/orders`) and getOrder
  (`GET /orders/2026-01-01/orders/{orderId}`), read from the same `orders` table as the MWS
  ListOrders (`api_orders`), mapped by `render_orders_v2026.order_v2026`.

searchOrders follows the model: exactly one of createdAfter / lastUpdatedAfter; createdBefore
only with createdAfter, lastUpdatedBefore only with lastUpdatedAfter, at or after the *After
date and at least two minutes before now (default: two minutes before now, echoed as
`createdBefore` / `lastUpdatedBefore`); fulfillmentStatuses, marketplaceIds (the seller's; all
of them by default; at most 50), fulfilledBy, maxResultsPerPage 1..100 (default 100),
includedData. Orders are sorted by (createdTime, orderId), or (lastUpdatedTime, orderId) with
lastUpdatedAfter, and paged by keyset; `pagination.nextToken` while more remain. A
paginationToken lasts 24 sandbox hours and must come with the same filters as the first request
(maxResultsPerPage and includedData may change), else 400 InvalidInput.
"""

from __future__ import annotations

from datetime import timedelta

from . import registry
from .api_orders import _key, _page, load_order
from .clock import iso_z, parse_iso
from .render_orders_v2026 import CHANNEL_OF, INCLUDED_DATA, MWS_STATUSES, order_v2026
from .sellers import MARKETPLACES, issue_token, lookup_token
from .spapi import SpError, SpRequest, invalid_input, route, setup
from .spapi_params import list_param, page_size, query_date, seller_markets

ORDERS_MODEL = "orders_2026-01-01.json"
SELLERS_MODEL = "sellers.json"
LATENCY = timedelta(minutes=2)
MAX_MARKETPLACES = 50
TOKEN_KIND = "sp:searchOrders"


@registry.on_startup
def _startup(state) -> None:
    setup(state)


# ---- Sellers ------------------------------------------------------------------------------


def store_name(seller_id: str) -> str:
    return f"Sandbox Store {seller_id}"


@route(
    "GET",
    "/sellers/v1/marketplaceParticipations",
    operation="getMarketplaceParticipations",
    model=SELLERS_MODEL,
    rate="0.016",
    burst=15,
)
def get_marketplace_participations(req: SpRequest) -> dict:
    payload = []
    for mid in req.seller.marketplace_ids:
        name, country, currency, lang, domain = MARKETPLACES.get(
            mid, (mid, "US", "USD", "en_US", "www.amazon.com")
        )
        payload.append(
            {
                "marketplace": {
                    "id": mid,
                    "name": name,
                    "countryCode": country,
                    "defaultCurrencyCode": currency,
                    "defaultLanguageCode": lang,
                    "domainName": domain,
                },
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": store_name(req.seller.seller_id),
            }
        )
    return {"payload": payload}


# ---- Orders v2026-01-01 -------------------------------------------------------------------


def _included(req: SpRequest) -> set[str]:
    return set(list_param(req, "includedData", allowed=INCLUDED_DATA))


def _date(req: SpRequest, name: str):
    return query_date(req, name, "The date must be in ISO 8601 format.")


def _search_filters(req: SpRequest) -> tuple[dict, dict]:
    """(the filters as api_orders._page takes them, the fingerprint a paginationToken must
    match). Raises InvalidInput as the model describes."""
    created_after = _date(req, "createdAfter")
    created_before = _date(req, "createdBefore")
    updated_after = _date(req, "lastUpdatedAfter")
    updated_before = _date(req, "lastUpdatedBefore")
    if (created_after is None) == (updated_after is None):
        raise invalid_input(
            "Exactly one of createdAfter and lastUpdatedAfter must be provided.",
        )
    if created_after is not None and updated_before is not None:
        raise invalid_input("lastUpdatedBefore cannot be provided with createdAfter.")
    if updated_after is not None and created_before is not None:
        raise invalid_input("createdBefore cannot be provided with lastUpdatedAfter.")
    by = "created" if created_after is not None else "updated"
    after = created_after if by == "created" else updated_after
    before = created_before if by == "created" else updated_before
    after_name = "createdAfter" if by == "created" else "lastUpdatedAfter"
    before_name = "createdBefore" if by == "created" else "lastUpdatedBefore"
    limit = req.now - LATENCY
    if before is None:
        before = limit
    else:
        if before > limit:
            raise invalid_input(
                f"Invalid {before_name}.",
                "It must be at least two minutes before the time of the request.",
            )
        if before < after:
            raise invalid_input(
                f"Invalid {before_name}.",
                f"It must be equal to or after {after_name}.",
            )
    statuses = list_param(req, "fulfillmentStatuses", allowed=MWS_STATUSES)
    markets = seller_markets(req, req.many("marketplaceIds"), MAX_MARKETPLACES)
    fulfilled_by = list_param(req, "fulfilledBy", allowed=CHANNEL_OF)
    filters = {
        "by": by,
        "after": _key(after),
        "before": _key(before),
        "before_iso": before.isoformat(),
        "markets": markets or list(req.seller.marketplace_ids),
        "statuses": sorted({s for v in statuses for s in MWS_STATUSES[v]}),
        "channels": sorted({CHANNEL_OF[v] for v in fulfilled_by}),
        "methods": [],
        "buyer_email": None,
        "seller_order_id": None,
        "last": None,
    }
    fingerprint = {
        name: req.one(name)
        for name in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
    }
    fingerprint.update(
        fulfillmentStatuses=sorted(statuses),
        marketplaceIds=sorted(markets),
        fulfilledBy=sorted(fulfilled_by),
    )
    return filters, fingerprint


@route(
    "GET",
    "/orders/2026-01-01/orders",
    operation="searchOrders",
    model=ORDERS_MODEL,
    rate="0.0056",
    burst=20,
)
def search_orders(req: SpRequest) -> dict:
    included = _included(req)
    size = page_size(req, "maxResultsPerPage", 100)
    filters, fingerprint = _search_filters(req)
    token = req.one("paginationToken")
    with req.state.store.tx() as db:
        if token:
            stored = lookup_token(db, req.seller.seller_id, TOKEN_KIND, token, req.now)
            if stored is None:
                raise invalid_input(
                    "Invalid paginationToken.", "The token is unknown or has expired."
                )
            if stored["fingerprint"] != fingerprint:
                raise invalid_input(
                    "Invalid paginationToken.",
                    "The other parameters must have the values of the request that "
                    "generated the token (maxResultsPerPage and includedData excepted).",
                )
            filters = stored["filters"]
        filters["size"] = size
        orders, more = _page(db, req.seller.seller_id, filters)
        next_token = (
            issue_token(db, req, TOKEN_KIND, {"filters": filters, "fingerprint": fingerprint})
            if more
            else None
        )
    answer: dict = {"orders": [order_v2026(order, included) for order in orders]}
    if next_token:
        answer["pagination"] = {"nextToken": next_token}
    before = iso_z(parse_iso(filters["before_iso"]))
    answer["createdBefore" if filters["by"] == "created" else "lastUpdatedBefore"] = before
    return answer


@route(
    "GET",
    "/orders/2026-01-01/orders/{orderId}",
    operation="getOrder",
    model=ORDERS_MODEL,
    rate="0.5",
    burst=30,
)
def get_order(req: SpRequest) -> dict:
    included = _included(req)
    order_id = req.path_params["orderId"]
    with req.state.store.tx() as db:
        order = load_order(db, req.seller.seller_id, order_id)
    if order is None:
        raise SpError(404, "NotFound", f"The order {order_id} was not found.")
    return {"order": order_v2026(order, included)}
