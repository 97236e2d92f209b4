"""Pure renderers of the Orders API (2013-09-01) responses from sandbox order dicts.

Shapes follow Amazon's ListOrdersResponse sample: `<{Action}Response>` > `<{Action}Result>`
(NextToken, CreatedBefore or LastUpdatedBefore, Orders/Order...) and ResponseMetadata/RequestId.
Like Amazon, a Pending order (and one canceled before its payment cleared) has no OrderTotal,
BuyerEmail, BuyerName or ShippingAddress.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from .clock import iso_z

ORDERS_NS = "https://mws.amazonservices.com/Orders/2013-09-01"

ADDRESS_FIELDS = (
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
)


def _sub(parent, tag: str, text=None):
    el = etree.SubElement(parent, f"{{{ORDERS_NS}}}{tag}")
    if text is not None:
        if isinstance(text, bool):
            el.text = "true" if text else "false"
        elif isinstance(text, datetime):
            el.text = iso_z(text)
        else:
            el.text = str(text)
    return el


def _money(parent, tag: str, currency: str, amount) -> None:
    el = _sub(parent, tag)
    _sub(el, "CurrencyCode", currency)
    _sub(el, "Amount", amount if amount not in (None, "") else "0.00")


def buyer_data_visible(order: dict) -> bool:
    """Amazon hides buyer data and totals until the payment clears."""
    if order["status"] in ("Pending", "PendingAvailability"):
        return False
    return not (order["status"] == "Canceled" and not order.get("payments_date"))


def merchant_order_id(order: dict) -> str | None:
    ack = order.get("acknowledged") or {}
    return ack.get("merchant_order_id") or None


def order_element(parent: etree._Element, order: dict) -> etree._Element:
    """Append one `<Order>` to parent."""
    el = _sub(parent, "Order")
    visible = buyer_data_visible(order)
    _sub(el, "AmazonOrderId", order["amazon_order_id"])
    if merchant_order_id(order):
        _sub(el, "SellerOrderId", merchant_order_id(order))
    _sub(el, "PurchaseDate", order["purchase_date"])
    _sub(el, "LastUpdateDate", order["last_update_date"])
    _sub(el, "OrderStatus", order["status"])
    _sub(el, "FulfillmentChannel", order["fulfillment_channel"])
    if order.get("sales_channel"):
        _sub(el, "SalesChannel", order["sales_channel"])
    if order.get("ship_service_level"):
        _sub(el, "ShipServiceLevel", order["ship_service_level"])
    address = order.get("shipping_address")
    if visible and address:
        addr = _sub(el, "ShippingAddress")
        for key, tag in ADDRESS_FIELDS:
            if address.get(key):
                _sub(addr, tag, address[key])
    if visible:
        _money(el, "OrderTotal", order["currency"], order["order_total"])
    items = order.get("items") or []
    shipped = sum(int(i.get("quantity_shipped") or 0) for i in items)
    ordered = sum(int(i.get("quantity_ordered") or 0) for i in items)
    _sub(el, "NumberOfItemsShipped", shipped)
    _sub(el, "NumberOfItemsUnshipped", 0 if order["status"] == "Canceled" else ordered - shipped)
    _sub(el, "PaymentMethod", order.get("payment_method") or "Other")
    details = _sub(el, "PaymentMethodDetails")
    _sub(
        details,
        "PaymentMethodDetail",
        "CreditCard" if (order.get("payment_method") or "Other") == "Other" else "COD",
    )
    _sub(el, "MarketplaceId", order["marketplace_id"])
    if visible and order.get("buyer_email"):
        _sub(el, "BuyerEmail", order["buyer_email"])
    if visible and order.get("buyer_name"):
        _sub(el, "BuyerName", order["buyer_name"])
    tax_info = order.get("buyer_tax_info")
    if visible and tax_info:
        info = _sub(el, "BuyerTaxInfo")
        if tax_info.get("company_legal_name"):
            _sub(info, "CompanyLegalName", tax_info["company_legal_name"])
        if tax_info.get("taxing_region"):
            _sub(info, "TaxingRegion", tax_info["taxing_region"])
        if tax_info.get("tax_classifications"):
            classes = _sub(info, "TaxClassifications")
            for entry in tax_info["tax_classifications"]:
                one = _sub(classes, "TaxClassification")
                _sub(one, "Name", entry["name"])
                _sub(one, "Value", entry["value"])
    if order.get("shipment_service_level_category"):
        _sub(el, "ShipmentServiceLevelCategory", order["shipment_service_level_category"])
    _sub(el, "OrderType", order.get("order_type") or "StandardOrder")
    for key, tag in (
        ("earliest_ship_date", "EarliestShipDate"),
        ("latest_ship_date", "LatestShipDate"),
        ("earliest_delivery_date", "EarliestDeliveryDate"),
        ("latest_delivery_date", "LatestDeliveryDate"),
    ):
        if order.get(key):
            _sub(el, tag, order[key])
    _sub(el, "IsBusinessOrder", bool(order.get("is_business_order")))
    if order.get("is_business_order") and order.get("purchase_order_number"):
        _sub(el, "PurchaseOrderNumber", order["purchase_order_number"])
    _sub(el, "IsPrime", bool(order.get("is_prime")))
    _sub(el, "IsPremiumOrder", bool(order.get("is_premium_order")))
    _sub(el, "IsGlobalExpressEnabled", False)
    _sub(el, "IsReplacementOrder", bool(order.get("is_replacement_order")))
    return el


def order_item_element(parent: etree._Element, item: dict, currency: str) -> etree._Element:
    """Append one `<OrderItem>` to parent."""
    el = _sub(parent, "OrderItem")
    _sub(el, "ASIN", item["asin"])
    _sub(el, "SellerSKU", item["seller_sku"])
    _sub(el, "OrderItemId", item["order_item_id"])
    _sub(el, "Title", item.get("title") or "")
    _sub(el, "QuantityOrdered", int(item.get("quantity_ordered") or 0))
    _sub(el, "QuantityShipped", int(item.get("quantity_shipped") or 0))
    info = _sub(el, "ProductInfo")
    _sub(info, "NumberOfItems", 1)
    for key, tag in (
        ("item_price", "ItemPrice"),
        ("shipping_price", "ShippingPrice"),
        ("gift_wrap_price", "GiftWrapPrice"),
        ("item_tax", "ItemTax"),
        ("shipping_tax", "ShippingTax"),
        ("gift_wrap_tax", "GiftWrapTax"),
        ("shipping_discount", "ShippingDiscount"),
        ("promotion_discount", "PromotionDiscount"),
    ):
        _money(el, tag, currency, item.get(key))
    if item.get("promotion_ids"):
        promos = _sub(el, "PromotionIds")
        for promo in item["promotion_ids"]:
            _sub(promos, "PromotionId", promo)
    is_gift = bool(item.get("gift_message_text") or item.get("gift_wrap_level"))
    _sub(el, "IsGift", is_gift)
    if item.get("gift_message_text"):
        _sub(el, "GiftMessageText", item["gift_message_text"])
    if item.get("gift_wrap_level"):
        _sub(el, "GiftWrapLevel", item["gift_wrap_level"])
    _sub(el, "ConditionId", item.get("condition_id") or "New")
    _sub(el, "ConditionSubtypeId", item.get("condition_subtype_id") or "New")
    return el


def _document(action: str, request_id: str):
    root = etree.Element(f"{{{ORDERS_NS}}}{action}Response", nsmap={None: ORDERS_NS})
    result = _sub(root, f"{action}Result")
    return root, result


def _finish(root, request_id: str) -> bytes:
    meta = _sub(root, "ResponseMetadata")
    _sub(meta, "RequestId", request_id)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def render_list_orders(
    orders: list[dict],
    *,
    request_id: str,
    action: str = "ListOrders",
    next_token: str | None = None,
    created_before: datetime | None = None,
    last_updated_before: datetime | None = None,
) -> bytes:
    """ListOrders / ListOrdersByNextToken response body."""
    root, result = _document(action, request_id)
    if next_token:
        _sub(result, "NextToken", next_token)
    if created_before is not None:
        _sub(result, "CreatedBefore", created_before)
    elif last_updated_before is not None:
        _sub(result, "LastUpdatedBefore", last_updated_before)
    container = _sub(result, "Orders")
    for order in orders:
        order_element(container, order)
    return _finish(root, request_id)


def render_get_order(orders: list[dict], *, request_id: str) -> bytes:
    """GetOrder response body (unknown ids are simply absent, as on Amazon)."""
    root, result = _document("GetOrder", request_id)
    container = _sub(result, "Orders")
    for order in orders:
        order_element(container, order)
    return _finish(root, request_id)


def render_list_order_items(
    order: dict,
    items: list[dict],
    *,
    request_id: str,
    action: str = "ListOrderItems",
    next_token: str | None = None,
) -> bytes:
    """ListOrderItems / ListOrderItemsByNextToken response body for one page of items."""
    root, result = _document(action, request_id)
    if next_token:
        _sub(result, "NextToken", next_token)
    _sub(result, "AmazonOrderId", order["amazon_order_id"])
    container = _sub(result, "OrderItems")
    for item in items:
        order_item_element(container, item, order["currency"])
    return _finish(root, request_id)
