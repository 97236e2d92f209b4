"""amazon_integration.lib.orders: ListOrders, GetOrder, ListOrderItems → contract dicts."""

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from amazon_integration.lib import orders as o
from amazon_integration.lib.responses import MwsErrorResponse, ResponseParseError

UTC = timezone.utc
NS = "https://mws.amazonservices.com/Orders/2013-09-01"

# The keys of the order dict (amazon_sandbox/DESIGN.md, "The order dict"), written out again
# here on purpose: the library's own copy (o.CONTRACT_ORDER_KEYS) must not drift from it.
CONTRACT_ORDER_KEYS = {
    "amazon_order_id", "seller_id", "marketplace_id", "sales_channel", "purchase_date",
    "last_update_date", "status", "fulfillment_channel", "ship_service_level",
    "shipment_service_level_category", "currency", "order_total", "buyer_email", "buyer_name",
    "shipping_address", "earliest_ship_date", "latest_ship_date", "earliest_delivery_date",
    "latest_delivery_date", "is_prime", "is_business_order", "is_premium_order",
    "is_replacement_order", "payment_method", "order_type", "cancel_reason", "items",
    "shipments", "adjustments", "acknowledged",
}  # fmt: skip
CONTRACT_ITEM_KEYS = {
    "order_item_id", "seller_sku", "asin", "title", "quantity_ordered", "quantity_shipped",
    "item_price", "item_tax", "shipping_price", "shipping_tax", "shipping_discount",
    "promotion_discount", "promotion_ids", "gift_wrap_price", "gift_wrap_tax",
    "gift_message_text", "gift_wrap_level", "condition_id", "condition_subtype_id",
}  # fmt: skip
CONTRACT_ADDRESS_KEYS = {
    "name", "address_line1", "address_line2", "address_line3", "city", "county", "district",
    "state_or_region", "postal_code", "country_code", "phone", "address_type",
}  # fmt: skip


def test_library_contract_keys_match_the_contract():
    assert o.CONTRACT_ORDER_KEYS == CONTRACT_ORDER_KEYS
    assert o.CONTRACT_ITEM_KEYS == CONTRACT_ITEM_KEYS
    assert set(o.ADDRESS_KEYS) == CONTRACT_ADDRESS_KEYS
    assert set(o.empty_order()) >= CONTRACT_ORDER_KEYS
    assert set(o.empty_item()) >= CONTRACT_ITEM_KEYS
    assert o.contract_problems(o.empty_order()) == []


def test_contract_problems_finds_defects():
    order = o.empty_order()
    del order["buyer_email"]
    order["purchase_date"] = datetime(2017, 1, 1)  # naive
    order["order_total"] = "12.3"
    order["is_prime"] = None
    order["shipping_address"] = {"name": "x"}
    item = o.empty_item()
    item["item_price"] = 12.5
    item["quantity_ordered"] = "2"
    order["items"] = [item]
    problems = "\n".join(o.contract_problems(order))
    for fragment in ("missing key buyer_email", "purchase_date", "order_total", "is_prime",
                     "shipping_address", "item_price", "quantity_ordered"):  # fmt: skip
        assert fragment in problems


def assert_contract_shape(order):
    assert o.contract_problems(order) == []
    assert {"parse_warnings", "items_complete", "order_total_source", "source"} <= set(order)
    # JSON-serialisable once datetimes are ISO strings (no Decimal, no float sneaking in)
    text = json.dumps(order, default=lambda v: v.isoformat())
    assert "Decimal" not in text


@pytest.fixture
def sample_orders(amazon_samples_dir):
    body = (amazon_samples_dir / "ListOrdersResponse.xml").read_bytes()
    return o.parse_list_orders(body, seller_id="A2DEMOSELLER")


def test_list_orders_sample_paging(sample_orders):
    orders, token, before = sample_orders
    assert [x["amazon_order_id"] for x in orders] == [
        "902-3159896-1390916",
        "483-3488972-0896720",
        "058-1233752-8214740",
    ]
    assert token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4="
    assert before == datetime(2017, 2, 25, 18, 10, 21, 687000, tzinfo=UTC)  # from 18%3A10%3A21
    for order in orders:
        assert_contract_shape(order)
        assert order["seller_id"] == "A2DEMOSELLER"
        assert order["items"] == [] and order["items_complete"] is False
        assert order["source"] == "ListOrders"


def test_list_orders_sample_first_order(sample_orders):
    order = sample_orders[0][0]
    assert order["status"] == "Unshipped"
    assert order["fulfillment_channel"] == "MFN"
    assert order["sales_channel"] == "Amazon.com"
    assert order["marketplace_id"] == "ATVPDKIKX0DER"
    assert order["purchase_date"] == datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)
    assert order["latest_ship_date"] == datetime(2017, 2, 25, 19, 49, 35, tzinfo=UTC)
    assert (order["currency"], order["order_total"]) == ("USD", "25.00")
    assert order["order_total_source"] == "amazon"
    assert order["buyer_email"] == "5vlhEXAMPLEh9h5@marketplace.amazon.com"
    assert order["is_business_order"] is True
    assert order["is_prime"] is False
    assert order["purchase_order_number"] == "PO12345678"
    assert order["payment_method_details"] == ["CreditCard"]
    assert order["shipping_address"] == {
        "name": "Buyer name",
        "address_line1": "1234 Any St.",
        "address_line2": None,
        "address_line3": None,
        "city": "Seattle",
        "county": None,
        "district": None,
        "state_or_region": "WA",
        "postal_code": "98103",
        "country_code": "US",
        "phone": None,
        "address_type": "Commercial",
    }
    assert order["parse_warnings"] == []


def test_list_orders_sample_impossible_year_keeps_the_order(sample_orders):
    order = sample_orders[0][1]
    assert order["amazon_order_id"] == "483-3488972-0896720"
    assert order["purchase_date"] is None
    assert order["last_update_date"] == datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)
    assert len(order["parse_warnings"]) == 1
    assert "PurchaseDate" in order["parse_warnings"][0]
    assert "20178" in order["parse_warnings"][0]
    assert order["sales_channel"] is None and order["marketplace_id"] == "A2Q3Y263D00KWC"
    assert (order["currency"], order["order_total"]) == ("BRL", "100.00")


def test_list_orders_sample_url_encoded_dates_and_padding(sample_orders):
    order = sample_orders[0][2]
    assert order["purchase_date"] == datetime(2017, 2, 5, 0, 6, 7, tzinfo=UTC)
    assert order["last_update_date"] == datetime(2017, 2, 7, 12, 43, 16, tzinfo=UTC)
    assert order["ship_service_level"] == "Std JP Kanto8"
    assert order["shipment_service_level_category"] == "Standard"  # "Standard " in the sample
    assert order["payment_method"] == "COD"
    assert order["order_total"] == "1507.00"
    assert order["order_type"] == "SourcingOnDemandOrder"
    assert order["parse_warnings"] == []


PENDING_BY_TOKEN = f"""<?xml version="1.0"?>
<ListOrdersByNextTokenResponse xmlns="{NS}">
  <ListOrdersByNextTokenResult>
    <CreatedBefore>2024-05-01T10:00:00Z</CreatedBefore>
    <Orders>
      <Order>
        <AmazonOrderId>114-1234567-1234567</AmazonOrderId>
        <PurchaseDate>2024-04-30T09:00:00Z</PurchaseDate>
        <LastUpdateDate>2024-04-30T09:00:05Z</LastUpdateDate>
        <OrderStatus>Pending</OrderStatus>
        <FulfillmentChannel>AFN</FulfillmentChannel>
        <SalesChannel>Amazon.de</SalesChannel>
        <NumberOfItemsShipped>0</NumberOfItemsShipped>
        <NumberOfItemsUnshipped>2</NumberOfItemsUnshipped>
        <PaymentMethod>Other</PaymentMethod>
        <ShipmentServiceLevelCategory>Expedited</ShipmentServiceLevelCategory>
        <OrderType>StandardOrder</OrderType>
        <IsPrime>true</IsPrime>
        <IsReplacementOrder>false</IsReplacementOrder>
        <SomeFutureElement><Nested>x</Nested></SomeFutureElement>
      </Order>
    </Orders>
  </ListOrdersByNextTokenResult>
  <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>
</ListOrdersByNextTokenResponse>"""


def test_pending_order_by_next_token_has_no_total_buyer_or_address():
    orders, token, before = o.parse_list_orders(PENDING_BY_TOKEN)
    assert token is None
    assert before == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    (order,) = orders
    assert_contract_shape(order)
    assert order["status"] == "Pending"
    assert order["order_total"] is None and order["order_total_source"] is None
    assert order["currency"] is None
    assert order["buyer_email"] is None and order["buyer_name"] is None
    assert order["shipping_address"] is None
    assert order["marketplace_id"] == "A1PA6795UKMFR9"  # filled from SalesChannel
    assert order["is_prime"] is True
    assert order["number_of_items_unshipped"] == 2
    assert o.order_total_check(order) == (Decimal("0.00"), None)


GET_ORDER = f"""<GetOrderResponse xmlns="{NS}"><GetOrderResult><Orders>
  <Order><AmazonOrderId>111-0000001-0000001</AmazonOrderId><OrderStatus>Canceled</OrderStatus>
    <PurchaseDate>2024-04-30T09:00:00Z</PurchaseDate><CancelReason>BuyerCanceled</CancelReason>
    <MarketplaceId>ATVPDKIKX0DER</MarketplaceId></Order>
  <Order><AmazonOrderId>111-0000001-0000002</AmazonOrderId><OrderStatus>Shipped</OrderStatus>
    <OrderTotal><CurrencyCode>USD</CurrencyCode><Amount>10.5</Amount></OrderTotal></Order>
</Orders></GetOrderResult></GetOrderResponse>"""


def test_get_order():
    canceled, shipped = o.parse_get_order(GET_ORDER.encode())
    assert canceled["status"] == "Canceled" and canceled["cancel_reason"] == "BuyerCanceled"
    assert canceled["source"] == "GetOrder"
    assert shipped["order_total"] == "10.50"
    assert_contract_shape(shipped)


ITEMS_PAGE_1 = f"""<?xml version="1.0"?>
<ListOrderItemsResponse xmlns="{NS}">
  <ListOrderItemsResult>
    <NextToken>ITEMS-TOKEN</NextToken>
    <AmazonOrderId>902-3159896-1390916</AmazonOrderId>
    <OrderItems>
      <OrderItem>
        <ASIN>B00EXAMPLE1</ASIN>
        <SellerSKU>DEMO-SKU-001</SellerSKU>
        <OrderItemId>68828574383266</OrderItemId>
        <Title>Ceramic mug “Café”, 2 × 350 ml</Title>
        <QuantityOrdered>2</QuantityOrdered>
        <QuantityShipped>0</QuantityShipped>
        <ProductInfo><NumberOfItems>1</NumberOfItems></ProductInfo>
        <ItemPrice><CurrencyCode>USD</CurrencyCode><Amount>19.98</Amount></ItemPrice>
        <ShippingPrice><CurrencyCode>USD</CurrencyCode><Amount>4.99</Amount></ShippingPrice>
        <ItemTax><CurrencyCode>USD</CurrencyCode><Amount>1.60</Amount></ItemTax>
        <ShippingTax><CurrencyCode>USD</CurrencyCode><Amount>0.40</Amount></ShippingTax>
        <ShippingDiscount><CurrencyCode>USD</CurrencyCode><Amount>4.99</Amount></ShippingDiscount>
        <PromotionDiscount><CurrencyCode>USD</CurrencyCode><Amount>2.00</Amount></PromotionDiscount>
        <PromotionIds>
          <PromotionId>FREESHIP-1</PromotionId>
          <PromotionId>SPRING-2</PromotionId>
        </PromotionIds>
        <IsGift>false</IsGift>
        <ConditionId>New</ConditionId>
        <ConditionSubtypeId>New</ConditionSubtypeId>
      </OrderItem>
    </OrderItems>
  </ListOrderItemsResult>
  <ResponseMetadata><RequestId>r-items-1</RequestId></ResponseMetadata>
</ListOrderItemsResponse>"""

ITEMS_PAGE_2 = f"""<ListOrderItemsByNextTokenResponse xmlns="{NS}">
  <ListOrderItemsByNextTokenResult>
    <AmazonOrderId>902-3159896-1390916</AmazonOrderId>
    <OrderItems>
      <OrderItem>
        <ASIN>B00EXAMPLE2</ASIN>
        <SellerSKU>DEMO-SKU-002</SellerSKU>
        <OrderItemId>68828574383267</OrderItemId>
        <Title>Gift box</Title>
        <QuantityOrdered>1</QuantityOrdered>
        <QuantityShipped>1</QuantityShipped>
        <ItemPrice><CurrencyCode>USD</CurrencyCode><Amount>3.00</Amount></ItemPrice>
        <GiftWrapPrice><CurrencyCode>USD</CurrencyCode><Amount>2.50</Amount></GiftWrapPrice>
        <GiftWrapTax><CurrencyCode>USD</CurrencyCode><Amount>0.20</Amount></GiftWrapTax>
        <IsGift>true</IsGift>
        <GiftMessageText>Happy birthday!</GiftMessageText>
        <GiftWrapLevel>Classic</GiftWrapLevel>
      </OrderItem>
    </OrderItems>
  </ListOrderItemsByNextTokenResult>
</ListOrderItemsByNextTokenResponse>"""


def test_list_order_items_pages_and_total(sample_orders):
    order = sample_orders[0][0]
    oid, items, token = o.parse_list_order_items(ITEMS_PAGE_1.encode())
    assert (oid, token) == ("902-3159896-1390916", "ITEMS-TOKEN")
    (item,) = items
    assert item["order_item_id"] == "68828574383266"
    assert item["seller_sku"] == "DEMO-SKU-001" and item["asin"] == "B00EXAMPLE1"
    assert item["title"] == "Ceramic mug “Café”, 2 × 350 ml"
    assert (item["quantity_ordered"], item["quantity_shipped"]) == (2, 0)
    assert item["item_price"] == "19.98" and item["item_tax"] == "1.60"
    assert item["shipping_discount"] == "4.99" and item["promotion_discount"] == "2.00"
    assert item["promotion_ids"] == ["FREESHIP-1", "SPRING-2"]
    assert item["gift_wrap_price"] == "0.00"
    assert item["currency"] == "USD" and item["condition_id"] == "New"
    # 19.98 + 1.60 + 4.99 + 0.40 - 2.00 - 4.99
    assert o.item_total(item) == Decimal("19.98")

    o.attach_items(order, items, complete=False, amazon_order_id=oid)
    assert order["items_complete"] is False
    oid2, items2, token2 = o.parse_list_order_items(ITEMS_PAGE_2)
    assert token2 is None
    o.attach_items(order, items2, amazon_order_id=oid2)
    assert order["items_complete"] is True
    assert [i["order_item_id"] for i in order["items"]] == ["68828574383266", "68828574383267"]
    gift = order["items"][1]
    assert gift["is_gift"] is True and gift["gift_message_text"] == "Happy birthday!"
    assert gift["gift_wrap_level"] == "Classic"
    assert_contract_shape(order)
    # 19.98 + (3.00 + 2.50 + 0.20) = 25.68 against the 25.00 Amazon announced
    assert o.order_total_check(order) == (Decimal("25.68"), Decimal("25.00"))

    # the same page fetched twice replaces, never duplicates
    o.attach_items(order, items2, amazon_order_id=oid2)
    assert len(order["items"]) == 2


def test_order_total_check_matches_to_the_cent():
    order = o.empty_order()
    order["order_total"] = "41.97"
    item = o.empty_item()
    item.update(item_price="39.98", item_tax="3.20", shipping_price="4.99", shipping_tax="0.40",
                promotion_discount="5.00", shipping_discount="1.60")  # fmt: skip
    o.attach_items(order, [item])
    assert o.order_total_check(order) == (Decimal("41.97"), Decimal("41.97"))
    item["item_tax"] = "3.21"
    computed, announced = o.order_total_check(order)
    assert computed - announced == Decimal("0.01")
    # a total computed by a report parser is not an announcement
    order["order_total_source"] = "computed"
    assert o.order_total_check(order)[1] is None


def test_attach_items_refuses_another_orders_items():
    order = o.empty_order()
    order["amazon_order_id"] = "111-0000001-0000001"
    with pytest.raises(ValueError, match="111-0000001-0000002"):
        o.attach_items(order, [], amazon_order_id="111-0000001-0000002")


def test_error_response_raises_with_its_code(amazon_samples_dir):
    body = (amazon_samples_dir / "RequestThrottled.xml").read_bytes()
    with pytest.raises(MwsErrorResponse) as caught:
        o.parse_list_orders(body)
    assert caught.value.info.code == "RequestThrottled"
    with pytest.raises(MwsErrorResponse):
        o.parse_list_order_items(body)


def test_wrong_response_type(amazon_samples_dir):
    body = (amazon_samples_dir / "SubmitFeedResponse.xml").read_bytes()
    with pytest.raises(ResponseParseError, match=r"ListOrdersResult.*SubmitFeedResponse"):
        o.parse_list_orders(body)
    with pytest.raises(ResponseParseError, match="GetOrderResult"):
        o.parse_get_order(body)


def test_malformed_bodies():
    with pytest.raises(ResponseParseError, match="malformed XML"):
        o.parse_list_orders(b"<ListOrdersResponse><ListOrdersResult>")
    bad_amount = GET_ORDER.replace("<Amount>10.5</Amount>", "<Amount>ten</Amount>")
    with pytest.raises(ResponseParseError, match=r"111-0000001-0000002 OrderTotal.*'ten'"):
        o.parse_get_order(bad_amount)
    no_id = ITEMS_PAGE_2.replace("<OrderItemId>68828574383267</OrderItemId>", "")
    with pytest.raises(ResponseParseError, match="without OrderItemId"):
        o.parse_list_order_items(no_id)
    no_order_id = GET_ORDER.replace("<AmazonOrderId>111-0000001-0000001</AmazonOrderId>", "")
    with pytest.raises(ResponseParseError, match="without AmazonOrderId"):
        o.parse_get_order(no_order_id)
