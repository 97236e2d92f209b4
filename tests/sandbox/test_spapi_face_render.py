"""The order dict -> SP-API Orders v2026-01-01 `Order` mapping (render_orders_v2026), in
process: many generated orders in every state, validated against the model's `Order`, and the
rules of DESIGN.md's table."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from conftest import ORDER_V2026_BASE_KEYS as BASE_KEYS
from conftest import spapi_definition_validator

from amazon_integration.lib.order_values import order_amounts
from amazon_sandbox.ordergen import GenOptions, apply_due_events, generate_orders, item_total
from amazon_sandbox.render_orders_v2026 import (
    FULFILLMENT_STATUS,
    INCLUDED_DATA,
    order_v2026,
    upper_snake,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
MARKETS = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"]


def orders_in_every_state(count=200):
    """Generated orders aged to several moments (Pending, Unshipped, Canceled, AFN Shipped),
    plus an acknowledged MFN order shipped in part by the seller."""
    options = GenOptions(business_rate=0.3, gift_rate=0.3, used_rate=0.2, promotion_rate=0.4)
    orders = generate_orders("A1SELLER", MARKETS, count, seed=3, now=NOW, options=options)
    out = []
    for n, order in enumerate(orders):
        apply_due_events(order, NOW + timedelta(hours=(0, 1, 6, 30)[n % 4]))
        out.append(order)
    mfn = next(
        o
        for o in out
        if o["status"] == "Unshipped" and o["fulfillment_channel"] == "MFN" and len(o["items"]) > 1
    )
    item = mfn["items"][0]
    item["quantity_shipped"] = item["quantity_ordered"]
    mfn["shipments"].append(
        {
            "shipment_id": "S1",
            "carrier_code": "UPS",
            "carrier_name": None,
            "shipping_method": "Ground",
            "tracking_number": "1Z1",
            "ship_date": NOW + timedelta(hours=2),
            "posted_date": NOW + timedelta(hours=2),
            "items": [
                {"order_item_id": item["order_item_id"], "quantity": item["quantity_ordered"]}
            ],
        }
    )
    mfn["status"] = "PartiallyShipped"
    mfn["acknowledged"] = {"merchant_order_id": "SO-9", "status_code": "Success", "items": {}}
    return out


@pytest.fixture(scope="module")
def orders():
    return orders_in_every_state()


def test_every_order_matches_the_model(orders, spapi_models):
    validator = spapi_definition_validator(spapi_models, "orders_2026-01-01.json", "Order")
    statuses = set()
    for order in orders:
        for included in ((), INCLUDED_DATA, ("BUYER", "FULFILLMENT")):
            rendered = order_v2026(order, included)
            errors = list(validator.iter_errors(rendered))
            assert not errors, (order["amazon_order_id"], [e.message for e in errors[:5]])
        statuses.add(order["status"])
    assert {"Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled"} <= statuses


def test_included_data_selects_the_datasets(orders):
    for order in orders:
        bare = order_v2026(order)
        assert set(bare) <= BASE_KEYS
        assert all(
            set(i) == {"orderItemId", "quantityOrdered", "product"} for i in bare["orderItems"]
        )
        fulfillment_only = order_v2026(order, ["fulfillment"])  # case-insensitive
        assert set(fulfillment_only) <= BASE_KEYS | {"fulfillment"}
        assert "fulfillment" in fulfillment_only


def test_status_channel_and_levels(orders):
    assert FULFILLMENT_STATUS == {
        "PendingAvailability": "PENDING_AVAILABILITY",
        "Pending": "PENDING",
        "Unshipped": "UNSHIPPED",
        "PartiallyShipped": "PARTIALLY_SHIPPED",
        "Shipped": "SHIPPED",
        "InvoiceUnconfirmed": "SHIPPED",
        "Canceled": "CANCELLED",
        "Unfulfillable": "UNFULFILLABLE",
    }
    for order in orders:
        fulfillment = order_v2026(order, ["FULFILLMENT"])["fulfillment"]
        assert fulfillment["fulfillmentStatus"] == FULFILLMENT_STATUS[order["status"]]
        assert (
            fulfillment["fulfilledBy"]
            == {"MFN": "MERCHANT", "AFN": "AMAZON"}[order["fulfillment_channel"]]
        )
        assert fulfillment["fulfillmentServiceLevel"] == upper_snake(
            order["shipment_service_level_category"]
        )
    assert upper_snake("SecondDay") == "SECOND_DAY"
    assert upper_snake("NextDay") == "NEXT_DAY"
    assert upper_snake("Residential") == "RESIDENTIAL"


def test_money_breakdowns(orders):
    for order in orders:
        rendered = order_v2026(order, ["PROCEEDS"])
        for item, mine in zip(rendered["orderItems"], order["items"], strict=True):
            proceeds = item["proceeds"]
            assert Decimal(proceeds["proceedsTotal"]["amount"]) == item_total(mine)
            by_type = {b["type"]: b for b in proceeds.get("breakdowns", [])}
            for kind, key in (
                ("ITEM", "item_price"),
                ("SHIPPING", "shipping_price"),
                ("GIFT_WRAP", "gift_wrap_price"),
            ):
                if Decimal(mine[key]):
                    assert by_type[kind]["subtotal"]["amount"] == mine[key]
                else:
                    assert kind not in by_type
            discount = Decimal(mine["promotion_discount"]) + Decimal(mine["shipping_discount"])
            if discount:
                assert Decimal(by_type["DISCOUNT"]["subtotal"]["amount"]) == -discount
                details = {
                    d["subtype"]: d["value"]["amount"]
                    for d in by_type["DISCOUNT"]["detailedBreakdowns"]
                }
                for subtype, key in (
                    ("ITEM", "promotion_discount"),
                    ("SHIPPING", "shipping_discount"),
                ):
                    if Decimal(mine[key]):
                        assert details[subtype] == f"-{mine[key]}"
                    else:
                        assert subtype not in details
            else:
                assert "DISCOUNT" not in by_type
            taxes = {
                "ITEM": mine["item_tax"],
                "SHIPPING": mine["shipping_tax"],
                "GIFT_WRAP": mine["gift_wrap_tax"],
            }
            if any(Decimal(v) for v in taxes.values()):
                details = {
                    d["subtype"]: d["value"]["amount"] for d in by_type["TAX"]["detailedBreakdowns"]
                }
                assert details == {k: v for k, v in taxes.items() if Decimal(v)}
            else:
                assert "TAX" not in by_type
        if "proceeds" in rendered:
            grand = Decimal(rendered["proceeds"]["grandTotal"]["amount"])
            assert grand == Decimal(order["order_total"]) == order_amounts(order)["total"]
            parts = rendered["proceeds"]["breakdowns"]
            assert sum(Decimal(b["subtotal"]["amount"]) for b in parts) == grand
            assert all("detailedBreakdowns" not in b for b in parts)


def test_pending_orders_hide_buyer_data(orders):
    pending = [o for o in orders if o["status"] == "Pending"]
    assert pending
    for order in pending:
        rendered = order_v2026(order, INCLUDED_DATA)
        for key in ("buyer", "recipient", "proceeds", "payment", "tax"):
            assert key not in rendered
        assert all("proceeds" in i for i in rendered["orderItems"])


def test_business_gift_promotion_condition_and_aliases(orders):
    seen = set()
    for order in orders:
        rendered = order_v2026(order, INCLUDED_DATA)
        paid = "buyer" in rendered or "recipient" in rendered
        if order["is_business_order"] and paid:
            seen.add("business")
            assert "AMAZON_BUSINESS" in rendered["programs"]
            info = order["buyer_tax_info"]
            assert rendered["buyer"]["buyerCompanyName"] == info["company_legal_name"]
            assert rendered["buyer"]["buyerPurchaseOrderNumber"] == order["purchase_order_number"]
            [registration] = rendered["tax"]["taxRegistrations"]
            assert registration == {
                "entityType": "BUYER",
                "taxRegistrationType": "VAT",
                "taxRegistrationNumber": info["tax_classifications"][0]["value"],
                "legalName": info["company_legal_name"],
            }
        if paid:
            [payment] = rendered["payment"]["paymentExecutions"]
            assert payment["paymentMethod"] == "CreditCard"
            assert payment["paymentAmount"]["amount"] == order["order_total"]
        for item, mine in zip(rendered["orderItems"], order["items"], strict=True):
            product = item["product"]
            assert (product["asin"], product["sellerSku"], product["title"]) == (
                mine["asin"],
                mine["seller_sku"],
                mine["title"],
            )
            assert product["condition"]["conditionType"] == mine["condition_id"].upper()
            if mine["condition_subtype_id"] == "VeryGood":
                seen.add("used")
                assert product["condition"]["conditionSubtype"] == "VERY_GOOD"
            if mine["gift_message_text"]:
                seen.add("gift")
                assert item["fulfillment"]["packing"]["giftOption"] == {
                    "giftMessage": mine["gift_message_text"],
                    "giftWrapLevel": mine["gift_wrap_level"],
                }
            if mine["promotion_ids"]:
                seen.add("promotion")
                assert item["promotion"] == {
                    "breakdowns": [{"promotionId": p} for p in mine["promotion_ids"]]
                }
            else:
                assert "promotion" not in item
        if order.get("acknowledged"):
            seen.add("alias")
            assert rendered["orderAliases"] == [{"aliasId": "SO-9", "aliasType": "SELLER_ORDER_ID"}]
            assert rendered["packages"][0]["carrier"] == "UPS"  # the code when no name
        if order["status"] == "Canceled":
            seen.add("canceled")
            for item in rendered["orderItems"]:
                assert item["cancellation"]["cancellationExecution"] == {
                    "cancelledBy": "BUYER",
                    "cancelReason": "BuyerCanceled",
                }
                assert item["fulfillment"]["quantityUnfulfilled"] == 0
    assert seen == {"business", "used", "gift", "promotion", "alias", "canceled"}


def test_zero_amounts_and_address_details():
    order = copy.deepcopy(orders_in_every_state(8)[1])
    order["status"] = "Unshipped"
    order["payments_date"] = NOW
    order["fulfillment_channel"] = "MFN"
    for item in order["items"]:
        for key in ("shipping_price", "shipping_tax", "gift_wrap_price", "gift_wrap_tax"):
            item[key] = "0.00"
        item["promotion_discount"] = item["shipping_discount"] = "0.00"
        item["item_tax"] = "0.00"
    order["shipping_address"].update(county="King County", phone="+1 206-555-0000")
    rendered = order_v2026(order, INCLUDED_DATA)
    for item in rendered["orderItems"]:
        assert [b["type"] for b in item["proceeds"]["breakdowns"]] == ["ITEM"]
    assert [b["type"] for b in rendered["proceeds"]["breakdowns"]] == ["ITEM"]
    address = rendered["recipient"]["deliveryAddress"]
    assert address["districtOrCounty"] == "King County"
    assert address["phone"] == "+1 206-555-0000"
    assert "addressLine3" not in address  # None values are left out
