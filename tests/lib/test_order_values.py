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


# ---------------------------------------------------------------------------------- refunds

from amazon_integration.lib.order_values import allocate_refund  # noqa: E402

TWO_ITEMS = [
    {
        "order_item_id": "A",
        "item_price": "12.50",
        "item_tax": "1.03",
        "shipping_price": "4.99",
        "shipping_tax": "0.41",
    },
    {"order_item_id": "B", "item_price": "39.98", "item_tax": "3.30"},
]
D = Decimal


def test_full_refund_per_item_and_component():
    """The issue's example: all tax and shipping used to land on the first item."""
    result, problem = allocate_refund(
        TWO_ITEMS, {"A": D("12.50"), "B": D("39.98")}, {"Shipping": D("4.99")}, D("4.74")
    )
    assert problem is None
    assert result == {
        "A": {"Principal": D("12.50"), "Shipping": D("4.99"), "Tax": D("1.03"),
              "ShippingTax": D("0.41")},
        "B": {"Principal": D("39.98"), "Tax": D("3.30")},
    }  # fmt: skip


def test_partial_refund_takes_the_tax_of_the_refunded_item():
    result, problem = allocate_refund(TWO_ITEMS, {"B": D("39.98")}, {}, D("3.30"))
    assert problem is None
    assert result == {"B": {"Principal": D("39.98"), "Tax": D("3.30")}}
    half, problem = allocate_refund(TWO_ITEMS, {"B": D("19.99")}, {}, D("1.65"))
    assert half == {"B": {"Principal": D("19.99"), "Tax": D("1.65")}} and problem is None


def test_shipping_only_and_tax_without_item_lines_follow_what_was_charged():
    result, problem = allocate_refund(TWO_ITEMS, {}, {"Shipping": D("4.99")}, D("0.41"))
    assert result == {"A": {"Shipping": D("4.99"), "ShippingTax": D("0.41")}}
    assert problem is None
    # tax alone, no item named: spread over what was charged, to the cent
    result, problem = allocate_refund(TWO_ITEMS, {}, {}, D("1.00"))
    total = sum((sum(c.values(), ZERO) for c in result.values()), ZERO)
    assert total == D("1.00") and problem is None
    for oid, components in result.items():
        item = next(i for i in TWO_ITEMS if i["order_item_id"] == oid)
        assert components.get("Tax", ZERO) <= D(item["item_tax"])


def test_more_than_charged_is_a_problem_never_a_bigger_component():
    result, problem = allocate_refund(
        TWO_ITEMS, {"A": D("13.00")}, {"Shipping": D("6.00")}, D("9.00")
    )
    assert "Principal 13.00 > 12.50" in problem
    assert "Shipping 6.00 > 4.99" in problem and "Tax 9.00 > 4.74" in problem
    assert result["A"]["Shipping"] == D("4.99")


def test_cents_are_never_lost_when_split():
    items = [{"order_item_id": str(n), "item_price": "10.00", "item_tax": "0.33"} for n in range(3)]
    principal = {str(n): D("10.00") for n in range(3)}
    result, problem = allocate_refund(items, principal, {}, D("0.99"))
    assert problem is None
    assert [result[str(n)]["Tax"] for n in range(3)] == [D("0.33")] * 3
    result, _ = allocate_refund(items, principal, {}, D("0.98"))
    assert sum((result[str(n)]["Tax"] for n in range(3)), ZERO) == D("0.98")


def test_gift_wrap_and_its_tax_are_components_of_their_own():
    items = [dict(TWO_ITEMS[0], gift_wrap_price="2.00", gift_wrap_tax="0.16")]
    result, problem = allocate_refund(
        items, {"A": D("12.50")}, {"Shipping": D("4.99"), "GiftWrap": D("2.00")}, D("1.60")
    )
    assert problem is None
    assert result["A"] == {
        "Principal": D("12.50"), "Shipping": D("4.99"), "GiftWrap": D("2.00"),
        "Tax": D("1.03"), "ShippingTax": D("0.41"), "GiftWrapTax": D("0.16"),
    }  # fmt: skip


def test_tax_rounding_only_absorbs_cents():
    from amazon_integration.lib.order_values import tax_rounding

    assert tax_rounding("26.99", "26.99", 2) == Decimal("0.00")
    assert tax_rounding("26.99", "26.98", 2) == Decimal("0.01")
    assert tax_rounding("26.97", "26.99", 2) == Decimal("-0.02")
    assert tax_rounding("26.96", "26.99", 2) is None, "three cents on two lines: not rounding"
    assert tax_rounding("30.00", "26.99", 5) is None, "another rate than Amazon's"
    assert tax_rounding("1.01", "1.00", 0) == Decimal("0.01"), "at least one cent"
