"""Pure renderers of report bodies from sandbox order dicts and catalog rows.

Report types (see `REPORT_TYPES`; `render_report` dispatches):

`_GET_FLAT_FILE_ORDERS_DATA_` — tab-separated, UTF-8, one row per order item, for orders whose
payment cleared (not Pending, not canceled) and purchased in [start, end]. Columns, in order:
order-id, order-item-id, purchase-date, payments-date, buyer-email, buyer-name,
buyer-phone-number, sku, product-name, quantity-purchased, currency, item-price, item-tax,
shipping-price, shipping-tax, ship-service-level, recipient-name, ship-address-1,
ship-address-2, ship-address-3, ship-city, ship-state, ship-postal-code, ship-country,
ship-phone-number, delivery-start-date, delivery-end-date, delivery-time-zone,
delivery-Instructions, sales-channel (Amazon's own columns), then the sandbox's additions:
item-promotion-discount, item-promotion-id, ship-promotion-discount, ship-promotion-id
(comma-separated ids; FREESHIP-* ids go to ship-promotion-id), gift-wrap-price, gift-wrap-tax,
gift-wrap-type, gift-message-text, fulfillment-channel (MFN|AFN), marketplace-id,
is-business-order, purchase-order-number. item-price etc. are line totals (unit price x
quantity), as in the Orders API. Dates are ISO 8601 with +00:00. delivery-* columns are empty
(they are for scheduled delivery, which the sandbox does not generate). Empty values are empty.

`_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_` — AmazonEnvelope, MessageType AllOrdersReport, one
Message/Order per order (every status) whose last_update_date is in [start, end]:
AmazonOrderID, MerchantOrderID (when acknowledged), PurchaseDate, LastUpdatedDate, OrderStatus
(reports spell "Cancelled", as Amazon's reports do), SalesChannel, FulfillmentData
(FulfillmentChannel Amazon|Merchant, ShipServiceLevel, Address City/State/PostalCode/Country),
IsBusinessOrder, OrderItem* (AmazonOrderItemCode, ASIN, SKU, ItemStatus, ProductName, Quantity,
ItemPrice/Component (Type, Amount currency=), Promotion (PromotionIDs, ShipPromotionDiscount,
ItemPromotionDiscount, negative)). Not validated: Amazon publishes no XSD for it.

`_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_` (SP-API:
GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL) — tab-separated, one row per item of the
orders the XML all-orders report selects (every status, last_update_date in [start, end]), in
Amazon's columns: amazon-order-id, merchant-order-id, purchase-date, last-updated-date,
order-status (Cancelled spelt as in the XML), fulfillment-channel (Amazon|Merchant),
sales-channel, order-channel (empty), ship-service-level (the service level category, as the
XML's ShipServiceLevel), product-name, sku, asin, item-status, quantity, currency, item-price,
item-tax, shipping-price, shipping-tax, gift-wrap-price, gift-wrap-tax (line totals),
item-promotion-discount, ship-promotion-discount (negative, as in the XML), ship-city,
ship-state, ship-postal-code, ship-country, promotion-ids (comma-separated), is-business-order,
purchase-order-number, price-designation (BusinessPrice for business orders).

`_GET_ORDERS_DATA_` — the scheduled XML order report: AmazonEnvelope, MessageType OrderReport,
valid against OrderReport.xsd: merchant-fulfilled (MFN) orders whose payment cleared in
[start, end] and that are not canceled, with BillingData, FulfillmentData, Item
(ItemPrice components, ItemFees/Commission, Promotion, gift wrap).

`_GET_AFN_INVENTORY_DATA_` — tab-separated: seller-sku, fulfillment-channel-sku, asin,
condition-type, Warehouse-Condition-code, Quantity Available; one row per AFN catalog SKU.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from lxml import etree

from .clock import iso
from .render_orders import merchant_order_id
from .settlement import REPORT_TYPE as SETTLEMENT_V2
from .settlement import commission

FLAT_ORDERS = "_GET_FLAT_FILE_ORDERS_DATA_"
FLAT_ALL_ORDERS = "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_"
XML_ALL_ORDERS = "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_"
XML_ORDERS = "_GET_ORDERS_DATA_"
AFN_INVENTORY = "_GET_AFN_INVENTORY_DATA_"
LISTINGS_ALL = "_GET_MERCHANT_LISTINGS_ALL_DATA_"

# report type -> (content type, requestable)
REPORT_TYPES = {
    FLAT_ORDERS: ("text/plain", True),
    FLAT_ALL_ORDERS: ("text/plain", True),
    XML_ALL_ORDERS: ("text/xml", True),
    XML_ORDERS: ("text/xml", False),
    AFN_INVENTORY: ("text/plain", True),
    LISTINGS_ALL: ("text/plain", True),
    SETTLEMENT_V2: ("text/plain", False),
}

FLAT_ORDER_COLUMNS = (
    "order-id",
    "order-item-id",
    "purchase-date",
    "payments-date",
    "buyer-email",
    "buyer-name",
    "buyer-phone-number",
    "sku",
    "product-name",
    "quantity-purchased",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "ship-service-level",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "ship-phone-number",
    "delivery-start-date",
    "delivery-end-date",
    "delivery-time-zone",
    "delivery-Instructions",
    "sales-channel",
    "item-promotion-discount",
    "item-promotion-id",
    "ship-promotion-discount",
    "ship-promotion-id",
    "gift-wrap-price",
    "gift-wrap-tax",
    "gift-wrap-type",
    "gift-message-text",
    "fulfillment-channel",
    "marketplace-id",
    "is-business-order",
    "purchase-order-number",
)
#: Amazon's columns of the flat all-orders reports (by last update / by order date)
FLAT_ALL_ORDER_COLUMNS = (
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
)
AFN_COLUMNS = (
    "seller-sku",
    "fulfillment-channel-sku",
    "asin",
    "condition-type",
    "Warehouse-Condition-code",
    "Quantity Available",
)
#: the All Listings report's columns (the ones a seller's tools read; Amazon has more)
LISTINGS_COLUMNS = (
    "item-name",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "product-id-type",
    "item-condition",
    "asin1",
    "product-id",
    "fulfillment-channel",
    "status",
)
SERVICE_LEVELS = ("Standard", "Expedited", "Scheduled", "NextDay", "SecondDay")


def _in(dt: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if dt is None:
        return False
    return (start is None or dt >= start) and (end is None or dt <= end)


def _paid(order: dict) -> bool:
    return bool(order.get("payments_date")) and order["status"] not in ("Pending", "Canceled")


def select_orders(
    report_type: str, orders: list[dict], start: datetime | None, end: datetime | None
) -> list[dict]:
    """The orders a report of that type covers for the period, sorted stably."""
    if report_type == FLAT_ORDERS:
        chosen = [o for o in orders if _paid(o) and _in(o["purchase_date"], start, end)]
    elif report_type in (XML_ALL_ORDERS, FLAT_ALL_ORDERS):
        chosen = [o for o in orders if _in(o["last_update_date"], start, end)]
    elif report_type == XML_ORDERS:
        chosen = [
            o
            for o in orders
            if o["fulfillment_channel"] == "MFN"
            and _paid(o)
            and _in(o.get("payments_date"), start, end)
        ]
    else:
        chosen = list(orders)
    return sorted(chosen, key=lambda o: (o["purchase_date"], o["amazon_order_id"]))


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _split_promos(ids: list[str]) -> tuple[list[str], list[str]]:
    ship = [p for p in ids if p.upper().startswith("FREESHIP")]
    return [p for p in ids if p not in ship], ship


def flat_file_orders(orders: list[dict]) -> str:
    """`_GET_FLAT_FILE_ORDERS_DATA_` body for already selected orders."""
    lines = ["\t".join(FLAT_ORDER_COLUMNS)]
    for order in orders:
        addr = order.get("shipping_address") or {}
        for item in order["items"]:
            item_promos, ship_promos = _split_promos(item.get("promotion_ids") or [])
            row = {
                "order-id": order["amazon_order_id"],
                "order-item-id": item["order_item_id"],
                "purchase-date": order["purchase_date"],
                "payments-date": order.get("payments_date"),
                "buyer-email": order.get("buyer_email"),
                "buyer-name": order.get("buyer_name"),
                "buyer-phone-number": addr.get("phone"),
                "sku": item["seller_sku"],
                "product-name": item.get("title"),
                "quantity-purchased": item["quantity_ordered"],
                "currency": order["currency"],
                "item-price": item["item_price"],
                "item-tax": item["item_tax"],
                "shipping-price": item["shipping_price"],
                "shipping-tax": item["shipping_tax"],
                "ship-service-level": order.get("ship_service_level"),
                "recipient-name": addr.get("name"),
                "ship-address-1": addr.get("address_line1"),
                "ship-address-2": addr.get("address_line2"),
                "ship-address-3": addr.get("address_line3"),
                "ship-city": addr.get("city"),
                "ship-state": addr.get("state_or_region"),
                "ship-postal-code": addr.get("postal_code"),
                "ship-country": addr.get("country_code"),
                "ship-phone-number": addr.get("phone"),
                "sales-channel": order.get("sales_channel"),
                "item-promotion-discount": item.get("promotion_discount"),
                "item-promotion-id": ",".join(item_promos),
                "ship-promotion-discount": item.get("shipping_discount"),
                "ship-promotion-id": ",".join(ship_promos),
                "gift-wrap-price": item.get("gift_wrap_price"),
                "gift-wrap-tax": item.get("gift_wrap_tax"),
                "gift-wrap-type": item.get("gift_wrap_level"),
                "gift-message-text": item.get("gift_message_text"),
                "fulfillment-channel": order["fulfillment_channel"],
                "marketplace-id": order["marketplace_id"],
                "is-business-order": bool(order.get("is_business_order")),
                "purchase-order-number": order.get("purchase_order_number"),
            }
            lines.append("\t".join(_clean(row.get(c)) for c in FLAT_ORDER_COLUMNS))
    return "\n".join(lines) + "\n"


def parse_flat_file(text: str) -> list[dict]:
    """Rows of a tab-separated report as dicts keyed by the header (for tests and tools)."""
    lines = [line for line in text.splitlines() if line]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def _sub(parent, tag: str, text=None, **attrib):
    el = etree.SubElement(parent, tag, **attrib)
    if text is not None:
        el.text = _clean(text)
    return el


def _envelope(merchant_id: str, message_type: str):
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element("AmazonEnvelope", nsmap={"xsi": xsi})
    root.set(f"{{{xsi}}}noNamespaceSchemaLocation", "amzn-envelope.xsd")
    header = _sub(root, "Header")
    _sub(header, "DocumentVersion", "1.01")
    _sub(header, "MerchantIdentifier", merchant_id[:50])
    _sub(root, "MessageType", message_type)
    return root


def _report_status(order: dict) -> str:
    return "Cancelled" if order["status"] == "Canceled" else order["status"]


def _item_status(order: dict, item: dict) -> str:
    if order["status"] == "Canceled":
        return "Cancelled"
    if order["status"] == "Pending":
        return "Pending"
    shipped = int(item.get("quantity_shipped") or 0)
    return "Shipped" if shipped >= int(item["quantity_ordered"]) else "Unshipped"


def _neg(value) -> str:
    amount = Decimal(str(value or "0"))
    return str(-amount) if amount else "0.00"


def xml_all_orders(orders: list[dict], merchant_id: str) -> bytes:
    """`_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_` body for already selected orders."""
    root = _envelope(merchant_id, "AllOrdersReport")
    for order in orders:
        message = _sub(root, "Message")
        el = _sub(message, "Order")
        _sub(el, "AmazonOrderID", order["amazon_order_id"])
        if merchant_order_id(order):
            _sub(el, "MerchantOrderID", merchant_order_id(order))
        _sub(el, "PurchaseDate", order["purchase_date"])
        _sub(el, "LastUpdatedDate", order["last_update_date"])
        _sub(el, "OrderStatus", _report_status(order))
        _sub(el, "SalesChannel", order.get("sales_channel"))
        fulfillment = _sub(el, "FulfillmentData")
        _sub(
            fulfillment,
            "FulfillmentChannel",
            "Amazon" if order["fulfillment_channel"] == "AFN" else "Merchant",
        )
        _sub(fulfillment, "ShipServiceLevel", order.get("shipment_service_level_category"))
        addr = order.get("shipping_address") or {}
        if addr:
            address = _sub(fulfillment, "Address")
            for key, tag in (
                ("city", "City"),
                ("state_or_region", "State"),
                ("postal_code", "PostalCode"),
                ("country_code", "Country"),
            ):
                if addr.get(key):
                    _sub(address, tag, addr[key])
        _sub(el, "IsBusinessOrder", bool(order.get("is_business_order")))
        currency = order["currency"]
        for item in order["items"]:
            line = _sub(el, "OrderItem")
            _sub(line, "AmazonOrderItemCode", item["order_item_id"])
            _sub(line, "ASIN", item["asin"])
            _sub(line, "SKU", item["seller_sku"])
            _sub(line, "ItemStatus", _item_status(order, item))
            _sub(line, "ProductName", item.get("title"))
            _sub(line, "Quantity", item["quantity_ordered"])
            price = _sub(line, "ItemPrice")
            for key, kind in (
                ("item_price", "Principal"),
                ("item_tax", "Tax"),
                ("shipping_price", "Shipping"),
                ("shipping_tax", "ShippingTax"),
                ("gift_wrap_price", "GiftWrap"),
                ("gift_wrap_tax", "GiftWrapTax"),
            ):
                if kind in ("Principal", "Tax", "Shipping", "ShippingTax") or Decimal(
                    str(item.get(key) or "0")
                ):
                    component = _sub(price, "Component")
                    _sub(component, "Type", kind)
                    _sub(component, "Amount", item.get(key) or "0.00", currency=currency)
            item_promos, ship_promos = _split_promos(item.get("promotion_ids") or [])
            if item_promos or ship_promos:
                promotion = _sub(line, "Promotion")
                _sub(promotion, "PromotionIDs", ",".join(item_promos + ship_promos))
                _sub(promotion, "ShipPromotionDiscount", _neg(item.get("shipping_discount")))
                _sub(promotion, "ItemPromotionDiscount", _neg(item.get("promotion_discount")))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def flat_all_orders(orders: list[dict]) -> str:
    """`_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_` body for already selected orders: the
    XML all-orders report's content in Amazon's flat columns."""
    lines = ["\t".join(FLAT_ALL_ORDER_COLUMNS)]
    for order in orders:
        addr = order.get("shipping_address") or {}
        business = bool(order.get("is_business_order"))
        for item in order["items"]:
            row = {
                "amazon-order-id": order["amazon_order_id"],
                "merchant-order-id": merchant_order_id(order),
                "purchase-date": order["purchase_date"],
                "last-updated-date": order["last_update_date"],
                "order-status": _report_status(order),
                "fulfillment-channel": (
                    "Amazon" if order["fulfillment_channel"] == "AFN" else "Merchant"
                ),
                "sales-channel": order.get("sales_channel"),
                "ship-service-level": order.get("shipment_service_level_category"),
                "product-name": item.get("title"),
                "sku": item["seller_sku"],
                "asin": item["asin"],
                "item-status": _item_status(order, item),
                "quantity": item["quantity_ordered"],
                "currency": order["currency"],
                "item-price": item.get("item_price") or "0.00",
                "item-tax": item.get("item_tax") or "0.00",
                "shipping-price": item.get("shipping_price") or "0.00",
                "shipping-tax": item.get("shipping_tax") or "0.00",
                "gift-wrap-price": item.get("gift_wrap_price") or "0.00",
                "gift-wrap-tax": item.get("gift_wrap_tax") or "0.00",
                "item-promotion-discount": _neg(item.get("promotion_discount")),
                "ship-promotion-discount": _neg(item.get("shipping_discount")),
                "ship-city": addr.get("city"),
                "ship-state": addr.get("state_or_region"),
                "ship-postal-code": addr.get("postal_code"),
                "ship-country": addr.get("country_code"),
                "promotion-ids": ",".join(item.get("promotion_ids") or []),
                "is-business-order": business,
                "purchase-order-number": order.get("purchase_order_number") if business else None,
                "price-designation": "BusinessPrice" if business else None,
            }
            lines.append("\t".join(_clean(row.get(c)) for c in FLAT_ALL_ORDER_COLUMNS))
    return "\n".join(lines) + "\n"


def _session_id(order_id: str) -> str:
    digits = str(int(hashlib.sha256(order_id.encode()).hexdigest(), 16))
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:17]}"


def _short(value, size: int) -> str:
    return _clean(value)[:size]


def xml_order_report(orders: list[dict], merchant_id: str) -> bytes:
    """`_GET_ORDERS_DATA_` body (OrderReport.xsd) for already selected orders."""
    root = _envelope(merchant_id, "OrderReport")
    for number, order in enumerate(orders, start=1):
        message = _sub(root, "Message")
        _sub(message, "MessageID", number)
        report = _sub(message, "OrderReport")
        _sub(report, "AmazonOrderID", order["amazon_order_id"])
        _sub(report, "AmazonSessionID", _session_id(order["amazon_order_id"]))
        _sub(report, "OrderDate", order["purchase_date"])
        _sub(report, "OrderPostedDate", order.get("payments_date") or order["purchase_date"])
        if order.get("sales_channel"):
            _sub(report, "MarketplaceName", order["sales_channel"])
        addr = order.get("shipping_address") or {}
        billing = _sub(report, "BillingData")
        _sub(billing, "BuyerEmailAddress", order.get("buyer_email") or "unknown@example.com")
        _sub(billing, "BuyerName", _short(order.get("buyer_name") or "", 50))
        if addr.get("phone"):
            _sub(billing, "BuyerPhoneNumber", _short(addr["phone"], 50))
        fulfillment = _sub(report, "FulfillmentData")
        _sub(fulfillment, "FulfillmentMethod", "Ship")
        level = order.get("shipment_service_level_category")
        _sub(
            fulfillment, "FulfillmentServiceLevel", level if level in SERVICE_LEVELS else "Standard"
        )
        if addr:
            address = _sub(fulfillment, "Address")
            _sub(address, "Name", _short(addr.get("name") or order.get("buyer_name") or "", 50))
            _sub(address, "AddressFieldOne", _short(addr.get("address_line1") or "-", 60))
            for key, tag in (
                ("address_line2", "AddressFieldTwo"),
                ("address_line3", "AddressFieldThree"),
            ):
                if addr.get(key):
                    _sub(address, tag, _short(addr[key], 60))
            for key, tag in (
                ("city", "City"),
                ("county", "County"),
                ("state_or_region", "StateOrRegion"),
                ("postal_code", "PostalCode"),
            ):
                if addr.get(key):
                    _sub(address, tag, _short(addr[key], 50))
            _sub(address, "CountryCode", addr.get("country_code") or "US")
            if addr.get("phone"):
                _sub(address, "PhoneNumber", _short(addr["phone"], 50))
        _sub(report, "IsBusinessOrder", bool(order.get("is_business_order")))
        if order.get("is_business_order") and order.get("purchase_order_number"):
            _sub(report, "PurchaseOrderNumber", order["purchase_order_number"])
        _sub(report, "IsPrime", bool(order.get("is_prime")))
        currency = order["currency"]
        for item in order["items"]:
            line = _sub(report, "Item")
            _sub(line, "AmazonOrderItemCode", item["order_item_id"])
            _sub(line, "SKU", _short(item["seller_sku"], 40))
            _sub(line, "Title", _short(item.get("title") or item["seller_sku"], 500))
            _sub(line, "Quantity", item["quantity_ordered"])
            price = _sub(line, "ItemPrice")
            for key, kind in (
                ("item_price", "Principal"),
                ("shipping_price", "Shipping"),
                ("item_tax", "Tax"),
                ("shipping_tax", "ShippingTax"),
                ("gift_wrap_price", "GiftWrap"),
                ("gift_wrap_tax", "GiftWrapTax"),
            ):
                if kind in ("Principal", "Shipping", "Tax") or Decimal(str(item.get(key) or 0)):
                    component = _sub(price, "Component")
                    _sub(component, "Type", kind)
                    _sub(component, "Amount", item.get(key) or "0.00", currency=currency)
            fees = _sub(line, "ItemFees")
            fee = _sub(fees, "Fee")
            _sub(fee, "Type", "Commission")
            _sub(fee, "Amount", _neg(commission(item)), currency=currency)
            item_promos, ship_promos = _split_promos(item.get("promotion_ids") or [])
            for ids, key, kind in (
                (item_promos, "promotion_discount", "Principal"),
                (ship_promos, "shipping_discount", "Shipping"),
            ):
                if not ids or not Decimal(str(item.get(key) or 0)):
                    continue
                promotion = _sub(line, "Promotion")
                _sub(promotion, "PromotionClaimCode", _claim_code(ids[0]))
                _sub(promotion, "MerchantPromotionID", _short(ids[0], 80))
                component = _sub(promotion, "Component")
                _sub(component, "Type", kind)
                _sub(component, "Amount", _neg(item.get(key)), currency=currency)
            if item.get("gift_wrap_level"):
                _sub(line, "GiftWrapLevel", _short(item["gift_wrap_level"], 50))
            if item.get("gift_message_text"):
                _sub(line, "GiftMessageText", _short(item["gift_message_text"], 500))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _claim_code(promotion_id: str) -> str:
    """A 6..12 character claim code derived from the promotion id."""
    code = "".join(ch for ch in promotion_id.split("-")[-1] if ch.isalnum()).upper()
    if len(code) < 6:
        code = hashlib.sha256(promotion_id.encode()).hexdigest()[:8].upper()
    return code[:12]


def fulfillment_channel_sku(seller_sku: str) -> str:
    return "X00" + hashlib.sha256(seller_sku.encode()).hexdigest()[:7].upper()


def afn_inventory(catalog: list[dict]) -> str:
    """`_GET_AFN_INVENTORY_DATA_` body from catalog rows (AFN SKUs only)."""
    lines = ["\t".join(AFN_COLUMNS)]
    for row in sorted(catalog, key=lambda r: r["sku"]):
        if (row.get("fulfillment_channel") or "MFN").upper() not in (
            "AFN",
            "AMAZON_NA",
            "AMAZON_EU",
        ):
            continue
        lines.append(
            "\t".join(
                (
                    _clean(row["sku"]),
                    fulfillment_channel_sku(row["sku"]),
                    _clean(row.get("asin")),
                    "NewItem",
                    "SELLABLE",
                    str(int(row.get("quantity") or 0)),
                )
            )
        )
    return "\n".join(lines) + "\n"


def merchant_listings(catalog: list[dict]) -> str:
    """`_GET_MERCHANT_LISTINGS_ALL_DATA_` body: every SKU of the seller with its ASIN and
    status (Active when it has a price and, for MFN, a quantity; else Inactive)."""
    lines = ["\t".join(LISTINGS_COLUMNS)]
    for row in sorted(catalog, key=lambda r: r["sku"]):
        channel = (row.get("fulfillment_channel") or "MFN").upper()
        afn = channel != "MFN"
        quantity = int(row.get("quantity") or 0)
        active = bool(row.get("price")) and (afn or quantity > 0)
        product_id = (row.get("standard_product_id") or "").partition(":")[2]
        lines.append(
            "\t".join(
                (
                    _clean(row.get("title")),
                    _clean(fulfillment_channel_sku(row["sku"])),
                    _clean(row["sku"]),
                    _clean(row.get("price")),
                    "" if afn else str(quantity),
                    _clean(row.get("created")),
                    "1" if product_id else "",
                    "11",
                    _clean(row.get("asin")),
                    _clean(product_id),
                    "AMAZON_NA" if afn else "DEFAULT",
                    "Active" if active else "Inactive",
                )
            )
        )
    return "\n".join(lines) + "\n"


def render_report(
    report_type: str,
    *,
    merchant_id: str,
    orders: list[dict] | None = None,
    catalog: list[dict] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[bytes, str, int]:
    """(body, content type, number of records) of a requestable/scheduled order report or
    the AFN inventory report. Settlement reports are built by settlement.py."""
    if report_type == AFN_INVENTORY:
        text = afn_inventory(catalog or [])
        return text.encode(), "text/plain", text.count("\n") - 1
    if report_type == LISTINGS_ALL:
        text = merchant_listings(catalog or [])
        return text.encode(), "text/plain", text.count("\n") - 1
    chosen = select_orders(report_type, orders or [], start, end)
    if report_type == FLAT_ORDERS:
        return flat_file_orders(chosen).encode(), "text/plain", len(chosen)
    if report_type == FLAT_ALL_ORDERS:
        return flat_all_orders(chosen).encode(), "text/plain", len(chosen)
    if report_type == XML_ALL_ORDERS:
        return xml_all_orders(chosen, merchant_id), "text/xml", len(chosen)
    if report_type == XML_ORDERS:
        return xml_order_report(chosen, merchant_id), "text/xml", len(chosen)
    raise ValueError(f"unknown report type {report_type}")
