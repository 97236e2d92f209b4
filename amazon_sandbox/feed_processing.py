"""Processing a feed when it reaches _DONE_: parse, validate, apply each message, and build
the ProcessingReport envelope Amazon returns from GetFeedSubmissionResult.

ResultMessageCodes used (Amazon's where known, documented in README.md):
5000 envelope-level error (wrong root, MessageType not matching the FeedType),
5001 XML parsing / schema error (one Result with MessageID 0) or a malformed message,
8560 a new SKU without the attributes needed to create an ASIN,
13013 SKU not in the catalog, 99001 a required value missing,
90111 invalid price or currency, 90201 quantity ignored for an Amazon-fulfilled SKU (warning),
18028 order not found, 18029 order item not found, 18030 more units than ordered / not
allowed in the order's status, 18031 refund larger than the amount charged.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from .catalog import make_asin
from .clock import iso, parse_iso
from .sellers import marketplace_currency

_SCHEMAS: dict[str, etree.XMLSchema] = {}
_SCHEMA_LOCK = threading.Lock()
SKU_MISSING = (
    "This SKU does not exist in the Amazon catalog. Your {what} data was not processed. "
    "For reasons why, and help fixing this, see "
    "http://sellercentral.amazon.com/gp/errorcode/13013"
)


def envelope_schema(xsd_dir: str | Path) -> etree.XMLSchema:
    """amzn-envelope.xsd compiled once per process (it takes about a second)."""
    path = str(Path(xsd_dir).resolve() / "amzn-envelope.xsd")
    with _SCHEMA_LOCK:
        schema = _SCHEMAS.get(path)
        if schema is None:
            parser = etree.XMLParser(no_network=True)
            schema = _SCHEMAS[path] = etree.XMLSchema(etree.parse(path, parser))
        return schema


@dataclass
class Result:
    code: str  # Error | Warning
    message_code: int
    description: str
    sku: str | None = None
    order_id: str | None = None
    item_code: str | None = None
    message_id: str = "0"


@dataclass
class Context:
    """What message handlers need; `touched` collects catalog/order writes."""

    state: object
    db: sqlite3.Connection
    seller_id: str
    now: datetime
    currency: str
    feed_id: int
    extra: dict = field(default_factory=dict)


def _error(code: int, text: str, **info) -> Result:
    return Result("Error", code, text, **info)


def _text(el, path: str) -> str | None:
    value = el.findtext(path)
    return value.strip() if value is not None else None


# ---- report -------------------------------------------------------------------------------


def build_report(seller_id: str, feed_id: int, processed: int, results: list[Result]) -> bytes:
    """The ProcessingReport envelope (valid against amzn-envelope.xsd / ProcessingReport.xsd)."""
    counts = _summary(processed, results)
    root = etree.Element(
        "AmazonEnvelope", nsmap={"xsi": "http://www.w3.org/2001/XMLSchema-instance"}
    )
    root.set(
        "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation", "amzn-envelope.xsd"
    )
    header = etree.SubElement(root, "Header")
    etree.SubElement(header, "DocumentVersion").text = "1.02"
    etree.SubElement(header, "MerchantIdentifier").text = seller_id
    etree.SubElement(root, "MessageType").text = "ProcessingReport"
    msg = etree.SubElement(root, "Message")
    etree.SubElement(msg, "MessageID").text = "1"
    rep = etree.SubElement(msg, "ProcessingReport")
    etree.SubElement(rep, "DocumentTransactionID").text = str(feed_id)
    etree.SubElement(rep, "StatusCode").text = "Complete"
    summary = etree.SubElement(rep, "ProcessingSummary")
    for tag, key in (
        ("MessagesProcessed", "processed"),
        ("MessagesSuccessful", "successful"),
        ("MessagesWithError", "with_error"),
        ("MessagesWithWarning", "with_warning"),
    ):
        etree.SubElement(summary, tag).text = str(counts[key])
    for r in results:
        res = etree.SubElement(rep, "Result")
        etree.SubElement(res, "MessageID").text = str(r.message_id)
        etree.SubElement(res, "ResultCode").text = r.code
        etree.SubElement(res, "ResultMessageCode").text = str(r.message_code)
        etree.SubElement(res, "ResultDescription").text = r.description
        if r.sku or r.order_id or r.item_code:
            info = etree.SubElement(res, "AdditionalInfo")
            if r.sku:
                etree.SubElement(info, "SKU").text = r.sku
            if r.order_id:
                etree.SubElement(info, "AmazonOrderID").text = r.order_id
            if r.item_code:
                etree.SubElement(info, "AmazonOrderItemCode").text = r.item_code
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _summary(processed: int, results: list[Result]) -> dict:
    """Counts of messages, not results (a message may carry several). An envelope-level
    failure has no processed message and one error."""
    error_ids = {r.message_id for r in results if r.code == "Error"}
    warn_ids = {r.message_id for r in results if r.code == "Warning"} - error_ids
    with_error = len(error_ids) if processed else len(results)
    return {
        "processed": processed,
        "successful": max(0, processed - with_error),
        "with_error": with_error,
        "with_warning": len(warn_ids),
    }


# ---- processing ---------------------------------------------------------------------------


def _parse(body: bytes):
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False
    )
    return etree.fromstring(body, parser).getroottree()


def _parse_error(line: int, column: int, message: str) -> Result:
    return _error(5001, f"XML Parsing Error at Line {line}, Column {column}: {message.strip()}")


def process_feed(state, db: sqlite3.Connection, row, now: datetime) -> tuple[bytes, dict]:
    """Apply a feed's messages and return (ProcessingReport XML, summary dict)."""
    from .feeds import FEED_TYPES  # circular at import time

    seller_id, feed_id = row["seller_id"], row["feed_id"]
    body = bytes(row["body"])

    def envelope_failure(result: Result):
        return build_report(seller_id, feed_id, 0, [result]), _summary(0, [result])

    try:
        tree = _parse(body)
    except etree.XMLSyntaxError as exc:
        entry = exc.error_log[0] if len(exc.error_log) else None
        line = entry.line if entry is not None else (exc.lineno or 1)
        column = entry.column if entry is not None else (exc.offset or 1)
        message = entry.message if entry is not None else str(exc)
        return envelope_failure(_parse_error(line, column, message))
    if state.config.xsd_dir:
        schema = envelope_schema(state.config.xsd_dir)
        if not schema.validate(tree):
            entry = schema.error_log[0]
            return envelope_failure(_parse_error(entry.line, entry.column, entry.message))
    root = tree.getroot()
    expected = FEED_TYPES[row["feed_type"]]
    if root.tag != "AmazonEnvelope":
        return envelope_failure(
            _error(
                5000,
                "The XML you submitted is ill-formed at the Amazon Envelope XML level at (or "
                f"near) line {root.sourceline or 1}: the root element must be AmazonEnvelope.",
            )
        )
    message_type = _text(root, "MessageType")
    if message_type != expected:
        return envelope_failure(
            _error(
                5000,
                f"The MessageType {message_type!r} does not match the feed type "
                f"{row['feed_type']}, which expects {expected}.",
            )
        )
    markets = json.loads(row["marketplaces"] or "[]")
    if not markets:
        seller = db.execute(
            "SELECT marketplace_ids FROM sellers WHERE seller_id = ?", (seller_id,)
        ).fetchone()
        markets = json.loads(seller[0]) if seller else ["ATVPDKIKX0DER"]
    ctx = Context(state, db, seller_id, now, marketplace_currency(markets[0]), feed_id)
    purge = bool(row["purge"]) or (_text(root, "PurgeAndReplace") or "").lower() in ("true", "1")
    if purge and expected == "Product":
        db.execute("DELETE FROM catalog WHERE seller_id = ?", (seller_id,))

    from .feed_orders import ORDER_HANDLERS

    handler = {**CATALOG_HANDLERS, **ORDER_HANDLERS}[expected]
    results: list[Result] = []
    seen: set[str] = set()
    processed = 0
    for message in root.iterchildren("Message"):
        processed += 1
        mid = _text(message, "MessageID") or "0"
        operation = _text(message, "OperationType") or "Update"
        payload = message.find(expected)
        if mid in seen:
            found = [_error(5001, f"MessageID {mid} is not unique within the envelope.")]
        elif payload is None:
            found = [_error(5001, f"Message {mid} has no {expected} element.")]
        elif operation == "PartialUpdate" and expected != "Product":
            found = [_error(5001, "OperationType PartialUpdate is only valid for Product.")]
        elif operation not in ("Update", "Delete", "PartialUpdate"):
            found = [_error(5001, f"Invalid OperationType {operation!r}.")]
        else:
            db.execute("SAVEPOINT message")
            try:
                found = handler(ctx, operation, payload) or []
            except Exception as exc:  # a bad value must not stop the feed
                found = [_error(5001, f"Message {mid} could not be processed: {exc}")]
            if any(r.code == "Error" for r in found):
                db.execute("ROLLBACK TO message")
            db.execute("RELEASE message")
        seen.add(mid)
        for r in found:
            r.message_id = mid
        results.extend(found)
    return build_report(seller_id, feed_id, processed, results), _summary(processed, results)


# ---- catalog messages ---------------------------------------------------------------------


def _get(ctx: Context, sku: str):
    return ctx.db.execute(
        "SELECT * FROM catalog WHERE seller_id = ? AND sku = ?", (ctx.seller_id, sku)
    ).fetchone()


def _set(ctx: Context, sku: str, **values) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    ctx.db.execute(
        f"UPDATE catalog SET {cols}, updated = ? WHERE seller_id = ? AND sku = ?",
        (*values.values(), iso(ctx.now), ctx.seller_id, sku),
    )


def _money(text: str | None) -> str | None:
    if text is None:
        return None
    value = Decimal(text.strip())
    if value < 0:
        raise InvalidOperation
    return f"{value.quantize(Decimal('0.01'))}"


def _product_fields(el) -> dict:
    """The Product message's descriptive fields worth showing (title, brand, ...)."""
    data: dict = {}
    spid_type, spid_value = (
        _text(el, "StandardProductID/Type"),
        _text(el, "StandardProductID/Value"),
    )
    if spid_type:
        data["standard_product_id"] = {"type": spid_type, "value": spid_value}
    for name in ("ProductTaxCode", "ItemPackageQuantity", "NumberOfItems"):
        if (value := _text(el, name)) is not None:
            data[name] = value
    if (cond := _text(el, "Condition/ConditionType")) is not None:
        data["Condition"] = cond
    desc = el.find("DescriptionData")
    if desc is not None:
        for child in desc:
            if not isinstance(child.tag, str):
                continue
            value = (child.text or "").strip()
            if len(child):
                value = {c.tag: (c.text or "").strip() for c in child if isinstance(c.tag, str)}
            if child.tag in data:
                prev = data[child.tag]
                data[child.tag] = [*prev, value] if isinstance(prev, list) else [prev, value]
            else:
                data[child.tag] = value
    pdata = el.find("ProductData")
    if pdata is not None and len(pdata):
        data["ProductData"] = pdata[0].tag
    return data


def handle_product(ctx: Context, op: str, el) -> list[Result]:
    sku = _text(el, "SKU")
    if not sku:
        return [_error(99001, "A value is required for the SKU field.")]
    row = _get(ctx, sku)
    if op == "Delete":
        if row is None:
            return [_error(13013, SKU_MISSING.format(what="product"), sku=sku)]
        ctx.db.execute("DELETE FROM catalog WHERE seller_id = ? AND sku = ?", (ctx.seller_id, sku))
        return []
    fields = _product_fields(el)
    spid = fields.get("standard_product_id")
    title = fields.get("Title")
    if op == "PartialUpdate" and row is None:
        return [_error(13013, SKU_MISSING.format(what="product"), sku=sku)]
    if row is None and not title and not spid:
        return [
            _error(
                8560,
                f"SKU {sku}, Missing Attributes item_name, standard_product_id. SKU {sku} does "
                "not match any ASIN and contains invalid values for attributes required for "
                "creation of a new ASIN.",
                sku=sku,
            )
        ]
    if spid and spid["type"] == "ASIN":
        value = spid["value"] or ""
        if len(value) != 10 or not value.isalnum():
            return [_error(8541, f"The ASIN {value!r} for SKU {sku} is not valid.", sku=sku)]
        asin = value.upper()
    else:
        asin = row["asin"] if row is not None else make_asin(ctx.seller_id, sku)
    if row is not None and op == "PartialUpdate":
        merged = json.loads(row["product_data"] or "{}")
        merged.update(fields)
        fields = merged
    brand = fields.get("Brand") if isinstance(fields.get("Brand"), str) else None
    title = fields.get("Title") if isinstance(fields.get("Title"), str) else None
    spid_text = (
        f"{fields['standard_product_id']['type']}:{fields['standard_product_id']['value']}"
        if fields.get("standard_product_id")
        else None
    )
    stamp = iso(ctx.now)
    if row is None:
        ctx.db.execute(
            "INSERT INTO catalog (seller_id, sku, asin, title, brand, standard_product_id, "
            "currency, product_data, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                ctx.seller_id,
                sku,
                asin,
                title,
                brand,
                spid_text,
                ctx.currency,
                json.dumps(fields),
                stamp,
                stamp,
            ),
        )
    else:
        _set(
            ctx,
            sku,
            asin=asin,
            title=title,
            brand=brand,
            standard_product_id=spid_text,
            product_data=json.dumps(fields),
        )
    return []


def handle_inventory(ctx: Context, op: str, el) -> list[Result]:
    sku = _text(el, "SKU")
    row = _get(ctx, sku) if sku else None
    if row is None:
        return [_error(13013, SKU_MISSING.format(what="inventory"), sku=sku)]
    if op == "Delete":
        _set(ctx, sku, quantity=0)
        return []
    results: list[Result] = []
    values: dict = {}
    channel = row["fulfillment_channel"]
    switch = _text(el, "SwitchFulfillmentTo")
    lookup = _text(el, "Lookup")
    if switch in ("MFN", "AFN"):
        channel = switch
    if lookup == "FulfillmentNetwork":
        channel = "AFN"
    center = _text(el, "FulfillmentCenterID")
    if center:
        values["fulfillment_center_id"] = center
    elif channel != row["fulfillment_channel"]:
        values["fulfillment_center_id"] = "AMAZON_NA" if channel == "AFN" else "DEFAULT"
    values["fulfillment_channel"] = channel
    quantity = _text(el, "Quantity")
    available = _text(el, "Available")
    if quantity is not None:
        if not quantity.isdigit():
            return [_error(99001, f"The Quantity {quantity!r} is not a whole number.", sku=sku)]
        if channel == "AFN" and switch != "MFN":
            results.append(
                Result(
                    "Warning",
                    90201,
                    "This SKU is fulfilled by Amazon: the Quantity was ignored. Send "
                    "SwitchFulfillmentTo MFN to fulfil it yourself.",
                    sku=sku,
                )
            )
        else:
            values["quantity"] = int(quantity)
    elif available is not None and available.lower() in ("false", "0"):
        values["quantity"] = 0
    if (latency := _text(el, "FulfillmentLatency")) is not None:
        if not latency.isdigit() or int(latency) < 1:
            return [_error(99001, f"Invalid FulfillmentLatency {latency!r}.", sku=sku)]
        values["fulfillment_latency"] = int(latency)
    if (restock := _text(el, "RestockDate")) is not None:
        values["restock_date"] = restock
    _set(ctx, sku, **values)
    return results


def _amount(ctx: Context, el, sku: str, what: str):
    """(amount, currency) of a CurrencyAmount element or raise ValueError with a Result."""
    value = _money(el.text)
    currency = el.get("currency") or "DEFAULT"
    if currency == "DEFAULT":
        currency = ctx.currency
    if currency != ctx.currency:
        raise _PriceError(
            _error(
                90111,
                f"The {what} currency {currency} does not match the marketplace currency "
                f"{ctx.currency}.",
                sku=sku,
            )
        )
    return value, currency


class _PriceError(Exception):
    def __init__(self, result: Result):
        super().__init__(result.description)
        self.result = result


def handle_price(ctx: Context, op: str, el) -> list[Result]:
    sku = _text(el, "SKU")
    row = _get(ctx, sku) if sku else None
    if row is None:
        return [_error(13013, SKU_MISSING.format(what="price"), sku=sku)]
    if op == "Delete":
        _set(ctx, sku, price=None, sale=None, map_price=None)
        return []
    values: dict = {}
    try:
        standard = el.find("StandardPrice")
        if standard is not None:
            values["price"], values["currency"] = _amount(ctx, standard, sku, "StandardPrice")
            if Decimal(values["price"]) <= 0:
                return [_error(90111, "The StandardPrice must be greater than 0.", sku=sku)]
        sale = el.find("Sale")
        if sale is not None:
            price, _cur = _amount(ctx, sale.find("SalePrice"), sku, "SalePrice")
            start = parse_iso(_text(sale, "StartDate") or "")
            end = parse_iso(_text(sale, "EndDate") or "")
            if end < start:
                return [_error(90111, "The Sale EndDate is before its StartDate.", sku=sku)]
            values["sale"] = json.dumps({"price": price, "start": iso(start), "end": iso(end)})
        map_el = el.find("MAP")
        if map_el is not None:
            values["map_price"], _cur = _amount(ctx, map_el, sku, "MAP")
    except _PriceError as exc:
        return [exc.result]
    except (InvalidOperation, ValueError, AttributeError, TypeError):
        return [_error(90111, "The price data is not valid (amounts, dates).", sku=sku)]
    if values:
        _set(ctx, sku, **values)
    return []


def handle_image(ctx: Context, op: str, el) -> list[Result]:
    sku = _text(el, "SKU")
    row = _get(ctx, sku) if sku else None
    if row is None:
        return [_error(13013, SKU_MISSING.format(what="image"), sku=sku)]
    image_type = _text(el, "ImageType")
    if not image_type:
        return [_error(99001, "A value is required for the ImageType field.", sku=sku)]
    images = json.loads(row["images"] or "{}")
    if op == "Delete":
        images.pop(image_type, None)
    else:
        location = _text(el, "ImageLocation")
        if not location:
            return [_error(99001, "A value is required for the ImageLocation field.", sku=sku)]
        images[image_type] = location
    _set(ctx, sku, images=json.dumps(images, sort_keys=True))
    return []


def handle_relationship(ctx: Context, op: str, el) -> list[Result]:
    parent = _text(el, "ParentSKU")
    row = _get(ctx, parent) if parent else None
    if row is None:
        return [_error(13013, SKU_MISSING.format(what="relationship"), sku=parent)]
    relations = []
    for rel in el.iterchildren("Relation"):
        child, kind = _text(rel, "SKU"), _text(rel, "Type") or "Variation"
        if not child or _get(ctx, child) is None:
            return [_error(13013, SKU_MISSING.format(what="relationship"), sku=child or parent)]
        relations.append({"sku": child, "type": kind})
    current = list(json.loads(row["relationships"] or "[]"))
    listed = {(r["sku"], r["type"]) for r in relations}
    current = [r for r in current if (r["sku"], r["type"]) not in listed]
    if op != "Delete":
        current += relations
    _set(ctx, parent, relationships=json.dumps(current))
    return []


def handle_override(ctx: Context, op: str, el) -> list[Result]:
    sku = _text(el, "SKU")
    row = _get(ctx, sku) if sku else None
    if row is None:
        return [_error(13013, SKU_MISSING.format(what="override"), sku=sku)]
    overrides = []
    if op != "Delete":
        for so in el.iterchildren("ShippingOverride"):
            item = {"ship_option": _text(so, "ShipOption")}
            if (restricted := _text(so, "IsShippingRestricted")) is not None:
                item["restricted"] = restricted.lower() in ("true", "1")
            else:
                amount = so.find("ShipAmount")
                item["type"] = _text(so, "Type")
                item["amount"] = _money(amount.text) if amount is not None else None
                item["currency"] = amount.get("currency") if amount is not None else None
            overrides.append(item)
    _set(ctx, sku, overrides=json.dumps(overrides))
    return []


CATALOG_HANDLERS = {
    "Product": handle_product,
    "Inventory": handle_inventory,
    "Price": handle_price,
    "ProductImage": handle_image,
    "Relationship": handle_relationship,
    "Override": handle_override,
}
