"""Pure mapping of a sandbox order dict (DESIGN.md, "The order dict") to the SP-API Orders
v2026-01-01 `Order` (models/orders_2026-01-01.json). One function, `order_v2026`; the field
table is in DESIGN.md ("The order dict in SP-API v2026-01-01"), because the connector's parser
reads it back to the same order dict.

`included` is the request's includedData: a dataset that is not asked for is absent (no `buyer`
without BUYER, no `proceeds` without PROCEEDS, ...). As in the MWS face, buyer data, the
address, order-level proceeds, tax registrations and payments stay hidden while the payment is
pending (`render_orders.buyer_data_visible`). As the model notes, the buyer e-mail and the phone
are not given for orders fulfilled by Amazon, and packages only for merchant-fulfilled ones.

Amounts are `Money` ({"amount": "12.34", "currencyCode": "USD"}); discounts are negative;
a breakdown (or detailed breakdown) whose amount is zero is left out.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .clock import iso_z
from .render_orders import buyer_data_visible, merchant_order_id

INCLUDED_DATA = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
)

#: MWS OrderStatus -> v2026 FulfillmentStatus
FULFILLMENT_STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "InvoiceUnconfirmed": "SHIPPED",  # shipped, invoice not confirmed: no v2026 status of its own
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
}
#: v2026 FulfillmentStatus -> the MWS statuses it covers (searchOrders' fulfillmentStatuses)
MWS_STATUSES = {}
for _mws, _v2026 in FULFILLMENT_STATUS.items():
    MWS_STATUSES.setdefault(_v2026, []).append(_mws)
FULFILLED_BY = {"MFN": "MERCHANT", "AFN": "AMAZON"}
CHANNEL_OF = {v: k for k, v in FULFILLED_BY.items()}
CONDITION_SUBTYPES = {
    "New": "NEW",
    "Mint": "MINT",
    "VeryGood": "VERY_GOOD",
    "Good": "GOOD",
    "Acceptable": "ACCEPTABLE",
    "Poor": "POOR",
    "Club": "CLUB",
    "OEM": "OEM",
    "Warranty": "WARRANTY",
    "RefurbishedWarranty": "REFURBISHED_WARRANTY",
    "Refurbished": "REFURBISHED",
    "OpenBox": "OPEN_BOX",
    "Any": "ANY",
    "Other": "OTHER",
}
PAYMENT_METHODS = {"COD": "CashOnDelivery", "CVS": "ConvenienceStore", "Other": "CreditCard"}
ADDRESS_FIELDS = (
    ("name", "name"),
    ("address_line1", "addressLine1"),
    ("address_line2", "addressLine2"),
    ("address_line3", "addressLine3"),
    ("city", "city"),
    ("state_or_region", "stateOrRegion"),
    ("postal_code", "postalCode"),
    ("country_code", "countryCode"),
)
ZERO = Decimal("0.00")


def upper_snake(value: str) -> str:
    """Amazon's MWS CamelCase values as v2026 enums: SecondDay -> SECOND_DAY."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).upper()


def _dec(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _money(amount, currency: str) -> dict:
    return {"amount": str(_dec(amount)), "currencyCode": currency}


def _window(earliest, latest) -> dict | None:
    window = {}
    if earliest:
        window["earliestDateTime"] = iso_z(earliest)
    if latest:
        window["latestDateTime"] = iso_z(latest)
    return window or None


def _item_breakdowns(item: dict) -> dict[str, Decimal]:
    """The line's amounts by v2026 proceeds type and subtype (signed)."""
    return {
        "ITEM": _dec(item.get("item_price")),
        "SHIPPING": _dec(item.get("shipping_price")),
        "GIFT_WRAP": _dec(item.get("gift_wrap_price")),
        "TAX/ITEM": _dec(item.get("item_tax")),
        "TAX/SHIPPING": _dec(item.get("shipping_tax")),
        "TAX/GIFT_WRAP": _dec(item.get("gift_wrap_tax")),
        "DISCOUNT/ITEM": -_dec(item.get("promotion_discount")),
        "DISCOUNT/SHIPPING": -_dec(item.get("shipping_discount")),
    }


def _proceeds_breakdowns(amounts: dict[str, Decimal], currency: str, detailed: bool) -> list:
    """ITEM, SHIPPING, GIFT_WRAP, TAX, DISCOUNT breakdowns (zero ones left out); TAX and
    DISCOUNT with their detailed breakdowns by subtype when `detailed` (item level)."""
    out = []
    for kind in ("ITEM", "SHIPPING", "GIFT_WRAP", "TAX", "DISCOUNT"):
        if kind in amounts:
            subtotal, parts = amounts[kind], []
        else:
            parts = [(k.split("/")[1], v) for k, v in amounts.items() if k.startswith(kind + "/")]
            subtotal = sum((v for _k, v in parts), ZERO)
        if not subtotal and not any(v for _k, v in parts):
            continue
        entry = {"type": kind, "subtotal": _money(subtotal, currency)}
        if detailed and parts:
            details = [
                {"subtype": sub, "value": _money(value, currency)} for sub, value in parts if value
            ]
            if details:
                entry["detailedBreakdowns"] = details
        out.append(entry)
    return out


def _address(address: dict, afn: bool) -> dict:
    out = {tag: str(address[key]) for key, tag in ADDRESS_FIELDS if address.get(key)}
    district = address.get("county") or address.get("district")
    if district:
        out["districtOrCounty"] = str(district)
    if address.get("phone") and not afn:  # "suppressed ... for all FBA orders"
        out["phone"] = str(address["phone"])
    if address.get("address_type"):
        out["addressType"] = upper_snake(str(address["address_type"]))
    return out


def _item(order: dict, item: dict, included: set[str], currency: str) -> dict:
    quantity = int(item.get("quantity_ordered") or 0)
    shipped = int(item.get("quantity_shipped") or 0)
    product: dict = {"asin": item["asin"], "sellerSku": item["seller_sku"]}
    if item.get("title"):
        product["title"] = item["title"]
    condition = {"conditionType": upper_snake(item.get("condition_id") or "New")}
    subtype = item.get("condition_subtype_id")
    if subtype:
        condition["conditionSubtype"] = CONDITION_SUBTYPES.get(subtype, upper_snake(subtype))
    product["condition"] = condition
    if quantity:
        unit = (_dec(item.get("item_price")) / quantity).quantize(Decimal("0.01"))
        product["price"] = {"unitPrice": _money(unit, currency)}
    out: dict = {
        "orderItemId": item["order_item_id"],
        "quantityOrdered": quantity,
        "product": product,
    }
    if "PROCEEDS" in included:
        amounts = _item_breakdowns(item)
        proceeds: dict = {"proceedsTotal": _money(sum(amounts.values(), ZERO), currency)}
        breakdowns = _proceeds_breakdowns(amounts, currency, detailed=True)
        if breakdowns:
            proceeds["breakdowns"] = breakdowns
        out["proceeds"] = proceeds
    if "PROMOTION" in included and item.get("promotion_ids"):
        out["promotion"] = {"breakdowns": [{"promotionId": p} for p in item["promotion_ids"]]}
    if "CANCELLATION" in included and order["status"] == "Canceled" and order.get("cancel_reason"):
        reason = order["cancel_reason"]
        by_buyer = reason == "BuyerCanceled"
        cancellation: dict = {
            "cancellationExecution": {
                "cancelledBy": "BUYER" if by_buyer else "MERCHANT",
                "cancelReason": reason,
            }
        }
        if by_buyer:
            cancellation["cancellationRequest"] = {"requester": "BUYER", "cancelReason": reason}
        out["cancellation"] = cancellation
    if "FULFILLMENT" in included:
        fulfillment: dict = {
            "quantityFulfilled": shipped,
            "quantityUnfulfilled": 0 if order["status"] == "Canceled" else quantity - shipped,
        }
        gift = {}
        if item.get("gift_message_text"):
            gift["giftMessage"] = item["gift_message_text"]
        if item.get("gift_wrap_level"):
            gift["giftWrapLevel"] = item["gift_wrap_level"]
        if gift:
            fulfillment["packing"] = {"giftOption": gift}
        out["fulfillment"] = fulfillment
    return out


def _packages(order: dict) -> list[dict]:
    packages = []
    for shipment in order.get("shipments") or ():
        package: dict = {
            "packageReferenceId": str(shipment["shipment_id"]),
            "packageStatus": {"status": "SHIPPED"},
        }
        if shipment.get("ship_date"):
            package["createdTime"] = iso_z(shipment["ship_date"])
            package["shipTime"] = iso_z(shipment["ship_date"])
        carrier = shipment.get("carrier_name") or shipment.get("carrier_code")
        if carrier:
            package["carrier"] = carrier
        if shipment.get("shipping_method"):
            package["shippingService"] = shipment["shipping_method"]
        if shipment.get("tracking_number"):
            package["trackingNumber"] = shipment["tracking_number"]
        package["packageItems"] = [
            {"orderItemId": line["order_item_id"], "quantity": int(line["quantity"])}
            for line in shipment.get("items") or ()
        ]
        packages.append(package)
    return packages


def order_v2026(order: dict, included=()) -> dict:
    """The v2026-01-01 `Order` of a sandbox order dict, with the datasets of `included`
    (includedData values; unknown ones are ignored)."""
    included = {str(v).upper() for v in included}
    currency = order["currency"]
    visible = buyer_data_visible(order)
    afn = order["fulfillment_channel"] == "AFN"
    out: dict = {"orderId": order["amazon_order_id"]}
    if merchant_order_id(order):
        out["orderAliases"] = [
            {"aliasId": merchant_order_id(order), "aliasType": "SELLER_ORDER_ID"}
        ]
    out["createdTime"] = iso_z(order["purchase_date"])
    out["lastUpdatedTime"] = iso_z(order["last_update_date"])
    programs = [
        name
        for name, flag in (
            ("AMAZON_BUSINESS", order.get("is_business_order")),
            ("PREMIUM", order.get("is_premium_order")),
            ("PREORDER", order.get("order_type") == "Preorder"),
            ("PRIME", order.get("is_prime")),
        )
        if flag
    ]
    if programs:
        out["programs"] = programs
    channel = {"channelName": "AMAZON", "marketplaceId": order["marketplace_id"]}
    if order.get("sales_channel"):
        channel["marketplaceName"] = order["sales_channel"]
    out["salesChannel"] = channel
    if "BUYER" in included and visible:
        buyer = {}
        if order.get("buyer_name"):
            buyer["buyerName"] = order["buyer_name"]
        if order.get("buyer_email") and not afn:  # "Only available for ... FBM orders"
            buyer["buyerEmail"] = order["buyer_email"]
        company = (order.get("buyer_tax_info") or {}).get("company_legal_name")
        if company:
            buyer["buyerCompanyName"] = company
        if order.get("purchase_order_number"):
            buyer["buyerPurchaseOrderNumber"] = order["purchase_order_number"]
        if buyer:
            out["buyer"] = buyer
    if "RECIPIENT" in included and visible and order.get("shipping_address"):
        out["recipient"] = {"deliveryAddress": _address(order["shipping_address"], afn)}
    items = order.get("items") or []
    if "PROCEEDS" in included and visible:
        totals: dict[str, Decimal] = {}
        for item in items:
            for key, value in _item_breakdowns(item).items():
                totals[key] = totals.get(key, ZERO) + value
        proceeds: dict = {"grandTotal": _money(sum(totals.values(), ZERO), currency)}
        breakdowns = _proceeds_breakdowns(totals, currency, detailed=False)
        if breakdowns:
            proceeds["breakdowns"] = breakdowns
        out["proceeds"] = proceeds
    if "PAYMENT" in included and visible:
        method = order.get("payment_method") or "Other"
        out["payment"] = {
            "paymentExecutions": [
                {
                    "paymentMethod": PAYMENT_METHODS.get(method, method),
                    "paymentAmount": _money(order["order_total"], currency),
                }
            ]
        }
    tax_info = order.get("buyer_tax_info") or {}
    if "TAX" in included and visible and tax_info:
        registrations = []
        for entry in tax_info.get("tax_classifications") or ():
            registration = {
                "entityType": "BUYER",
                "taxRegistrationType": "VAT" if entry.get("name") == "VATNumber" else "BUSINESS",
                "taxRegistrationNumber": str(entry.get("value") or ""),
            }
            if tax_info.get("company_legal_name"):
                registration["legalName"] = tax_info["company_legal_name"]
            registrations.append(registration)
        if registrations:
            out["tax"] = {"taxRegistrations": registrations}
    if "FULFILLMENT" in included:
        fulfillment: dict = {
            "fulfillmentStatus": FULFILLMENT_STATUS.get(order["status"], "PENDING"),
            "fulfilledBy": FULFILLED_BY.get(order["fulfillment_channel"], "MERCHANT"),
        }
        if order.get("shipment_service_level_category"):
            fulfillment["fulfillmentServiceLevel"] = upper_snake(
                order["shipment_service_level_category"]
            )
        ship_by = _window(order.get("earliest_ship_date"), order.get("latest_ship_date"))
        if ship_by:
            fulfillment["shipByWindow"] = ship_by
        deliver_by = _window(order.get("earliest_delivery_date"), order.get("latest_delivery_date"))
        if deliver_by:
            fulfillment["deliverByWindow"] = deliver_by
        out["fulfillment"] = fulfillment
    out["orderItems"] = [_item(order, item, included, currency) for item in items]
    if "PACKAGES" in included and not afn:  # "Only available for merchant-fulfilled orders"
        packages = _packages(order)
        if packages:
            out["packages"] = packages
    return out
