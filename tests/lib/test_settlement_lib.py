"""amazon_integration.lib.settlement: V2 settlement flat files."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from amazon_integration.lib import settlement as st
from amazon_integration.lib.reports import ReportParseError

UTC = timezone.utc
D = Decimal

COLUMNS = [
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date",
    "total-amount", "currency", "transaction-type", "order-id", "merchant-order-id",
    "adjustment-id", "shipment-id", "marketplace-name", "amount-type", "amount-description",
    "amount", "fulfillment-id", "posted-date", "posted-date-time", "order-item-code",
    "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
]  # fmt: skip

SID = "11783265431"
O1, O2, O3 = "111-1111111-1111111", "111-2222222-2222222", "111-3333333-3333333"


def row(**cells):
    values = dict.fromkeys(COLUMNS, "")
    values["settlement-id"] = SID
    values.update({k.replace("_", "-"): v for k, v in cells.items()})
    return values


def order_row(order_id, amount_type, description, amount, *, sku="DEMO-SKU-001", qty="",
              transaction="Order", adjustment="", posted="2017-03-13 07:06:20 UTC"):  # fmt: skip
    return row(
        transaction_type=transaction,
        order_id=order_id,
        adjustment_id=adjustment,
        shipment_id="" if adjustment else "DkrVgC6nN",
        marketplace_name="Amazon.com",
        amount_type=amount_type,
        amount_description=description,
        amount=amount,
        fulfillment_id="AFN",
        posted_date=posted[:10],
        posted_date_time=posted,
        order_item_code="55520208041234",
        sku=sku,
        quantity_purchased=qty,
    )


US_ROWS = [
    row(
        settlement_start_date="2017-03-01 07:06:20 UTC",
        settlement_end_date="2017-03-15 07:06:20 UTC",
        deposit_date="2017-03-17 07:06:20 UTC",
        total_amount="57.90",
        currency="USD",
    ),
    order_row(O1, "ItemPrice", "Principal", "29.99", qty="1"),
    order_row(O1, "ItemPrice", "Shipping", "4.99"),
    order_row(O1, "ItemPrice", "Tax", "2.40"),
    order_row(O1, "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", "-2.40"),
    order_row(O1, "ItemFees", "Commission", "-4.50"),
    order_row(O1, "ItemFees", "FBAPerUnitFulfillmentFee", "-3.19"),
    order_row(O1, "Promotion", "Shipping", "-4.99"),
    order_row(O2, "ItemPrice", "Principal", "19.98", sku="DEMO-SKU-002", qty="2"),
    order_row(O2, "ItemFees", "Commission", "-3.00", sku="DEMO-SKU-002"),
    order_row(
        O1,
        "ItemPrice",
        "Principal",
        "-29.99",
        transaction="Refund",
        adjustment="AJ-1",
        posted="2017-03-14 10:00:00 UTC",
    ),
    order_row(O1, "ItemFees", "Commission", "4.50", transaction="Refund", adjustment="AJ-1"),
    order_row(O1, "ItemFees", "RefundCommission", "-0.90", transaction="Refund", adjustment="AJ-1"),
    row(
        transaction_type="other-transaction",
        amount_type="other-transaction",
        amount_description="Subscription Fee",
        amount="-39.99",
        posted_date="2017-03-02",
        posted_date_time="2017-03-02 00:00:00 UTC",
    ),
    order_row(O3, "ItemPrice", "Principal", "100.00", sku="DEMO-SKU-003", qty="1"),
    order_row(O3, "ItemFees", "Commission", "-15.00", sku="DEMO-SKU-003"),
]


def tsv(rows, columns=COLUMNS, newline="\r\n"):
    lines = ["\t".join(columns)] + ["\t".join(r.get(c, "") for c in columns) for r in rows]
    return newline.join(lines) + newline


def test_settlement_that_adds_up():
    s = st.parse_settlement_v2(tsv(US_ROWS).encode("utf-8"))
    assert s.settlement_id == SID
    assert s.start_date == datetime(2017, 3, 1, 7, 6, 20, tzinfo=UTC)
    assert s.end_date == datetime(2017, 3, 15, 7, 6, 20, tzinfo=UTC)
    assert s.deposit_date == datetime(2017, 3, 17, 7, 6, 20, tzinfo=UTC)
    assert (s.total_amount, s.currency) == (D("57.90"), "USD")
    assert len(s.lines) == len(US_ROWS) - 1
    assert s.parse_warnings == []
    assert st.check_total(s) == (D("57.90"), D("57.90"))

    first = s.lines[0]
    assert first == st.SettlementLine(
        transaction_type="Order",
        order_id=O1,
        merchant_order_id=None,
        adjustment_id=None,
        shipment_id="DkrVgC6nN",
        marketplace_name="Amazon.com",
        amount_type="ItemPrice",
        amount_description="Principal",
        amount=D("29.99"),
        fulfillment_id="AFN",
        posted_date=datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC),
        order_item_code="55520208041234",
        merchant_order_item_id=None,
        merchant_adjustment_item_id=None,
        sku="DEMO-SKU-001",
        quantity=1,
        line_number=3,
    )
    refund = s.lines[9]
    assert (refund.transaction_type, refund.adjustment_id, refund.amount) == (
        "Refund",
        "AJ-1",
        D("-29.99"),
    )
    assert refund.posted_date == datetime(2017, 3, 14, 10, 0, tzinfo=UTC)
    assert s.lines[12].order_id is None and s.lines[12].amount == D("-39.99")


PARTS = ("principal", "tax", "shipping", "fees", "withheld", "refunds", "promotions", "other")


def test_totals_by_order():
    s = st.parse_settlement_v2(tsv(US_ROWS))
    totals = st.totals_by_order(s)
    assert list(totals) == [O1, O2, O3]  # the subscription fee belongs to no order
    t1 = totals[O1]
    assert (t1.principal, t1.shipping, t1.tax) == (D("29.99"), D("4.99"), D("2.40"))
    assert t1.withheld == D("-2.40")
    # the commission given back with the refund and the refund commission are fees
    assert (t1.fees, t1.promotions, t1.refunds) == (D("-4.09"), D("-4.99"), D("-29.99"))
    assert t1.other == D("0.00")
    assert t1.net == D("-4.09")
    assert sum(getattr(t1, part) for part in PARTS) == t1.net
    assert (totals[O2].principal, totals[O2].fees, totals[O2].net) == (
        D("19.98"),
        D("-3.00"),
        D("16.98"),
    )
    assert totals[O3].net == D("85.00")
    order_nets = sum(t.net for t in totals.values())
    assert order_nets + D("-39.99") == st.check_total(s)[0]


def test_settlement_that_does_not_add_up():
    rows = [dict(US_ROWS[0], **{"total-amount": "60.00"}), *US_ROWS[1:]]
    computed, announced = st.check_total(st.parse_settlement_v2(tsv(rows)))
    assert (computed, announced) == (D("57.90"), D("60.00"))
    assert announced - computed == D("2.10")
    # and a missing line is noticed too
    computed, announced = st.check_total(st.parse_settlement_v2(tsv(US_ROWS[:-1])))
    assert announced - computed == D("-15.00")


EU_ROWS = [
    row(
        settlement_start_date="01.03.2017 07:06:20 UTC",
        settlement_end_date="15.03.2017 07:06:20 UTC",
        deposit_date="17.03.2017 07:06:20 UTC",
        total_amount="1.071,67",
        currency="EUR",
    ),
    order_row(
        "302-1111111-1111111",
        "ItemPrice",
        "Principal",
        "1.234,56",
        qty="1",
        posted="13.03.2017 07:06:20 UTC",
    ),
    order_row(
        "302-1111111-1111111", "ItemFees", "Commission", "-185,18", posted="13.03.2017 07:06:20 UTC"
    ),
    order_row(
        "302-2222222-2222222",
        "ItemPrice",
        "Principal",
        "29,99",
        qty="1",
        posted="14.03.2017 08:00:00 UTC",
    ),
    order_row(
        "302-2222222-2222222", "ItemFees", "Commission", "-4,50", posted="14.03.2017 08:00:00 UTC"
    ),
    row(
        transaction_type="other-transaction",
        amount_type="other-transaction",
        amount_description="Lagergebühr",
        amount="-3,20",
        posted_date="15.03.2017",
    ),
]


def test_eu_settlement_decimal_commas_dotted_dates_cp1252():
    s = st.parse_settlement_v2(tsv(EU_ROWS).encode("cp1252"))
    assert s.start_date == datetime(2017, 3, 1, 7, 6, 20, tzinfo=UTC)
    assert s.deposit_date == datetime(2017, 3, 17, 7, 6, 20, tzinfo=UTC)
    assert s.total_amount == D("1071.67")
    assert s.lines[0].amount == D("1234.56")
    assert s.lines[1].amount == D("-185.18")
    assert s.lines[0].posted_date == datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)
    assert s.lines[-1].amount_description == "Lagergebühr"
    assert s.lines[-1].posted_date == datetime(2017, 3, 15, tzinfo=UTC)  # posted-date only
    assert st.check_total(s) == (D("1071.67"), D("1071.67"))
    assert st.totals_by_order(s)["302-1111111-1111111"].net == D("1049.38")


def test_iso_dates_and_lf_line_ends():
    rows = [dict(EU_ROWS[0], **{"settlement-start-date": "2017-03-01T07:06:20+00:00",
                                 "deposit-date": "2017-03-17T09:06:20+02:00"})]  # fmt: skip
    s = st.parse_settlement_v2(tsv(rows + EU_ROWS[1:], newline="\n"))
    assert s.start_date == datetime(2017, 3, 1, 7, 6, 20, tzinfo=UTC)
    assert s.deposit_date == datetime(2017, 3, 17, 7, 6, 20, tzinfo=UTC)


def test_classify_line():
    s = st.parse_settlement_v2(tsv(US_ROWS))
    assert [st.classify_line(line) for line in s.lines] == [
        "order", "order", "order", "withheld", "fee", "fee", "order", "order",
        "fee", "refund", "fee", "fee", "fee", "order", "fee",
    ]  # fmt: skip


def amount_line(transaction, order_id, amount_type, description, amount="1.00"):
    """A settlement line with only what `classify_line` reads (and an amount)."""
    return st.SettlementLine(
        transaction_type=transaction,
        order_id=order_id,
        merchant_order_id=None,
        adjustment_id=None,
        shipment_id=None,
        marketplace_name=None,
        amount_type=amount_type,
        amount_description=description,
        amount=D(amount),
        fulfillment_id=None,
        posted_date=None,
        order_item_code=None,
        merchant_order_item_id=None,
        merchant_adjustment_item_id=None,
        sku=None,
        quantity=None,
    )


@pytest.mark.parametrize(
    ("transaction", "order_id", "amount_type", "description", "kind"),
    [
        # what the buyer paid for an order: matched against its invoices
        ("Order", O1, "ItemPrice", "Principal", "order"),
        ("Order", O1, "ItemPrice", "Shipping", "order"),
        ("Order", O1, "ItemPrice", "Tax", "order"),
        ("Order", O1, "ItemPrice", "ShippingTax", "order"),
        ("Order", O1, "ItemPrice", "GiftWrap", "order"),
        ("Order", O1, "Promotion", "Principal", "order"),
        ("Order", O1, "Promotion", "Shipping", "order"),
        ("ORDER", O1, "itemprice", "PRINCIPAL", "order"),  # words compared without case
        # what the buyer got back: matched against its credit notes
        ("Refund", O1, "ItemPrice", "Principal", "refund"),
        ("Refund", O1, "ItemPrice", "Tax", "refund"),
        ("Refund", O1, "Promotion", "Principal", "refund"),
        ("Chargeback Refund", O1, "ItemPrice", "Principal", "refund"),
        ("refund", O1, "ITEMPRICE", "Shipping", "refund"),
        # tax Amazon collects and remits itself, order or refund
        ("Order", O1, "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", "withheld"),
        ("Refund", O1, "ItemWithheldTax", "MarketplaceFacilitatorTax-Shipping", "withheld"),
        # Amazon's fees, with an order, with a refund (given back, refund commission), without
        ("Order", O1, "ItemFees", "Commission", "fee"),
        ("Order", O1, "ItemFees", "FBAPerUnitFulfillmentFee", "fee"),
        ("Refund", O1, "ItemFees", "Commission", "fee"),
        ("Refund", O1, "ItemFees", "RefundCommission", "fee"),
        ("other-transaction", None, "other-transaction", "Subscription Fee", "fee"),
        ("other-transaction", None, "other-transaction", "Storage Fee", "fee"),
        ("Order", O1, "Other", "Commission", "fee"),  # the description says commission
        # other transactions without an order: for a person to look at
        ("other-transaction", None, "other-transaction", "Current Reserve Amount", "other"),
        ("other-transaction", None, "other-transaction", "Previous Reserve Amount", "other"),
        ("other-transaction", None, "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", "other"),
        ("Order", None, "ItemPrice", "Principal", "other"),  # buyer money, but no order id
        ("Refund", "", "ItemPrice", "Principal", "other"),
        # an order's amounts that are no payment by the buyer: on none of its invoices
        ("other-transaction", O1, "FBA Inventory Reimbursement", "CustomerReturn", "other"),
        ("Order_Retrocharge", O1, "Base Tax", "Principal", "other"),
        ("Order", O1, "SomethingNew", "Principal", "other"),  # an unknown amount type
        ("Order", O1, None, "Principal", "other"),  # no amount type
        (None, O1, None, None, "other"),
        (None, None, None, None, "other"),
        # no transaction type: an order's buyer money is a payment
        (None, O1, "ItemPrice", "Principal", "order"),
    ],
)
def test_classification_rules(transaction, order_id, amount_type, description, kind):
    line = amount_line(transaction, order_id, amount_type, description)
    assert st.classify_line(line) == kind
    assert kind in st.LINE_KINDS


def test_classification_rule_order():
    # withheld before fee: a withheld amount whose description says fee stays withheld
    line = amount_line("Order", O1, "ItemWithheldTax", "SalesTaxCollectionFee")
    assert st.classify_line(line) == "withheld"
    # fee before refund: a fee of a refund is a fee, and a refund's "fee" words win too
    assert st.classify_line(amount_line("Refund", O1, "ItemPrice", "RestockingFee")) == "fee"
    # fee before "no order": Amazon's fees without an order are still fees
    assert st.classify_line(amount_line(None, None, "ItemFees", "Commission")) == "fee"


def test_totals_by_order_other_and_withheld_parts():
    lines = [
        amount_line("Order", O1, "ItemPrice", "Principal", "20.00"),
        amount_line("Order", O1, "ItemPrice", "GiftWrap", "2.00"),
        amount_line("Order", O1, "ItemPrice", "GiftWrapTax", "0.20"),
        amount_line("Order", O1, "Promotion", "Shipping", "-1.00"),
        amount_line("Order", O1, "ItemWithheldTax", "MarketplaceFacilitatorTax-Other", "-0.20"),
        amount_line("other-transaction", O1, "FBA Inventory Reimbursement", "Return", "15.00"),
        amount_line("Refund", O1, "ItemPrice", "Tax", "-0.20"),
        amount_line("other-transaction", None, "other-transaction", "Subscription Fee", "-39.99"),
    ]
    settlement = st.Settlement(SID, None, None, None, D("-4.19"), "USD", lines=lines)
    totals = st.totals_by_order(settlement)
    assert list(totals) == [O1]
    t1 = totals[O1]
    assert (t1.principal, t1.tax, t1.promotions) == (D("20.00"), D("0.20"), D("-1.00"))
    assert (t1.other, t1.withheld, t1.refunds) == (D("17.00"), D("-0.20"), D("-0.20"))
    assert (t1.shipping, t1.fees) == (D("0.00"), D("0.00"))
    assert t1.net == D("35.80") == sum(getattr(t1, part) for part in PARTS)
    assert st.check_total(settlement) == (D("-4.19"), D("-4.19"))


def cents(value):
    return round(value, 2)


@pytest.mark.parametrize(
    ("candidates", "amount", "chosen"),
    [
        ([], 10.0, []),
        # all of them add up
        ([("A", 60.0), ("B", 40.0)], 100.0, ["A", "B"]),
        ([("A", 30.0), ("B", 30.0)], 60.0, ["A", "B"]),
        # else one alone, the oldest that fits
        ([("A", 50.0), ("B", 30.0)], 30.0, ["B"]),
        ([("A", 30.0), ("B", 30.0)], 30.0, ["A"]),
        # else the oldest ones, up to the first running total that fits
        ([("A", 10.0), ("B", 20.0), ("C", 35.0)], 30.0, ["A", "B"]),
        # within a cent, not two
        ([("A", 33.33)], 33.34, ["A"]),
        ([("A", 33.33)], 33.32, ["A"]),
        ([("A", 33.33)], 33.35, []),
        ([("A", 10.0), ("B", 20.0)], 25.0, []),
        # float sums: 0.1 + 0.2 is 0.30000000000000004
        ([("A", 0.1), ("B", 0.2)], 0.3, ["A", "B"]),
        # credit notes: negative open amounts against a negative refund
        ([("R1", -40.0)], -40.0, ["R1"]),
        ([("R1", -40.0)], 40.0, []),
    ],
)
def test_match_candidates(candidates, amount, chosen):
    result = st.match_candidates(candidates, amount, cents)
    assert [key for key, _residual in result] == chosen
    assert all(pair in candidates for pair in result)


def test_match_candidates_rounds_to_the_currency_and_takes_a_tolerance():
    # a currency without cents (JPY): a difference rounds to a whole unit first
    assert st.match_candidates([("A", 1000.0)], 1000.4, lambda v: round(v)) == [("A", 1000.0)]
    assert st.match_candidates([("A", 1000.0)], 1001.0, lambda v: round(v)) == []
    assert st.match_candidates([("A", 10.0)], 10.05, cents, tolerance=0.05) == [("A", 10.0)]
    assert st.match_candidates([("A", 10.0)], 10.06, cents, tolerance=0.05) == []
    assert st.MATCH_TOLERANCE == 0.01


def test_naive_utc():
    aware = datetime(2024, 5, 18, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert st.naive_utc(aware) == datetime(2024, 5, 18, 0, 0)
    assert st.naive_utc(aware).tzinfo is None
    assert st.naive_utc(datetime(2024, 5, 18, 2, 0)) == datetime(2024, 5, 18, 2, 0)
    assert st.naive_utc(None) is None


def test_unreadable_dates_warn_and_rows_without_amount_are_skipped():
    rows = [
        dict(US_ROWS[0], **{"deposit-date": "someday"}),
        dict(US_ROWS[1], **{"posted-date-time": "2017-02-30 00:00:00 UTC"}),
        dict(US_ROWS[2], amount=""),
        *US_ROWS[3:],
    ]
    s = st.parse_settlement_v2(tsv(rows))
    assert s.deposit_date is None
    assert s.lines[0].posted_date is None
    assert len(s.lines) == len(US_ROWS) - 2
    warnings = "\n".join(s.parse_warnings)
    assert "deposit-date" in warnings and "line 3 posted-date" in warnings
    assert "line 4: no amount" in warnings


def test_malformed_settlements():
    with pytest.raises(ReportParseError, match=r"lacks required column.*amount-type"):
        st.parse_settlement_v2(tsv(US_ROWS, [c for c in COLUMNS if c != "amount-type"]))
    with pytest.raises(ReportParseError, match="empty report"):
        st.parse_settlement_v2(b"")
    with pytest.raises(ReportParseError, match="no rows"):
        st.parse_settlement_v2(tsv([]))
    with pytest.raises(ReportParseError, match=r"first row .* must carry total-amount"):
        st.parse_settlement_v2(tsv(US_ROWS[1:]))
    bad = [US_ROWS[0], dict(US_ROWS[1], amount="29.99USD"), *US_ROWS[2:]]
    with pytest.raises(ReportParseError, match=r"line 3 amount: .*29\.99USD"):
        st.parse_settlement_v2(tsv(bad))
    bad = [US_ROWS[0], dict(US_ROWS[1], **{"quantity-purchased": "x"})]
    with pytest.raises(ReportParseError, match="line 3 quantity-purchased"):
        st.parse_settlement_v2(tsv(bad))


def test_other_settlement_id_warns():
    rows = [*US_ROWS, dict(US_ROWS[1], **{"settlement-id": "999"})]
    s = st.parse_settlement_v2(tsv(rows))
    assert any("999 differs" in w for w in s.parse_warnings)
