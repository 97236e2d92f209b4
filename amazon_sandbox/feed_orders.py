"""Order feeds: OrderAcknowledgement, OrderFulfillment, OrderAdjustment.

They change orders through api_orders.load_order / save_order and the order dict (status,
items[].quantity_shipped, shipments, adjustments, acknowledged; see DESIGN.md).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from . import api_orders
from .clock import parse_iso
from .feed_processing import Context, Result, _error, _text

ORDER_MISSING = "The order id {oid} was not found in our system."


def _find(ctx: Context, el) -> tuple[dict | None, str]:
    """The order named by AmazonOrderID (or MerchantOrderID) of a message."""
    oid = _text(el, "AmazonOrderID")
    if oid:
        return api_orders.load_order(ctx.db, ctx.seller_id, oid), oid
    merchant = _text(el, "MerchantOrderID")
    if merchant:
        for order in api_orders.list_orders_admin(ctx.db, ctx.seller_id):
            if (order.get("acknowledged") or {}).get("merchant_order_id") == merchant:
                return order, order["amazon_order_id"]
    return None, merchant or ""


def _item_index(order: dict, el) -> tuple[dict | None, str]:
    """The order item an Item/AdjustedItem element names (by Amazon or merchant item id)."""
    code = _text(el, "AmazonOrderItemCode")
    items = {i["order_item_id"]: i for i in order.get("items", [])}
    if code:
        return items.get(code), code
    merchant = _text(el, "MerchantOrderItemID")
    ack_items = (order.get("acknowledged") or {}).get("items") or {}
    for item_id, merchant_id in ack_items.items():
        if merchant_id == merchant:
            return items.get(item_id), item_id
    return None, merchant or ""


def _save(ctx: Context, order: dict) -> None:
    order["last_update_date"] = ctx.now
    api_orders.save_order(ctx.db, order)


def _status_from_items(order: dict) -> str:
    shipped = sum(int(i.get("quantity_shipped") or 0) for i in order["items"])
    ordered = sum(int(i.get("quantity_ordered") or 0) for i in order["items"])
    if shipped == 0:
        return order["status"]
    return "Shipped" if shipped >= ordered else "PartiallyShipped"


def handle_acknowledgement(ctx: Context, op: str, el) -> list[Result]:
    order, oid = _find(ctx, el)
    if order is None:
        return [_error(18028, ORDER_MISSING.format(oid=oid), order_id=oid)]
    status_code = _text(el, "StatusCode") or "Success"
    items: dict[str, str | None] = {}
    reasons = []
    for item_el in el.iterchildren("Item"):
        item, code = _item_index(order, item_el)
        if item is None:
            return [
                _error(
                    18029,
                    f"The order item {code} was not found in order {oid}.",
                    order_id=oid,
                    item_code=code,
                )
            ]
        items[item["order_item_id"]] = _text(item_el, "MerchantOrderItemID")
        if (reason := _text(item_el, "CancelReason")) is not None:
            reasons.append(reason)
    if status_code == "Failure":
        if any(int(i.get("quantity_shipped") or 0) for i in order["items"]):
            return [
                _error(
                    18030,
                    f"Order {oid} has shipped items and cannot be cancelled.",
                    order_id=oid,
                )
            ]
        if order["status"] not in ("Canceled",):
            order["status"] = "Canceled"
            order["cancel_reason"] = reasons[0] if reasons else "NoInventory"
    previous = order.get("acknowledged") or {}
    merged_items = dict(previous.get("items") or {})
    merged_items.update(items)
    order["acknowledged"] = {
        "merchant_order_id": _text(el, "MerchantOrderID") or previous.get("merchant_order_id"),
        "status_code": status_code,
        "items": merged_items,
    }
    _save(ctx, order)
    return []


def handle_fulfillment(ctx: Context, op: str, el) -> list[Result]:
    order, oid = _find(ctx, el)
    if order is None:
        return [_error(18028, ORDER_MISSING.format(oid=oid), order_id=oid)]
    if order.get("fulfillment_channel") == "AFN":
        return [_error(18030, f"Order {oid} is fulfilled by Amazon.", order_id=oid)]
    if order["status"] not in ("Unshipped", "PartiallyShipped"):
        return [
            _error(
                18030,
                f"Order {oid} is {order['status']} and cannot be shipped.",
                order_id=oid,
            )
        ]
    wanted: list[tuple[dict, int]] = []
    item_els = list(el.iterchildren("Item"))
    if not item_els:  # no items: the whole remaining order ships
        wanted = [
            (i, int(i["quantity_ordered"]) - int(i.get("quantity_shipped") or 0))
            for i in order["items"]
        ]
        wanted = [(i, q) for i, q in wanted if q > 0]
    for item_el in item_els:
        item, code = _item_index(order, item_el)
        if item is None:
            return [
                _error(
                    18029,
                    f"The order item {code} was not found in order {oid}.",
                    order_id=oid,
                    item_code=code,
                )
            ]
        left = int(item["quantity_ordered"]) - int(item.get("quantity_shipped") or 0)
        quantity = _text(item_el, "Quantity")
        qty = int(quantity) if quantity and quantity.isdigit() else left
        already = sum(q for i, q in wanted if i is item)
        if qty <= 0 or qty + already > left:
            return [
                _error(
                    18030,
                    f"The quantity {qty} for order item {code} exceeds the "
                    f"{left} unit(s) left to ship.",
                    order_id=oid,
                    item_code=code,
                )
            ]
        wanted.append((item, qty))
    if not wanted:
        return [_error(18030, f"Order {oid} has nothing left to ship.", order_id=oid)]
    try:
        ship_date = parse_iso(_text(el, "FulfillmentDate") or "")
    except ValueError:
        return [_error(99001, "A valid FulfillmentDate is required.", order_id=oid)]
    for item, qty in wanted:
        item["quantity_shipped"] = int(item.get("quantity_shipped") or 0) + qty
    shipments = order.setdefault("shipments", [])
    shipments.append(
        {
            "shipment_id": _text(el, "MerchantFulfillmentID")
            or f"{ctx.feed_id}-{len(shipments) + 1}",
            "carrier_code": _text(el, "FulfillmentData/CarrierCode"),
            "carrier_name": _text(el, "FulfillmentData/CarrierName"),
            "shipping_method": _text(el, "FulfillmentData/ShippingMethod"),
            "tracking_number": _text(el, "FulfillmentData/ShipperTrackingNumber"),
            "ship_date": ship_date,
            # when Amazon books it (settlements): processing time, not the seller's date
            "posted_date": ctx.now,
            "items": [{"order_item_id": i["order_item_id"], "quantity": q} for i, q in wanted],
        }
    )
    order["status"] = _status_from_items(order)
    _save(ctx, order)
    return []


_COMPONENTS = {
    "Principal": "principal",
    "Shipping": "shipping",
    "GiftWrap": "gift_wrap",
    "Tax": "tax",
    "ShippingTax": "shipping_tax",
    "GiftWrapTax": "gift_wrap_tax",
}
#: what each refundable component of an item may give back at most (the order item's fields)
_CHARGED = {
    "principal": ("item_price",),
    "shipping": ("shipping_price",),
    "gift_wrap": ("gift_wrap_price",),
    "tax": ("item_tax",),
    "shipping_tax": ("shipping_tax",),
    "gift_wrap_tax": ("gift_wrap_tax",),
}


def handle_adjustment(ctx: Context, op: str, el) -> list[Result]:
    order, oid = _find(ctx, el)
    if order is None:
        return [_error(18028, ORDER_MISSING.format(oid=oid), order_id=oid)]
    lines = []
    refunded: dict[tuple[str, str], Decimal] = {}  # (item, component) -> refunded before
    for adj in order.get("adjustments") or []:
        for line in adj.get("items", []):
            for component in _CHARGED:
                key = (line["order_item_id"], component)
                refunded[key] = refunded.get(key, Decimal(0)) + Decimal(line.get(component) or 0)
    for adj_el in el.iterchildren("AdjustedItem"):
        item, code = _item_index(order, adj_el)
        if item is None:
            return [
                _error(
                    18029,
                    f"The order item {code} was not found in order {oid}.",
                    order_id=oid,
                    item_code=code,
                )
            ]
        amounts = dict.fromkeys(_COMPONENTS.values(), Decimal(0))
        try:
            for comp in adj_el.iterfind("ItemPriceAdjustments/Component"):
                kind = _text(comp, "Type")
                if kind in _COMPONENTS:
                    amounts[_COMPONENTS[kind]] += abs(Decimal(_text(comp, "Amount") or "0"))
        except InvalidOperation:
            return [_error(99001, "An adjustment Amount is not a number.", order_id=oid)]
        for component, fields in _CHARGED.items():
            # Amazon adjusts per item and per component: never more than was charged
            charged = sum((Decimal(item.get(f) or 0) for f in fields), Decimal(0))
            total = refunded.get((item["order_item_id"], component), Decimal(0))
            total += amounts[component]
            if total > charged:
                name = next(k for k, v in _COMPONENTS.items() if v == component)
                return [
                    _error(
                        18031,
                        f"The refund of {total:.2f} ({name}) for order item {code} exceeds "
                        f"the {charged:.2f} charged.",
                        order_id=oid,
                        item_code=code,
                    )
                ]
        lines.append(
            {
                "order_item_id": item["order_item_id"],
                "reason": _text(adj_el, "AdjustmentReason"),
                "merchant_adjustment_item_id": _text(adj_el, "MerchantAdjustmentItemID"),
                **{k: f"{v:.2f}" for k, v in amounts.items()},
            }
        )
    if not lines:
        return [_error(99001, "An OrderAdjustment needs at least one AdjustedItem.", order_id=oid)]
    adjustments = order.setdefault("adjustments", [])
    adjustments.append(
        {
            "adjustment_id": f"{ctx.feed_id}-{len(adjustments) + 1}",
            "action_type": _text(el, "ActionType") or "Refund",
            "posted_date": ctx.now,
            "items": lines,
        }
    )
    _save(ctx, order)
    return []


ORDER_HANDLERS = {
    "OrderAcknowledgement": handle_acknowledgement,
    "OrderFulfillment": handle_fulfillment,
    "OrderAdjustment": handle_adjustment,
}
