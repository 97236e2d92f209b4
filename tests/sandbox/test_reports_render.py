"""Report bodies: flat order file, all-orders XML, OrderReport (XSD-valid), AFN inventory."""

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from amazon_sandbox import reports
from amazon_sandbox.feed_processing import envelope_schema  # cached per process
from amazon_sandbox.ordergen import apply_due_events, generate_orders

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
MARKETS = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"]


@pytest.fixture(scope="module")
def orders():
    orders = generate_orders("A2SELLER", MARKETS, 150, seed=33, now=NOW)
    for order in orders:
        apply_due_events(order, NOW + timedelta(hours=1))
    return orders


def test_flat_file_orders(orders):
    body, content_type, count = reports.render_report(
        reports.FLAT_ORDERS, merchant_id="A2SELLER", orders=orders
    )
    assert content_type == "text/plain"
    text = body.decode("utf-8")
    lines = text.rstrip("\n").split("\n")
    assert lines[0].split("\t") == list(reports.FLAT_ORDER_COLUMNS)
    assert all(line.count("\t") == len(reports.FLAT_ORDER_COLUMNS) - 1 for line in lines)
    rows = reports.parse_flat_file(text)
    paid = [o for o in orders if o["payments_date"] and o["status"] != "Canceled"]
    assert count == len(paid) and paid and len(paid) < len(orders)
    assert len(rows) == sum(len(o["items"]) for o in paid)
    by_id = {o["amazon_order_id"]: o for o in orders}
    assert {r["order-id"] for r in rows} == {o["amazon_order_id"] for o in paid}
    for row in rows:
        order = by_id[row["order-id"]]
        item = next(i for i in order["items"] if i["order_item_id"] == row["order-item-id"])
        assert row["item-price"] == item["item_price"] and row["sku"] == item["seller_sku"]
        assert row["currency"] == order["currency"]
        assert row["purchase-date"] == order["purchase_date"].isoformat()
        assert row["fulfillment-channel"] == order["fulfillment_channel"]
        assert row["buyer-name"] == (order["buyer_name"] or "")
    assert any(r["gift-message-text"] for r in rows)
    assert any(r["item-promotion-id"] for r in rows)
    assert any(r["ship-promotion-id"].startswith("FREESHIP") for r in rows)
    assert any(r["ship-address-2"] == "" for r in rows)
    # Only the purchase window asked for.
    start = min(o["purchase_date"] for o in paid) + timedelta(minutes=5)
    _body, _ct, fewer = reports.render_report(
        reports.FLAT_ORDERS, merchant_id="A2SELLER", orders=orders, start=start
    )
    assert 0 < fewer < count


def test_xml_all_orders(orders):
    body, content_type, count = reports.render_report(
        reports.XML_ALL_ORDERS, merchant_id="A2SELLER", orders=orders
    )
    assert content_type == "text/xml" and count == len(orders)
    root = etree.fromstring(body)
    assert root.tag == "AmazonEnvelope" and root.findtext("MessageType") == "AllOrdersReport"
    assert root.findtext("Header/MerchantIdentifier") == "A2SELLER"
    found = root.findall("Message/Order")
    assert len(found) == len(orders)
    statuses = {el.findtext("OrderStatus") for el in found}
    assert "Cancelled" in statuses and "Canceled" not in statuses
    first = found[0]
    order = next(o for o in orders if o["amazon_order_id"] == first.findtext("AmazonOrderID"))
    items = first.findall("OrderItem")
    assert len(items) == len(order["items"])
    principal = items[0].find("ItemPrice/Component[Type='Principal']/Amount")
    assert principal.text == order["items"][0]["item_price"]
    assert principal.get("currency") == order["currency"]
    assert first.findtext("FulfillmentData/FulfillmentChannel") in ("Amazon", "Merchant")
    promos = root.findall(".//OrderItem/Promotion/ItemPromotionDiscount")
    assert promos and all(Decimal(p.text) <= 0 for p in promos)


def test_order_report_is_xsd_valid(orders, amazon_xsd_dir):
    body, _content_type, count = reports.render_report(
        reports.XML_ORDERS, merchant_id="A2SELLER", orders=orders
    )
    mfn_paid = [
        o
        for o in orders
        if o["fulfillment_channel"] == "MFN" and o["payments_date"] and o["status"] != "Canceled"
    ]
    assert count == len(mfn_paid) > 0
    doc = etree.fromstring(body)
    schema = envelope_schema(amazon_xsd_dir)
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("MessageType") == "OrderReport"
    assert len(doc.findall("Message/OrderReport")) == count
    assert doc.find(".//OrderReport/Item/Promotion/PromotionClaimCode") is not None
    assert doc.find(".//OrderReport/Item/GiftMessageText") is not None


def test_order_report_survives_missing_and_long_fields(orders, amazon_xsd_dir):
    order = copy.deepcopy(
        next(o for o in orders if o["fulfillment_channel"] == "MFN" and o["status"] == "Unshipped")
    )
    order["buyer_name"] = None
    order["shipping_address"].update(phone=None, address_line2="x" * 80, name="Ünïcödé " * 10)
    order["items"][0]["title"] = "Größe " * 200
    body = reports.xml_order_report([order], "A2SELLER")
    schema = envelope_schema(amazon_xsd_dir)
    assert schema.validate(etree.fromstring(body)), schema.error_log


def test_afn_inventory():
    catalog = [
        {"sku": "B-SKU", "asin": "B000000002", "quantity": 7, "fulfillment_channel": "AFN"},
        {"sku": "A-SKU", "asin": "B000000001", "quantity": 3, "fulfillment_channel": "MFN"},
        {"sku": "C-SKU", "asin": "B000000003", "quantity": 0, "fulfillment_channel": "AFN"},
    ]
    body, content_type, count = reports.render_report(
        reports.AFN_INVENTORY, merchant_id="A2SELLER", catalog=catalog
    )
    rows = reports.parse_flat_file(body.decode())
    assert count == 2 and content_type == "text/plain"
    assert list(rows[0]) == list(reports.AFN_COLUMNS)
    assert [r["seller-sku"] for r in rows] == ["B-SKU", "C-SKU"]
    assert rows[0]["Quantity Available"] == "7" and rows[0]["asin"] == "B000000002"
    assert rows[0]["fulfillment-channel-sku"].startswith("X00")
    assert rows[0]["Warehouse-Condition-code"] == "SELLABLE"


def test_select_orders_by_last_update(orders):
    later = NOW + timedelta(minutes=30)
    chosen = reports.select_orders(reports.XML_ALL_ORDERS, orders, later, None)
    assert chosen and all(o["last_update_date"] >= later for o in chosen)
    assert len(chosen) < len(orders)
