"""Orders API v2026-01-01 answers → the connector's order dicts (no Odoo import).

The order dict is the contract every source produces (``lib/orders.py`` for MWS, the order
reports, and this module; see ``amazon_sandbox/DESIGN.md``): the import never knows which API
an order came from. An SP-API order always comes with its items, so ``items_complete`` is
True. Amounts: each item's ``proceeds.breakdowns`` (``ITEM``, ``SHIPPING``, ``GIFT_WRAP``;
``TAX`` and ``DISCOUNT`` split by their ``detailedBreakdowns`` subtypes), discounts turned
into the contract's positive ``promotion_discount`` / ``shipping_discount``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .orders import empty_address, empty_item, empty_order
from .responses import ResponseParseError, parse_datetime

#: Amazon's fulfillment status → the order status of the contract (MWS's words)
STATUSES = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
#: the contract's statuses → Amazon's fulfillment statuses (search filters)
FULFILLMENT_STATUSES = {value: key for key, value in STATUSES.items()}
CHANNELS = {"MERCHANT": "MFN", "AMAZON": "AFN"}
#: the datasets an import needs
INCLUDED_DATA = ["BUYER", "RECIPIENT", "FULFILLMENT", "PROCEEDS", "PROMOTION", "CANCELLATION"]

_ADDRESS = {
    "name": "name",
    "addressLine1": "address_line1",
    "addressLine2": "address_line2",
    "addressLine3": "address_line3",
    "city": "city",
    "districtOrCounty": "county",
    "stateOrRegion": "state_or_region",
    "postalCode": "postal_code",
    "countryCode": "country_code",
    "phone": "phone",
    "addressType": "address_type",
}
_TAX_SUBTYPES = {"ITEM": "item_tax", "SHIPPING": "shipping_tax", "GIFT_WRAP": "gift_wrap_tax"}
_DISCOUNT_SUBTYPES = {"ITEM": "promotion_discount", "SHIPPING": "shipping_discount"}
_PLAIN = {"ITEM": "item_price", "SHIPPING": "shipping_price", "GIFT_WRAP": "gift_wrap_price"}


def _money(value, where):
    """(amount, currency) of a ``Money`` object."""
    if not isinstance(value, dict):
        raise ResponseParseError(f"{where}: not a Money object")
    try:
        amount = Decimal(str(value["amount"]))
    except (KeyError, InvalidOperation):
        raise ResponseParseError(f"{where}: bad amount {value.get('amount')!r}") from None
    return amount, value.get("currencyCode")


def _text(amount):
    return f"{amount.quantize(Decimal('0.01'))}"


def _time(value, where):
    try:
        return parse_datetime(value)
    except ResponseParseError as error:
        raise ResponseParseError(f"{where}: {error}") from None


def parse_item(data, order_id="?"):
    """One ``OrderItem`` → (an item dict, its currency or None)."""
    where = f"order {order_id} item {data.get('orderItemId')}"
    item = empty_item()
    product = data.get("product") or {}
    fulfillment = data.get("fulfillment") or {}
    item.update(
        order_item_id=data.get("orderItemId"),
        seller_sku=product.get("sellerSku"),
        asin=product.get("asin"),
        title=product.get("title"),
        quantity_ordered=int(data.get("quantityOrdered") or 0),
        quantity_shipped=int(fulfillment.get("quantityFulfilled") or 0),
        condition_id=(product.get("condition") or {}).get("conditionType"),
        promotion_ids=[
            p["promotionId"]
            for p in (data.get("promotion") or {}).get("breakdowns") or []
            if p.get("promotionId")
        ],
    )
    amounts = dict.fromkeys(_PLAIN.values(), Decimal(0))
    amounts.update(dict.fromkeys(_TAX_SUBTYPES.values(), Decimal(0)))
    amounts.update(dict.fromkeys(_DISCOUNT_SUBTYPES.values(), Decimal(0)))
    currency = None
    for breakdown in (data.get("proceeds") or {}).get("breakdowns") or []:
        kind = breakdown.get("type")
        subtotal, currency = _money(breakdown.get("subtotal"), f"{where} {kind}")
        if kind in _PLAIN:
            amounts[_PLAIN[kind]] += subtotal
        elif kind in ("TAX", "DISCOUNT"):
            subtypes = _TAX_SUBTYPES if kind == "TAX" else _DISCOUNT_SUBTYPES
            sign = 1 if kind == "TAX" else -1
            details = breakdown.get("detailedBreakdowns") or []
            if not details:  # no split given: all of it on the item
                amounts[subtypes["ITEM"]] += sign * subtotal
            for detail in details:
                value, _currency = _money(detail.get("value"), f"{where} {kind}")
                key = subtypes.get(detail.get("subtype"), subtypes["ITEM"])
                amounts[key] += sign * value
        else:  # COD_FEE, OTHER: kept, not part of the contract's amounts
            item["other_charges"][kind] = _text(subtotal)
    for key, amount in amounts.items():
        item[key] = _text(amount)
    item["currency"] = currency
    return item, currency


def parse_order(data, seller_id=None):
    """One v2026 ``Order`` → an order dict (the contract). Raises ResponseParseError."""
    if not isinstance(data, dict) or not data.get("orderId"):
        raise ResponseParseError("an order without orderId")
    order_id = data["orderId"]
    order = empty_order("spapi")
    channel = data.get("salesChannel") or {}
    fulfillment = data.get("fulfillment") or {}
    buyer = data.get("buyer") or {}
    ship_by = fulfillment.get("shipByWindow") or {}
    deliver_by = fulfillment.get("deliverByWindow") or {}
    items, currencies = [], set()
    for raw in data.get("orderItems") or []:
        item, currency = parse_item(raw, order_id)
        items.append(item)
        if currency:
            currencies.add(currency)
    total = (data.get("proceeds") or {}).get("grandTotal")
    order_total, total_currency = (
        _money(total, f"order {order_id} total") if total else (None, None)
    )
    if total_currency:
        currencies.add(total_currency)
    if len(currencies) > 1:
        raise ResponseParseError(f"order {order_id}: several currencies {sorted(currencies)}")
    address = (data.get("recipient") or {}).get("deliveryAddress")
    shipping_address = None
    if address:
        shipping_address = empty_address()
        for source, key in _ADDRESS.items():
            shipping_address[key] = address.get(source) or None
    status = fulfillment.get("fulfillmentStatus")
    order.update(
        amazon_order_id=order_id,
        seller_id=seller_id,
        marketplace_id=channel.get("marketplaceId"),
        sales_channel=channel.get("marketplaceName"),
        purchase_date=_time(data.get("createdTime"), f"order {order_id} createdTime"),
        last_update_date=_time(data.get("lastUpdatedTime"), f"order {order_id} lastUpdatedTime"),
        status=STATUSES.get(status, status),
        fulfillment_channel=CHANNELS.get(fulfillment.get("fulfilledBy"), "MFN"),
        ship_service_level=fulfillment.get("fulfillmentServiceLevel"),
        currency=next(iter(currencies), None),
        order_total=_text(order_total) if order_total is not None else None,
        order_total_source="amazon" if order_total is not None else None,
        buyer_email=buyer.get("buyerEmail"),
        buyer_name=buyer.get("buyerName"),
        purchase_order_number=buyer.get("buyerPurchaseOrderNumber"),
        shipping_address=shipping_address,
        earliest_ship_date=_time(ship_by.get("earliestDateTime"), "shipByWindow"),
        latest_ship_date=_time(ship_by.get("latestDateTime"), "shipByWindow"),
        earliest_delivery_date=_time(deliver_by.get("earliestDateTime"), "deliverByWindow"),
        latest_delivery_date=_time(deliver_by.get("latestDateTime"), "deliverByWindow"),
        is_prime="PRIME" in (data.get("programs") or []),
        is_business_order="AMAZON_BUSINESS" in (data.get("programs") or []),
        items=items,
        items_complete=True,
    )
    return order


def parse_search(body, seller_id=None):
    """A searchOrders answer → (order dicts, next token or None, complete-up-to moment)."""
    if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
        raise ResponseParseError("searchOrders: no orders list")
    orders = [parse_order(order, seller_id) for order in body["orders"]]
    token = (body.get("pagination") or {}).get("nextToken") or None
    until = body.get("lastUpdatedBefore") or body.get("createdBefore")
    return orders, token, _time(until, "lastUpdatedBefore") if until else None
