"""Per-message processing of every feed type, with its errors; every ProcessingReport is
checked against Amazon's XSD."""

from decimal import Decimal

import pytest
from conftest import envelope, product_msg
from lxml import etree

PRODUCT = "_POST_PRODUCT_DATA_"


@pytest.fixture(scope="session")
def envelope_schema(amazon_xsd_dir):
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(amazon_xsd_dir / "amzn-envelope.xsd"), parser))


@pytest.fixture
def run(sandbox, seller, envelope_schema):
    """run(message_type, feed_type, messages) -> (summary dict, {MessageID: result dict})"""

    def run_feed(message_type, feed_type, messages, creds=None):
        report = sandbox.process(creds or seller, envelope(message_type, messages), feed_type)
        doc = etree.fromstring(report)
        envelope_schema.assertValid(doc)
        rep = doc.find("Message/ProcessingReport")
        summary = {e.tag: int(e.text) for e in rep.find("ProcessingSummary")}
        results = {}
        for r in rep.iterfind("Result"):
            results[r.findtext("MessageID")] = {
                "code": r.findtext("ResultCode"),
                "msg": int(r.findtext("ResultMessageCode")),
                "text": r.findtext("ResultDescription"),
                "sku": r.findtext("AdditionalInfo/SKU"),
                "order": r.findtext("AdditionalInfo/AmazonOrderID"),
            }
        return summary, results

    return run_feed


def catalog(sandbox, creds):
    rows = sandbox.admin("GET", f"/admin/sellers/{creds.seller_id}/catalog")
    return {r["sku"]: r for r in rows}


def test_product_update_partial_delete_and_asins(sandbox, seller, run):
    summary, results = run(
        "Product",
        PRODUCT,
        [
            product_msg("A", "Alpha", upc="012345678905"),
            product_msg("B", "Beta", asin="B00TESTASN"),
            "<OperationType>Update</OperationType><Product><SKU>NEW-NO-DATA</SKU></Product>",
            product_msg("GHOST", "Ghost", op="PartialUpdate"),
            product_msg("GHOST", "Ghost", op="Delete"),
        ],
    )
    assert summary == {
        "MessagesProcessed": 5,
        "MessagesSuccessful": 2,
        "MessagesWithError": 3,
        "MessagesWithWarning": 0,
    }
    assert results["3"]["msg"] == 8560 and results["3"]["sku"] == "NEW-NO-DATA"
    assert results["4"]["msg"] == 13013 and results["4"]["sku"] == "GHOST"
    assert results["5"]["msg"] == 13013
    rows = catalog(sandbox, seller)
    assert set(rows) == {"A", "B"}
    asin_a = rows["A"]["asin"]
    assert asin_a.startswith("B0") and len(asin_a) == 10
    assert rows["B"]["asin"] == "B00TESTASN"
    assert rows["A"]["title"] == "Alpha" and rows["A"]["standard_product_id"] == "UPC:012345678905"
    # PartialUpdate keeps the other fields; the ASIN is stable; Delete then re-create too.
    run("Product", PRODUCT, [product_msg("A", "Alpha 2", op="PartialUpdate")])
    assert catalog(sandbox, seller)["A"]["title"] == "Alpha 2"
    assert catalog(sandbox, seller)["A"]["standard_product_id"] == "UPC:012345678905"
    run("Product", PRODUCT, [product_msg("A", op="Delete")])
    assert "A" not in catalog(sandbox, seller)
    run("Product", PRODUCT, [product_msg("A", "Again")])
    assert catalog(sandbox, seller)["A"]["asin"] == asin_a


def test_inventory(sandbox, seller, run):
    run("Product", PRODUCT, [product_msg("I1"), product_msg("I2"), product_msg("I3")])
    summary, results = run(
        "Inventory",
        "_POST_INVENTORY_AVAILABILITY_DATA_",
        [
            "<OperationType>Update</OperationType><Inventory><SKU>I1</SKU><Quantity>7</Quantity>"
            "<RestockDate>2030-01-02</RestockDate><FulfillmentLatency>3</FulfillmentLatency>"
            "</Inventory>",
            "<OperationType>Update</OperationType><Inventory><SKU>I2</SKU>"
            "<FulfillmentCenterID>AMAZON_NA</FulfillmentCenterID><Lookup>FulfillmentNetwork</Lookup>"
            "<SwitchFulfillmentTo>AFN</SwitchFulfillmentTo></Inventory>",
            "<OperationType>Update</OperationType><Inventory><SKU>NOPE</SKU><Quantity>1</Quantity>"
            "</Inventory>",
        ],
    )
    assert summary["MessagesWithError"] == 1 and summary["MessagesSuccessful"] == 2
    assert results["3"]["msg"] == 13013 and results["3"]["sku"] == "NOPE"
    assert "does not exist in the Amazon catalog" in results["3"]["text"]
    rows = catalog(sandbox, seller)
    assert (rows["I1"]["quantity"], rows["I1"]["fulfillment_latency"]) == (7, 3)
    assert rows["I1"]["restock_date"] == "2030-01-02"
    assert rows["I2"]["fulfillment_channel"] == "AFN"
    # A quantity for an Amazon-fulfilled SKU is ignored with a warning.
    summary, results = run(
        "Inventory",
        "_POST_INVENTORY_AVAILABILITY_DATA_",
        [
            "<OperationType>Update</OperationType><Inventory><SKU>I2</SKU><Quantity>5</Quantity>"
            "</Inventory>",
        ],
    )
    assert summary["MessagesWithWarning"] == 1 and results["1"]["code"] == "Warning"
    assert catalog(sandbox, seller)["I2"]["quantity"] == 0


def test_price(sandbox, seller, run):
    run("Product", PRODUCT, [product_msg("P1"), product_msg("P2")])
    summary, results = run(
        "Price",
        "_POST_PRODUCT_PRICING_DATA_",
        [
            '<Price><SKU>P1</SKU><StandardPrice currency="USD">19.9</StandardPrice>'
            '<MAP currency="USD">15.00</MAP><Sale><StartDate>2030-01-01T00:00:00Z</StartDate>'
            '<EndDate>2030-01-31T00:00:00Z</EndDate><SalePrice currency="USD">17.50</SalePrice>'
            "</Sale></Price>",
            '<Price><SKU>P2</SKU><StandardPrice currency="EUR">10.00</StandardPrice></Price>',
            '<Price><SKU>P9</SKU><StandardPrice currency="USD">10.00</StandardPrice></Price>',
        ],
    )
    assert summary["MessagesWithError"] == 2
    assert results["2"]["msg"] == 90111 and results["3"]["msg"] == 13013
    p1 = catalog(sandbox, seller)["P1"]
    assert (p1["price"], p1["currency"], p1["map_price"]) == ("19.90", "USD", "15.00")
    assert p1["sale"]["price"] == "17.50"
    assert catalog(sandbox, seller)["P2"]["price"] is None


def test_image_relationship_override(sandbox, seller, run):
    run("Product", PRODUCT, [product_msg("PARENT"), product_msg("KID1"), product_msg("KID2")])
    summary, results = run(
        "ProductImage",
        "_POST_PRODUCT_IMAGE_DATA_",
        [
            "<ProductImage><SKU>KID1</SKU><ImageType>Main</ImageType>"
            "<ImageLocation>https://example.com/a.jpg</ImageLocation></ProductImage>",
            "<ProductImage><SKU>KID1</SKU><ImageType>PT1</ImageType>"
            "<ImageLocation>https://example.com/b.jpg</ImageLocation></ProductImage>",
            "<ProductImage><SKU>NONE</SKU><ImageType>Main</ImageType>"
            "<ImageLocation>https://example.com/c.jpg</ImageLocation></ProductImage>",
        ],
    )
    assert summary["MessagesWithError"] == 1 and results["3"]["msg"] == 13013
    assert catalog(sandbox, seller)["KID1"]["images"] == {
        "Main": "https://example.com/a.jpg",
        "PT1": "https://example.com/b.jpg",
    }
    run(
        "ProductImage",
        "_POST_PRODUCT_IMAGE_DATA_",
        [
            "<OperationType>Delete</OperationType><ProductImage><SKU>KID1</SKU>"
            "<ImageType>PT1</ImageType></ProductImage>"
        ],
    )
    assert list(catalog(sandbox, seller)["KID1"]["images"]) == ["Main"]

    summary, results = run(
        "Relationship",
        "_POST_PRODUCT_RELATIONSHIP_DATA_",
        [
            "<Relationship><ParentSKU>PARENT</ParentSKU><Relation><SKU>KID1</SKU>"
            "<Type>Variation</Type></Relation><Relation><SKU>KID2</SKU><Type>Variation</Type>"
            "</Relation></Relationship>",
            "<Relationship><ParentSKU>PARENT</ParentSKU><Relation><SKU>UNKNOWN</SKU>"
            "<Type>Variation</Type></Relation></Relationship>",
        ],
    )
    assert summary["MessagesWithError"] == 1 and results["2"]["sku"] == "UNKNOWN"
    assert catalog(sandbox, seller)["PARENT"]["relationships"] == [
        {"sku": "KID1", "type": "Variation"},
        {"sku": "KID2", "type": "Variation"},
    ]

    summary, results = run(
        "Override",
        "_POST_PRODUCT_OVERRIDES_DATA_",
        [
            "<Override><SKU>KID2</SKU><ShippingOverride><ShipOption>Std Cont US Street Addr"
            '</ShipOption><Type>Exclusive</Type><ShipAmount currency="USD">4.99</ShipAmount>'
            "</ShippingOverride></Override>",
            "<Override><SKU>ZZZ</SKU><ShippingOverride><ShipOption>Std Cont US Street Addr"
            "</ShipOption><IsShippingRestricted>true</IsShippingRestricted></ShippingOverride>"
            "</Override>",
        ],
    )
    assert summary["MessagesWithError"] == 1 and results["2"]["msg"] == 13013
    assert catalog(sandbox, seller)["KID2"]["overrides"][0]["amount"] == "4.99"


def test_wrong_message_type_for_feed_type(sandbox, seller, run):
    summary, results = run("Inventory", PRODUCT, [product_msg("Q")])
    assert summary["MessagesProcessed"] == 0 and results["0"]["msg"] == 5000


def test_malformed_xml_reported_like_amazon(sandbox, seller, envelope_schema):
    report = sandbox.process(seller, b"<AmazonEnvelope><Header>\n<oops></AmazonEnvelope>", PRODUCT)
    doc = etree.fromstring(report)
    envelope_schema.assertValid(doc)
    results = doc.findall("Message/ProcessingReport/Result")
    assert len(results) == 1
    assert results[0].findtext("MessageID") == "0"
    assert results[0].findtext("ResultMessageCode") == "5001"
    assert (
        results[0].findtext("ResultDescription").startswith("XML Parsing Error at Line 2, Column")
    )


def _orders(sandbox, creds, count=6):
    sandbox.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": count, "seed": 3})
    sandbox.advance(4 * 3600)  # past the payment hold
    return sandbox.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")


def _mfn(orders, status="Unshipped"):
    return [o for o in orders if o["fulfillment_channel"] == "MFN" and o["status"] == status]


def test_order_feeds(sandbox, seller, run):
    orders = _mfn(_orders(sandbox, seller, 12))
    assert len(orders) >= 3, "the generator gives enough unshipped MFN orders"
    a, b, c = orders[:3]
    item_a = a["items"][0]
    summary, results = run(
        "OrderAcknowledgement",
        "_POST_ORDER_ACKNOWLEDGEMENT_DATA_",
        [
            f"<OrderAcknowledgement><AmazonOrderID>{a['amazon_order_id']}</AmazonOrderID>"
            "<MerchantOrderID>SO001</MerchantOrderID><StatusCode>Success</StatusCode><Item>"
            f"<AmazonOrderItemCode>{item_a['order_item_id']}</AmazonOrderItemCode>"
            "<MerchantOrderItemID>SOL1</MerchantOrderItemID></Item></OrderAcknowledgement>",
            f"<OrderAcknowledgement><AmazonOrderID>{c['amazon_order_id']}</AmazonOrderID>"
            "<StatusCode>Failure</StatusCode></OrderAcknowledgement>",
            "<OrderAcknowledgement><AmazonOrderID>111-0000000-0000000</AmazonOrderID>"
            "<StatusCode>Success</StatusCode></OrderAcknowledgement>",
        ],
    )
    assert summary["MessagesWithError"] == 1 and results["3"]["msg"] == 18028
    assert results["3"]["order"] == "111-0000000-0000000"
    by_id = {
        o["amazon_order_id"]: o
        for o in sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/orders")
    }
    assert by_id[a["amazon_order_id"]]["acknowledged"]["merchant_order_id"] == "SO001"
    assert by_id[c["amazon_order_id"]]["status"] == "Canceled"

    qty = item_a["quantity_ordered"]
    ship = (
        f"<OrderFulfillment><AmazonOrderID>{a['amazon_order_id']}</AmazonOrderID>"
        "<FulfillmentDate>2030-01-01T10:00:00Z</FulfillmentDate><FulfillmentData>"
        "<CarrierCode>UPS</CarrierCode><ShipperTrackingNumber>1Z999</ShipperTrackingNumber>"
        f"</FulfillmentData><Item><AmazonOrderItemCode>{item_a['order_item_id']}"
        "</AmazonOrderItemCode><Quantity>{q}</Quantity></Item></OrderFulfillment>"
    )
    summary, results = run(
        "OrderFulfillment",
        "_POST_ORDER_FULFILLMENT_DATA_",
        [
            ship.replace("{q}", str(qty + 1)),  # more than ordered
            ship.replace("{q}", str(qty)),
            f"<OrderFulfillment><AmazonOrderID>{b['amazon_order_id']}</AmazonOrderID>"
            "<FulfillmentDate>2030-01-01T10:00:00Z</FulfillmentDate><Item>"
            "<AmazonOrderItemCode>99999999999999</AmazonOrderItemCode><Quantity>1</Quantity>"
            "</Item></OrderFulfillment>",
        ],
    )
    assert summary["MessagesWithError"] == 2
    assert results["1"]["msg"] == 18030 and results["3"]["msg"] == 18029
    assert results["1"]["order"] == a["amazon_order_id"]
    shipped = {
        o["amazon_order_id"]: o
        for o in sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/orders")
    }[a["amazon_order_id"]]
    expected = "Shipped" if len(a["items"]) == 1 else "PartiallyShipped"
    assert shipped["status"] == expected
    assert shipped["items"][0]["quantity_shipped"] == qty
    assert shipped["shipments"][0]["tracking_number"] == "1Z999"

    refund = (
        f"<OrderAdjustment><AmazonOrderID>{a['amazon_order_id']}</AmazonOrderID><AdjustedItem>"
        f"<AmazonOrderItemCode>{item_a['order_item_id']}</AmazonOrderItemCode>"
        "<AdjustmentReason>CustomerReturn</AdjustmentReason><ItemPriceAdjustments><Component>"
        '<Type>Principal</Type><Amount currency="USD">{amount}</Amount></Component>'
        "</ItemPriceAdjustments></AdjustedItem></OrderAdjustment>"
    )
    summary, results = run(
        "OrderAdjustment",
        "_POST_PAYMENT_ADJUSTMENT_DATA_",
        [
            refund.replace("{amount}", "1.00"),
            refund.replace("{amount}", "99999.00"),
        ],
    )
    assert summary["MessagesWithError"] == 1 and results["2"]["msg"] == 18031
    adjusted = {
        o["amazon_order_id"]: o
        for o in sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/orders")
    }[a["amazon_order_id"]]
    assert adjusted["adjustments"][0]["items"][0]["principal"] == "1.00"
    assert adjusted["adjustments"][0]["items"][0]["reason"] == "CustomerReturn"
    # every component is checked against what the item was charged, across adjustments
    shipping = Decimal(item_a["shipping_price"] or "0")
    component = (
        f"<OrderAdjustment><AmazonOrderID>{a['amazon_order_id']}</AmazonOrderID><AdjustedItem>"
        f"<AmazonOrderItemCode>{item_a['order_item_id']}</AmazonOrderItemCode>"
        "<AdjustmentReason>CustomerReturn</AdjustmentReason><ItemPriceAdjustments><Component>"
        '<Type>{type}</Type><Amount currency="USD">{amount}</Amount></Component>'
        "</ItemPriceAdjustments></AdjustedItem></OrderAdjustment>"
    )
    summary, results = run(
        "OrderAdjustment",
        "_POST_PAYMENT_ADJUSTMENT_DATA_",
        [
            component.format(type="Shipping", amount=f"{shipping + Decimal('0.01'):.2f}"),
            component.format(type="ShippingTax", amount="999.00"),
            component.format(type="Tax", amount=f"{Decimal(item_a['item_tax']) + 1:.2f}"),
        ],
    )
    assert summary["MessagesWithError"] == 3, results
    assert {r["msg"] for r in results.values()} == {18031}
