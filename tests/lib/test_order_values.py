"""The pure part of the order import: amounts, lines, payload merge, address checks."""

from datetime import datetime, timezone
from decimal import Decimal

from amazon_integration.lib.order_values import (
    ZERO,
    address_problem,
    dec,
    from_json,
    iso_z,
    merge_payload,
    naive,
    order_amounts,
    plan_lines,
    to_json,
)
from amazon_integration.lib.orders import item_total, order_total_check


def item(**values):
    base = {
        "order_item_id": "1",
        "seller_sku": "SKU-A",
        "title": "A",
        "quantity_ordered": 3,
        "item_price": "10.00",
        "item_tax": "0.80",
        "shipping_price": "4.99",
        "shipping_tax": "0.40",
        "promotion_discount": "1.00",
        "shipping_discount": "0.50",
        "gift_wrap_price": "2.00",
        "gift_wrap_tax": "0.16",
        "promotion_ids": ["P2", "P1"],
    }
    base.update(values)
    return base


def test_order_amounts_by_kind_and_total():
    order = {"items": [item(), item(order_item_id="2", seller_sku="SKU-B", promotion_ids=["P1"])]}
    amounts = order_amounts(order)
    assert amounts == {
        "shipping": Decimal("9.98"),
        "promotion": Decimal("-3.00"),
        "gift_wrap": Decimal("4.00"),
        "tax": Decimal("2.72"),
        "items": Decimal("20.00"),
        "total": Decimal("33.70"),
    }


def test_one_totals_computation_for_parsers_and_import():
    order = {"items": [item(), item(order_item_id="2", item_price="7.35")], "order_total": "30"}
    assert item_total(item()) == Decimal("16.85")
    computed, announced = order_total_check(order)
    assert computed == order_amounts(order)["total"] == Decimal("31.05")
    assert announced == Decimal("30")


def test_plan_lines_unit_prices_rounding_services_and_promotions():
    order = {"items": [item(), item(order_item_id="2", quantity_ordered=0, item_price="0.00")]}
    plan = plan_lines(order)
    first, second = plan.items
    assert (first.sku, first.quantity, first.unit, first.price) == (
        "SKU-A",
        3,
        Decimal("3.33"),
        Decimal("10.00"),
    )
    assert (second.quantity, second.unit) == (0, ZERO), "nothing ordered: a trace at zero"
    assert plan.rounding == Decimal("0.01"), "10.00 - 3 x 3.33"
    assert list(plan.services) == ["shipping", "gift_wrap", "promotion", "tax"]
    assert plan.promotion_ids == ["P1", "P2"]
    # lines + services + rounding give Amazon's total to the cent
    lines_total = sum(line.unit * line.quantity for line in plan.items) + sum(
        plan.services.values()
    )
    assert lines_total + plan.rounding == order_amounts(order)["total"]


def test_plan_lines_leaves_zero_services_out_and_titles_default_to_sku():
    plan = plan_lines({"items": [{"seller_sku": "X", "quantity_ordered": 1, "item_price": "5"}]})
    assert plan.services == {} and plan.rounding == ZERO
    assert plan.items[0].title == "X"


def test_dec_reads_contract_and_odd_amounts():
    assert dec("4.5") == Decimal("4.50")
    assert dec("1,234.565") == Decimal("1234.57")
    assert dec(None) == dec("") == dec("junk") == ZERO
    assert dec(Decimal("0.005")) == Decimal("0.01")


def test_merge_payload_keeps_what_a_partial_answer_lacks():
    stored = {"status": "Unshipped", "items": [item()], "items_complete": True, "buyer_name": "Z"}
    header = {"status": None, "items": [], "items_complete": False, "buyer_name": None, "x": 1}
    merged = merge_payload(stored, header)
    assert merged["status"] == "Unshipped"
    assert merged["items"] == [item()] and merged["items_complete"] is True
    assert merged["buyer_name"] == "Z" and merged["x"] == 1
    assert merge_payload(stored, {"status": "Shipped"})["status"] == "Shipped"


def test_address_problem():
    assert address_problem(None) == "no_address"
    assert address_problem({"country_code": " ", "address_line1": "1 Main"}) == "no_country"
    assert address_problem({"country_code": "US", "address_line2": "  "}) == "no_street"
    assert address_problem({"country_code": "US", "address_line2": "Apt 1"}) is None


def test_json_round_trip_and_dates():
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    data = {"purchase_date": moment, "total": Decimal("1.20"), "items": [{"x_date": moment}]}
    assert from_json(to_json(data)) == {**data, "total": "1.20"}
    assert naive("2026-05-01T12:00:00Z") == datetime(2026, 5, 1, 12, 0)
    assert naive("not a date") is None and naive(None) is None
    assert iso_z(datetime(2026, 5, 1, 12, 0, 30, 5)) == "2026-05-01T12:00:30Z"
