"""Orders API v2026-01-01 → the order dict (lib/spapi_orders.py): the same contract as the
MWS parsers, so the import cannot tell which API an order came from."""

from decimal import Decimal

import pytest

from amazon_integration.lib.order_values import order_amounts
from amazon_integration.lib.orders import contract_problems
from amazon_integration.lib.responses import ResponseParseError
from amazon_integration.lib.spapi_orders import parse_order, parse_search


def money(amount):
    return {"amount": amount, "currencyCode": "USD"}


ORDER = {
    "orderId": "111-2222222-3333333",
    "createdTime": "2026-12-01T10:30:00Z",
    "lastUpdatedTime": "2026-12-01T11:00:00Z",
    "programs": ["PRIME"],
    "salesChannel": {
        "channelName": "AMAZON",
        "marketplaceId": "ATVPDKIKX0DER",
        "marketplaceName": "Amazon.com",
    },
    "buyer": {"buyerName": "Zoë O'Brien", "buyerEmail": "abc@marketplace.amazon.com"},
    "recipient": {
        "deliveryAddress": {
            "name": "Zoë O'Brien",
            "addressLine1": "1 Main St",
            "city": "Seattle",
            "stateOrRegion": "WA",
            "postalCode": "98101",
            "countryCode": "US",
            "phone": "+1 206 555 0100",
            "addressType": "RESIDENTIAL",
        }
    },
    "fulfillment": {
        "fulfillmentStatus": "UNSHIPPED",
        "fulfilledBy": "MERCHANT",
        "fulfillmentServiceLevel": "Standard",
        "shipByWindow": {
            "earliestDateTime": "2026-12-01T12:00:00Z",
            "latestDateTime": "2026-12-03T23:59:59Z",
        },
    },
    "proceeds": {"grandTotal": money("51.98")},
    "orderItems": [
        {
            "orderItemId": "00000000000001",
            "quantityOrdered": 2,
            "product": {
                "asin": "B0MUG00001",
                "title": "Mug",
                "sellerSku": "MUG-1",
                "condition": {"conditionType": "NEW"},
                "price": {"unitPrice": money("20.00")},
            },
            "proceeds": {
                "proceedsTotal": money("46.99"),
                "breakdowns": [
                    {"type": "ITEM", "subtotal": money("40.00")},
                    {"type": "SHIPPING", "subtotal": money("4.99")},
                    {
                        "type": "TAX",
                        "subtotal": money("3.60"),
                        "detailedBreakdowns": [
                            {"subtype": "ITEM", "value": money("3.20")},
                            {"subtype": "SHIPPING", "value": money("0.40")},
                        ],
                    },
                    {
                        "type": "DISCOUNT",
                        "subtotal": money("-1.60"),
                        "detailedBreakdowns": [{"subtype": "ITEM", "value": money("-1.60")}],
                    },
                ],
            },
            "promotion": {"breakdowns": [{"promotionId": "PROMO-1"}]},
            "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 2},
        },
        {
            "orderItemId": "00000000000002",
            "quantityOrdered": 1,
            "product": {"sellerSku": "PLATE-1", "title": "Plate"},
            "proceeds": {
                "breakdowns": [
                    {"type": "ITEM", "subtotal": money("4.59")},
                    {"type": "TAX", "subtotal": money("0.40")},
                ]
            },
        },
    ],
}


def test_an_order_is_the_contract_with_amazons_total():
    order = parse_order(ORDER, seller_id="A1SELLER")
    assert contract_problems(order) == []
    assert order["status"] == "Unshipped"
    assert order["fulfillment_channel"] == "MFN"
    assert order["items_complete"] is True
    assert order["currency"] == "USD"
    assert order["shipping_address"]["state_or_region"] == "WA"
    assert order["buyer_email"] == "abc@marketplace.amazon.com"
    first, second = order["items"]
    assert (first["item_price"], first["item_tax"], first["shipping_tax"]) == (
        "40.00",
        "3.20",
        "0.40",
    )
    assert first["promotion_discount"] == "1.60", "a discount is positive in the contract"
    assert first["promotion_ids"] == ["PROMO-1"]
    assert second["item_tax"] == "0.40", "a tax without split is the item's"
    assert order_amounts(order)["total"] == Decimal(order["order_total"]) == Decimal("51.98")
    assert order["is_prime"] is True


def test_statuses_channels_and_a_search_page():
    afn = dict(ORDER, fulfillment={"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"})
    orders, token, until = parse_search(
        {
            "orders": [afn],
            "pagination": {"nextToken": "T2"},
            "lastUpdatedBefore": "2026-12-01T12:00:00Z",
        }
    )
    assert (orders[0]["status"], orders[0]["fulfillment_channel"]) == ("Shipped", "AFN")
    assert token == "T2"
    assert until.isoformat() == "2026-12-01T12:00:00+00:00"
    assert parse_search({"orders": []}) == ([], None, None)


def test_bad_answers_say_what_is_wrong():
    with pytest.raises(ResponseParseError, match="no orders list"):
        parse_search({"payload": []})
    with pytest.raises(ResponseParseError, match="without orderId"):
        parse_order({"createdTime": "x"})
    broken = dict(ORDER, orderItems=[dict(ORDER["orderItems"][1], proceeds={
        "breakdowns": [{"type": "ITEM", "subtotal": {"amount": "lots", "currencyCode": "USD"}}]
    })])  # fmt: skip
    with pytest.raises(ResponseParseError, match="bad amount 'lots'"):
        parse_order(broken)
    mixed = dict(ORDER, proceeds={"grandTotal": {"amount": "1.00", "currencyCode": "EUR"}})
    with pytest.raises(ResponseParseError, match="several currencies"):
        parse_order(mixed)
