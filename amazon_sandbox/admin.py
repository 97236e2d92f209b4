"""The admin interface: JSON over HTTP under /admin/ (documented in README.md).

Every admin call first runs the clock hooks (on_tick), like an API request does.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import parse_qs

from . import (
    api_orders,
    api_reports,
    api_spapi_feeds,
    catalog,
    feeds,
    lwa,
    product_types,
    sellers,
    spapi_documents,
)
from .clock import iso
from .faults import Fault
from .registry import Response, SandboxState, Seller


class AdminError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _json_default(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(type(value).__name__)


def _json(data, status: int = 200) -> Response:
    body = json.dumps(data, default=_json_default, indent=1, sort_keys=True).encode()
    return Response(body, status, "application/json")


def _body(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise AdminError(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AdminError(400, "the body must be a JSON object")
    return data


def _seller(db, seller_id: str) -> Seller:
    seller = sellers.get_seller(db, seller_id)
    if seller is None:
        raise AdminError(404, f"no seller {seller_id}")
    return seller


def _of_seller(db, seller_id: str, view):
    """view(db, seller_id) for a seller that exists (404 otherwise)."""
    _seller(db, seller_id)
    return view(db, seller_id)


def _expire_now(state, db, seller_id: str, expire) -> dict:
    """expire(db, seller_id, now) for a seller that exists: how many of its things expired."""
    _seller(db, seller_id)
    return {"seller_id": seller_id, "expired": expire(db, seller_id, state.clock.timestamp())}


def _number(data: dict, key: str, default=None, kind=float):
    value = data.get(key, default)
    if value is None:
        raise AdminError(400, f"{key} is required")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise AdminError(400, f"{key} must be a number") from exc


ROUTES: list[tuple[str, re.Pattern, object]] = []


def route(method: str, pattern: str):
    def decorate(fn):
        ROUTES.append((method, re.compile(f"^{pattern}/?$"), fn))
        return fn

    return decorate


def handle(state: SandboxState, method: str, path: str, query: str, body: bytes) -> Response:
    """Dispatch one admin call; never raises."""
    from .server import run_ticks

    try:
        for route_method, pattern, fn in ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                with state.store.tx() as db:
                    run_ticks(state, db)
                    result = fn(
                        state,
                        db,
                        _body(body) if method != "GET" else {},
                        parse_qs(query),
                        **match.groupdict(),
                    )
                return result if isinstance(result, Response) else _json(result)
        if any(p.match(path) for _m, p, _f in ROUTES):
            raise AdminError(405, f"{method} is not allowed on {path}")
        raise AdminError(404, f"no admin route {path}")
    except AdminError as exc:
        return _json({"error": str(exc)}, exc.status)
    except ValueError as exc:
        return _json({"error": str(exc)}, 400)
    except Exception as exc:
        import logging

        logging.getLogger("amazon_sandbox").exception("admin %s %s failed", method, path)
        return _json({"error": f"internal error: {exc.__class__.__name__}"}, 500)


SID = r"(?P<seller_id>[^/]+)"


@route("GET", "/admin")
@route("GET", "/admin/health")
def health(state, db, data, query):
    return {
        "ok": True,
        "now": state.clock.now(),
        "time_scale": state.clock.scale,
        "throttle": not state.config.no_throttle,
        "xsd_dir": str(state.config.xsd_dir) if state.config.xsd_dir else None,
        "modules": state.extra.get("modules", []),
        "spapi_models": state.extra.get("spapi_models"),
        "spapi_limits": state.extra.get("spapi_limits", {}),
    }


@route("GET", "/admin/clock")
def get_clock(state, db, data, query):
    return {"now": state.clock.now(), "offset": state.clock.offset(), "scale": state.clock.scale}


@route("POST", "/admin/clock/advance")
def advance_clock(state, db, data, query):
    """{"seconds": N}: move the sandbox clock forward and run the hooks."""
    from .server import run_ticks

    seconds = _number(data, "seconds")
    if seconds < 0:
        raise AdminError(400, "seconds must not be negative")
    state.clock.advance(seconds)
    run_ticks(state, db)
    return get_clock(state, db, data, query)


def seller_json(db, seller: Seller) -> dict:
    """A seller as the admin shows it: MWS keys plus the SP-API (LWA) credentials."""
    return {**seller.__dict__, **lwa.seller_info(db, seller.seller_id)}


@route("GET", "/admin/sellers")
def list_sellers(state, db, data, query):
    return [seller_json(db, s) for s in sellers.load_sellers(db)]


@route("POST", "/admin/sellers")
def create_seller(state, db, data, query):
    """{"seller_id","access_key","secret_key","marketplace_ids":[...],"auth_token"}"""
    seller = Seller(
        str(data.get("seller_id") or ""),
        str(data.get("access_key") or ""),
        str(data.get("secret_key") or ""),
        list(data.get("marketplace_ids") or ["ATVPDKIKX0DER"]),
        data.get("auth_token") or None,
    )
    sellers.save_seller(db, seller)
    return seller_json(db, seller)


@route("GET", f"/admin/sellers/{SID}")
def get_seller(state, db, data, query, seller_id):
    return seller_json(db, _seller(db, seller_id))


@route("POST", f"/admin/sellers/{SID}/revoke-refresh-token")
def revoke_refresh_token(state, db, data, query, seller_id):
    """The seller withdraws the application's authorisation: Login with Amazon answers
    invalid_grant for its refresh token. {"revoked": false} authorises it again. Access
    tokens already issued stay valid until they expire (see expire-access-tokens)."""
    _seller(db, seller_id)
    revoked = bool(data.get("revoked", True))
    lwa.set_revoked(db, seller_id, revoked, state.clock.timestamp())
    return {"seller_id": seller_id, "refresh_token_revoked": revoked}


@route("POST", f"/admin/sellers/{SID}/expire-access-tokens")
def expire_access_tokens(state, db, data, query, seller_id):
    """Every access token of the seller expires now (SP-API calls with it answer 403
    "The access token you provided has expired.")."""
    return _expire_now(state, db, seller_id, lwa.expire_access_tokens)


@route("GET", f"/admin/sellers/{SID}/feeds")
def list_feeds(state, db, data, query, seller_id):
    return _of_seller(db, seller_id, feeds.list_feeds)


def _feed(db, seller_id, feed_id):
    row = feeds.feed_row(db, seller_id, int(feed_id))
    if row is None:
        raise AdminError(404, f"no feed {feed_id} for seller {seller_id}")
    return row


@route("GET", f"/admin/sellers/{SID}/feeds/(?P<feed_id>\\d+)")
def get_feed(state, db, data, query, seller_id, feed_id):
    row = _feed(db, seller_id, feed_id)
    info = next(f for f in feeds.list_feeds(db, seller_id) if f["feed_id"] == row["feed_id"])
    info["xml"] = bytes(row["body"]).decode("utf-8", "replace")
    info["report"] = bytes(row["report"]).decode() if row["report"] is not None else None
    return info


@route("GET", f"/admin/sellers/{SID}/feeds/(?P<feed_id>\\d+)/xml")
def get_feed_xml(state, db, data, query, seller_id, feed_id):
    return Response(bytes(_feed(db, seller_id, feed_id)["body"]), 200, "text/xml")


@route("GET", f"/admin/sellers/{SID}/feeds/(?P<feed_id>\\d+)/report")
def get_feed_report(state, db, data, query, seller_id, feed_id):
    row = _feed(db, seller_id, feed_id)
    if row["report"] is None:
        raise AdminError(409, f"feed {feed_id} is {row['status']}, no report yet")
    return Response(bytes(row["report"]), 200, "text/xml")


@route("GET", f"/admin/sellers/{SID}/sp-feeds")
def list_sp_feeds(state, db, data, query, seller_id):
    """The seller's SP-API feeds (Feeds API 2021-06-30), newest first."""
    return _of_seller(db, seller_id, api_spapi_feeds.list_sp_feeds)


@route("GET", f"/admin/sellers/{SID}/sp-feeds/(?P<feed_id>\\d+)")
def get_sp_feed(state, db, data, query, seller_id, feed_id):
    """One SP-API feed with the uploaded document and its result document (as stored,
    before any compression)."""
    row = api_spapi_feeds.sp_feed_row(db, seller_id, feed_id)
    if row is None:
        raise AdminError(404, f"no SP-API feed {feed_id} for seller {seller_id}")
    info = next(
        f for f in api_spapi_feeds.list_sp_feeds(db, seller_id) if f["feedId"] == str(feed_id)
    )
    info["document"] = bytes(row["body"]).decode("utf-8", "replace")
    result = None
    if row["result_document_id"]:
        document = spapi_documents.load(db, seller_id, row["result_document_id"])
        found = spapi_documents.content_of(db, document) if document else None
        result = found[0].decode("utf-8", "replace") if found else None
    info["result"] = result
    return info


@route("GET", f"/admin/sellers/{SID}/documents")
def list_documents(state, db, data, query, seller_id):
    """The seller's SP-API documents (feed uploads, feed results, report documents) and the
    compression settings of its next ones."""
    _seller(db, seller_id)
    return {
        "compression": spapi_documents.compression_settings(db, seller_id),
        "documents": spapi_documents.list_documents(db, seller_id),
    }


@route("POST", f"/admin/sellers/{SID}/documents/expire-urls")
def expire_document_urls(state, db, data, query, seller_id):
    """Every pre-signed document URL of the seller expires now (uploads and downloads then
    answer 403 "Request has expired")."""
    return _expire_now(state, db, seller_id, spapi_documents.expire_urls)


@route("POST", f"/admin/sellers/{SID}/documents/compression")
def set_document_compression(state, db, data, query, seller_id):
    """{"mode": "alternate" | "gzip" | "plain"} for the seller's next feed results and report
    documents, and/or {"next": "gzip" | "plain"} for the next one only."""
    _seller(db, seller_id)
    if "mode" not in data and "next" not in data:
        raise AdminError(400, "give mode and/or next")
    return spapi_documents.set_compression(db, seller_id, data.get("mode"), data.get("next"))


@route("GET", f"/admin/sellers/{SID}/catalog")
def get_catalog(state, db, data, query, seller_id):
    return _of_seller(db, seller_id, catalog.catalog_rows)


@route("GET", f"/admin/sellers/{SID}/catalog/(?P<sku>[^/]+)")
def get_sku(state, db, data, query, seller_id, sku):
    from urllib.parse import unquote

    row = catalog.catalog_row(db, seller_id, unquote(sku))
    if row is None:
        raise AdminError(404, f"no SKU {sku}")
    return row


@route("POST", f"/admin/sellers/{SID}/catalog/(?P<sku>[^/]+)")
def set_sku(state, db, data, query, seller_id, sku):
    """Set stock the way Amazon's side would (e.g. FBA quantity): {"quantity": N,
    "fulfillment_channel": "AFN"}."""
    from urllib.parse import unquote

    sku = unquote(sku)
    if catalog.catalog_row(db, seller_id, sku) is None:
        raise AdminError(404, f"no SKU {sku}")
    if "quantity" in data:
        db.execute(
            "UPDATE catalog SET quantity = ? WHERE seller_id = ? AND sku = ?",
            (_number(data, "quantity", kind=int), seller_id, sku),
        )
    if data.get("fulfillment_channel") in ("AFN", "MFN"):
        db.execute(
            "UPDATE catalog SET fulfillment_channel = ? WHERE seller_id = ? AND sku = ?",
            (data["fulfillment_channel"], seller_id, sku),
        )
    return catalog.catalog_row(db, seller_id, sku)


@route("GET", "/admin/product-types")
def list_product_types(state, db, data, query):
    """The product types the Product Type Definitions API serves, with their versions."""
    return product_types.versions(db)


@route("POST", "/admin/product-types/(?P<name>[^/]+)/version")
def set_product_type_version(state, db, data, query, name):
    """Amazon publishes a new version of a product type: {"version": "U..."} or {} for one
    derived from the current one. getDefinitionsProductType then answers it (with a new
    schema link and checksum); the old schema link answers 404."""
    if not product_types.known(name):
        raise AdminError(404, f"no product type {name}")
    version = data.get("version")
    if version is not None and (not isinstance(version, str) or not version):
        raise AdminError(400, "version must be a non-empty string")
    return product_types.set_version(db, name, version, state.clock.now())


@route("GET", f"/admin/sellers/{SID}/orders")
def get_orders(state, db, data, query, seller_id):
    return _of_seller(db, seller_id, api_orders.list_orders_admin)


@route("POST", f"/admin/sellers/{SID}/orders")
def create_orders(state, db, data, query, seller_id):
    """{"count": N, "seed": S}: N new orders from the generator (ordergen)."""
    seller = _seller(db, seller_id)
    count = _number(data, "count", kind=int)
    if not 0 < count <= 100_000:
        raise AdminError(400, "count must be between 1 and 100000")
    orders = api_orders.create_orders(
        state, db, seller, count, seed=data.get("seed"), now=state.clock.now()
    )
    return {"created": len(orders), "amazon_order_ids": [o["amazon_order_id"] for o in orders]}


@route("POST", f"/admin/sellers/{SID}/orders/(?P<order_id>[0-9-]+)/cancel")
def cancel_order(state, db, data, query, seller_id, order_id):
    """The buyer cancels an order that has not shipped: at the next clock tick, as a
    planned cancellation would (tests that need a cancellation at a known moment)."""
    _seller(db, seller_id)
    order = api_orders.load_order(db, seller_id, order_id)
    if order is None:
        raise AdminError(404, f"no order {order_id}")
    if order["status"] in ("Shipped", "Canceled", "PartiallyShipped"):
        raise AdminError(409, f"order {order_id} is {order['status']}")
    order["planned_cancel_date"] = state.clock.now()
    api_orders.save_order(db, order)
    return {"amazon_order_id": order_id, "planned_cancel_date": str(state.clock.now())}


@route("POST", f"/admin/sellers/{SID}/orders/advance")
def advance_orders(state, db, data, query, seller_id):
    """{"seconds": N}: age the orders (payment hold, cancellations, AFN shipping) by moving
    the sandbox clock; same as /admin/clock/advance."""
    _seller(db, seller_id)
    return advance_clock(state, db, data, query)


@route("POST", f"/admin/sellers/{SID}/settle")
def settle(state, db, data, query, seller_id):
    seller = _seller(db, seller_id)
    report_id = api_reports.run_settlement(state, db, seller, state.clock.now())
    return {"report_id": report_id}


@route("GET", f"/admin/sellers/{SID}/faults")
def get_faults(state, db, data, query, seller_id):
    return state.faults.list(seller_id)


@route("POST", f"/admin/sellers/{SID}/faults")
def add_fault(state, db, data, query, seller_id):
    """{"kind", "count": 1, "operation": null, "rate": null, "seconds": 0}"""
    _seller(db, seller_id)
    fault = Fault(
        kind=str(data.get("kind") or ""),
        count=None if data.get("count", 1) is None else _number(data, "count", 1, int),
        operation=data.get("operation") or None,
        rate=None if data.get("rate") is None else _number(data, "rate"),
        seconds=_number(data, "seconds", 0.0),
    )
    if fault.rate is not None and "count" not in data:
        fault.count = None
    added = state.faults.add(seller_id, fault, state.clock.timestamp())
    return added.__dict__


@route("DELETE", f"/admin/sellers/{SID}/faults")
def clear_faults(state, db, data, query, seller_id):
    state.faults.clear(seller_id)
    return {"cleared": True}


@route("GET", "/admin/throttle")
def throttle_counters(state, db, data, query):
    """Counts of allowed and throttled answers per seller and operation (bucket)."""
    rows = state.throttle.snapshot()
    return {
        "enabled": state.throttle.enabled,
        "counters": rows,
        "throttled_total": sum(r["throttled"] + r["quota_exceeded"] for r in rows),
    }


@route("DELETE", "/admin/throttle")
def reset_throttle(state, db, data, query):
    state.throttle.reset()
    return {"reset": True}


@route("POST", "/admin/reset")
def reset(state, db, data, query):
    """Forget throttle buckets, counters and faults; with {"data": true} also delete every
    feed, catalog row, order and report (sellers and the clock stay)."""
    state.throttle.reset()
    state.faults.clear()
    if data.get("data"):
        keep = {"sellers", "meta", "counters"}
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            if table not in keep:
                db.execute(f'DELETE FROM "{table}"')
    return {"reset": True, "data": bool(data.get("data"))}
