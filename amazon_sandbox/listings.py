"""Listings on the seller's catalog, as the Listings Items API and JSON_LISTINGS_FEED see it.

There is one store: the `catalog` table the MWS feeds write (one row per seller and SKU, no
marketplace). A listing put through SP-API keeps its product type and attributes in the row
(`product_type`, `attributes`) and writes the columns MWS reads (`columns_of`): title, brand,
barcode, price, sale, currency, quantity, channel, handling time, restock date, images. MWS
changes the columns only, so the attributes a listing shows (`effective_attributes`) are the
stored ones with every attribute whose column changed since written again from the column
(stock and the offer's prices always come from the columns). A SKU MWS created has no
attributes: they all come from its columns, and its product type reads PRODUCT.

Submissions (`put`, `patch`, `delete`) take effect at once (Amazon applies them within
minutes) and answer an `Outcome`: ACCEPTED, INVALID (nothing saved) or, in validation preview,
VALID. A request the API refuses as a whole raises `BadRequest`.

Status: BUYABLE when not a variation parent, with a price and a quantity above 0;
DISCOVERABLE with a main image. Without one the listing has a WARNING issue (18448, search
suppressed).
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import product_types as pt
from .catalog import catalog_row, make_asin
from .clock import iso, iso_z, parse_iso
from .reports import fulfillment_channel_sku
from .sellers import MARKETPLACES, marketplace_currency

#: columns the SP-API face adds to the catalog table (ALTER TABLE for an older store)
COLUMNS = ("product_type", "attributes")
DEFAULT_PRODUCT_TYPE = "PRODUCT"
PATCH_OPS = ("add", "replace", "merge", "delete")
PATCH_PATH = re.compile(r"^/attributes/([A-Za-z0-9_]+)$")
IMAGE_TYPES = {
    "main_product_image_locator": "Main",
    **{f"other_product_image_locator_{n}": f"PT{n}" for n in range(1, 9)},
    "swatch_product_image_locator": "Swatch",
}
BARCODE_TYPES = ("ean", "gtin", "upc")
NOT_FOUND = "13013"
NO_MAIN_IMAGE = "18448"
#: mainImage height and width (the sandbox does not fetch images)
IMAGE_SIZE = 500
CONDITIONS = (
    "new_new",
    "new_open_box",
    "new_oem",
    "refurbished_refurbished",
    "used_like_new",
    "used_very_good",
    "used_good",
    "used_acceptable",
    "collectible_like_new",
    "collectible_very_good",
    "collectible_good",
    "collectible_acceptable",
    "club_club",
)


class BadRequest(ValueError):
    """A submission refused as a whole: 400 InvalidInput from the API, an ERROR issue of the
    message in a JSON feed."""


@dataclass
class Outcome:
    status: str  # ACCEPTED | INVALID | VALID
    issues: list[dict]
    asin: str | None = None


def ensure_columns(db: sqlite3.Connection) -> None:
    have = {r[1] for r in db.execute("PRAGMA table_info(catalog)")}
    for name in COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE catalog ADD COLUMN {name} TEXT")


def language(marketplace: str) -> str:
    return MARKETPLACES.get(marketplace, ("", "", "", "en_US"))[3]


def amazon_channel(marketplace: str) -> str:
    """The Amazon fulfillment channel code of a marketplace (AMAZON_NA, AMAZON_EU, ...)."""
    country = MARKETPLACES.get(marketplace, ("", "US"))[1]
    if country in ("US", "CA", "MX", "BR"):
        return "AMAZON_NA"
    if country in ("GB", "DE", "FR", "IT", "ES", "NL", "SE", "PL"):
        return "AMAZON_EU"
    return f"AMAZON_{country}"


# ---- attributes <-> catalog columns -------------------------------------------------------


def _here(item, marketplace: str | None) -> bool:
    return isinstance(item, dict) and (
        marketplace is None or item.get("marketplace_id") in (None, marketplace)
    )


def _one(attrs: dict, name: str, marketplace: str | None) -> dict | None:
    """The attribute's first value for the marketplace (a value without marketplace_id is
    for every marketplace)."""
    values = attrs.get(name)
    if not isinstance(values, list):
        return None
    return next((v for v in values if _here(v, marketplace)), None)


def _value(attrs: dict, name: str, marketplace: str | None, key: str = "value"):
    found = _one(attrs, name, marketplace)
    return found.get(key) if found else None


def _schedule(offer: dict | None, name: str) -> dict | None:
    try:
        return offer[name][0]["schedule"][0]
    except (TypeError, KeyError, IndexError):
        return None


def _amount(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _number(text: str):
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def columns_of(attrs: dict, marketplace: str) -> dict:
    """The catalog columns an attribute set gives. The stock keys (quantity, channel, handling
    time, restock date) are there only when fulfillment_availability says them; an
    Amazon-fulfilled quantity is Amazon's and is not taken."""
    offer = _one(attrs, "purchasable_offer", marketplace)
    ident = _one(attrs, "externally_assigned_product_identifier", marketplace)
    price, sale = _schedule(offer, "our_price"), _schedule(offer, "discounted_price")
    cols = {
        "title": _value(attrs, "item_name", marketplace),
        "brand": _value(attrs, "brand", marketplace),
        "standard_product_id": f"{ident['type'].upper()}:{ident['value']}" if ident else None,
        "price": _amount(price["value_with_tax"]) if price else None,
        "sale": json.dumps(
            {
                "price": _amount(sale["value_with_tax"]),
                "start": iso(parse_iso(sale["start_at"])),
                "end": iso(parse_iso(sale["end_at"])),
            }
        )
        if sale
        else None,
        "currency": offer.get("currency") if offer else None,
        "images": json.dumps(
            {
                kind: image["media_location"]
                for name, kind in IMAGE_TYPES.items()
                if (image := _one(attrs, name, marketplace))
            },
            sort_keys=True,
        ),
    }
    stock = _one(attrs, "fulfillment_availability", None)
    if stock:
        afn = str(stock.get("fulfillment_channel_code", "DEFAULT")).startswith("AMAZON")
        cols["fulfillment_channel"] = "AFN" if afn else "MFN"
        if not afn and "quantity" in stock:
            cols["quantity"] = int(stock["quantity"])
        if "lead_time_to_ship_max_days" in stock:
            cols["fulfillment_latency"] = int(stock["lead_time_to_ship_max_days"])
        if "restock_date" in stock:
            cols["restock_date"] = stock["restock_date"]
    return cols


def _set(attrs: dict, name: str, values: list | None) -> None:
    if values:
        attrs[name] = values
    else:
        attrs.pop(name, None)


def effective_attributes(row: dict, marketplace: str) -> dict:
    """The listing's attributes: the stored ones, brought up to date with the catalog columns
    (see the module docstring)."""
    attrs = copy.deepcopy(row.get("attributes") or {})
    said = columns_of(attrs, marketplace)
    lang = language(marketplace)

    def text(value):
        return (
            [{"value": value, "language_tag": lang, "marketplace_id": marketplace}]
            if value
            else None
        )

    if said["title"] != row["title"]:
        _set(attrs, "item_name", text(row["title"]))
    if said["brand"] != row["brand"]:
        _set(attrs, "brand", text(row["brand"]))
    if said["standard_product_id"] != row["standard_product_id"]:
        kind, _, value = (row["standard_product_id"] or "").partition(":")
        attrs.pop("externally_assigned_product_identifier", None)
        if kind.lower() in BARCODE_TYPES:
            attrs["externally_assigned_product_identifier"] = [
                {"type": kind.lower(), "value": value, "marketplace_id": marketplace}
            ]
        elif kind == "ASIN":
            attrs["merchant_suggested_asin"] = [{"value": value, "marketplace_id": marketplace}]
    images = row["images"] or {}
    if json.loads(said["images"]) != images:
        for name, kind in IMAGE_TYPES.items():
            _set(
                attrs,
                name,
                [{"media_location": images[kind], "marketplace_id": marketplace}]
                if kind in images
                else None,
            )
    sale = row["sale"]
    said_sale = json.loads(said["sale"]) if said["sale"] else None
    currency = row["currency"] or marketplace_currency(marketplace)
    if (said["price"], said_sale) != (row["price"], sale) or (
        row["price"] and said["currency"] != currency
    ):
        offers = [o for o in attrs.get("purchasable_offer") or [] if not _here(o, marketplace)]
        entry = {
            k: v
            for k, v in (_one(attrs, "purchasable_offer", marketplace) or {}).items()
            if k not in ("our_price", "discounted_price")
        }
        if row["price"]:
            entry["our_price"] = [{"schedule": [{"value_with_tax": _number(row["price"])}]}]
        if sale:
            entry["discounted_price"] = [
                {
                    "schedule": [
                        {
                            "start_at": iso_z(parse_iso(sale["start"])),
                            "end_at": iso_z(parse_iso(sale["end"])),
                            "value_with_tax": _number(sale["price"]),
                        }
                    ]
                }
            ]
        if "our_price" in entry:
            entry = {"audience": "ALL", "marketplace_id": marketplace, **entry}
            entry["currency"] = currency
            offers.append(entry)
        _set(attrs, "purchasable_offer", offers)
    stock = dict(_one(attrs, "fulfillment_availability", None) or {})
    afn = row["fulfillment_channel"] == "AFN"
    code = str(stock.get("fulfillment_channel_code") or "DEFAULT")
    if afn != code.startswith("AMAZON"):
        code = amazon_channel(marketplace) if afn else "DEFAULT"
    stock.update(fulfillment_channel_code=code, quantity=int(row["quantity"] or 0))
    if row["fulfillment_latency"] is not None:
        stock["lead_time_to_ship_max_days"] = row["fulfillment_latency"]
    if row["restock_date"]:
        stock["restock_date"] = row["restock_date"][:10]
    attrs["fulfillment_availability"] = [stock]
    return attrs


# ---- status, issues, the Item of the API --------------------------------------------------


def _is_parent(attrs: dict) -> bool:
    return _value(attrs, "parentage_level", None) == "parent"


def listing_state(row: dict, attrs: dict, markets: list[str]) -> tuple[list[str], list[dict]]:
    """(status, issues) of a listing (see the module docstring)."""
    status, issues = [], []
    has_image = "Main" in (row["images"] or {})
    if not _is_parent(attrs) and row["price"] and (row["quantity"] or 0) > 0:
        status.append("BUYABLE")
    if has_image:
        status.append("DISCOVERABLE")
    else:
        found = pt.issue(
            NO_MAIN_IMAGE,
            "Attributes tagged as relevant_attributes are incomplete. Provide values for the "
            "following attribute(s): main_product_image_locator. Without a main image the "
            "listing is not shown in search results.",
            "WARNING",
            "main_product_image_locator",
            "MISSING_ATTRIBUTE",
        )
        found["enforcements"] = {
            "actions": [{"action": "SEARCH_SUPPRESSED"}],
            "exemption": {"status": "NOT_EXEMPT"},
        }
        found["marketplaceIds"] = list(markets)
        issues.append(found)
    return status, issues


def _condition(row: dict, attrs: dict, marketplace: str) -> str | None:
    value = _value(attrs, "condition_type", marketplace)
    if value is None:
        mws = (row.get("product_data") or {}).get("Condition")  # New, UsedLikeNew, ...
        if isinstance(mws, str):
            value = re.sub(r"(?<!^)(?=[A-Z])", "_", mws).lower()
            value = {"new": "new_new", "refurbished": "refurbished_refurbished"}.get(value, value)
            value = {"club": "club_club"}.get(value, value)
    return value if value in CONDITIONS else None


def _stamp(text: str) -> str:
    return iso_z(parse_iso(text))


def parents_of(db: sqlite3.Connection, seller_id: str, sku: str, attrs: dict) -> list[str]:
    found = set()
    relation = _one(attrs, "child_parent_sku_relationship", None)
    if relation and relation.get("parent_sku"):
        found.add(relation["parent_sku"])
    for parent, relations in db.execute(
        "SELECT sku, relationships FROM catalog WHERE seller_id = ? AND relationships LIKE ?",
        (seller_id, f"%{sku}%"),
    ):
        if any(r.get("sku") == sku for r in json.loads(relations or "[]")):
            found.add(parent)
    return sorted(found)


def _relationships(db, row: dict, attrs: dict) -> list[dict]:
    out = []
    children = [r["sku"] for r in row["relationships"] if r.get("type", "Variation") == "Variation"]
    if children:
        relation = {"type": "VARIATION", "childSkus": children}
        theme = _value(attrs, "variation_theme", None, key="name")
        if theme:
            relation["variationTheme"] = {
                "attributes": [a.lower() for a in theme.split("/")],
                "theme": theme,
            }
        out.append(relation)
    parents = parents_of(db, row["seller_id"], row["sku"], attrs)
    if parents:
        out.append({"type": "VARIATION", "parentSkus": parents})
    return out


def item_json(db: sqlite3.Connection, row: dict, included: list[str], markets: list[str]) -> dict:
    """A catalog row as the model's Item, with the includedData asked for."""
    attrs = effective_attributes(row, markets[0])
    product_type = row.get("product_type") or DEFAULT_PRODUCT_TYPE
    status, issues = listing_state(row, attrs, markets)
    stock = attrs["fulfillment_availability"][0]
    item: dict = {"sku": row["sku"]}
    if "summaries" in included:
        item["summaries"] = []
        for market in markets:
            summary = {
                "marketplaceId": market,
                "asin": row["asin"],
                "productType": product_type,
                "status": status,
                "createdDate": _stamp(row["created"]),
                "lastUpdatedDate": _stamp(row["updated"]),
            }
            if condition := _condition(row, attrs, market):
                summary["conditionType"] = condition
            if row["fulfillment_channel"] == "AFN":
                summary["fnSku"] = fulfillment_channel_sku(row["sku"])
            if row["title"]:
                summary["itemName"] = row["title"]
            if main := (row["images"] or {}).get("Main"):
                summary["mainImage"] = {"link": main, "height": IMAGE_SIZE, "width": IMAGE_SIZE}
            item["summaries"].append(summary)
    if "attributes" in included:
        item["attributes"] = attrs
    if "issues" in included:
        item["issues"] = issues
    if "offers" in included:
        currency = row["currency"] or marketplace_currency(markets[0])
        item["offers"] = [
            {
                "marketplaceId": market,
                "offerType": "B2C",
                "price": {"currencyCode": currency, "amount": row["price"]},
                "audience": {"value": "ALL", "displayName": "Sell on Amazon"},
            }
            for market in markets
            if row["price"]
        ]
    if "fulfillmentAvailability" in included:
        item["fulfillmentAvailability"] = [
            {
                "fulfillmentChannelCode": stock["fulfillment_channel_code"],
                "quantity": stock["quantity"],
            }
        ]
    if "procurement" in included:
        item["procurement"] = []  # vendors' cost prices: a seller has none
    if "relationships" in included:
        relations = _relationships(db, row, attrs)
        item["relationships"] = [{"marketplaceId": m, "relationships": relations} for m in markets]
    if "productTypes" in included:
        item["productTypes"] = [{"marketplaceId": m, "productType": product_type} for m in markets]
    return item


# ---- submissions --------------------------------------------------------------------------


def _errors(issues: list[dict]) -> bool:
    return any(i["severity"] == "ERROR" for i in issues)


def _in_type(attributes: dict, schema: dict, name: str, requirements: str):
    """(the attributes the product type has for these requirements, WARNINGs for the others,
    which are ignored)."""
    given, issues = {}, []
    for key, value in attributes.items():
        if key in schema["properties"]:
            given[key] = value
        else:
            issues.append(
                pt.issue(
                    pt.NOT_IN_TYPE,
                    f"The attribute '{key}' is not part of the product type {name} for the "
                    f"requirements {requirements}; it was ignored.",
                    "WARNING",
                    key,
                    "INVALID_ATTRIBUTE",
                )
            )
    return given, issues


def _currency_issues(attrs: dict, marketplace: str) -> list[dict]:
    want = marketplace_currency(marketplace)
    return [
        pt.issue(
            pt.INVALID_VALUE,
            f"The provided value for 'purchasable_offer.currency' is invalid: "
            f"{offer['currency']!r} is not the currency of marketplace {marketplace} ({want}).",
            attribute="purchasable_offer",
            category="INVALID_ATTRIBUTE",
        )
        for offer in attrs.get("purchasable_offer") or []
        if _here(offer, marketplace) and offer.get("currency") not in (None, want)
    ]


def _check_product_type(product_type) -> None:
    if not isinstance(product_type, str) or not product_type:
        raise BadRequest("productType is required.")


def put(
    db: sqlite3.Connection,
    seller_id: str,
    sku: str,
    marketplace: str,
    product_type,
    requirements,
    attributes,
    now: datetime,
    *,
    preview: bool = False,
) -> Outcome:
    """putListingsItem / an UPDATE message: the attributes replace the listing's within the
    requirements' scope (LISTING: all but a stock the request does not give;
    LISTING_PRODUCT_ONLY: the product facts; LISTING_OFFER_ONLY: the sales terms)."""
    _check_product_type(product_type)
    if requirements not in pt.REQUIREMENTS:
        raise BadRequest(f"Invalid requirements: {requirements!r}.")
    if not isinstance(attributes, dict):
        raise BadRequest("attributes is required and must be an object.")
    row = catalog_row(db, seller_id, sku)
    asin = row["asin"] if row else None
    if not pt.known(product_type):
        return Outcome("INVALID", [pt.unknown_type_issue(product_type)], asin)
    schema = pt.served(product_type, pt.version(db, product_type), requirements, "ENFORCED")[0]
    given, issues = _in_type(attributes, schema, product_type, requirements)
    issues += pt.validate(db, product_type, requirements, "ENFORCED", given)
    issues += _currency_issues(given, marketplace)
    if _errors(issues):
        return Outcome("INVALID", issues, asin)
    current = effective_attributes(row, marketplace) if row else {}
    offer = pt.offer_attributes()
    if requirements == "LISTING":
        kept = {"fulfillment_availability"}
    elif requirements == "LISTING_PRODUCT_ONLY":
        kept = offer
    else:
        kept = set(current) - offer
    merged = {k: v for k, v in current.items() if k in kept and k not in given}
    merged.update(given)
    if preview:
        return Outcome("VALID", issues, asin)
    return Outcome(
        "ACCEPTED", issues, save(db, seller_id, sku, marketplace, product_type, merged, now)
    )


def _key(item, selectors: list[str], marketplace: str) -> str:
    if not isinstance(item, dict):
        return json.dumps(item, sort_keys=True)
    if not selectors:
        return json.dumps(item, sort_keys=True)
    defaults = {"marketplace_id": marketplace, "language_tag": language(marketplace)}
    return json.dumps({s: item.get(s, defaults.get(s)) for s in selectors}, sort_keys=True)


def _apply(attrs: dict, op: str, name: str, value, selectors: list[str], marketplace: str):
    """One JSON Patch operation on a top-level attribute; merge and delete with a value match
    the values by the attribute's selectors."""
    if op in ("add", "replace"):
        attrs[name] = value
        return
    current = list(attrs.get(name) or [])
    if op == "merge":
        for new in value:
            key = _key(new, selectors, marketplace)
            for n, old in enumerate(current):
                if _key(old, selectors, marketplace) == key:
                    current[n] = {**old, **new} if isinstance(old, dict) else new
                    break
            else:
                current.append(new)
        attrs[name] = current
    elif value is None:  # delete the whole attribute
        attrs.pop(name, None)
    else:
        gone = {_key(v, selectors, marketplace) for v in value}
        _set(attrs, name, [v for v in current if _key(v, selectors, marketplace) not in gone])


def check_patches(patches) -> list[tuple[str, str, object]]:
    """(op, attribute name, value) of each patch, or BadRequest."""
    if not isinstance(patches, list) or not patches:
        raise BadRequest("patches is required and must be a non-empty array.")
    out = []
    for n, patch in enumerate(patches):
        if not isinstance(patch, dict):
            raise BadRequest(f"patches[{n}] must be an object.")
        op, path, value = patch.get("op"), patch.get("path"), patch.get("value")
        if op not in PATCH_OPS:
            raise BadRequest(f"patches[{n}].op must be one of {', '.join(PATCH_OPS)}.")
        match = PATCH_PATH.match(path) if isinstance(path, str) else None
        if not match:
            raise BadRequest(
                f"patches[{n}].path {path!r} is not valid: only top-level attributes can be "
                "patched (/attributes/<name>)."
            )
        if value is None and op != "delete":
            raise BadRequest(f"patches[{n}].value is required for {op}.")
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            raise BadRequest(f"patches[{n}].value must be an array of objects.")
        out.append((op, match.group(1), value))
    return out


def patch(
    db: sqlite3.Connection,
    seller_id: str,
    sku: str,
    marketplace: str,
    product_type,
    patches,
    now: datetime,
    *,
    preview: bool = False,
) -> Outcome:
    """patchListingsItem / a PATCH or PARTIAL_UPDATE message on an existing listing: the
    patched listing is validated (LISTING requirements) and only the issues of the patched
    attributes count."""
    _check_product_type(product_type)
    operations = check_patches(patches)
    row = catalog_row(db, seller_id, sku)
    if not pt.known(product_type):
        return Outcome(
            "INVALID", [pt.unknown_type_issue(product_type)], row["asin"] if row else None
        )
    if row is None:
        return Outcome(
            "INVALID",
            [
                pt.issue(
                    NOT_FOUND,
                    f"The SKU '{sku}' does not exist in the Amazon catalog: a patch changes an "
                    "existing listing; create it with putListingsItem or an UPDATE message.",
                    category="INVALID_ATTRIBUTE",
                )
            ],
        )
    schema = pt.served(product_type, pt.version(db, product_type), "LISTING", "ENFORCED")[0]
    attrs = effective_attributes(row, marketplace)
    touched, issues = set(), []
    for op, name, value in operations:
        if name not in schema["properties"]:
            issues += _in_type({name: value}, schema, product_type, "LISTING")[1]
            continue
        touched.add(name)
        _apply(attrs, op, name, value, schema["properties"][name].get("selectors", []), marketplace)
    found = pt.validate(db, product_type, "LISTING", "ENFORCED", attrs)
    issues += [i for i in found if set(i.get("attributeNames", [])) & touched]
    issues += _currency_issues({n: attrs[n] for n in touched if n in attrs}, marketplace)
    if _errors(issues):
        return Outcome("INVALID", issues, row["asin"])
    if preview:
        return Outcome("VALID", issues, row["asin"])
    return Outcome(
        "ACCEPTED", issues, save(db, seller_id, sku, marketplace, product_type, attrs, now)
    )


def delete(db: sqlite3.Connection, seller_id: str, sku: str) -> Outcome:
    """deleteListingsItem / a DELETE message: the SKU leaves the catalog (both faces). An
    unknown SKU is ACCEPTED too (nothing to delete)."""
    row = catalog_row(db, seller_id, sku)
    db.execute("DELETE FROM catalog WHERE seller_id = ? AND sku = ?", (seller_id, sku))
    return Outcome("ACCEPTED", [], row["asin"] if row else None)


def save(
    db: sqlite3.Connection,
    seller_id: str,
    sku: str,
    marketplace: str,
    product_type: str,
    attrs: dict,
    now: datetime,
) -> str:
    """Write a listing (attributes and the catalog columns they give); returns its ASIN: the
    merchant_suggested_asin, else the SKU's (`catalog.make_asin`)."""
    stamp = iso(now)
    row = catalog_row(db, seller_id, sku)
    asin = _value(attrs, "merchant_suggested_asin", marketplace)
    if row is None:
        asin = asin or make_asin(seller_id, sku)
        db.execute(
            "INSERT INTO catalog (seller_id, sku, asin, currency, created, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (seller_id, sku, asin, marketplace_currency(marketplace), stamp, stamp),
        )
    asin = asin or row["asin"]
    values = {k: v for k, v in columns_of(attrs, marketplace).items() if k != "currency" or v}
    values.update(
        asin=asin,
        product_type=product_type,
        attributes=json.dumps(attrs, sort_keys=True),
        updated=stamp,
    )
    db.execute(
        f"UPDATE catalog SET {', '.join(f'{k} = ?' for k in values)} "
        "WHERE seller_id = ? AND sku = ?",
        (*values.values(), seller_id, sku),
    )
    _link_family(db, seller_id, sku, attrs)
    return asin


def _add_child(db: sqlite3.Connection, seller_id: str, parent: str, child: str) -> None:
    row = db.execute(
        "SELECT relationships FROM catalog WHERE seller_id = ? AND sku = ?", (seller_id, parent)
    ).fetchone()
    if row is None:
        return
    relations = json.loads(row[0] or "[]")
    if not any(r.get("sku") == child for r in relations):
        relations.append({"sku": child, "type": "Variation"})
        db.execute(
            "UPDATE catalog SET relationships = ? WHERE seller_id = ? AND sku = ?",
            (json.dumps(relations), seller_id, parent),
        )


def _link_family(db: sqlite3.Connection, seller_id: str, sku: str, attrs: dict) -> None:
    """Keep the MWS relationships (on the parent's row) in step with the variation
    attributes, whichever of parent and child is written first."""
    relation = _one(attrs, "child_parent_sku_relationship", None)
    if relation and relation.get("parent_sku"):
        _add_child(db, seller_id, relation["parent_sku"], sku)
    if _is_parent(attrs):
        for child, stored in db.execute(
            "SELECT sku, attributes FROM catalog WHERE seller_id = ? AND attributes LIKE ?",
            (seller_id, f"%{sku}%"),
        ).fetchall():
            relation = _one(json.loads(stored), "child_parent_sku_relationship", None)
            if relation and relation.get("parent_sku") == sku:
                _add_child(db, seller_id, sku, child)
