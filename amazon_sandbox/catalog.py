"""The per-seller catalog that feeds change (SKUs, ASINs, stock, prices, images, relations).

The MWS feeds and the SP-API face (Listings Items API, JSON_LISTINGS_FEED: `listings`) write
the same rows; a listing written through SP-API also keeps its product type and attributes."""

from __future__ import annotations

import hashlib
import json
import sqlite3

CATALOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS catalog (
    seller_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    asin TEXT NOT NULL,
    title TEXT,
    brand TEXT,
    standard_product_id TEXT,      -- "UPC:0123..." or "ASIN:B0..."
    price TEXT,                    -- StandardPrice, 2 decimals
    currency TEXT,
    sale TEXT,                     -- JSON {"price","start","end"} or NULL
    map_price TEXT,
    quantity INTEGER NOT NULL DEFAULT 0,
    fulfillment_channel TEXT NOT NULL DEFAULT 'MFN',   -- MFN | AFN
    fulfillment_center_id TEXT,
    fulfillment_latency INTEGER,
    restock_date TEXT,
    images TEXT NOT NULL DEFAULT '{}',        -- JSON {ImageType: URL}
    relationships TEXT NOT NULL DEFAULT '[]', -- JSON [{"type","sku"}] (this SKU is the parent)
    overrides TEXT NOT NULL DEFAULT '[]',     -- JSON list of shipping overrides
    product_data TEXT,                        -- JSON of the last Product message's fields
    product_type TEXT,                        -- SP-API: the listing's Amazon product type
    attributes TEXT,                          -- SP-API: JSON of the listing's attributes
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (seller_id, sku)
);
CREATE INDEX IF NOT EXISTS catalog_asin ON catalog (seller_id, asin);
"""

_ASIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_asin(seller_id: str, sku: str) -> str:
    """A stable, plausible ASIN for a SKU: B0 + 8 characters derived from seller and SKU."""
    digest = hashlib.sha256(f"{seller_id}\0{sku}".encode()).digest()
    return "B0" + "".join(_ASIN_ALPHABET[b % 36] for b in digest[:8])


def _row_dict(row: sqlite3.Row) -> dict:
    out = dict(row)
    for key in ("images", "relationships", "overrides"):
        out[key] = json.loads(out[key]) if out.get(key) else ({} if key == "images" else [])
    out["sale"] = json.loads(out["sale"]) if out.get("sale") else None
    out["product_data"] = json.loads(out["product_data"]) if out.get("product_data") else None
    out["attributes"] = json.loads(out["attributes"]) if out.get("attributes") else None
    return out


def catalog_rows(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    """Every SKU of a seller: {"sku","asin","title","price","currency","quantity",
    "fulfillment_channel", ...} plus images, relationships, sale, map_price, etc."""
    rows = db.execute(
        "SELECT * FROM catalog WHERE seller_id = ? ORDER BY sku", (seller_id,)
    ).fetchall()
    return [_row_dict(r) for r in rows]


def catalog_row(db: sqlite3.Connection, seller_id: str, sku: str) -> dict | None:
    row = db.execute(
        "SELECT * FROM catalog WHERE seller_id = ? AND sku = ?", (seller_id, sku)
    ).fetchone()
    return _row_dict(row) if row else None
