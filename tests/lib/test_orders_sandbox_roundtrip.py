"""One format end to end: sandbox order dicts → sandbox renderers → our parsers → same dicts.

The sandbox renders Amazon's bodies from contract dicts; the parsers must give back every
field each body carries, and the money to the cent.
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from amazon_integration.lib import orders as o
from amazon_integration.lib import reports as rp
from amazon_integration.lib import settlement as st
from amazon_sandbox import ordergen, render_orders
from amazon_sandbox import reports as sandbox_reports
from amazon_sandbox import settlement as sandbox_settlement

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=1)
MONEY_KEYS = o.ITEM_AMOUNT_KEYS
FLAT_FILE_KEYS = (
    "purchase_date",
    "payments_date",
    "buyer_email",
    "buyer_name",
    "currency",
    "sales_channel",
    "marketplace_id",
    "fulfillment_channel",
    "is_business_order",
    "purchase_order_number",
    "ship_service_level",
)


@pytest.fixture(scope="module")
def sandbox_orders():
    orders = ordergen.generate_orders(
        "A2DEMOSELLER", ["ATVPDKIKX0DER", "A1PA6795UKMFR9"], 40, seed=11, now=NOW
    )
    for order in orders:
        ordergen.apply_due_events(order, LATER)  # payment hold over, some shipped or canceled
    statuses = {order["status"] for order in orders}
    assert {"Unshipped", "Shipped"} <= statuses
    return orders


def _by_id(orders):
    return {order["amazon_order_id"]: order for order in orders}


def test_sandbox_orders_have_the_order_dict_keys(sandbox_orders):
    """One order dict shape for the sandbox and the library (amazon_sandbox/DESIGN.md)."""
    for order in sandbox_orders:
        assert set(order) >= o.CONTRACT_ORDER_KEYS
        assert set(order["shipping_address"]) == set(o.ADDRESS_KEYS)
        for item in order["items"]:
            assert set(item) >= o.CONTRACT_ITEM_KEYS


def test_list_orders_and_items_round_trip(sandbox_orders):
    body = render_orders.render_list_orders(
        sandbox_orders, request_id="rt-1", last_updated_before=LATER
    )
    parsed, _token, before = o.parse_list_orders(body, seller_id="A2DEMOSELLER")
    assert before == LATER
    assert len(parsed) == len(sandbox_orders)
    hidden = {"buyer_email", "buyer_name", "shipping_address", "order_total", "currency"}
    for src, got in zip(sandbox_orders, parsed, strict=True):
        assert o.contract_problems(got) == []
        visible = render_orders.buyer_data_visible(src)
        for key in o.CONTRACT_ORDER_KEYS - {"items", "shipments", "adjustments", "acknowledged"}:
            if key == "cancel_reason":
                continue  # Orders API 2013-09-01 has no CancelReason element
            if not visible and key in hidden:
                assert got[key] is None, key
            else:
                assert got[key] == src[key], (src["amazon_order_id"], key)
        items_body = render_orders.render_list_order_items(src, src["items"], request_id="rt-2")
        oid, items, _ = o.parse_list_order_items(items_body)
        o.attach_items(got, items, amazon_order_id=oid)
        for src_item, got_item in zip(src["items"], got["items"], strict=True):
            for key in o.CONTRACT_ITEM_KEYS:
                assert got_item[key] == src_item[key], (oid, key)
        computed, announced = o.order_total_check(got)
        assert computed == Decimal(src["order_total"])
        if visible:
            assert announced == computed


def _assert_money(got, src):
    src_items = {i["order_item_id"]: i for i in src["items"]}
    assert len(got["items"]) == len(src_items)
    for item in got["items"]:
        for key in MONEY_KEYS:
            assert item[key] == src_items[item["order_item_id"]][key], key
    if got["order_total"] is not None:
        assert got["order_total"] == src["order_total"]


def test_flat_file_round_trip(sandbox_orders):
    body, _ctype, count = sandbox_reports.render_report(
        sandbox_reports.FLAT_ORDERS, merchant_id="A2DEMOSELLER", orders=sandbox_orders
    )
    parsed = rp.parse_flat_file_orders(body, seller_id="A2DEMOSELLER")
    assert len(parsed) == count > 0
    src_orders = _by_id(sandbox_orders)
    for got in parsed:
        src = src_orders[got["amazon_order_id"]]
        assert o.contract_problems(got) == []
        for key in FLAT_FILE_KEYS:
            assert got[key] == src.get(key), key
        address = dict(src["shipping_address"], address_type=None)
        assert got["shipping_address"] == address
        _assert_money(got, src)
        assert got["order_total"] == src["order_total"]


def test_xml_all_orders_round_trip(sandbox_orders):
    body, _ctype, count = sandbox_reports.render_report(
        sandbox_reports.XML_ALL_ORDERS, merchant_id="A2DEMOSELLER", orders=sandbox_orders
    )
    parsed = rp.parse_xml_orders_report(body)
    assert len(parsed) == count > 0
    src_orders = _by_id(sandbox_orders)
    for got in parsed:
        src = src_orders[got["amazon_order_id"]]
        assert o.contract_problems(got) == []
        for key in ("status", "purchase_date", "last_update_date", "sales_channel",
                    "marketplace_id", "fulfillment_channel", "is_business_order"):  # fmt: skip
            assert got[key] == src[key], key
        _assert_money(got, src)


def test_xml_order_report_round_trip(sandbox_orders):
    body, _ctype, count = sandbox_reports.render_report(
        sandbox_reports.XML_ORDERS, merchant_id="A2DEMOSELLER", orders=sandbox_orders
    )
    parsed = rp.parse_xml_orders_report(body)
    assert len(parsed) == count > 0
    src_orders = _by_id(sandbox_orders)
    for got in parsed:
        src = src_orders[got["amazon_order_id"]]
        assert o.contract_problems(got) == []
        for key in ("purchase_date", "payments_date", "buyer_email", "buyer_name",
                    "sales_channel", "marketplace_id", "currency"):  # fmt: skip
            assert got[key] == src.get(key), key
        assert got["shipping_address"] == dict(src["shipping_address"], address_type=None)
        _assert_money(got, src)
        assert got["order_total"] == src["order_total"]


def test_settlement_round_trip(sandbox_orders):
    settlements = sandbox_settlement.build_settlements(
        sandbox_orders, seller_id="A2DEMOSELLER", start=NOW - timedelta(days=1), end=LATER
    )
    assert settlements
    for built in settlements:
        parsed = st.parse_settlement_v2(sandbox_settlement.render_settlement(built).encode())
        assert parsed.parse_warnings == []
        assert parsed.settlement_id == built["settlement_id"]
        assert parsed.deposit_date == built["deposit_date"]
        assert len(parsed.lines) == len(built["rows"])
        computed, announced = st.check_total(parsed)
        assert computed == announced == built["total"].quantize(Decimal("0.01"))
        per_order = {}
        for row in built["rows"]:
            if row.get("order-id"):
                per_order[row["order-id"]] = per_order.get(row["order-id"], 0) + row["amount"]
        totals = st.totals_by_order(parsed)
        assert {k: v.net for k, v in totals.items()} == {
            k: Decimal(v).quantize(Decimal("0.01")) for k, v in per_order.items()
        }
