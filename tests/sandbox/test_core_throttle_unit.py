"""Throttle logic without HTTP: each rule at Amazon's exact numbers."""

import pytest

from amazon_sandbox.throttle import LIMITS, Throttle

T0 = 1_700_000_000.0

TABLE = [
    # bucket, burst, restore seconds, hourly
    ("SubmitFeed", 15, 120, 30),
    ("GetFeedSubmissionList", 10, 45, 80),
    ("GetFeedSubmissionListByNextToken", 30, 2, 1800),
    ("GetFeedSubmissionResult", 15, 60, 60),
    ("RequestReport", 15, 60, 60),
    ("GetReport", 15, 60, 60),
    ("GetReportRequestList", 10, 45, 80),
    ("ListOrders", 6, 60, None),
    ("ListOrderItems", 30, 2, None),
    ("GetOrder", 6, 60, None),
]


@pytest.mark.parametrize(("bucket", "burst", "restore", "hourly"), TABLE)
def test_table_numbers(bucket, burst, restore, hourly):
    limit = LIMITS[bucket]
    assert (limit.burst, limit.restore_seconds, limit.hourly) == (burst, restore, hourly)


@pytest.mark.parametrize(("bucket", "burst", "restore", "hourly"), TABLE)
def test_burst_then_throttled_then_exact_restore(bucket, burst, restore, hourly):
    t = Throttle()
    for _ in range(burst):
        assert t.check("S", bucket, T0).allowed
    denied = t.check("S", bucket, T0)
    assert not denied.allowed and denied.code == "RequestThrottled"
    # One microsecond short of the restore period: still throttled; exactly at it: one more.
    assert not t.check("S", bucket, T0 + restore - 1e-6).allowed
    assert t.check("S", bucket, T0 + restore).allowed
    assert not t.check("S", bucket, T0 + restore).allowed
    # Two more periods give exactly two requests.
    assert t.check("S", bucket, T0 + 3 * restore).allowed
    assert t.check("S", bucket, T0 + 3 * restore).allowed
    assert not t.check("S", bucket, T0 + 3 * restore).allowed


def test_bucket_never_exceeds_burst():
    t = Throttle()
    assert t.check("S", "ListOrders", T0).allowed
    later = T0 + 10 * 3600  # ages of idle time restore only up to the burst
    assert all(t.check("S", "ListOrders", later).allowed for _ in range(6))
    assert not t.check("S", "ListOrders", later).allowed


@pytest.mark.parametrize(("bucket", "burst", "restore", "hourly"), [r for r in TABLE if r[3]])
def test_hourly_quota(bucket, burst, restore, hourly):
    t = Throttle()
    for made in range(1, burst + 1):
        d = t.check("S", bucket, T0)
        assert d.allowed and d.quota_remaining == hourly - made
    # Then one request per restore period: the bucket always has exactly one token.
    extra = hourly - burst
    for k in range(1, extra + 1):
        assert t.check("S", bucket, T0 + k * restore).allowed, k
    now = T0 + (extra + 1) * restore
    assert now < T0 + 3600  # within the hour, with a token available
    d = t.check("S", bucket, now)
    assert not d.allowed and d.code == "QuotaExceeded"
    assert d.message.startswith(
        f"You exceeded your quota of {float(hourly):.1f} requests per 1 hour for operation "
    )
    assert f"/{bucket}.  Your quota will reset on " in d.message
    assert d.resets_on == pytest.approx(T0 + 3600)
    assert not t.check("S", bucket, T0 + 3600 - 1).allowed
    # The quota resets one hour after the window opened.
    assert t.check("S", bucket, T0 + 3600).allowed


def test_shared_bucket_and_isolation():
    t = Throttle()
    for _ in range(6):
        assert t.check("S", "ListOrders", T0, "ListOrders").allowed
    # ListOrdersByNextToken is registered with throttle="ListOrders": same bucket.
    assert not t.check("S", "ListOrders", T0, "ListOrdersByNextToken").allowed
    assert t.check("OTHER", "ListOrders", T0).allowed  # per seller
    assert t.check("S", "GetOrder", T0).allowed  # per operation


def test_disabled_never_throttles_but_counts():
    t = Throttle(enabled=False)
    assert all(t.check("S", "GetOrder", T0).allowed for _ in range(100))
    assert t.snapshot() == [
        {
            "seller_id": "S",
            "operation": "GetOrder",
            "allowed": 100,
            "throttled": 0,
            "quota_exceeded": 0,
        }
    ]


def test_counters_and_reset():
    t = Throttle()
    for _ in range(8):
        t.check("S", "GetOrder", T0)
    row = t.snapshot()[0]
    assert (row["allowed"], row["throttled"]) == (6, 2)
    t.reset("S")
    assert t.snapshot() == []
    assert t.check("S", "GetOrder", T0).allowed
