"""The Listings Items API 2021-08-01 on the SP-API face: getListingsItem, putListingsItem,
patchListingsItem, deleteListingsItem, searchListingsItems, over the catalog the MWS feeds
write (`listings` does the work; README.md, "Listings Items API", tells the rules).

`sellerId` must be the seller of the access token (403 Unauthorized otherwise); put and delete
take exactly one marketplace, as the model says. Submissions answer 200 with status ACCEPTED
(applied at once), INVALID (with the issues; nothing saved) or, with
`mode=VALIDATION_PREVIEW`, VALID / INVALID without saving.
"""

from __future__ import annotations

import uuid

from . import listings, registry
from .catalog import catalog_row, catalog_rows
from .clock import parse_iso
from .reports import fulfillment_channel_sku
from .sellers import issue_token, lookup_token
from .spapi import UNAUTHORIZED, SpError, SpRequest, invalid_input, route
from .spapi_params import list_param, query_date, seller_markets

MODEL = "listingsItems_2021-08-01.json"
ITEMS = "/listings/2021-08-01/items"
ITEM_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
SUBMISSION_DATA = ("identifiers", "issues")
IDENTIFIER_TYPES = ("ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC")
SORT_KEYS = {"sku": "sku", "createdDate": "created", "lastUpdatedDate": "updated"}
TOKEN_KIND = "sp:searchListingsItems"
MAX_PAGE = 20


@registry.on_startup
def _startup(state) -> None:
    with state.store.tx() as db:
        listings.ensure_columns(db)


def _seller(req: SpRequest) -> str:
    if req.path_params["sellerId"] != req.seller.seller_id:
        raise SpError(
            403,
            "Unauthorized",
            UNAUTHORIZED,
            "The sellerId is not the selling partner of the access token.",
        )
    return req.seller.seller_id


def _markets(req: SpRequest, maximum: int = 50) -> list[str]:
    markets = list_param(req, "marketplaceIds", required="marketplaceIds is required.")
    return seller_markets(req, markets, maximum)


def _preview(req: SpRequest) -> bool:
    mode = req.one("mode")
    if mode not in (None, "VALIDATION_PREVIEW"):
        raise invalid_input(f"Invalid mode: {mode}.", "The only mode is VALIDATION_PREVIEW.")
    return mode is not None


def _submission(req: SpRequest, sku: str, outcome: listings.Outcome, markets) -> dict:
    """ListingsItemSubmissionResponse with the includedData asked for (default issues)."""
    included = list_param(req, "includedData", allowed=SUBMISSION_DATA) or ["issues"]
    answer = {"sku": sku, "status": outcome.status, "submissionId": str(uuid.uuid4())}
    if "issues" in included:
        answer["issues"] = outcome.issues
    if "identifiers" in included:
        answer["identifiers"] = (
            [{"marketplaceId": m, "asin": outcome.asin} for m in markets] if outcome.asin else []
        )
    return answer


def _submit(req: SpRequest, markets, action) -> dict:
    sku = req.path_params["sku"]
    with req.state.store.tx() as db:
        try:
            outcome = action(db, sku)
        except listings.BadRequest as exc:
            raise invalid_input(str(exc)) from None
    return _submission(req, sku, outcome, markets)


@route(
    "GET",
    ITEMS + "/{sellerId}/{sku}",
    operation="getListingsItem",
    model=MODEL,
    rate="5",
    burst=10,
)
def get_listings_item(req: SpRequest) -> dict:
    seller_id, sku = _seller(req), req.path_params["sku"]
    markets = _markets(req)
    included = list_param(req, "includedData", allowed=ITEM_DATA) or ["summaries"]
    with req.state.store.tx() as db:
        row = catalog_row(db, seller_id, sku)
        if row is None:
            raise SpError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {markets[0]}")
        return listings.item_json(db, row, included, markets)


@route(
    "PUT",
    ITEMS + "/{sellerId}/{sku}",
    operation="putListingsItem",
    model=MODEL,
    rate="5",
    burst=10,
)
def put_listings_item(req: SpRequest) -> dict:
    seller_id, markets, preview = _seller(req), _markets(req, 1), _preview(req)
    body = req.json()
    return _submit(
        req,
        markets,
        lambda db, sku: listings.put(
            db,
            seller_id,
            sku,
            markets[0],
            body.get("productType"),
            body.get("requirements", "LISTING"),
            body.get("attributes"),
            req.now,
            preview=preview,
        ),
    )


@route(
    "PATCH",
    ITEMS + "/{sellerId}/{sku}",
    operation="patchListingsItem",
    model=MODEL,
    rate="5",
    burst=5,
)
def patch_listings_item(req: SpRequest) -> dict:
    seller_id, markets, preview = _seller(req), _markets(req), _preview(req)
    body = req.json()
    return _submit(
        req,
        markets,
        lambda db, sku: listings.patch(
            db,
            seller_id,
            sku,
            markets[0],
            body.get("productType"),
            body.get("patches"),
            req.now,
            preview=preview,
        ),
    )


@route(
    "DELETE",
    ITEMS + "/{sellerId}/{sku}",
    operation="deleteListingsItem",
    model=MODEL,
    rate="5",
    burst=5,
)
def delete_listings_item(req: SpRequest) -> dict:
    seller_id, markets = _seller(req), _markets(req, 1)
    return _submit(req, markets, lambda db, sku: listings.delete(db, seller_id, sku))


# ---- searchListingsItems ------------------------------------------------------------------


def _search_filters(req: SpRequest) -> dict:
    """The search's filters, checked (400 InvalidInput)."""
    identifiers = list_param(req, "identifiers", maximum=20)
    id_type = req.one("identifiersType")
    if bool(identifiers) != bool(id_type):
        raise invalid_input("identifiers and identifiersType must be given together.")
    if id_type and id_type not in IDENTIFIER_TYPES:
        raise invalid_input(f"Invalid identifiersType: {id_type}.")
    family = [n for n in ("variationParentSku", "packageHierarchySku") if req.one(n)]
    if len(family) + bool(identifiers) > 1:
        raise invalid_input(
            "Use only one of identifiers, variationParentSku and packageHierarchySku."
        )
    statuses = ("BUYABLE", "DISCOVERABLE")
    sort_by = req.one("sortBy") or "lastUpdatedDate"
    order = req.one("sortOrder") or "DESC"
    if sort_by not in SORT_KEYS or order not in ("ASC", "DESC"):
        raise invalid_input("Invalid sortBy or sortOrder.")
    return {
        "identifiers": identifiers,
        "type": id_type,
        "parent": req.one("variationParentSku"),
        "package": req.one("packageHierarchySku"),
        "dates": {
            (column, side): query_date(req, name)
            for name, column, side in (
                ("createdAfter", "created", "after"),
                ("createdBefore", "created", "before"),
                ("lastUpdatedAfter", "updated", "after"),
                ("lastUpdatedBefore", "updated", "before"),
            )
        },
        "severities": list_param(req, "withIssueSeverity", allowed=("WARNING", "ERROR")),
        "with": list_param(req, "withStatus", allowed=statuses),
        "without": list_param(req, "withoutStatus", allowed=statuses),
        "sort": (SORT_KEYS[sort_by], order == "DESC"),
    }


def _identifier_match(row: dict, id_type: str, identifiers: list[str]) -> bool:
    if id_type == "SKU":
        return row["sku"] in identifiers
    if id_type == "ASIN":
        return row["asin"] in identifiers
    if id_type == "FNSKU":
        return row["fulfillment_channel"] == "AFN" and (
            fulfillment_channel_sku(row["sku"]) in identifiers
        )
    kind, _, value = (row["standard_product_id"] or "").partition(":")
    return kind == id_type and value in identifiers


def _matches(db, row: dict, filters: dict, market: str) -> bool:
    if filters["type"] and not _identifier_match(row, filters["type"], filters["identifiers"]):
        return False
    if filters["package"]:
        return False  # the sandbox has no package hierarchies
    if filters["parent"]:
        attrs = row["attributes"] or {}
        if filters["parent"] not in listings.parents_of(db, row["seller_id"], row["sku"], attrs):
            return False
    for (column, side), when in filters["dates"].items():
        if when is not None:
            at = parse_iso(row[column])
            if (side == "after" and at < when) or (side == "before" and at > when):
                return False
    if filters["severities"] or filters["with"] or filters["without"]:
        attrs = listings.effective_attributes(row, market)
        status, issues = listings.listing_state(row, attrs, [market])
        if filters["severities"] and not {i["severity"] for i in issues} & set(
            filters["severities"]
        ):
            return False
        if filters["with"] and not set(filters["with"]) & set(status):
            return False
        if set(filters["without"]) & set(status):
            return False
    return True


@route(
    "GET",
    ITEMS + "/{sellerId}",
    operation="searchListingsItems",
    model=MODEL,
    rate="5",
    burst=5,
)
def search_listings_items(req: SpRequest) -> dict:
    seller_id, markets = _seller(req), _markets(req)
    included = list_param(req, "includedData", allowed=ITEM_DATA) or ["summaries"]
    size_text = req.one("pageSize") or "10"
    if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE:
        raise invalid_input(f"Invalid pageSize: {size_text!r}.", "The value must be 1 to 20.")
    size = int(size_text)
    filters = _search_filters(req)
    query = sorted((k, v) for k, values in req.query.items() if k != "pageToken" for v in values)
    with req.state.store.tx() as db:
        offset = 0
        if token := req.one("pageToken"):
            payload = lookup_token(db, seller_id, TOKEN_KIND, token, req.now)
            if payload is None or payload["query"] != [list(q) for q in query]:
                raise invalid_input(
                    "Invalid pageToken.",
                    "The token is unknown, has expired or was issued for other parameters.",
                )
            offset = payload["offset"]
        rows = [r for r in catalog_rows(db, seller_id) if _matches(db, r, filters, markets[0])]
        column, descending = filters["sort"]
        rows.sort(key=lambda r: (r[column], r["sku"]), reverse=descending)
        page = rows[offset : offset + size]
        answer: dict = {
            "numberOfResults": len(rows),
            "items": [listings.item_json(db, r, included, markets) for r in page],
        }
        pagination = {}
        if offset + size < len(rows):
            pagination["nextToken"] = issue_token(
                db, req, TOKEN_KIND, {"offset": offset + size, "query": query}
            )
        if offset > 0:
            pagination["previousToken"] = issue_token(
                db, req, TOKEN_KIND, {"offset": max(0, offset - size), "query": query}
            )
        if pagination:
            answer["pagination"] = pagination
    return answer
