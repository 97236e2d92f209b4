"""Orders API responses (ListOrders, GetOrder, ListOrderItems) → normalised order dicts.

The dict shape is the one of ``amazon_sandbox/DESIGN.md`` ("The order dict"), shared by the
sandbox, these parsers and the Odoo import: datetimes are aware UTC, amounts are 2-decimal
strings, every contract key is always present (None, False or an empty list when Amazon says
nothing).

Keys added to the contract (always present):

- ``parse_warnings``: list of str. What could not be read but did not justify losing the order:
  an impossible date (the documentation's ``20178-02-20``) becomes None plus a warning here.
- ``items_complete``: bool. False on orders from ListOrders/GetOrder (they carry no items);
  True once `attach_items` received the last page, and on orders parsed from reports.
- ``order_total_source``: ``"amazon"`` when Amazon announced ``order_total`` (OrderTotal),
  ``"computed"`` when a parser computed it from the items (reports carry no total), None when
  there is no total (Pending orders).
- ``source``: which response the dict came from (``ListOrders``, ``GetOrder``, ``flat_file``,
  ``xml_all_orders``, ``order_report``).
- ``merchant_order_id``, ``seller_order_id``, ``purchase_order_number``, ``buyer_phone``,
  ``payments_date``, ``payment_method_details`` (list), ``number_of_items_shipped``,
  ``number_of_items_unshipped``, ``delivery_instructions``: None (or []) when absent.

Keys added to items: ``currency``, ``cod_fee``, ``cod_fee_discount`` (2-decimal strings),
``is_gift`` (bool | None), ``condition_note``, ``merchant_order_item_id``, ``item_status``,
``item_fees`` (dict fee type → 2-decimal string, Amazon's fees on the line, from the scheduled
XML order report), ``other_charges`` (dict component type → amount for price components outside
the contract's formula, e.g. CODFee in an XML report).

``shipments``, ``adjustments`` and ``acknowledged`` are the sandbox's bookkeeping: parsers always
return ``[]``, ``[]`` and None.

An amount Amazon did not send on an item is ``"0.00"`` (Pending orders may lack prices).
Malformed amounts raise `ResponseParseError`; malformed dates only warn.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from lxml import etree

from .order_values import item_amounts
from .responses import (
    ResponseParseError,
    find,
    findall,
    format_amount,
    local_name,
    next_token,
    parse_amount,
    parse_bool,
    parse_datetime,
    parse_int,
    parse_xml,
    raise_for_error,
    text,
)

__all__ = [
    "ADDRESS_KEYS",
    "CONTRACT_ITEM_KEYS",
    "CONTRACT_ORDER_KEYS",
    "ITEM_AMOUNT_KEYS",
    "MARKETPLACE_BY_SALES_CHANNEL",
    "attach_items",
    "contract_problems",
    "empty_address",
    "empty_item",
    "empty_order",
    "item_total",
    "order_total_check",
    "parse_get_order",
    "parse_list_order_items",
    "parse_list_orders",
]

ZERO = Decimal("0.00")

ADDRESS_KEYS = (
    "name",
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "county",
    "district",
    "state_or_region",
    "postal_code",
    "country_code",
    "phone",
    "address_type",
)

ITEM_AMOUNT_KEYS = (
    "item_price",
    "item_tax",
    "shipping_price",
    "shipping_tax",
    "shipping_discount",
    "promotion_discount",
    "gift_wrap_price",
    "gift_wrap_tax",
)

# The keys of the order dict (amazon_sandbox/DESIGN.md); our additions come on top.
CONTRACT_ORDER_KEYS = frozenset(
    {
        "amazon_order_id", "seller_id", "marketplace_id", "sales_channel", "purchase_date",
        "last_update_date", "status", "fulfillment_channel", "ship_service_level",
        "shipment_service_level_category", "currency", "order_total", "buyer_email",
        "buyer_name", "shipping_address", "earliest_ship_date", "latest_ship_date",
        "earliest_delivery_date", "latest_delivery_date", "is_prime", "is_business_order",
        "is_premium_order", "is_replacement_order", "payment_method", "order_type",
        "cancel_reason", "items", "shipments", "adjustments", "acknowledged",
    }
)  # fmt: skip
CONTRACT_ITEM_KEYS = frozenset(
    {
        "order_item_id", "seller_sku", "asin", "title", "quantity_ordered", "quantity_shipped",
        *ITEM_AMOUNT_KEYS, "promotion_ids", "gift_message_text", "gift_wrap_level",
        "condition_id", "condition_subtype_id",
    }
)  # fmt: skip
_DATE_KEYS = (
    "purchase_date",
    "last_update_date",
    "earliest_ship_date",
    "latest_ship_date",
    "earliest_delivery_date",
    "latest_delivery_date",
)
_FLAG_KEYS = ("is_prime", "is_business_order", "is_premium_order", "is_replacement_order")

# Public marketplace ids, to fill marketplace_id from reports that only name the sales channel.
MARKETPLACE_BY_SALES_CHANNEL = {
    "amazon.com": "ATVPDKIKX0DER",
    "amazon.ca": "A2EUQ1WTGCTBG2",
    "amazon.com.mx": "A1AM78C64UM0Y8",
    "amazon.com.br": "A2Q3Y263D00KWC",
    "amazon.co.uk": "A1F83G8C2ARO7P",
    "amazon.de": "A1PA6795UKMFR9",
    "amazon.fr": "A13V1IB3VIYZZH",
    "amazon.it": "APJ6JRA9NG5V4",
    "amazon.es": "A1RKKUPIHCS9HS",
    "amazon.nl": "A1805IZSGTT6HS",
    "amazon.in": "A21TJRUUN4KGV",
    "amazon.co.jp": "A1VC38T7YXB528",
    "amazon.com.au": "A39IBJ37TRP1C6",
}


#: ``source`` of the orders the Orders API listed or got (the others come from reports)
LISTING_SOURCE = "ListOrders"
API_SOURCES = (LISTING_SOURCE, "GetOrder")


def empty_address() -> dict:
    """A shipping address with every contract key set to None."""
    return dict.fromkeys(ADDRESS_KEYS)


def empty_item() -> dict:
    """An order item with every contract key (and our additions) at its 'absent' value."""
    item = {
        "order_item_id": None,
        "seller_sku": None,
        "asin": None,
        "title": None,
        "quantity_ordered": 0,
        "quantity_shipped": 0,
    }
    item.update(dict.fromkeys(ITEM_AMOUNT_KEYS, "0.00"))
    item.update(
        {
            "promotion_ids": [],
            "gift_message_text": None,
            "gift_wrap_level": None,
            "condition_id": None,
            "condition_subtype_id": None,
            # additions
            "currency": None,
            "cod_fee": "0.00",
            "cod_fee_discount": "0.00",
            "is_gift": None,
            "condition_note": None,
            "merchant_order_item_id": None,
            "item_status": None,
            "item_fees": {},
            "other_charges": {},
        }
    )
    return item


def empty_order(source: str | None = None) -> dict:
    """An order with every contract key (and our additions) at its 'absent' value."""
    return {
        "amazon_order_id": None,
        "seller_id": None,
        "marketplace_id": None,
        "sales_channel": None,
        "purchase_date": None,
        "last_update_date": None,
        "status": None,
        "fulfillment_channel": None,
        "ship_service_level": None,
        "shipment_service_level_category": None,
        "currency": None,
        "order_total": None,
        "buyer_email": None,
        "buyer_name": None,
        "shipping_address": None,
        "earliest_ship_date": None,
        "latest_ship_date": None,
        "earliest_delivery_date": None,
        "latest_delivery_date": None,
        "is_prime": False,
        "is_business_order": False,
        "is_premium_order": False,
        "is_replacement_order": False,
        "payment_method": None,
        "order_type": None,
        "cancel_reason": None,
        "items": [],
        "shipments": [],
        "adjustments": [],
        "acknowledged": None,
        # additions
        "parse_warnings": [],
        "items_complete": False,
        "order_total_source": None,
        "source": source,
        "merchant_order_id": None,
        "seller_order_id": None,
        "purchase_order_number": None,
        "buyer_phone": None,
        "payments_date": None,
        "payment_method_details": [],
        "number_of_items_shipped": None,
        "number_of_items_unshipped": None,
        "delivery_instructions": None,
    }


def _is_amount(value) -> bool:
    if not isinstance(value, str):
        return False
    whole, dot, cents = value.lstrip("-").partition(".")
    return bool(dot) and whole.isdigit() and len(cents) == 2 and cents.isdigit()


def contract_problems(order: dict) -> list[str]:
    """What keeps `order` from the contract's shape (empty list: conforming).

    Checks keys, aware datetimes, 2-decimal amount strings, int quantities, bool flags and the
    address keys; not business rules (a total that does not add up is `order_total_check`'s).
    """
    problems = [f"missing key {k}" for k in sorted(CONTRACT_ORDER_KEYS - set(order))]
    for key in _DATE_KEYS:
        value = order.get(key)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            problems.append(f"{key} is not an aware datetime: {value!r}")
    for key in _FLAG_KEYS:
        if not isinstance(order.get(key), bool):
            problems.append(f"{key} is not a bool: {order.get(key)!r}")
    if order.get("order_total") is not None and not _is_amount(order["order_total"]):
        problems.append(f"order_total is not a 2-decimal string: {order['order_total']!r}")
    address = order.get("shipping_address")
    if address is not None and set(address) != set(ADDRESS_KEYS):
        problems.append(f"shipping_address keys differ: {sorted(set(address) ^ set(ADDRESS_KEYS))}")
    for pos, item in enumerate(order.get("items") or ()):
        label = f"item {item.get('order_item_id') or pos}"
        problems += [f"{label}: missing key {k}" for k in sorted(CONTRACT_ITEM_KEYS - set(item))]
        for key in ITEM_AMOUNT_KEYS:
            if key in item and not _is_amount(item[key]):
                problems.append(f"{label}: {key} is not a 2-decimal string: {item[key]!r}")
        for key in ("quantity_ordered", "quantity_shipped"):
            if key in item and (not isinstance(item[key], int) or isinstance(item[key], bool)):
                problems.append(f"{label}: {key} is not an int: {item[key]!r}")
        if "promotion_ids" in item and not isinstance(item["promotion_ids"], list):
            problems.append(f"{label}: promotion_ids is not a list")
    return problems


# ---------------------------------------------------------------------------------------------
# Totals
# ---------------------------------------------------------------------------------------------


def item_total(item: dict) -> Decimal:
    """The contract's item total: price + tax + shipping + shipping tax + gift wrap + its tax
    − promotion discount − shipping discount, to the cent (``order_values.item_amounts``
    summed: the one totals computation)."""
    return sum(item_amounts(item).values(), ZERO).quantize(Decimal("0.01"))


def order_total_check(order: dict) -> tuple[Decimal, Decimal | None]:
    """(sum of the item totals, total Amazon announced or None).

    The announced total is ``order_total`` unless a parser computed it itself
    (``order_total_source == "computed"``). The computed sum covers the items present: check
    ``items_complete`` before trusting it (ListOrders orders have no items until
    `attach_items`).
    """
    computed = sum((item_total(i) for i in order.get("items") or ()), ZERO)
    announced = None
    if order.get("order_total_source") != "computed" and order.get("order_total") is not None:
        announced = parse_amount(order["order_total"])
    return computed.quantize(Decimal("0.01")), announced


def attach_items(
    order: dict, items: Iterable[dict], *, complete: bool = True, amazon_order_id: str | None = None
) -> dict:
    """Add a page of items to `order` in place (and return it).

    An item whose ``order_item_id`` is already on the order replaces it, so a page fetched twice
    does not duplicate lines. Pass ``complete=False`` for every ListOrderItems page but the last,
    and the ``amazon_order_id`` that `parse_list_order_items` returned to guard against
    attaching another order's items (ValueError).
    """
    if amazon_order_id is not None and amazon_order_id != order.get("amazon_order_id"):
        raise ValueError(
            f"items of order {amazon_order_id} cannot be attached to order "
            f"{order.get('amazon_order_id')}"
        )
    current = order.setdefault("items", [])
    index = {it.get("order_item_id"): pos for pos, it in enumerate(current)}
    for item in items:
        key = item.get("order_item_id")
        if key is not None and key in index:
            current[index[key]] = item
        else:
            index[key] = len(current)
            current.append(item)
        if order.get("currency") is None and item.get("currency"):
            order["currency"] = item["currency"]
    order["items_complete"] = complete
    return order


# ---------------------------------------------------------------------------------------------
# XML helpers shared with reports.py
# ---------------------------------------------------------------------------------------------


def warn(order: dict, message: str) -> None:
    order.setdefault("parse_warnings", []).append(message)


def date_field(order: dict, value: str | None, label: str) -> datetime | None:
    """parse_datetime, but an unreadable date becomes None plus a warning on the order."""
    try:
        return parse_datetime(value)
    except ResponseParseError as exc:
        warn(order, f"{label}: {exc}; the date was set to None")
        return None


def amount_field(
    value: str | None,
    label: str,
    default: str | None = "0.00",
    error: type[ResponseParseError] = ResponseParseError,
) -> str | None:
    """A 2-decimal string; `default` when absent; raises `error` naming `label`."""
    try:
        amount = parse_amount(value)
    except ResponseParseError as exc:
        raise error(f"{label}: {exc}") from None
    return default if amount is None else format_amount(amount)


def discount_field(
    value: str | None, label: str, error: type[ResponseParseError] = ResponseParseError
) -> str:
    """Discounts as the contract wants them: positive, subtracted by the item total formula.

    Amazon writes promotion discounts negative in reports and positive in ListOrderItems.
    """
    return format_amount(abs(Decimal(amount_field(value, label, error=error))))


def sales_channel_marketplace(sales_channel: str | None) -> str | None:
    return MARKETPLACE_BY_SALES_CHANNEL.get((sales_channel or "").strip().lower())


def _expect_result(root: etree._Element, names: tuple[str, ...]) -> etree._Element:
    raise_for_error(root)
    for name in names:
        result = find(root, name)
        if result is not None:
            return result
    raise ResponseParseError(
        f"expected {' or '.join(names)} in the response, got a <{local_name(root)}> "
        f"with children {[local_name(c) for c in root][:5]}"
    )


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------


def _address(el: etree._Element | None) -> dict | None:
    if el is None:
        return None
    address = empty_address()
    for key, tag in (
        ("name", "Name"),
        ("address_line1", "AddressLine1"),
        ("address_line2", "AddressLine2"),
        ("address_line3", "AddressLine3"),
        ("city", "City"),
        ("county", "County"),
        ("district", "District"),
        ("state_or_region", "StateOrRegion"),
        ("postal_code", "PostalCode"),
        ("country_code", "CountryCode"),
        ("phone", "Phone"),
        ("address_type", "AddressType"),
    ):
        address[key] = text(el, tag)
    return address


def _order_from_element(el: etree._Element, source: str, seller_id: str | None) -> dict:
    order = empty_order(source)
    amazon_order_id = text(el, "AmazonOrderId")
    if not amazon_order_id:
        raise ResponseParseError("an Order without AmazonOrderId")
    order["amazon_order_id"] = amazon_order_id
    order["seller_id"] = seller_id
    order["seller_order_id"] = text(el, "SellerOrderId")
    order["sales_channel"] = text(el, "SalesChannel")
    order["marketplace_id"] = text(el, "MarketplaceId") or sales_channel_marketplace(
        order["sales_channel"]
    )
    for key, tag in (
        ("purchase_date", "PurchaseDate"),
        ("last_update_date", "LastUpdateDate"),
        ("earliest_ship_date", "EarliestShipDate"),
        ("latest_ship_date", "LatestShipDate"),
        ("earliest_delivery_date", "EarliestDeliveryDate"),
        ("latest_delivery_date", "LatestDeliveryDate"),
    ):
        order[key] = date_field(order, text(el, tag), f"{amazon_order_id} {tag}")
    order["status"] = text(el, "OrderStatus")
    order["fulfillment_channel"] = text(el, "FulfillmentChannel")
    order["ship_service_level"] = text(el, "ShipServiceLevel")
    order["shipment_service_level_category"] = text(el, "ShipmentServiceLevelCategory")
    total = find(el, "OrderTotal")
    if total is not None:
        order["currency"] = text(total, "CurrencyCode")
        order["order_total"] = amount_field(
            text(total, "Amount"), f"{amazon_order_id} OrderTotal", default=None
        )
        if order["order_total"] is not None:
            order["order_total_source"] = "amazon"
    order["buyer_email"] = text(el, "BuyerEmail")
    order["buyer_name"] = text(el, "BuyerName")
    order["shipping_address"] = _address(find(el, "ShippingAddress"))
    for key, tag in (
        ("is_prime", "IsPrime"),
        ("is_business_order", "IsBusinessOrder"),
        ("is_premium_order", "IsPremiumOrder"),
        ("is_replacement_order", "IsReplacementOrder"),
    ):
        order[key] = bool(parse_bool(text(el, tag)))
    order["payment_method"] = text(el, "PaymentMethod")
    order["payment_method_details"] = [
        t for t in (text(d) for d in findall(el, "PaymentMethodDetails/PaymentMethodDetail")) if t
    ]
    order["order_type"] = text(el, "OrderType")
    order["cancel_reason"] = text(el, "CancelReason")
    order["purchase_order_number"] = text(el, "PurchaseOrderNumber")
    for key, tag in (
        ("number_of_items_shipped", "NumberOfItemsShipped"),
        ("number_of_items_unshipped", "NumberOfItemsUnshipped"),
    ):
        try:
            order[key] = parse_int(text(el, tag))
        except ResponseParseError as exc:
            warn(order, f"{amazon_order_id} {tag}: {exc}")
    return order


def parse_list_orders(
    body: bytes | str, *, seller_id: str | None = None
) -> tuple[list[dict], str | None, datetime | None]:
    """ListOrders or ListOrdersByNextToken → (orders, next_token, LastUpdatedBefore or
    CreatedBefore).

    Orders carry no items (``items_complete`` False). `seller_id` (not in the response) is
    copied onto each order. Raises `MwsErrorResponse` for an ErrorResponse and
    `ResponseParseError` for a body that is not a ListOrders answer.
    """
    root = parse_xml(body)
    result = _expect_result(root, ("ListOrdersResult", "ListOrdersByNextTokenResult"))
    orders = [
        _order_from_element(el, "ListOrders", seller_id) for el in findall(result, "Orders/Order")
    ]
    before_text = text(result, "LastUpdatedBefore") or text(result, "CreatedBefore")
    before = parse_datetime(before_text)
    return orders, next_token(result), before


def parse_get_order(body: bytes | str, *, seller_id: str | None = None) -> list[dict]:
    """GetOrder → its orders (GetOrder takes up to 50 AmazonOrderId.Id.N), without items."""
    root = parse_xml(body)
    result = _expect_result(root, ("GetOrderResult",))
    return [
        _order_from_element(el, "GetOrder", seller_id) for el in findall(result, "Orders/Order")
    ]


# ---------------------------------------------------------------------------------------------
# Order items
# ---------------------------------------------------------------------------------------------


def _money(el: etree._Element, tag: str, label: str) -> tuple[str | None, str | None]:
    """(amount string or None, currency) of a Money element (CurrencyCode + Amount)."""
    node = find(el, tag)
    if node is None:
        return None, None
    return amount_field(text(node, "Amount"), label, default=None), text(node, "CurrencyCode")


def _item_from_element(el: etree._Element) -> dict:
    item = empty_item()
    item["order_item_id"] = text(el, "OrderItemId")
    if not item["order_item_id"]:
        raise ResponseParseError("an OrderItem without OrderItemId")
    label = f"item {item['order_item_id']}"
    item["seller_sku"] = text(el, "SellerSKU")
    item["asin"] = text(el, "ASIN")
    item["title"] = text(el, "Title")
    item["quantity_ordered"] = parse_int(text(el, "QuantityOrdered")) or 0
    item["quantity_shipped"] = parse_int(text(el, "QuantityShipped")) or 0
    currencies = []
    for key, tag in (
        ("item_price", "ItemPrice"),
        ("item_tax", "ItemTax"),
        ("shipping_price", "ShippingPrice"),
        ("shipping_tax", "ShippingTax"),
        ("gift_wrap_price", "GiftWrapPrice"),
        ("gift_wrap_tax", "GiftWrapTax"),
        ("cod_fee", "CODFee"),
        ("cod_fee_discount", "CODFeeDiscount"),
    ):
        amount, currency = _money(el, tag, f"{label} {tag}")
        if amount is not None:
            item[key] = amount
        if currency:
            currencies.append(currency)
    for key, tag in (
        ("shipping_discount", "ShippingDiscount"),
        ("promotion_discount", "PromotionDiscount"),
    ):
        amount, currency = _money(el, tag, f"{label} {tag}")
        if amount is not None:
            item[key] = discount_field(amount, f"{label} {tag}")
        if currency:
            currencies.append(currency)
    item["currency"] = currencies[0] if currencies else None
    item["promotion_ids"] = [
        t for t in (text(p) for p in findall(el, "PromotionIds/PromotionId")) if t
    ]
    item["gift_message_text"] = text(el, "GiftMessageText")
    item["gift_wrap_level"] = text(el, "GiftWrapLevel")
    item["is_gift"] = parse_bool(text(el, "IsGift"))
    item["condition_id"] = text(el, "ConditionId")
    item["condition_subtype_id"] = text(el, "ConditionSubtypeId")
    item["condition_note"] = text(el, "ConditionNote")
    return item


def parse_list_order_items(body: bytes | str) -> tuple[str | None, list[dict], str | None]:
    """ListOrderItems or ListOrderItemsByNextToken → (AmazonOrderId, items, next_token).

    Feed the items to `attach_items`. Raises `MwsErrorResponse` / `ResponseParseError`.
    """
    root = parse_xml(body)
    result = _expect_result(root, ("ListOrderItemsResult", "ListOrderItemsByNextTokenResult"))
    items = [_item_from_element(el) for el in findall(result, "OrderItems/OrderItem")]
    return text(result, "AmazonOrderId"), items, next_token(result)
