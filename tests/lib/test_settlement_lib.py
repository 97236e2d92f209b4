"""amazon_integration.lib.settlement: V2 settlement flat files."""

from datetime import datetime, timezone
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


def test_totals_by_order():
    s = st.parse_settlement_v2(tsv(US_ROWS))
    totals = st.totals_by_order(s)
    assert list(totals) == [O1, O2, O3]  # the subscription fee belongs to no order
    t1 = totals[O1]
    assert (t1.principal, t1.shipping, t1.tax) == (D("29.99"), D("4.99"), D("0.00"))
    assert (t1.fees, t1.promotions, t1.refunds) == (D("-7.69"), D("-4.99"), D("-26.39"))
    assert t1.other == D("0.00")
    assert t1.net == D("-4.09")
    parts = t1.principal + t1.tax + t1.shipping + t1.fees + t1.refunds + t1.promotions + t1.other
    assert parts == t1.net
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
        "principal", "shipping", "tax", "tax", "fees", "fees", "promotions", "principal",
        "fees", "refunds", "refunds", "refunds", "other", "principal", "fees",
    ]  # fmt: skip


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
