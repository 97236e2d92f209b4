"""V2 settlement flat file: rows from shipments, refunds and fees; totals exact."""

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from amazon_sandbox.ordergen import GenOptions, apply_due_events, generate_orders
from amazon_sandbox.settlement import (
    COLUMNS,
    build_settlements,
    commission,
    parse_settlement,
    render_settlement,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
MARKETS = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
START, END = NOW - timedelta(hours=1), NOW + timedelta(days=1)


def ship(order, when, quantities=None):
    """Record an MFN shipment as the fulfillment feed (feed_orders) does."""
    lines = [
        {
            "order_item_id": i["order_item_id"],
            "quantity": (quantities or {}).get(i["order_item_id"], i["quantity_ordered"]),
        }
        for i in order["items"]
    ]
    order["shipments"].append(
        {
            "shipment_id": f"S{len(order['shipments'])}",
            "ship_date": when,
            "items": lines,
            "carrier_code": "UPS",
        }
    )
    for line in lines:
        item = next(i for i in order["items"] if i["order_item_id"] == line["order_item_id"])
        item["quantity_shipped"] += line["quantity"]


@pytest.fixture(scope="module")
def orders():
    opts = GenOptions(cancel_rate=0.0)
    orders = generate_orders("A2SELLER", MARKETS, 80, seed=9, now=NOW, options=opts)
    for order in orders:
        apply_due_events(order, NOW + timedelta(hours=6))  # AFN ones ship by themselves
        if order["fulfillment_channel"] == "MFN":
            ship(order, NOW + timedelta(hours=2))
    refunded = orders[0]
    item = refunded["items"][0]
    refunded["adjustments"].append(
        {
            "adjustment_id": "ADJ-1",
            "posted_date": NOW + timedelta(hours=8),
            "items": [
                {
                    "order_item_id": item["order_item_id"],
                    "reason": "CustomerReturn",
                    "principal": item["item_price"],
                    "shipping": "0.00",
                    "tax": item["item_tax"],
                    "shipping_tax": "0.00",
                }
            ],
        }
    )
    return orders


def test_one_settlement_per_marketplace_with_exact_totals(orders):
    settlements = build_settlements(orders, seller_id="A2SELLER", start=START, end=END)
    assert {s["marketplace_id"] for s in settlements} == set(MARKETS)
    assert len({s["currency"] for s in settlements}) == 4
    for settlement in settlements:
        text = render_settlement(settlement)
        rows = parse_settlement(text)
        assert text.splitlines()[0].split("\t") == list(COLUMNS)
        first, amounts = rows[0], rows[1:]
        assert first["settlement-id"] == settlement["settlement_id"]
        assert first["currency"] == settlement["currency"]
        assert first["settlement-start-date"] == START.strftime("%Y-%m-%d %H:%M:%S UTC")
        assert first["deposit-date"] == (END + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S UTC")
        assert first["amount"] == "" and first["transaction-type"] == ""
        total = sum(Decimal(r["amount"]) for r in amounts)
        assert Decimal(first["total-amount"]) == total == settlement["total"]
        assert all(r["settlement-id"] == settlement["settlement_id"] for r in amounts)
        assert all(r["total-amount"] == "" for r in amounts)
        subscription = [r for r in amounts if r["amount-description"] == "Subscription Fee"]
        assert len(subscription) == 1 and Decimal(subscription[0]["amount"]) < 0


def test_order_rows_cover_every_shipped_amount(orders):
    settlement = next(
        s
        for s in build_settlements(orders, seller_id="A2SELLER", start=START, end=END)
        if s["currency"] == "USD"
    )
    rows = parse_settlement(render_settlement(settlement))[1:]
    us_orders = [o for o in orders if o["marketplace_id"] == "ATVPDKIKX0DER"]
    for order in us_orders:
        for item in order["items"]:
            mine = [
                r
                for r in rows
                if r["order-item-code"] == item["order_item_id"]
                and r["transaction-type"] == "Order"
            ]
            got = {(r["amount-type"], r["amount-description"]): Decimal(r["amount"]) for r in mine}
            assert got[("ItemPrice", "Principal")] == Decimal(item["item_price"])
            assert got.get(("ItemPrice", "Tax"), 0) == Decimal(item["item_tax"])
            assert got.get(("ItemPrice", "Shipping"), 0) == Decimal(item["shipping_price"])
            assert got.get(("Promotion", "Principal"), 0) == -Decimal(item["promotion_discount"])
            assert got.get(("ItemPrice", "GiftWrap"), 0) == Decimal(item["gift_wrap_price"])
            # Amazon.com collects the sales tax itself: withheld again.
            assert got.get(("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal"), 0) == (
                -Decimal(item["item_tax"])
            )
            assert got[("ItemFees", "Commission")] == -commission(item)
            fba = got.get(("ItemFees", "FBAPerUnitFulfillmentFee"))
            assert (fba is not None) == (order["fulfillment_channel"] == "AFN")
            assert {r["fulfillment-id"] for r in mine} == {order["fulfillment_channel"]}
            assert {r["quantity-purchased"] for r in mine} == {str(item["quantity_ordered"])}
            assert all(r["shipment-id"] for r in mine)


def test_refund_rows(orders):
    refunded = orders[0]
    item = refunded["items"][0]
    settlement = next(
        s
        for s in build_settlements(orders, seller_id="A2SELLER", start=START, end=END)
        if s["marketplace_id"] == refunded["marketplace_id"]
    )
    rows = [
        r
        for r in parse_settlement(render_settlement(settlement))[1:]
        if r["transaction-type"] == "Refund"
    ]
    got = {(r["amount-type"], r["amount-description"]): Decimal(r["amount"]) for r in rows}
    assert {r["adjustment-id"] for r in rows} == {"ADJ-1"}
    assert got[("ItemPrice", "Principal")] == -Decimal(item["item_price"])
    assert got[("ItemFees", "Commission")] > 0
    assert got[("ItemFees", "RefundCommission")] < 0
    assert rows[0]["order-id"] == refunded["amazon_order_id"]


def test_partial_shipments_add_up_exactly():
    order = generate_orders(
        "A2SELLER",
        ["ATVPDKIKX0DER"],
        1,
        seed=4,
        now=NOW,
        options=GenOptions(cancel_rate=0, afn_rate=0, max_quantity=3),
    )[0]
    order["items"] = [
        dict(
            order["items"][0],
            quantity_ordered=3,
            item_price="10.00",
            item_tax="1.00",
            shipping_price="0.01",
        )
    ]
    apply_due_events(order, NOW + timedelta(hours=1))
    item_id = order["items"][0]["order_item_id"]
    ship(order, NOW + timedelta(hours=2), {item_id: 1})
    ship(order, NOW + timedelta(hours=3), {item_id: 2})
    day = build_settlements([order], seller_id="A2SELLER", start=START, end=END)[0]
    principal = [
        r["amount"]
        for r in day["rows"]
        if (r.get("amount-type"), r.get("amount-description")) == ("ItemPrice", "Principal")
    ]
    assert principal == [Decimal("3.33"), Decimal("6.67")]
    # A period that holds only the first shipment gets only its share.
    first = build_settlements(
        [order], seller_id="A2SELLER", start=START, end=NOW + timedelta(hours=2, minutes=30)
    )[0]
    assert [
        r["amount"]
        for r in first["rows"]
        if r.get("amount-description") == "Principal" and r.get("amount-type") == "ItemPrice"
    ] == [Decimal("3.33")]


def test_deterministic_ids_and_empty_periods(orders):
    again = copy.deepcopy(orders)
    first = build_settlements(orders, seller_id="A2SELLER", start=START, end=END)
    second = build_settlements(again, seller_id="A2SELLER", start=START, end=END)
    assert [render_settlement(s) for s in first] == [render_settlement(s) for s in second]
    assert all(len(s["settlement_id"]) == 11 for s in first)
    other = build_settlements(orders, seller_id="A2OTHER", start=START, end=END)
    assert {s["settlement_id"] for s in first}.isdisjoint(s["settlement_id"] for s in other)
    assert build_settlements(orders, seller_id="A2SELLER", start=END, end=END + timedelta(1)) == []
