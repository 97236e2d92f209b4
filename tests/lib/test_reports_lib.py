"""amazon_integration.lib.reports: report requests/lists, order reports, FBA inventory."""

from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

import pytest
from lxml import etree

from amazon_integration.lib import orders as o
from amazon_integration.lib import reports as rp
from amazon_integration.lib.responses import MwsErrorResponse, ResponseParseError


def assert_contract_shape(order):
    assert o.contract_problems(order) == []
    assert order["items_complete"] is True


UTC = timezone.utc


@lru_cache(maxsize=1)
def _schema(xsd_dir: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(f"{xsd_dir}/amzn-envelope.xsd", parser))


@pytest.fixture
def envelope_schema(amazon_xsd_dir):
    return _schema(str(amazon_xsd_dir))


# ---------------------------------------------------------------------------------------------
# Report requests and lists
# ---------------------------------------------------------------------------------------------


def test_report_request_list_sample(amazon_samples_dir):
    page = rp.parse_report_request_list(
        (amazon_samples_dir / "GetReportRequestListResponse.xml").read_bytes()
    )
    assert page.has_next is True
    assert page.next_token == "2YgYW55IPQhcm5hbCBwbGVhc3VyZS4="
    assert page.request_id == "732480cb-84a8-4c15-9084-a46bd9a0889b"
    (info,) = page.requests
    assert info == rp.ReportRequestInfo(
        report_request_id="2291326454",
        report_type="_GET_MERCHANT_LISTINGS_DATA_",
        status="_DONE_",
        start_date=datetime(2011, 1, 21, 2, 10, 39, tzinfo=UTC),
        end_date=datetime(2011, 2, 13, 2, 10, 39, tzinfo=UTC),
        scheduled=False,
        submitted_date=datetime(2011, 2, 17, 23, 44, 9, tzinfo=UTC),
        generated_report_id="3538561173",
        started_processing_date=datetime(2011, 2, 17, 23, 44, 43, tzinfo=UTC),  # padded text
        completed_date=datetime(2011, 2, 17, 23, 44, 48, tzinfo=UTC),
    )


def test_request_report_sample(amazon_samples_dir):
    info = rp.parse_request_report((amazon_samples_dir / "RequestReportResponse.xml").read_bytes())
    assert info.report_request_id == "2291326454"
    assert info.status == "_SUBMITTED_"
    assert info.generated_report_id is None and info.completed_date is None
    assert info.submitted_date == datetime(2009, 2, 20, 2, 10, 39, tzinfo=UTC)


def test_report_request_list_by_next_token_last_page():
    body = b"""<GetReportRequestListByNextTokenResponse xmlns="http://mws.amazonaws.com/doc/2009-01-01/">
      <GetReportRequestListByNextTokenResult><HasNext>false</HasNext>
        <ReportRequestInfo><ReportRequestId>7</ReportRequestId>
          <ReportType>_GET_FLAT_FILE_ORDERS_DATA_</ReportType>
          <ReportProcessingStatus>_DONE_NO_DATA_</ReportProcessingStatus></ReportRequestInfo>
      </GetReportRequestListByNextTokenResult></GetReportRequestListByNextTokenResponse>"""
    page = rp.parse_report_request_list(body)
    assert (page.has_next, page.next_token) == (False, None)
    assert page.requests[0].status == "_DONE_NO_DATA_"


def test_report_list():
    body = b"""<?xml version="1.0"?>
    <GetReportListResponse xmlns="http://mws.amazonaws.com/doc/2009-01-01/">
      <GetReportListResult>
        <NextToken>RL-TOKEN</NextToken>
        <HasNext>true</HasNext>
        <ReportInfo>
          <ReportId>898899473</ReportId>
          <ReportType>_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_</ReportType>
          <ReportRequestId>2278662938</ReportRequestId>
          <AvailableDate>2009-02-10T09:22:33+00:00</AvailableDate>
          <Acknowledged>false</Acknowledged>
        </ReportInfo>
        <ReportInfo>
          <ReportId>898899474</ReportId>
          <ReportType>_GET_FLAT_FILE_ORDERS_DATA_</ReportType>
          <AvailableDate>2009-02-11T09:22:33Z</AvailableDate>
          <Acknowledged>true</Acknowledged>
          <AcknowledgedDate>2009-02-12T01:00:00Z</AcknowledgedDate>
        </ReportInfo>
      </GetReportListResult>
      <ResponseMetadata><RequestId>rl-1</RequestId></ResponseMetadata>
    </GetReportListResponse>"""
    page = rp.parse_report_list(body)
    assert (page.next_token, page.has_next, page.request_id) == ("RL-TOKEN", True, "rl-1")
    first, second = page.reports
    assert first.report_id == "898899473" and first.report_request_id == "2278662938"
    assert first.acknowledged is False and first.acknowledged_date is None
    assert first.available_date == datetime(2009, 2, 10, 9, 22, 33, tzinfo=UTC)
    assert second.acknowledged is True
    assert second.acknowledged_date == datetime(2009, 2, 12, 1, 0, tzinfo=UTC)


def test_report_parsers_raise_on_errors(amazon_samples_dir):
    body = (amazon_samples_dir / "QuotaExceeded.xml").read_bytes()
    for parser in (rp.parse_report_list, rp.parse_report_request_list, rp.parse_request_report):
        with pytest.raises(MwsErrorResponse, match="QuotaExceeded"):
            parser(body)
    with pytest.raises(ResponseParseError, match="GetReportListResult"):
        rp.parse_report_list((amazon_samples_dir / "RequestReportResponse.xml").read_bytes())


# ---------------------------------------------------------------------------------------------
# _GET_FLAT_FILE_ORDERS_DATA_
# ---------------------------------------------------------------------------------------------

FLAT_COLUMNS = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
    "buyer-phone-number", "sku", "product-name", "quantity-purchased", "currency", "item-price",
    "item-tax", "shipping-price", "shipping-tax", "ship-service-level", "recipient-name",
    "ship-address-1", "ship-address-2", "ship-city", "ship-state", "ship-postal-code",
    "ship-country", "ship-phone-number", "delivery-Instructions", "sales-channel",
    "item-promotion-discount", "item-promotion-id", "ship-promotion-discount",
    "ship-promotion-id", "is-business-order", "is-prime", "some-future-column",
]  # fmt: skip
# Missing on purpose: ship-address-3, delivery dates, gift columns, fulfillment-channel.

FLAT_ROWS = [
    [
        "028-1234567-1234567", "12345678901234", "2017-03-13T07:06:20+00:00",
        "2017-03-13T08:00:00+00:00", "abc@marketplace.amazon.de", "Jürgen Müller", "",
        "DEMO-SKU-001", 'Kaffeebecher "Zürich" 350 ml', "2", "EUR", "39.98", "0.00", "4.99",
        "0.00", "Standard", "Jürgen Müller", "Königstraße 1", "", "München", "Bayern", "80331",
        "DE", "+49 89 123", "Beim Nachbarn abgeben", "Amazon.de", "-5.00", "SPRING-2017", "0.00",
        "", "false", "true", "ignored",
    ],
    [
        "028-7654321-7654321", "22345678901234", "2017-03-14T10:00:00Z", "", "x@y.de", "李 小龍",
        "", "DEMO-SKU-003", "日本茶 (緑茶)", "1", "EUR", "9.99", "", "", "", "Expedited", "李 小龍",
        "Hauptstr. 2", "c/o Lee", "Berlin", "", "10115", "DE", "", "", "Amazon.de", "", "", "",
        "", "", "", "",
    ],
    [
        "028-1234567-1234567", "12345678901235", "2017-03-13T07:06:20+00:00",
        "2017-03-13T08:00:00+00:00", "abc@marketplace.amazon.de", "Jürgen Müller", "",
        "DEMO-SKU-002", '"Tasse, 2er ""Set"""', "1", "EUR", "10.00", "0.00", "0.00", "0.00",
        "Standard", "Jürgen Müller", "Königstraße 1", "", "München", "Bayern", "80331", "DE",
        "", "", "Amazon.de", "", "", "-4.99", "FREESHIP", "false", "true", "",
    ],
]  # fmt: skip


def _flat_file(columns=FLAT_COLUMNS, rows=FLAT_ROWS, newline="\r\n"):
    lines = ["\t".join(columns)] + ["\t".join(row) for row in rows]
    return newline.join(lines) + newline


def test_flat_file_orders_utf8_bom_crlf():
    data = b"\xef\xbb\xbf" + _flat_file().encode("utf-8")
    orders = rp.parse_flat_file_orders(data, seller_id="A2DEMOSELLER")
    assert [x["amazon_order_id"] for x in orders] == ["028-1234567-1234567", "028-7654321-7654321"]
    first, second = orders
    for order in orders:
        assert_contract_shape(order)
        assert order["items_complete"] is True
        assert order["order_total_source"] == "computed"
        assert order["source"] == "flat_file"
        assert order["seller_id"] == "A2DEMOSELLER"
        assert order["status"] is None  # the report does not say
        assert order["fulfillment_channel"] == "MFN"
        assert order["marketplace_id"] == "A1PA6795UKMFR9"
        assert order["parse_warnings"] == []

    assert first["purchase_date"] == datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)
    assert first["payments_date"] == datetime(2017, 3, 13, 8, 0, tzinfo=UTC)
    assert first["last_update_date"] == first["payments_date"]
    assert first["buyer_name"] == "Jürgen Müller"
    assert first["buyer_phone"] is None
    assert first["shipment_service_level_category"] == "Standard"
    assert first["is_prime"] is True and first["is_business_order"] is False
    assert first["delivery_instructions"] == "Beim Nachbarn abgeben"
    assert first["shipping_address"]["address_line1"] == "Königstraße 1"
    assert first["shipping_address"]["address_line3"] is None
    assert first["shipping_address"]["phone"] == "+49 89 123"
    mug, set_ = first["items"]  # rows 1 and 3: grouped although not adjacent
    assert mug["title"] == 'Kaffeebecher "Zürich" 350 ml'  # lone quotes survive
    assert set_["title"] == 'Tasse, 2er "Set"'  # a CSV-quoted cell is unquoted
    assert mug["quantity_ordered"] == 2 and mug["item_price"] == "39.98"
    assert mug["promotion_discount"] == "5.00" and mug["promotion_ids"] == ["SPRING-2017"]
    assert set_["shipping_discount"] == "4.99" and set_["promotion_ids"] == ["FREESHIP"]
    assert mug["gift_wrap_price"] == "0.00" and mug["gift_message_text"] is None
    # (39.98 + 4.99 - 5.00) + (10.00 - 4.99)
    assert first["order_total"] == "44.98"
    assert o.order_total_check(first) == (Decimal("44.98"), None)

    assert second["payments_date"] is None
    assert second["last_update_date"] == second["purchase_date"]
    assert second["buyer_name"] == "李 小龍"
    assert second["items"][0]["title"] == "日本茶 (緑茶)"
    assert second["items"][0]["item_tax"] == "0.00"
    assert second["order_total"] == "9.99"
    assert second["shipping_address"]["address_line2"] == "c/o Lee"
    assert second["shipping_address"]["state_or_region"] is None


def test_flat_file_orders_cp1252_and_str_input():
    from_cp1252 = rp.parse_flat_file_orders(_flat_file(rows=FLAT_ROWS[:1]).encode("cp1252"))
    from_str = rp.parse_flat_file_orders("\ufeff" + _flat_file(rows=FLAT_ROWS[:1], newline="\n"))
    assert from_cp1252[0]["buyer_name"] == from_str[0]["buyer_name"] == "Jürgen Müller"
    assert from_cp1252[0]["order_total"] == from_str[0]["order_total"] == "39.97"


def test_flat_file_orders_optional_columns_and_channel():
    columns = [*FLAT_COLUMNS, "fulfillment-channel", "order-status", "gift-wrap-price",
               "gift-wrap-tax", "gift-message-text", "last-updated-date"]  # fmt: skip
    row = [*FLAT_ROWS[1], "Amazon", "Cancelled", "2.50", "0.50", "Alles Gute", "2017-03-20"]
    (order,) = rp.parse_flat_file_orders(_flat_file(columns, [row]))
    assert order["fulfillment_channel"] == "AFN"
    assert order["status"] == "Canceled"
    assert order["last_update_date"] == datetime(2017, 3, 20, tzinfo=UTC)
    assert order["items"][0]["gift_message_text"] == "Alles Gute"
    assert order["order_total"] == "12.99"


def test_flat_file_orders_header_only_and_blank_lines():
    assert rp.parse_flat_file_orders("\t".join(FLAT_COLUMNS) + "\r\n\r\n") == []


def test_flat_file_orders_missing_required_columns():
    columns = [c for c in FLAT_COLUMNS if c not in ("sku", "item-price")]
    with pytest.raises(rp.ReportParseError, match=r"lacks required column.*sku, item-price"):
        rp.parse_flat_file_orders("\t".join(columns) + "\n")
    with pytest.raises(rp.ReportParseError, match="empty report"):
        rp.parse_flat_file_orders(b"\xef\xbb\xbf\r\n")


def test_flat_file_orders_bad_cells_name_the_line():
    bad = [list(FLAT_ROWS[0]), list(FLAT_ROWS[1])]
    bad[1][FLAT_COLUMNS.index("item-price")] = "9.99 EUR"
    with pytest.raises(rp.ReportParseError, match=r"line 3 item-price.*9\.99 EUR"):
        rp.parse_flat_file_orders(_flat_file(rows=bad))
    bad[1] = list(FLAT_ROWS[1])
    bad[1][0] = ""
    with pytest.raises(rp.ReportParseError, match="line 3: empty order-id"):
        rp.parse_flat_file_orders(_flat_file(rows=bad))
    bad[1] = list(FLAT_ROWS[1])
    bad[1][FLAT_COLUMNS.index("quantity-purchased")] = "two"
    with pytest.raises(rp.ReportParseError, match="line 3"):
        rp.parse_flat_file_orders(_flat_file(rows=bad))


def test_flat_file_orders_bad_date_warns_and_repeated_item_is_dropped():
    rows = [list(FLAT_ROWS[1]), list(FLAT_ROWS[1])]
    rows[0][2] = "20178-03-14T10:00:00Z"
    (order,) = rp.parse_flat_file_orders(_flat_file(rows=rows))
    assert order["purchase_date"] is None
    assert len(order["items"]) == 1
    assert any("purchase-date" in w for w in order["parse_warnings"])
    assert any("repeated" in w for w in order["parse_warnings"])


# ---------------------------------------------------------------------------------------------
# XML order reports
# ---------------------------------------------------------------------------------------------

ALL_ORDERS_XML = """<?xml version="1.0" encoding="ISO-8859-1"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header><DocumentVersion>1.00</DocumentVersion></Header>
  <MessageType>AllOrdersReport</MessageType>
  <Message>
    <Order>
      <AmazonOrderID>111-5574600-0153060</AmazonOrderID>
      <MerchantOrderID>111-5574600-0153060</MerchantOrderID>
      <PurchaseDate>2017-10-30T20:06:06+00:00</PurchaseDate>
      <LastUpdatedDate>2017-10-30T20:06:11+00:00</LastUpdatedDate>
      <OrderStatus>Pending</OrderStatus>
      <SalesChannel>Amazon.com</SalesChannel>
      <FulfillmentData>
        <FulfillmentChannel>Amazon</FulfillmentChannel>
        <ShipServiceLevel>SecondDay</ShipServiceLevel>
        <Address><City>MIAMI</City><State>FL</State><PostalCode>33195-2855</PostalCode>
          <Country>US</Country></Address>
      </FulfillmentData>
      <IsBusinessOrder>false</IsBusinessOrder>
      <OrderItem>
        <ASIN>B074G4GB3P</ASIN>
        <SKU>JLM106STK-AT-2</SKU>
        <ItemStatus>Unshipped</ItemStatus>
        <ProductName>T Shirt &amp; Stickers (Medium)</ProductName>
        <Quantity>1</Quantity>
      </OrderItem>
    </Order>
  </Message>
  <Message>
    <Order>
      <AmazonOrderID>112-0000000-0000001</AmazonOrderID>
      <PurchaseDate>2017-10-29T10:00:00+00:00</PurchaseDate>
      <LastUpdatedDate>2017-10-31T10:00:00+00:00</LastUpdatedDate>
      <OrderStatus>Shipped</OrderStatus>
      <SalesChannel>Amazon.com</SalesChannel>
      <FulfillmentData>
        <FulfillmentChannel>Merchant</FulfillmentChannel>
        <ShipServiceLevel>Standard</ShipServiceLevel>
        <Address><City>Seattle</City><State>WA</State><PostalCode>98101</PostalCode>
          <Country>US</Country></Address>
      </FulfillmentData>
      <IsBusinessOrder>true</IsBusinessOrder>
      <PurchaseOrderNumber>PO-9</PurchaseOrderNumber>
      <OrderItem>
        <AmazonOrderItemCode>12345678901234</AmazonOrderItemCode>
        <ASIN>B000000001</ASIN>
        <SKU>DEMO-SKU-001</SKU>
        <ItemStatus>Shipped</ItemStatus>
        <ProductName>Caf\xe9 mug</ProductName>
        <Quantity>3</Quantity>
        <ItemPrice>
          <Component><Type>Principal</Type><Amount currency="USD">59.97</Amount></Component>
          <Component><Type>Shipping</Type><Amount currency="USD">5.99</Amount></Component>
          <Component><Type>Tax</Type><Amount currency="USD">4.80</Amount></Component>
          <Component><Type>ShippingTax</Type><Amount currency="USD">0.48</Amount></Component>
          <Component><Type>GiftWrap</Type><Amount currency="USD">3.00</Amount></Component>
          <Component><Type>GiftWrapTax</Type><Amount currency="USD">0.24</Amount></Component>
        </ItemPrice>
        <Promotion>
          <PromotionIDs>PROMO-A</PromotionIDs>
          <ShipPromotionDiscount>-5.99</ShipPromotionDiscount>
          <ItemPromotionDiscount>-10.00</ItemPromotionDiscount>
        </Promotion>
      </OrderItem>
    </Order>
  </Message>
  <Message>
    <Order>
      <AmazonOrderID>111-5574600-0153060</AmazonOrderID>
      <PurchaseDate>2017-10-30T20:06:06+00:00</PurchaseDate>
      <LastUpdatedDate>2017-10-30T22:00:00+00:00</LastUpdatedDate>
      <OrderStatus>Cancelled</OrderStatus>
      <SalesChannel>Amazon.com</SalesChannel>
      <FulfillmentData><FulfillmentChannel>Amazon</FulfillmentChannel></FulfillmentData>
      <OrderItem>
        <ASIN>B074G4GB3P</ASIN><SKU>JLM106STK-AT-2</SKU><ItemStatus>Cancelled</ItemStatus>
        <ProductName>T Shirt &amp; Stickers (Medium)</ProductName><Quantity>1</Quantity>
      </OrderItem>
    </Order>
  </Message>
</AmazonEnvelope>
"""


def test_xml_all_orders_report():
    data = ALL_ORDERS_XML.encode("latin-1")
    orders = rp.parse_xml_orders_report(data, seller_id="S1")
    # the order listed twice comes back once, in its later version
    assert [x["amazon_order_id"] for x in orders] == ["112-0000000-0000001", "111-5574600-0153060"]
    shipped, canceled = orders
    for order in orders:
        assert_contract_shape(order)
        assert order["source"] == "xml_all_orders" and order["items_complete"] is True
        assert order["seller_id"] == "S1"
    assert shipped["status"] == "Shipped" and shipped["fulfillment_channel"] == "MFN"
    assert shipped["merchant_order_id"] is None
    assert shipped["is_business_order"] is True and shipped["purchase_order_number"] == "PO-9"
    assert shipped["last_update_date"] == datetime(2017, 10, 31, 10, 0, tzinfo=UTC)
    assert shipped["shipping_address"]["state_or_region"] == "WA"
    assert shipped["shipping_address"]["country_code"] == "US"
    (item,) = shipped["items"]
    assert item["title"] == "Café mug"
    assert item["order_item_id"] == "12345678901234"
    assert (item["quantity_ordered"], item["quantity_shipped"]) == (3, 3)
    assert item["item_price"] == "59.97" and item["shipping_tax"] == "0.48"
    assert item["gift_wrap_price"] == "3.00" and item["gift_wrap_tax"] == "0.24"
    assert item["promotion_discount"] == "10.00" and item["shipping_discount"] == "5.99"
    assert item["promotion_ids"] == ["PROMO-A"]
    assert shipped["currency"] == "USD"
    # 59.97 + 5.99 + 4.80 + 0.48 + 3.00 + 0.24 - 10.00 - 5.99 = 58.49
    assert shipped["order_total"] == "58.49"
    assert o.order_total_check(shipped)[0] == Decimal("58.49")

    assert canceled["status"] == "Canceled"  # "Cancelled" in the report
    assert canceled["fulfillment_channel"] == "AFN"
    assert canceled["order_total"] is None  # no prices: nothing to add up
    assert canceled["order_total_source"] is None
    assert canceled["items"][0]["order_item_id"] is None
    assert canceled["items"][0]["item_price"] == "0.00"


ORDER_REPORT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header>
    <DocumentVersion>1.01</DocumentVersion>
    <MerchantIdentifier>M_DEMO_1234</MerchantIdentifier>
  </Header>
  <MessageType>OrderReport</MessageType>
  <Message>
    <MessageID>1</MessageID>
    <OrderReport>
      <AmazonOrderID>203-1234567-1234567</AmazonOrderID>
      <AmazonSessionID>203-7654321-7654321</AmazonSessionID>
      <OrderDate>2017-03-13T07:06:20+00:00</OrderDate>
      <OrderPostedDate>2017-03-13T08:36:20+00:00</OrderPostedDate>
      <MarketplaceName>Amazon.co.uk</MarketplaceName>
      <BillingData>
        <BuyerEmailAddress>xyz@marketplace.amazon.co.uk</BuyerEmailAddress>
        <BuyerName>Zoë O’Brien</BuyerName>
        <BuyerPhoneNumber>+44 20 7946 0000</BuyerPhoneNumber>
      </BillingData>
      <FulfillmentData>
        <FulfillmentMethod>Ship</FulfillmentMethod>
        <FulfillmentServiceLevel>Expedited</FulfillmentServiceLevel>
        <Address>
          <Name>Zoë O’Brien</Name>
          <AddressFieldOne>1 Baker Street</AddressFieldOne>
          <AddressFieldTwo>Flat 2</AddressFieldTwo>
          <City>London</City>
          <StateOrRegion>Greater London</StateOrRegion>
          <PostalCode>NW1 6XE</PostalCode>
          <CountryCode>GB</CountryCode>
          <PhoneNumber>+44 20 7946 0001</PhoneNumber>
        </Address>
      </FulfillmentData>
      <IsBusinessOrder>false</IsBusinessOrder>
      <IsPrime>true</IsPrime>
      <Item>
        <AmazonOrderItemCode>52986411826454</AmazonOrderItemCode>
        <SKU>DEMO-SKU-001</SKU>
        <Title>Teapot, 1 l</Title>
        <Quantity>2</Quantity>
        <ItemPrice>
          <Component><Type>Principal</Type><Amount currency="GBP">39.98</Amount></Component>
          <Component><Type>Shipping</Type><Amount currency="GBP">4.99</Amount></Component>
          <Component><Type>Tax</Type><Amount currency="GBP">0.00</Amount></Component>
          <Component><Type>ShippingTax</Type><Amount currency="GBP">0.00</Amount></Component>
        </ItemPrice>
        <ItemFees>
          <Fee><Type>Commission</Type><Amount currency="GBP">-6.00</Amount></Fee>
          <Fee><Type>Commission</Type><Amount currency="GBP">-0.75</Amount></Fee>
        </ItemFees>
        <Promotion>
          <PromotionClaimCode>SPRING17</PromotionClaimCode>
          <MerchantPromotionID>SPRING-2017</MerchantPromotionID>
          <Component><Type>Principal</Type><Amount currency="GBP">-5.00</Amount></Component>
          <Component><Type>Shipping</Type><Amount currency="GBP">-4.99</Amount></Component>
        </Promotion>
        <GiftWrapLevel>Classic</GiftWrapLevel>
        <GiftMessageText>Cheers!</GiftMessageText>
        <ExpectedShipDateRange>
          <EarliestShipDate>2017-03-14T00:00:00Z</EarliestShipDate>
          <LatestShipDate>2017-03-15T23:59:59Z</LatestShipDate>
        </ExpectedShipDateRange>
      </Item>
      <Item>
        <AmazonOrderItemCode>52986411826455</AmazonOrderItemCode>
        <SKU>DEMO-SKU-002</SKU>
        <Title>Tea cosy</Title>
        <Quantity>1</Quantity>
        <ItemPrice>
          <Component><Type>Principal</Type><Amount currency="GBP">12.50</Amount></Component>
          <Component><Type>GiftWrap</Type><Amount currency="GBP">2.99</Amount></Component>
          <Component><Type>Other</Type><Amount currency="GBP">1.00</Amount></Component>
        </ItemPrice>
        <ItemFees>
          <Fee><Type>Commission</Type><Amount currency="GBP">-1.88</Amount></Fee>
        </ItemFees>
        <ExpectedShipDateRange>
          <EarliestShipDate>2017-03-13T12:00:00Z</EarliestShipDate>
          <LatestShipDate>2017-03-16T23:59:59Z</LatestShipDate>
        </ExpectedShipDateRange>
      </Item>
    </OrderReport>
  </Message>
</AmazonEnvelope>
"""


def test_order_report_xml_is_valid_and_parses(envelope_schema):
    data = ORDER_REPORT_XML.encode("utf-8")
    document = etree.fromstring(data, etree.XMLParser(no_network=True))
    assert envelope_schema.validate(document), envelope_schema.error_log

    (order,) = rp.parse_xml_orders_report(data)
    assert_contract_shape(order)
    assert order["source"] == "order_report"
    assert order["amazon_order_id"] == "203-1234567-1234567"
    assert order["status"] is None and order["fulfillment_channel"] == "MFN"
    assert order["sales_channel"] == "Amazon.co.uk"
    assert order["marketplace_id"] == "A1F83G8C2ARO7P"
    assert order["purchase_date"] == datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)
    assert order["payments_date"] == datetime(2017, 3, 13, 8, 36, 20, tzinfo=UTC)
    assert order["last_update_date"] == order["payments_date"]
    assert order["earliest_ship_date"] == datetime(2017, 3, 13, 12, 0, tzinfo=UTC)
    assert order["latest_ship_date"] == datetime(2017, 3, 16, 23, 59, 59, tzinfo=UTC)
    assert order["buyer_name"] == "Zoë O’Brien"
    assert order["buyer_phone"] == "+44 20 7946 0000"
    assert order["is_prime"] is True
    assert order["shipment_service_level_category"] == "Expedited"
    assert order["shipping_address"] == {
        "name": "Zoë O’Brien",
        "address_line1": "1 Baker Street",
        "address_line2": "Flat 2",
        "address_line3": None,
        "city": "London",
        "county": None,
        "district": None,
        "state_or_region": "Greater London",
        "postal_code": "NW1 6XE",
        "country_code": "GB",
        "phone": "+44 20 7946 0001",
        "address_type": None,
    }
    teapot, cosy = order["items"]
    assert teapot["promotion_discount"] == "5.00" and teapot["shipping_discount"] == "4.99"
    assert teapot["promotion_ids"] == ["SPRING-2017"]
    assert teapot["item_fees"] == {"Commission": "-6.75"}
    assert teapot["gift_wrap_level"] == "Classic" and teapot["gift_message_text"] == "Cheers!"
    assert cosy["gift_wrap_price"] == "2.99"
    assert cosy["other_charges"] == {"Other": "1.00"}  # outside the contract's formula
    assert order["currency"] == "GBP"
    # (39.98 + 4.99 - 5.00 - 4.99) + (12.50 + 2.99) = 50.47
    assert order["order_total"] == "50.47"
    assert o.order_total_check(order) == (Decimal("50.47"), None)


def test_xml_orders_report_rejects_other_documents(amazon_samples_dir):
    with pytest.raises(rp.ReportParseError, match="expected an AmazonEnvelope"):
        rp.parse_xml_orders_report((amazon_samples_dir / "SubmitFeedResponse.xml").read_bytes())
    with pytest.raises(rp.ReportParseError, match="malformed XML"):
        rp.parse_xml_orders_report(ORDER_REPORT_XML[:-30])
    processing = (
        "<AmazonEnvelope><Header><DocumentVersion>1.01</DocumentVersion></Header>"
        "<MessageType>ProcessingReport</MessageType><Message><MessageID>1</MessageID>"
        "<ProcessingReport/></Message></AmazonEnvelope>"
    )
    with pytest.raises(rp.ReportParseError, match="ProcessingReport"):
        rp.parse_xml_orders_report(processing)
    bad_amount = ORDER_REPORT_XML.replace(">12.50<", ">12,50,0<")
    with pytest.raises(rp.ReportParseError, match="ItemPrice Principal"):
        rp.parse_xml_orders_report(bad_amount)


def test_xml_orders_report_empty_envelope():
    empty = "<AmazonEnvelope><MessageType>AllOrdersReport</MessageType></AmazonEnvelope>"
    assert rp.parse_xml_orders_report(empty) == []


# ---------------------------------------------------------------------------------------------
# _GET_AFN_INVENTORY_DATA_
# ---------------------------------------------------------------------------------------------


def test_afn_inventory():
    data = (
        "seller-sku\tfulfillment-channel-sku\tasin\tcondition-type\tWarehouse-Condition-code"
        "\tQuantity Available\r\n"
        "DEMO-SKU-001\tX0001ABCDE\tB000000001\tNewItem\tSELLABLE\t17\r\n"
        "DEMO-SKU-001\tX0001ABCDE\tB000000001\tNewItem\tUNSELLABLE\t2\r\n"
        "DEMO-SKU-ÄÖ\tX0002ABCDE\tB000000002\tNewItem\tSELLABLE\t0\r\n"
    ).encode("cp1252")
    rows = rp.parse_afn_inventory(data)
    assert rows[0] == {
        "sku": "DEMO-SKU-001",
        "fnsku": "X0001ABCDE",
        "asin": "B000000001",
        "condition": "NewItem",
        "warehouse_condition": "SELLABLE",
        "quantity": 17,
    }
    assert rows[1]["warehouse_condition"] == "UNSELLABLE" and rows[1]["quantity"] == 2
    assert rows[2]["sku"] == "DEMO-SKU-ÄÖ" and rows[2]["quantity"] == 0


def test_afn_inventory_errors():
    with pytest.raises(rp.ReportParseError, match="quantity available"):
        rp.parse_afn_inventory("seller-sku\tasin\nA\tB\n")
    with pytest.raises(rp.ReportParseError, match="line 2"):
        rp.parse_afn_inventory("seller-sku\tQuantity Available\nA\tmany\n")


# ---------------------------------------------------------------------------------------------
# _GET_MERCHANT_LISTINGS_ALL_DATA_ (ASIN and status read back onto the listings: issue 11)
# ---------------------------------------------------------------------------------------------


def test_listings_report_from_the_sandbox_reads_back_asin_and_status():
    from amazon_sandbox.reports import LISTINGS_ALL, render_report

    catalog = [
        {"sku": "MUG-1", "asin": "B0MUG00001", "title": "Mug\twith tab", "price": "12.50",
         "quantity": 4, "standard_product_id": "EAN:4006381333931", "created": "2026-12-01"},
        {"sku": "NO-STOCK", "asin": "B0NOSTOCK1", "price": "9.00", "quantity": 0},
        {"sku": "FBA-1", "asin": "B0FBA00001", "price": "5.00", "fulfillment_channel": "AFN"},
        {"sku": "NO-PRICE", "asin": "B0NOPRICE1", "quantity": 3},
    ]  # fmt: skip
    body, content_type, count = render_report(LISTINGS_ALL, merchant_id="M", catalog=catalog)
    assert content_type == "text/plain" and count == 4
    rows = {row["sku"]: row for row in rp.parse_listings(body)}
    assert rows["MUG-1"] == {
        "sku": "MUG-1", "asin": "B0MUG00001", "status": "active", "quantity": 4, "price": "12.50",
    }  # fmt: skip
    assert rows["NO-STOCK"]["status"] == "inactive"
    assert rows["FBA-1"]["status"] == "active" and rows["FBA-1"]["quantity"] is None
    assert rows["NO-PRICE"]["status"] == "inactive"


def test_listings_report_errors():
    with pytest.raises(rp.ReportParseError, match="asin1"):
        rp.parse_listings("seller-sku\tprice\nA\t1\n")
    with pytest.raises(rp.ReportParseError, match="line 2: quantity"):
        rp.parse_listings("seller-sku\tasin1\tquantity\nA\tB0\tmany\n")
    odd = rp.parse_listings("seller-sku\tasin1\tstatus\nA\tB0A\tSuppressed\n")
    assert odd[0]["status"] is None
