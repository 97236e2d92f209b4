"""Throttling over HTTP at Amazon's exact numbers, on the sandbox clock."""

import time

import mws
import pytest
from lxml import etree


def code_of(exc):
    return exc.response.status_code, etree.fromstring(exc.response.content).findtext(
        "{*}Error/{*}Code"
    )


def throttled(fn, *args, **kw):
    with pytest.raises(mws.MWSError) as info:
        fn(*args, **kw)
    return info.value


def test_burst_and_exact_restore(sandbox, seller):
    client = sandbox.feeds(seller)
    for _ in range(10):
        client.get_feed_submission_list()
    exc = throttled(client.get_feed_submission_list)
    assert code_of(exc) == (503, "RequestThrottled")
    assert exc.response.headers["x-mws-quota-max"] == "80.0"
    assert exc.response.headers["x-mws-quota-remaining"] == "70.0"
    sandbox.advance(44)
    assert code_of(throttled(client.get_feed_submission_list)) == (503, "RequestThrottled")
    sandbox.advance(1)  # exactly 45 s after the burst began: one request back
    client.get_feed_submission_list()
    assert code_of(throttled(client.get_feed_submission_list)) == (503, "RequestThrottled")
    counters = sandbox.admin("GET", "/admin/throttle")["counters"]
    mine = [c for c in counters if c["seller_id"] == seller.seller_id]
    assert mine == [
        {
            "seller_id": seller.seller_id,
            "operation": "GetFeedSubmissionList",
            "allowed": 11,
            "throttled": 3,
            "quota_exceeded": 0,
        }
    ]


def test_hourly_quota_exceeded(sandbox, seller):
    client = sandbox.feeds(seller)
    for _ in range(10):
        client.get_feed_submission_list()
    for _ in range(70):  # one request per restore period: 80 requests in 3,150 s
        sandbox.advance(45)
        resp = client.get_feed_submission_list()
    assert resp.response.headers["x-mws-quota-remaining"] == "0.0"
    sandbox.advance(45)
    exc = throttled(client.get_feed_submission_list)
    assert code_of(exc) == (503, "QuotaExceeded")
    message = etree.fromstring(exc.response.content).findtext("{*}Error/{*}Message")
    assert message.startswith(
        "You exceeded your quota of 80.0 requests per 1 hour for operation "
        "Feeds/2009-01-01/GetFeedSubmissionList.  Your quota will reset on "
    )
    sandbox.advance(3600 - 71 * 45)  # the hour since the first request is over
    client.get_feed_submission_list()


def test_submit_feed_burst_of_15(sandbox, seller):
    client = sandbox.feeds(seller)
    for _ in range(15):
        client.submit_feed(b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")
    exc = throttled(client.submit_feed, b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")
    assert code_of(exc) == (503, "RequestThrottled")
    assert exc.response.headers["x-mws-quota-max"] == "30.0"
    sandbox.advance(120)
    client.submit_feed(b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")


def test_operations_and_sellers_are_isolated(sandbox, seller):
    client = sandbox.feeds(seller)
    for _ in range(10):
        client.get_feed_submission_list()
    client.get_feed_submission_count()  # another operation, another bucket
    other = sandbox.new_seller()
    sandbox.feeds(other).get_feed_submission_list()


def test_list_orders_shares_its_bucket_with_by_next_token(sandbox, seller):
    orders = sandbox.orders(seller)
    for _ in range(6):
        orders.list_orders(
            marketplaceids=[seller.marketplace_id], created_after="2020-01-01T00:00:00Z"
        )
    exc = throttled(orders.list_orders, next_token="whatever")
    assert code_of(exc) == (503, "RequestThrottled")
    assert "x-mws-quota-max" not in exc.response.headers  # only Feeds/Reports/Products


def test_no_throttle_option(start_sandbox):
    box = start_sandbox("--no-throttle")
    creds = box.new_seller()
    client = box.feeds(creds)
    for _ in range(25):
        client.get_feed_submission_list()
    counters = box.admin("GET", "/admin/throttle")
    assert counters["throttled_total"] == 0
    assert counters["counters"][0]["allowed"] == 25


def test_time_scale_accelerates_restore(start_sandbox):
    box = start_sandbox("--time-scale", "300")  # 45 sandbox seconds = 0.15 real seconds
    creds = box.new_seller()
    client = box.feeds(creds)
    before = box.admin("GET", "/admin/clock")["offset"]
    for _ in range(10):
        client.get_feed_submission_list()
    time.sleep(0.4)
    client.get_feed_submission_list()
    client.get_feed_submission_list()
    assert box.admin("GET", "/admin/clock")["offset"] - before > 100
