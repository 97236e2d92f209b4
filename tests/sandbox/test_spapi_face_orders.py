"""SP-API face: getMarketplaceParticipations, searchOrders and getOrder (Orders v2026-01-01)
over real HTTP, every JSON answer validated against Amazon's models (`spapi_check`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import ORDER_V2026_BASE_KEYS as BASE_ORDER_KEYS
from conftest import envelope

from amazon_integration.lib.order_values import order_amounts
from amazon_sandbox.clock import iso_z, parse_iso
from amazon_sandbox.testing import Creds

MARKETS = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9")
ORDERS = "/orders/2026-01-01/orders"
MODEL = "orders_2026-01-01.json"
ALL_DATA = (
    "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT,"
    "FULFILLMENT_ORDERS"
)


@pytest.fixture(scope="module")
def shop(sandbox, tmp_path_factory):
    """A private server without throttling (paging takes many calls) and one seller in four
    marketplaces: 60 orders aged 5 hours (paid, some canceled, AFN shipped by Amazon), one
    MFN order acknowledged (SO-1) and shipped by a feed, then 6 new Pending orders."""
    box = type(sandbox)(tmp_path_factory.mktemp("spapi"), ["--no-throttle", "--seed", "5"])
    # a fixed seller id: the generated orders depend on it, so every run sees the same ones
    creds = Creds("A1SPAPISHOP", "AKSPAPISHOP", "secret", MARKETS[0])
    box.admin(
        "POST",
        "/admin/sellers",
        {
            "seller_id": creds.seller_id,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
            "marketplace_ids": list(MARKETS),
        },
    )
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 60, "seed": 11})
    box.advance(5 * 3600)
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    mfn = next(
        o
        for o in orders
        if o["fulfillment_channel"] == "MFN" and o["status"] == "Unshipped" and len(o["items"]) > 1
    )
    ack = (
        f"<OrderAcknowledgement><AmazonOrderID>{mfn['amazon_order_id']}</AmazonOrderID>"
        "<MerchantOrderID>SO-1</MerchantOrderID><StatusCode>Success</StatusCode>"
        "</OrderAcknowledgement>"
    )
    box.process(creds, envelope("OrderAcknowledgement", [ack]), "_POST_ORDER_ACKNOWLEDGEMENT_DATA_")
    item = mfn["items"][0]
    ship = (
        f"<OrderFulfillment><AmazonOrderID>{mfn['amazon_order_id']}</AmazonOrderID>"
        "<FulfillmentDate>2030-01-01T10:00:00Z</FulfillmentDate><FulfillmentData>"
        "<CarrierCode>UPS</CarrierCode><ShippingMethod>Ground</ShippingMethod>"
        "<ShipperTrackingNumber>1Z999</ShipperTrackingNumber></FulfillmentData><Item>"
        f"<AmazonOrderItemCode>{item['order_item_id']}</AmazonOrderItemCode>"
        f"<Quantity>{item['quantity_ordered']}</Quantity></Item></OrderFulfillment>"
    )
    box.process(creds, envelope("OrderFulfillment", [ship]), "_POST_ORDER_FULFILLMENT_DATA_")
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 6, "seed": 12})
    box.advance(180)  # searchOrders sees nothing from the last two minutes
    box.shipped_mfn = mfn["amazon_order_id"]
    yield box, creds
    box.stop()


def stored(box, creds) -> dict[str, dict]:
    """The sandbox's order dicts by id, dates and amounts as the admin gives them."""
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    return {o["amazon_order_id"]: o for o in orders}


def now_of(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def search(box, creds, spapi_check, params, token=None, status=200):
    resp = box.spapi(creds, ORDERS, params, token=token)
    body = spapi_check(resp, MODEL, "searchOrders")
    assert resp.status_code == status, resp.text
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    return body


def search_all(box, creds, spapi_check, params, token=None):
    """Every page: (orders, pages)."""
    pages = [search(box, creds, spapi_check, params, token)]
    while "pagination" in pages[-1]:
        more = {**params, "paginationToken": pages[-1]["pagination"]["nextToken"]}
        pages.append(search(box, creds, spapi_check, more, token))
    return [o for page in pages for o in page["orders"]], pages


def test_marketplace_participations(shop, spapi_check):
    box, creds = shop
    resp = box.spapi(creds, "/sellers/v1/marketplaceParticipations")
    assert resp.status_code == 200
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.016"
    body = spapi_check(resp, "sellers.json", "getMarketplaceParticipations")
    assert [p["marketplace"]["id"] for p in body["payload"]] == list(MARKETS)
    uk = body["payload"][2]
    assert uk["marketplace"] == {
        "id": "A1F83G8C2ARO7P",
        "name": "Amazon.co.uk",
        "countryCode": "GB",
        "defaultCurrencyCode": "GBP",
        "defaultLanguageCode": "en_GB",
        "domainName": "www.amazon.co.uk",
    }
    assert uk["participation"] == {"isParticipating": True, "hasSuspendedListings": False}
    assert uk["storeName"]


def test_search_orders_pages_by_last_update(shop, spapi_check):
    box, creds = shop
    token = box.access_token(creds)
    since = iso_z(now_of(box) - timedelta(days=1))
    params = {"lastUpdatedAfter": since, "maxResultsPerPage": 7}
    orders, pages = search_all(box, creds, spapi_check, params, token)
    echoed = {p["lastUpdatedBefore"] for p in pages}
    assert len(echoed) == 1 and all("createdBefore" not in p for p in pages)
    before = parse_iso(echoed.pop())
    # the admin's clock has whole seconds
    assert before < now_of(box) - timedelta(minutes=2) + timedelta(seconds=1)
    expected = {
        oid for oid, o in stored(box, creds).items() if parse_iso(o["last_update_date"]) <= before
    }
    assert len(expected) >= 60
    assert len(pages) == -(-len(expected) // 7)
    assert all(len(p["orders"]) == 7 for p in pages[:-1]) and pages[-1]["orders"]
    assert all("pagination" in p for p in pages[:-1]) and "pagination" not in pages[-1]
    ids = [o["orderId"] for o in orders]
    assert len(set(ids)) == len(ids)
    assert set(ids) == expected
    keys = [(parse_iso(o["lastUpdatedTime"]), o["orderId"]) for o in orders]
    assert keys == sorted(keys)
    # nothing but the base data without includedData
    for order in orders:
        assert set(order) <= BASE_ORDER_KEYS
        for item in order["orderItems"]:
            assert set(item) == {"orderItemId", "quantityOrdered", "product"}


def test_search_orders_by_creation(shop, spapi_check):
    box, creds = shop
    token = box.access_token(creds)
    every = stored(box, creds)
    created = sorted(parse_iso(o["purchase_date"]) for o in every.values())
    middle = created[30]
    body = search(
        box,
        creds,
        spapi_check,
        {"createdAfter": iso_z(created[0]), "createdBefore": iso_z(middle)},
        token,
    )
    assert body["createdBefore"] == iso_z(middle) and "lastUpdatedBefore" not in body
    got = [(parse_iso(o["createdTime"]), o["orderId"]) for o in body["orders"]]
    assert got == sorted(got)
    assert len(got) == sum(1 for c in created if c <= middle)
    assert "pagination" not in body


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"fulfillmentStatuses": "UNSHIPPED"}, lambda o, s: s["status"] == "Unshipped"),
        (
            {"fulfillmentStatuses": ["SHIPPED", "CANCELLED"]},
            lambda o, s: s["status"] in ("Shipped", "Canceled"),
        ),
        ({"fulfilledBy": "AMAZON"}, lambda o, s: s["fulfillment_channel"] == "AFN"),
        ({"fulfilledBy": "MERCHANT,AMAZON"}, lambda o, s: True),
        (
            {"marketplaceIds": "A1F83G8C2ARO7P,A1PA6795UKMFR9"},
            lambda o, s: s["marketplace_id"] in ("A1F83G8C2ARO7P", "A1PA6795UKMFR9"),
        ),
    ],
)
def test_search_orders_filters(shop, spapi_check, params, check):
    box, creds = shop
    every = stored(box, creds)
    query = {"createdAfter": "2020-01-01T00:00:00Z", "includedData": "FULFILLMENT", **params}
    orders, _pages = search_all(box, creds, spapi_check, query)
    assert {o["orderId"] for o in orders} == {oid for oid, s in every.items() if check(None, s)}
    assert orders


def test_search_orders_included_data(shop, spapi_check):
    box, creds = shop
    every = stored(box, creds)
    token = box.access_token(creds)
    base = {"createdAfter": "2020-01-01T00:00:00Z"}
    buyer_only = search(box, creds, spapi_check, {**base, "includedData": "BUYER"}, token)
    assert any("buyer" in o for o in buyer_only["orders"])
    for order in buyer_only["orders"]:
        assert set(order) <= BASE_ORDER_KEYS | {"buyer"}
        assert all(
            set(i) == {"orderItemId", "quantityOrdered", "product"} for i in order["orderItems"]
        )
    full = search(box, creds, spapi_check, {**base, "includedData": ALL_DATA}, token)
    for order in full["orders"]:
        mine = every[order["orderId"]]
        paid = mine["payments_date"] is not None
        has_buyer = bool(
            mine["buyer_name"] or mine["fulfillment_channel"] == "MFN" or mine["buyer_tax_info"]
        )  # an AFN order has no buyer e-mail: without a name, nothing to say
        assert ("buyer" in order) == (paid and has_buyer)
        assert ("recipient" in order) == paid
        assert ("proceeds" in order) == paid  # like MWS's OrderTotal
        assert "fulfillment" in order
        for item in order["orderItems"]:
            assert {"proceeds", "fulfillment"} <= set(item)
            assert ("promotion" in item) == bool(
                next(i for i in mine["items"] if i["order_item_id"] == item["orderItemId"])[
                    "promotion_ids"
                ]
            )
    statuses = {o["fulfillment"]["fulfillmentStatus"] for o in full["orders"]}
    assert {"PENDING", "UNSHIPPED", "SHIPPED", "CANCELLED"} <= statuses
    # includedData may be repeated instead of comma-separated
    repeated = search(
        box, creds, spapi_check, {**base, "includedData": ["BUYER", "RECIPIENT"]}, token
    )
    assert any("recipient" in o for o in repeated["orders"])
    assert not any("proceeds" in o for o in repeated["orders"])


def test_order_fields(shop, spapi_check):
    box, creds = shop
    every = stored(box, creds)
    shipped = box.spapi(creds, f"{ORDERS}/{box.shipped_mfn}", {"includedData": ALL_DATA})
    order = spapi_check(shipped, MODEL, "getOrder")["order"]
    mine = every[box.shipped_mfn]
    assert order["orderAliases"] == [{"aliasId": "SO-1", "aliasType": "SELLER_ORDER_ID"}]
    assert order["salesChannel"]["channelName"] == "AMAZON"
    assert order["salesChannel"]["marketplaceId"] == mine["marketplace_id"]
    assert order["salesChannel"]["marketplaceName"] == mine["sales_channel"]
    assert order["buyer"]["buyerEmail"] == mine["buyer_email"]
    address = order["recipient"]["deliveryAddress"]
    theirs = mine["shipping_address"]
    assert address["name"] == theirs["name"]
    assert address["addressLine1"] == theirs["address_line1"]
    assert address["city"] == theirs["city"]
    assert address["postalCode"] == theirs["postal_code"]
    assert address["countryCode"] == theirs["country_code"]
    assert address["addressType"] == theirs["address_type"].upper()
    assert address.get("phone") == theirs["phone"]
    fulfillment = order["fulfillment"]
    assert fulfillment["fulfillmentStatus"] == "PARTIALLY_SHIPPED"
    assert fulfillment["fulfilledBy"] == "MERCHANT"
    assert fulfillment["shipByWindow"] == {
        "earliestDateTime": iso_z(parse_iso(mine["earliest_ship_date"])),
        "latestDateTime": iso_z(parse_iso(mine["latest_ship_date"])),
    }
    first = order["orderItems"][0]
    assert first["fulfillment"]["quantityFulfilled"] == mine["items"][0]["quantity_ordered"]
    assert first["fulfillment"]["quantityUnfulfilled"] == 0
    second = order["orderItems"][1]
    assert second["fulfillment"]["quantityFulfilled"] == 0
    assert second["fulfillment"]["quantityUnfulfilled"] == mine["items"][1]["quantity_ordered"]
    [package] = order["packages"]
    assert package["trackingNumber"] == "1Z999"
    assert package["carrier"] == "UPS"
    assert package["shippingService"] == "Ground"
    assert package["packageItems"] == [
        {"orderItemId": mine["items"][0]["order_item_id"], "quantity": first["quantityOrdered"]}
    ]
    # Amazon-fulfilled orders: no buyer e-mail, no phone, no packages (the model's notes)
    afn = [
        o
        for o in search_all(
            box,
            creds,
            spapi_check,
            {
                "createdAfter": "2020-01-01T00:00:00Z",
                "fulfilledBy": "AMAZON",
                "includedData": ALL_DATA,
            },
        )[0]
        if "buyer" in o
    ]
    assert afn
    for o in afn:
        assert "buyerEmail" not in o["buyer"]
        assert "phone" not in o["recipient"]["deliveryAddress"]
        assert "packages" not in o
        assert o["fulfillment"]["fulfilledBy"] == "AMAZON"


def test_get_order(shop, spapi_check):
    box, creds = shop
    token = box.access_token(creds)
    listed = search(
        box,
        creds,
        spapi_check,
        {"createdAfter": "2020-01-01T00:00:00Z", "includedData": ALL_DATA},
        token,
    )["orders"]
    for order in listed[:5]:
        resp = box.spapi(
            creds, f"{ORDERS}/{order['orderId']}", {"includedData": ALL_DATA}, token=token
        )
        assert resp.headers["x-amzn-RateLimit-Limit"] == "0.5"
        assert spapi_check(resp, MODEL, "getOrder") == {"order": order}
    bare = box.spapi(creds, f"{ORDERS}/{listed[0]['orderId']}", token=token)
    assert set(spapi_check(bare, MODEL, "getOrder")["order"]) <= BASE_ORDER_KEYS


def test_get_order_not_found(shop, sandbox, spapi_check):
    box, creds = shop
    resp = box.spapi(creds, f"{ORDERS}/111-0000000-0000000")
    assert resp.status_code == 404
    body = spapi_check(resp, MODEL, "getOrder")
    assert body["errors"][0]["code"] == "NotFound"
    # another seller's order is not found either
    some_id = next(iter(stored(box, creds)))
    other = box.new_seller()
    resp = box.spapi(other, f"{ORDERS}/{some_id}")
    assert resp.status_code == 404


def test_round_trip_amounts(shop, spapi_check):
    """The v2026 amounts give back the order dict's: per item field, per item total, and the
    order total (amazon_integration's order_amounts)."""
    box, creds = shop
    every = stored(box, creds)
    orders, _ = search_all(
        box, creds, spapi_check, {"createdAfter": "2020-01-01T00:00:00Z", "includedData": ALL_DATA}
    )
    seen_kinds = set()
    for order in orders:
        mine = every[order["orderId"]]
        currency = mine["currency"]
        items_total = Decimal(0)
        for item, theirs in zip(order["orderItems"], mine["items"], strict=True):
            assert item["orderItemId"] == theirs["order_item_id"]
            proceeds = item["proceeds"]
            values = dict.fromkeys(
                (
                    "item_price",
                    "shipping_price",
                    "gift_wrap_price",
                    "item_tax",
                    "shipping_tax",
                    "gift_wrap_tax",
                    "promotion_discount",
                    "shipping_discount",
                ),
                Decimal("0.00"),
            )
            direct = {
                "ITEM": "item_price",
                "SHIPPING": "shipping_price",
                "GIFT_WRAP": "gift_wrap_price",
            }
            detailed = {
                ("TAX", "ITEM"): ("item_tax", 1),
                ("TAX", "SHIPPING"): ("shipping_tax", 1),
                ("TAX", "GIFT_WRAP"): ("gift_wrap_tax", 1),
                ("DISCOUNT", "ITEM"): ("promotion_discount", -1),
                ("DISCOUNT", "SHIPPING"): ("shipping_discount", -1),
            }
            summed = Decimal(0)
            for breakdown in proceeds.get("breakdowns", []):
                seen_kinds.add(breakdown["type"])
                amount = Decimal(breakdown["subtotal"]["amount"])
                assert amount != 0  # zero breakdowns are left out
                assert breakdown["subtotal"]["currencyCode"] == currency
                summed += amount
                if breakdown["type"] in direct:
                    values[direct[breakdown["type"]]] = amount
                    continue
                parts = breakdown["detailedBreakdowns"]
                assert sum(Decimal(p["value"]["amount"]) for p in parts) == amount
                for part in parts:
                    key, sign = detailed[(breakdown["type"], part["subtype"])]
                    values[key] = sign * Decimal(part["value"]["amount"])
            for key, value in values.items():
                assert value == Decimal(theirs[key]), (order["orderId"], key)
            total = Decimal(proceeds["proceedsTotal"]["amount"])
            assert total == summed
            items_total += total
            unit = Decimal(item["product"]["price"]["unitPrice"]["amount"])
            assert unit * item["quantityOrdered"] == Decimal(theirs["item_price"])
        assert items_total == order_amounts(mine)["total"] == Decimal(mine["order_total"])
        if "proceeds" in order:
            grand = Decimal(order["proceeds"]["grandTotal"]["amount"])
            assert grand == items_total
            assert order["proceeds"]["grandTotal"]["currencyCode"] == currency
            breakdowns = order["proceeds"]["breakdowns"]
            assert sum(Decimal(b["subtotal"]["amount"]) for b in breakdowns) == grand
    assert {"ITEM", "SHIPPING", "TAX", "DISCOUNT", "GIFT_WRAP"} <= seen_kinds


def test_same_store_as_mws(shop, spapi_check):
    """ListOrders (MWS) and searchOrders (SP-API) read the same orders."""
    box, creds = shop
    since = "2020-01-01T00:00:00Z"
    resp = box.orders(creds).list_orders(
        marketplaceids=list(MARKETS), created_after=since, max_results="100"
    )
    mws_orders = resp.parsed["Orders"]["Order"]
    sp_orders, _ = search_all(
        box, creds, spapi_check, {"createdAfter": since, "includedData": "FULFILLMENT,PROCEEDS"}
    )
    assert [o["AmazonOrderId"] for o in mws_orders] == [o["orderId"] for o in sp_orders]
    status = {
        "Pending": "PENDING",
        "Unshipped": "UNSHIPPED",
        "PartiallyShipped": "PARTIALLY_SHIPPED",
        "Shipped": "SHIPPED",
        "Canceled": "CANCELLED",
    }
    for mws_order, sp_order in zip(mws_orders, sp_orders, strict=True):
        assert status[mws_order["OrderStatus"]] == sp_order["fulfillment"]["fulfillmentStatus"]
        if "OrderTotal" in mws_order:
            assert mws_order["OrderTotal"]["Amount"] == sp_order["proceeds"]["grandTotal"]["amount"]
        else:
            assert "proceeds" not in sp_order


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({}, "Exactly one"),
        (
            {"createdAfter": "2020-01-01T00:00:00Z", "lastUpdatedAfter": "2020-01-01T00:00:00Z"},
            "Exactly one",
        ),
        (
            {"createdAfter": "2020-01-01T00:00:00Z", "lastUpdatedBefore": "2021-01-01T00:00:00Z"},
            "lastUpdatedBefore",
        ),
        (
            {"lastUpdatedAfter": "2020-01-01T00:00:00Z", "createdBefore": "2021-01-01T00:00:00Z"},
            "createdBefore",
        ),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"createdAfter": "2020-01-01T00:00:00Z", "createdBefore": "2019-01-01"}, "createdBefore"),
        ({"createdAfter": "2020-01-01T00:00:00Z", "createdBefore": "2999-01-01"}, "createdBefore"),
        ({"createdAfter": "2020-01-01", "fulfillmentStatuses": "SHIPPING"}, "fulfillmentStatuses"),
        ({"createdAfter": "2020-01-01", "fulfilledBy": "ME"}, "fulfilledBy"),
        ({"createdAfter": "2020-01-01", "maxResultsPerPage": "0"}, "maxResultsPerPage"),
        ({"createdAfter": "2020-01-01", "maxResultsPerPage": "101"}, "maxResultsPerPage"),
        ({"createdAfter": "2020-01-01", "maxResultsPerPage": "ten"}, "maxResultsPerPage"),
        ({"createdAfter": "2020-01-01", "includedData": "BUYER,FOO"}, "includedData"),
        ({"createdAfter": "2020-01-01", "marketplaceIds": "A1VC38T7YXB528"}, "marketplaceId"),
        (
            {"createdAfter": "2020-01-01", "marketplaceIds": ",".join(MARKETS * 13)},
            "marketplaceIds",
        ),
        ({"createdAfter": "2020-01-01", "paginationToken": "bm90LWEtdG9rZW4"}, "paginationToken"),
    ],
)
def test_search_orders_invalid_input(shop, spapi_check, params, word):
    box, creds = shop
    body = search(box, creds, spapi_check, params, status=400)
    [error] = body["errors"]
    assert error["code"] == "InvalidInput"
    assert word in error["message"]


def test_pagination_token_rules(shop, spapi_check):
    box, creds = shop
    token = box.access_token(creds)
    params = {"createdAfter": "2020-01-01T00:00:00Z", "maxResultsPerPage": 10}
    first = search(box, creds, spapi_check, params, token)
    next_token = first["pagination"]["nextToken"]
    # other filters than the first request: refused
    changed = {"createdAfter": "2020-01-02T00:00:00Z", "paginationToken": next_token}
    assert (
        "paginationToken"
        in search(box, creds, spapi_check, changed, token, 400)["errors"][0]["message"]
    )
    # another seller cannot use it
    other = box.new_seller(marketplaces=MARKETS)
    resp = box.spapi(other, ORDERS, {**params, "paginationToken": next_token})
    assert resp.status_code == 400
    # maxResultsPerPage and includedData may change; the token is reusable
    for _ in range(2):
        second = search(
            box,
            creds,
            spapi_check,
            {
                **params,
                "maxResultsPerPage": 5,
                "includedData": "BUYER",
                "paginationToken": next_token,
            },
            token,
        )
        assert len(second["orders"]) == 5
        assert second["orders"][0]["orderId"] not in {o["orderId"] for o in first["orders"]}


def test_unknown_path_and_method(shop):
    box, creds = shop
    token = box.access_token(creds)
    for method, path in (("GET", "/orders/v0/orders"), ("POST", ORDERS), ("GET", "/sellers/v1/x")):
        resp = box.spapi(None, path, method=method, token=token)
        assert resp.status_code == 404
        assert resp.json()["errors"][0]["code"] == "NotFound"
        assert resp.headers["x-amzn-RequestId"]
