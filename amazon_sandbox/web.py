"""A small read-only HTML page at GET / listing each seller's catalog, orders and feeds."""

from __future__ import annotations

from html import escape

from . import api_orders, catalog, feeds, sellers
from .registry import Response, SandboxState

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f3f3f3} h2{border-bottom:2px solid #f90;padding-bottom:.2em}
.muted{color:#888}
"""


def _table(headers: list[str], rows: list[list], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def page(state: SandboxState, query: str = "") -> Response:
    from .server import run_ticks

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Amazon MWS sandbox</title>",
        f"<style>{STYLE}</style></head><body><h1>Amazon MWS sandbox</h1>",
    ]
    with state.store.tx() as db:
        run_ticks(state, db)
        parts.append(
            f"<p>Sandbox time: {escape(state.clock.now().isoformat())} (×{state.clock.scale:g})</p>"
        )
        for seller in sellers.load_sellers(db):
            sid = seller.seller_id
            parts.append(
                f"<h2>Seller {escape(sid)} "
                f"<span class='muted'>{escape(', '.join(seller.marketplace_ids))}</span></h2>"
            )
            rows = catalog.catalog_rows(db, sid)
            parts.append(f"<h3>Catalog ({len(rows)})</h3>")
            parts.append(
                _table(
                    ["SKU", "ASIN", "Title", "Price", "Qty", "Channel", "Images"],
                    [
                        [
                            r["sku"],
                            r["asin"],
                            r["title"],
                            f"{r['price'] or ''} {r['currency'] or ''}",
                            r["quantity"],
                            r["fulfillment_channel"],
                            len(r["images"]),
                        ]
                        for r in rows[:500]
                    ],
                    "No SKUs yet: put a listing (Listings Items API, JSON_LISTINGS_FEED) or "
                    "submit a _POST_PRODUCT_DATA_ feed.",
                )
            )
            orders = api_orders.list_orders_admin(db, sid)
            parts.append(f"<h3>Orders ({len(orders)})</h3>")
            parts.append(
                _table(
                    ["Order", "Purchased", "Status", "Channel", "Total", "Items"],
                    [
                        [
                            o["amazon_order_id"],
                            o["purchase_date"],
                            o["status"],
                            o["fulfillment_channel"],
                            f"{o.get('order_total') or ''} {o.get('currency')}",
                            sum(int(i["quantity_ordered"]) for i in o["items"]),
                        ]
                        for o in reversed(orders[-500:])
                    ],
                    "No orders.",
                )
            )
            listed = feeds.list_feeds(db, sid)
            parts.append(f"<h3>Feeds ({len(listed)})</h3>")
            parts.append(
                _table(
                    ["Id", "Type", "Status", "Submitted", "Messages", "Errors"],
                    [
                        [
                            f["feed_id"],
                            f["feed_type"],
                            f["status"],
                            f["submitted"],
                            f["message_count"],
                            (f["summary"] or {}).get("with_error", ""),
                        ]
                        for f in listed[:200]
                    ],
                    "No feeds.",
                )
            )
    parts.append(
        "<p class='muted'>JSON: /admin/health, /admin/sellers/ID/catalog, "
        "/admin/sellers/ID/orders, /admin/sellers/ID/feeds</p></body></html>"
    )
    return Response("".join(parts).encode(), 200, "text/html; charset=utf-8")
