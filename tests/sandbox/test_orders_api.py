"""Orders API over real HTTP with python-amazon-mws against a private sandbox process."""

from __future__ import annotations

from datetime import timedelta

import mws
import pytest

from amazon_sandbox.clock import parse_iso

MARKETS = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9")


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory):
    """A private server without throttling (paging takes many calls), seeded."""
    server = type(sandbox)(tmp_path_factory.mktemp("orders"), ["--no-throttle", "--seed", "3"])
    yield server
    server.stop()


def now_of(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def as_list(node):
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def make(box, count, marketplaces=MARKETS, seed=1):
    creds = box.new_seller(marketplaces=marketplaces)
    out = box.admin(
        "POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": count, "seed": seed}
    )
    assert out["created"] == count
    return creds


def list_all(client, **kw):
    """Every order over every page; returns (orders, number of pages)."""
    resp = client.list_orders(**kw)
    orders, pages = as_list(resp.parsed["Orders"].get("Order")), 1
    token = resp.parsed.get("NextToken")
    while token:
        resp = client.list_orders(next_token=token)
        orders += as_list(resp.parsed["Orders"].get("Order"))
        token = resp.parsed.get("NextToken")
        pages += 1
    return orders, pages


def test_list_orders_pages_created_after(box):
    creds = make(box, 45)
    box.advance(180)  # ListOrders sees nothing from the last two minutes
    client = box.orders(creds)
    start = (now_of(box) - timedelta(hours=1)).isoformat()
    orders, pages = list_all(
        client, marketplaceids=list(MARKETS), created_after=start, max_results="10"
    )
    assert pages == 5 and len(orders) == 45
    ids = [o["AmazonOrderId"] for o in orders]
    assert len(set(ids)) == 45
    keys = [(o["PurchaseDate"], o["AmazonOrderId"]) for o in orders]
    assert keys == sorted(keys)
    # Still in the payment hold (a few buyers cancel during it): no totals, no buyer data.
    assert {o["OrderStatus"] for o in orders} <= {"Pending", "Canceled"}
    assert all("OrderTotal" not in o and "BuyerEmail" not in o for o in orders)
    # Stable: the same query gives the same pages.
    again, _ = list_all(client, marketplaceids=list(MARKETS), created_after=start, max_results="10")
    assert [o["AmazonOrderId"] for o in again] == ids
    # A single marketplace.
    us, _ = list_all(client, marketplaceids=["ATVPDKIKX0DER"], created_after=start)
    assert us and {o["MarketplaceId"] for o in us} == {"ATVPDKIKX0DER"}
    assert len(us) < 45


def test_payment_hold_then_last_updated_after(box):
    creds = make(box, 30, marketplaces=("ATVPDKIKX0DER",), seed=2)
    client = box.orders(creds)
    box.advance(180)
    start = now_of(box) - timedelta(hours=1)
    before, _ = list_all(
        client, marketplaceids=["ATVPDKIKX0DER"], lastupdatedafter=start.isoformat()
    )
    assert {o["OrderStatus"] for o in before} <= {"Pending", "Canceled"}
    mark = now_of(box) - timedelta(minutes=2)
    box.advance(31 * 60)  # past the 30 minute payment hold
    resp = client.list_orders(marketplaceids=["ATVPDKIKX0DER"], lastupdatedafter=mark.isoformat())
    assert "LastUpdatedBefore" in resp.parsed
    changed, _ = list_all(
        client, marketplaceids=["ATVPDKIKX0DER"], lastupdatedafter=mark.isoformat()
    )
    statuses = {o["OrderStatus"] for o in changed}
    assert "Unshipped" in statuses and "Pending" not in statuses
    pending = {o["AmazonOrderId"] for o in before if o["OrderStatus"] == "Pending"}
    # Every order still pending then changed since (paid or canceled); one whose last change
    # is younger than two minutes waits for the next poll, as on Amazon.
    cutoff = parse_iso(resp.parsed["LastUpdatedBefore"])
    stored = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    recent = {o["amazon_order_id"] for o in stored if parse_iso(o["last_update_date"]) > cutoff}
    assert pending and pending <= {o["AmazonOrderId"] for o in changed} | recent
    assert not recent & {o["AmazonOrderId"] for o in changed}
    paid = [o for o in changed if o["OrderStatus"] == "Unshipped"]
    assert all(o["OrderTotal"]["Amount"] and o["BuyerEmail"] for o in paid)
    assert all(parse_iso(o["LastUpdateDate"]) > mark for o in changed)
    # Filters: status pair, channel.
    unshipped, _ = list_all(
        client,
        marketplaceids=["ATVPDKIKX0DER"],
        created_after=start.isoformat(),
        orderstatus=["Unshipped", "PartiallyShipped"],
    )
    assert {o["OrderStatus"] for o in unshipped} == {"Unshipped"}
    afn, _ = list_all(
        client,
        marketplaceids=["ATVPDKIKX0DER"],
        created_after=start.isoformat(),
        fulfillment_channels=["AFN"],
    )
    assert afn and {o["FulfillmentChannel"] for o in afn} == {"AFN"}
    # Amazon ships AFN orders some hours later.
    box.advance(5 * 3600)
    afn, _ = list_all(
        client,
        marketplaceids=["ATVPDKIKX0DER"],
        created_after=start.isoformat(),
        fulfillment_channels=["AFN"],
    )
    assert {o["OrderStatus"] for o in afn} <= {"Shipped", "Canceled"}
    assert "Shipped" in {o["OrderStatus"] for o in afn}
    # BuyerEmail finds exactly that buyer's order.
    email = paid[0]["BuyerEmail"]
    found, _ = list_all(
        client, marketplaceids=["ATVPDKIKX0DER"], created_after=start.isoformat(), buyer_email=email
    )
    assert [o["AmazonOrderId"] for o in found] == [paid[0]["AmazonOrderId"]]


def error_code(excinfo) -> tuple[int, str]:
    resp = excinfo.value.response
    return resp.status_code, resp.text


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({}, "Exactly one"),
        ({"created_after": "A", "lastupdatedafter": "A"}, "Exactly one"),
        ({"created_after": "A", "orderstatus": ["Unshipped"]}, "PartiallyShipped"),
        ({"created_after": "A", "max_results": "101"}, "MaxResultsPerPage"),
        ({"created_after": "A", "max_results": "0"}, "MaxResultsPerPage"),
        ({"created_after": "A", "fulfillment_channels": ["FBA"]}, "FulfillmentChannel"),
        ({"created_after": "A", "orderstatus": ["Sold"]}, "OrderStatus"),
        ({"created_after": "FUTURE"}, "two minutes"),
        ({"created_after": "not-a-date"}, "CreatedAfter"),
        ({"lastupdatedafter": "A", "buyer_email": "x@y.z"}, "BuyerEmail"),
        ({"created_after": "A", "marketplaceids": ["A1VC38T7YXB528"]}, "MarketplaceId"),
    ],
)
def test_list_orders_rejects_bad_parameters(box, kwargs, word):
    creds = box.new_seller()
    now = now_of(box)
    subst = {"A": (now - timedelta(days=1)).isoformat(), "FUTURE": now.isoformat()}
    kwargs = {k: subst.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    kwargs.setdefault("marketplaceids", ["ATVPDKIKX0DER"])
    with pytest.raises(mws.MWSError) as excinfo:
        box.orders(creds).list_orders(**kwargs)
    status, text = error_code(excinfo)
    assert status == 400 and "InvalidParameterValue" in text and word in text, text


def test_missing_marketplace_and_bad_token(box):
    creds = box.new_seller()
    client = box.orders(creds)
    after = (now_of(box) - timedelta(days=1)).isoformat()
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_orders(created_after=after)
    assert error_code(excinfo)[0] == 400 and "MarketplaceId" in error_code(excinfo)[1]
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_orders(next_token="bm90IGEgdG9rZW4=")
    status, text = error_code(excinfo)
    assert status == 400 and "InvalidParameterValue" in text and "NextToken" in text
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_order_items(next_token="bm90IGEgdG9rZW4=")
    assert error_code(excinfo)[0] == 400


def test_tokens_belong_to_their_seller_and_expire(box):
    creds = make(box, 3, marketplaces=("ATVPDKIKX0DER",), seed=4)
    box.advance(180)
    client = box.orders(creds)
    after = (now_of(box) - timedelta(hours=1)).isoformat()
    token = client.list_orders(
        marketplaceids=["ATVPDKIKX0DER"], created_after=after, max_results="1"
    ).parsed["NextToken"]
    other = box.orders(box.new_seller())
    with pytest.raises(mws.MWSError):
        other.list_orders(next_token=token)
    # Reusable (a client may retry a page) until it expires.
    assert client.list_orders(next_token=token).parsed["Orders"]["Order"]
    assert client.list_orders(next_token=token).parsed["Orders"]["Order"]
    box.advance(25 * 3600)
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_orders(next_token=token)
    assert error_code(excinfo)[0] == 400


def test_get_order_and_list_order_items_paging(box):
    creds = make(box, 60, marketplaces=("ATVPDKIKX0DER",), seed=5)
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    client = box.orders(creds)
    big = max(orders, key=lambda o: len(o["items"]))
    assert len(big["items"]) > 20
    resp = client.list_order_items(amazon_order_id=big["amazon_order_id"])
    items = as_list(resp.parsed["OrderItems"]["OrderItem"])
    assert len(items) == 20 and resp.parsed["AmazonOrderId"] == big["amazon_order_id"]
    token = resp.parsed["NextToken"]
    while token:
        resp = client.list_order_items(next_token=token)
        items += as_list(resp.parsed["OrderItems"]["OrderItem"])
        token = resp.parsed.get("NextToken")
    assert [i["OrderItemId"] for i in items] == [i["order_item_id"] for i in big["items"]]
    assert [i["ItemPrice"]["Amount"] for i in items] == [i["item_price"] for i in big["items"]]
    small = min(orders, key=lambda o: len(o["items"]))
    resp = client.list_order_items(amazon_order_id=small["amazon_order_id"])
    assert "NextToken" not in resp.parsed
    # GetOrder: several ids, unknown ones absent, at most 50.
    ids = [o["amazon_order_id"] for o in orders[:3]]
    got = as_list(client.get_order([*ids, "999-0000000-0000000"]).parsed["Orders"]["Order"])
    assert [o["AmazonOrderId"] for o in got] == ids
    with pytest.raises(mws.MWSError) as excinfo:
        client.get_order([o["amazon_order_id"] for o in orders[:51]])
    assert error_code(excinfo)[0] == 400
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_order_items(amazon_order_id="999-0000000-0000000")
    assert error_code(excinfo)[0] == 400
    # Another seller cannot read them.
    stranger = box.orders(box.new_seller())
    assert not as_list(stranger.get_order(ids).parsed["Orders"].get("Order"))


def test_throttled_list_orders_share_one_bucket(sandbox):
    """On the shared (throttled) sandbox: ListOrders + ByNextToken share a burst of 6."""
    creds = sandbox.new_seller()
    client = sandbox.orders(creds)
    after = (now_of(sandbox) - timedelta(days=1)).isoformat()
    for _ in range(6):
        client.list_orders(marketplaceids=["ATVPDKIKX0DER"], created_after=after)
    with pytest.raises(mws.MWSError) as excinfo:
        client.list_orders(next_token="whatever")
    status, text = error_code(excinfo)
    assert status == 503 and "RequestThrottled" in text


def test_admin_cancel_makes_the_buyer_cancel_at_the_next_tick(box):
    creds = make(box, 5, marketplaces=("ATVPDKIKX0DER",), seed=5)
    box.advance(31 * 60)  # paid
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    unshipped = next(o for o in orders if o["status"] == "Unshipped")
    oid = unshipped["amazon_order_id"]
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders/{oid}/cancel")
    box.advance(1)
    after = {
        o["amazon_order_id"]: o
        for o in box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    }
    assert after[oid]["status"] == "Canceled"
    assert after[oid]["cancel_reason"] == "BuyerCanceled"
    refused = box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders/{oid}/cancel", expect=409)
    assert "Canceled" in str(refused)
    box.admin(
        "POST", f"/admin/sellers/{creds.seller_id}/orders/111-0000000-0000000/cancel", expect=404
    )
