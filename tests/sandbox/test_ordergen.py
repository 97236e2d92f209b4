"""The order generator: reproducible, exact totals, the variety the connector must survive."""

from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from amazon_sandbox.ordergen import (
    MARKETPLACES,
    GenOptions,
    apply_due_events,
    generate_orders,
    item_total,
    next_event,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
ALL_MARKETS = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
AMOUNT_KEYS = (
    "item_price",
    "item_tax",
    "shipping_price",
    "shipping_tax",
    "shipping_discount",
    "promotion_discount",
    "gift_wrap_price",
    "gift_wrap_tax",
)


@pytest.fixture(scope="module")
def orders():
    return generate_orders("A2SELLER", ALL_MARKETS, 400, seed=7, now=NOW)


def test_same_seed_same_orders_other_seed_other_orders():
    first = generate_orders("A2SELLER", ALL_MARKETS, 30, seed=11, now=NOW)
    again = generate_orders("A2SELLER", ALL_MARKETS, 30, seed=11, now=NOW)
    other = generate_orders("A2SELLER", ALL_MARKETS, 30, seed=12, now=NOW)
    assert first == again
    assert [o["amazon_order_id"] for o in first] != [o["amazon_order_id"] for o in other]


def test_totals_exact_to_the_cent(orders):
    for order in orders:
        assert Decimal(order["order_total"]) == sum(item_total(i) for i in order["items"])
        assert order["order_total"] == f"{Decimal(order['order_total']):.2f}"
        for item in order["items"]:
            for key in AMOUNT_KEYS:
                value = item[key]
                assert isinstance(value, str) and Decimal(value) >= 0
                assert value == f"{Decimal(value):.2f}", (key, value)
            assert Decimal(item["promotion_discount"]) <= Decimal(item["item_price"])
            assert Decimal(item["shipping_discount"]) <= Decimal(item["shipping_price"])


def test_contract_shape(orders):
    ids = [o["amazon_order_id"] for o in orders]
    assert len(set(ids)) == len(ids)
    for order in orders:
        parts = order["amazon_order_id"].split("-")
        assert [len(p) for p in parts] == [3, 7, 7] and all(p.isdigit() for p in parts)
        assert order["status"] == "Pending" and order["payments_date"] is None
        assert NOW - timedelta(minutes=10) < order["purchase_date"] <= NOW
        assert order["purchase_date"].tzinfo is not None
        market = MARKETPLACES[order["marketplace_id"]]
        assert order["currency"] == market.currency
        assert order["sales_channel"] == market.sales_channel
        for item in order["items"]:
            assert len(item["order_item_id"]) == 14 and item["order_item_id"].isdigit()
            assert item["quantity_ordered"] >= 1 and item["quantity_shipped"] == 0


def test_variety(orders):
    items = [i for o in orders for i in o["items"]]
    assert Counter(o["fulfillment_channel"] for o in orders).keys() == {"AFN", "MFN"}
    assert {o["currency"] for o in orders} == {"USD", "CAD", "GBP", "EUR"}
    assert any(len(o["items"]) > 1 for o in orders)
    assert any(len(o["items"]) > 20 for o in orders)  # pages in ListOrderItems
    assert any(i["quantity_ordered"] > 1 for i in items)
    assert any(Decimal(i["promotion_discount"]) > 0 and i["promotion_ids"] for i in items)
    assert any(Decimal(i["shipping_discount"]) > 0 for i in items)
    assert any(Decimal(i["shipping_price"]) > 0 for i in items)
    assert any(Decimal(i["item_tax"]) > 0 for i in items)
    assert any(Decimal(i["shipping_tax"]) > 0 for i in items)
    assert any(Decimal(i["gift_wrap_price"]) > 0 and i["gift_message_text"] for i in items)
    assert any(i["condition_id"] == "Used" for i in items)
    names = [o["buyer_name"] for o in orders]
    assert None in names
    text = " ".join(n for n in names if n) + " ".join(
        o["shipping_address"]["address_line1"] for o in orders
    )
    assert "ß" in text and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert any(ch in text for ch in "éèüöñ")
    addresses = [o["shipping_address"] for o in orders]
    assert any(a["phone"] is None for a in addresses)
    assert any(a["phone"] for a in addresses)
    assert any(a["address_line2"] is None for a in addresses)
    assert any(a["address_line2"] for a in addresses)
    assert any(o["planned_cancel_date"] for o in orders)
    assert any(o["is_business_order"] and o["purchase_order_number"] for o in orders)
    assert any(o["is_prime"] for o in orders)


def test_only_the_sellers_marketplaces():
    orders = generate_orders("A2SELLER", ["A1PA6795UKMFR9"], 20, seed=1, now=NOW)
    assert {o["marketplace_id"] for o in orders} == {"A1PA6795UKMFR9"}
    assert {o["currency"] for o in orders} == {"EUR"}
    # Unknown marketplaces are ignored; nothing known falls back to Amazon.com.
    orders = generate_orders("A2SELLER", ["XXUNKNOWN"], 3, seed=1, now=NOW)
    assert {o["marketplace_id"] for o in orders} == {"ATVPDKIKX0DER"}


def test_catalog_prices_and_channels():
    catalog = [
        {
            "sku": "MUG-1",
            "asin": "B000000001",
            "title": "Mug",
            "price": "12.50",
            "currency": "USD",
            "quantity": 5,
            "fulfillment_channel": "MFN",
        },
        {
            "sku": "FBA-1",
            "asin": "B000000002",
            "title": "Lamp",
            "price": "20.00",
            "currency": "USD",
            "quantity": 5,
            "fulfillment_channel": "AFN",
        },
        {
            "sku": "NOPRICE",
            "asin": "B000000003",
            "title": "No price",
            "price": None,
            "currency": None,
            "quantity": 0,
            "fulfillment_channel": "MFN",
        },
    ]
    orders = generate_orders("A2SELLER", ["ATVPDKIKX0DER"], 60, seed=3, now=NOW, catalog=catalog)
    skus = Counter()
    for order in orders:
        for item in order["items"]:
            skus[item["seller_sku"]] += 1
            row = next(r for r in catalog if r["sku"] == item["seller_sku"])
            assert item["asin"] == row["asin"]
            assert row["fulfillment_channel"] == order["fulfillment_channel"]
            if row["price"]:
                unit = Decimal(row["price"])
                assert Decimal(item["item_price"]) == unit * item["quantity_ordered"]
    assert set(skus) == {"MUG-1", "FBA-1", "NOPRICE"}
    assert not any(i["seller_sku"].startswith("DEMO-") for o in orders for i in o["items"])


def test_demo_skus_when_catalog_empty():
    orders = generate_orders("A2SELLER", ["ATVPDKIKX0DER"], 5, seed=3, now=NOW, catalog=[])
    assert all(i["seller_sku"].startswith("DEMO-SKU-") for o in orders for i in o["items"])


def _first(orders, **wanted):
    for order in orders:
        if all(order[k] == v if not callable(v) else v(order[k]) for k, v in wanted.items()):
            return order
    raise AssertionError(f"no order with {wanted}")


def test_lifecycle_payment_hold_and_afn_shipping(orders):
    order = _first(orders, fulfillment_channel="AFN", planned_cancel_date=None)
    order = {**order, "items": [dict(i) for i in order["items"]], "shipments": []}
    pay_at = order["planned_payment_date"]
    assert pay_at - order["purchase_date"] == timedelta(minutes=30)
    assert apply_due_events(order, pay_at - timedelta(seconds=1)) == []
    assert order["status"] == "Pending"
    assert apply_due_events(order, pay_at) == ["pay"]
    assert order["status"] == "Unshipped"
    assert order["payments_date"] == pay_at == order["last_update_date"]
    ship_at = pay_at + timedelta(minutes=order["afn_ship_delay_minutes"])
    assert next_event(order) == (ship_at, "afn_ship")
    assert apply_due_events(order, ship_at + timedelta(days=3)) == ["afn_ship"]
    assert order["status"] == "Shipped" and order["last_update_date"] == ship_at
    assert all(i["quantity_shipped"] == i["quantity_ordered"] for i in order["items"])
    assert order["shipments"][0]["ship_date"] == ship_at
    assert next_event(order) is None


def test_lifecycle_cancellations(orders):
    during_hold = _first(
        orders, planned_cancel_date=lambda d: d is not None, planned_payment_date=lambda d: True
    )
    cancels = [o for o in orders if o["planned_cancel_date"]]
    early = [o for o in cancels if o["planned_cancel_date"] <= o["planned_payment_date"]]
    late = [o for o in cancels if o["planned_cancel_date"] > o["planned_payment_date"]]
    assert early and late and during_hold
    order = dict(early[0])
    when = order["planned_cancel_date"]
    assert apply_due_events(order, NOW + timedelta(days=5))[0] == "cancel"
    assert order["status"] == "Canceled" and order["payments_date"] is None
    assert order["last_update_date"] == when and order["cancel_reason"]
    order = dict(late[0], shipments=[])
    events = apply_due_events(order, order["planned_cancel_date"])
    assert events == ["pay", "cancel"] and order["status"] == "Canceled"
    assert order["payments_date"] is not None


def test_options_change_rates():
    opts = GenOptions(cancel_rate=0.0, afn_rate=0.0, gift_rate=1.0, window=timedelta(hours=5))
    orders = generate_orders("A2SELLER", ["ATVPDKIKX0DER"], 40, seed=5, now=NOW, options=opts)
    assert not any(o["planned_cancel_date"] for o in orders)
    assert {o["fulfillment_channel"] for o in orders} == {"MFN"}
    assert all(i["gift_wrap_level"] for o in orders for i in o["items"])
    assert min(o["purchase_date"] for o in orders) < NOW - timedelta(hours=1)
