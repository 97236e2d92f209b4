"""Fault injection: counted faults are deterministic."""

import functools
import time

import mws
import mws.mws
import pytest
import requests
from lxml import etree


def code_of(exc):
    return exc.response.status_code, etree.fromstring(exc.response.content).findtext(
        "{*}Error/{*}Code"
    )


def fails(fn, *a, **kw):
    with pytest.raises(mws.MWSError) as info:
        fn(*a, **kw)
    return code_of(info.value)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("internal_error", (500, "InternalError")),
        ("unavailable", (503, "ServiceUnavailable")),
    ],
)
def test_counted_errors(sandbox, seller, kind, expected):
    sandbox.fault(seller, kind, count=2)
    client = sandbox.feeds(seller)
    assert fails(client.get_feed_submission_count) == expected
    assert fails(client.get_feed_submission_count) == expected
    assert client.get_feed_submission_count().parsed["Count"] == "0"


def test_fault_limited_to_one_operation(sandbox, seller):
    sandbox.fault(seller, "internal_error", count=1, operation="GetFeedSubmissionList")
    client = sandbox.feeds(seller)
    client.get_feed_submission_count()  # untouched
    assert fails(client.get_feed_submission_list) == (500, "InternalError")
    client.get_feed_submission_list()


def test_delay(sandbox, seller, monkeypatch):
    sandbox.fault(seller, "delay", seconds=0.6)
    client = sandbox.feeds(seller)
    start = time.monotonic()
    client.get_feed_submission_count()
    assert time.monotonic() - start >= 0.6
    start = time.monotonic()
    client.get_feed_submission_count()  # the next call is fast again
    assert time.monotonic() - start < 0.5
    # Slower than a client's timeout (the connector passes one; the library does not).
    sandbox.fault(seller, "delay", seconds=1.5)
    monkeypatch.setattr(mws.mws, "request", functools.partial(requests.request, timeout=0.3))
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get_feed_submission_count()


def test_slow_answer_carries_the_call_out_first(sandbox, seller, monkeypatch):
    """The client gives up, the sandbox has the feed all the same."""
    sandbox.fault(seller, "slow_answer", seconds=1.0, operation="SubmitFeed")
    client = sandbox.feeds(seller)
    monkeypatch.setattr(mws.mws, "request", functools.partial(requests.request, timeout=0.3))
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.submit_feed(b"<AmazonEnvelope/>", "_POST_INVENTORY_AVAILABILITY_DATA_")
    listed = sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/feeds")
    assert [f["feed_type"] for f in listed] == ["_POST_INVENTORY_AVAILABILITY_DATA_"]
    start = time.monotonic()
    client.get_feed_submission_count()  # other calls are answered at once
    assert time.monotonic() - start < 0.5


def test_injected_throttling_is_not_a_quota_refusal(sandbox, seller):
    """``throttled`` answers as throttling does, counts on the fault, and stays out of the
    throttle counters (which count the calls above a quota)."""
    sandbox.fault(seller, "throttled", count=2, operation="GetFeedSubmissionCount")
    client = sandbox.feeds(seller)
    assert fails(client.get_feed_submission_count) == (503, "RequestThrottled")
    [fault] = sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/faults")
    assert (fault["kind"], fault["fired"], fault["count"]) == ("throttled", 1, 1)

    def refused():
        rows = sandbox.admin("GET", "/admin/throttle")["counters"]
        return sum(
            r["throttled"] + r["quota_exceeded"] for r in rows if r["seller_id"] == seller.seller_id
        )

    before = refused()
    assert fails(client.get_feed_submission_count) == (503, "RequestThrottled")
    assert refused() == before
    # a storm's answers are counted there: the counters do see this seller's refusals
    sandbox.fault(seller, "throttle_storm", seconds=60, operation="GetFeedSubmissionCount")
    assert fails(client.get_feed_submission_count) == (503, "RequestThrottled")
    assert refused() == before + 1
    sandbox.admin("DELETE", f"/admin/sellers/{seller.seller_id}/faults")


def test_malformed_body(sandbox, seller):
    sandbox.fault(seller, "malformed")
    resp = sandbox.feeds(seller).get_feed_submission_count()
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(resp.response.content)


def test_error_response_with_status_200(sandbox, seller):
    sandbox.fault(seller, "error_200")
    resp = sandbox.feeds(seller).get_feed_submission_count()  # the library does not raise
    assert resp.response.status_code == 200
    assert b"<ErrorResponse" in resp.response.content and resp.parsed is None


def test_next_token_corrupted(sandbox, seller):
    client = sandbox.feeds(seller)
    for _ in range(3):
        client.submit_feed(b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")
    page = client.get_feed_submission_list(max_count=1).parsed
    sandbox.fault(seller, "next_token_corrupted")
    client.get_feed_submission_list(max_count=1)  # not a ByNextToken call: untouched
    assert fails(client.get_feed_submission_list, next_token=page["NextToken"]) == (
        400,
        "NextTokenCorrupted",
    )
    assert client.get_feed_submission_list(next_token=page["NextToken"]).parsed["HasNext"]


def test_throttle_storm(sandbox, seller):
    sandbox.fault(seller, "throttle_storm", seconds=600)
    client = sandbox.feeds(seller)
    assert fails(client.get_feed_submission_count) == (503, "RequestThrottled")
    assert fails(client.get_feed_submission_list) == (503, "RequestThrottled")
    sandbox.advance(600)
    client.get_feed_submission_count()
    counters = [
        c
        for c in sandbox.admin("GET", "/admin/throttle")["counters"]
        if c["seller_id"] == seller.seller_id
    ]
    assert sum(c["throttled"] for c in counters) == 2


def test_rate_faults_are_seeded_and_clearable(sandbox, seller):
    sandbox.fault(seller, "internal_error", rate=0.5)
    client = sandbox.feeds(seller)
    outcomes = []
    for _ in range(30):
        sandbox.advance(45)  # one token back per call: no throttling in the way
        try:
            client.get_feed_submission_count()
            outcomes.append(True)
        except mws.MWSError:
            outcomes.append(False)
    assert 3 < outcomes.count(False) < 27
    sandbox.admin("DELETE", f"/admin/sellers/{seller.seller_id}/faults")
    sandbox.advance(45)
    assert sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/faults") == []
    client.get_feed_submission_count()


def test_bad_fault_requests(sandbox, seller):
    sandbox.admin(
        "POST", f"/admin/sellers/{seller.seller_id}/faults", {"kind": "meteor"}, expect=400
    )
    sandbox.admin(
        "POST",
        f"/admin/sellers/{seller.seller_id}/faults",
        {"kind": "internal_error", "rate": 2},
        expect=400,
    )
    sandbox.admin("POST", "/admin/sellers/NOBODY/faults", {"kind": "internal_error"}, expect=404)
