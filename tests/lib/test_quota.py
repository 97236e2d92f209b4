"""Throttling bookkeeping at Amazon's exact numbers."""

import json
from datetime import datetime, timezone

import pytest

from amazon_integration.lib import quota as Q
from amazon_integration.lib.mws_api import MWS_QUOTAS, MwsApi
from amazon_integration.lib.quota import HOUR, BucketState

# MWS's quotas are the table these tests exercise the bookkeeping with


def acquire(state, operation, now, **kwargs):
    return Q.acquire(state, operation, now, table=MWS_QUOTAS, **kwargs)


def penalise(state, now, retry_after=None, **kwargs):
    return Q.penalise(state, now, retry_after, table=MWS_QUOTAS, **kwargs)


def plan(state, operation, now, **kwargs):
    return Q.plan(state, operation, now, table=MWS_QUOTAS, **kwargs)


def observe(state, now, headers):
    return MwsApi.observe_quota(state, now, headers, MWS_QUOTAS.limits[state.bucket])


def full(operation, now):
    return BucketState.full(operation, now, MWS_QUOTAS)


T0 = 1_700_002_800.0  # 2023-11-14T23:00:00Z, the start of a clock hour
assert T0 % HOUR == 0


def burn(operation, count, now, state=None, **kwargs):
    """Make ``count`` calls at ``now``, asserting each is allowed; return the state."""
    for n in range(count):
        allowed, wait, state = acquire(state, operation, now, **kwargs)
        assert allowed, f"call {n + 1} of {count} refused (wait {wait})"
        assert wait == 0.0
    return state


@pytest.mark.parametrize(
    ("operation", "burst", "restore", "hourly"),
    [
        ("SubmitFeed", 15, 120, 30),
        ("GetFeedSubmissionList", 10, 45, 80),
        ("GetFeedSubmissionListByNextToken", 30, 2, 1800),
        ("GetFeedSubmissionResult", 15, 60, 60),
        ("RequestReport", 15, 60, 60),
        ("GetReport", 15, 60, 60),
        ("GetReportRequestList", 10, 45, 80),
        ("GetReportList", 10, 60, 60),
        ("GetReportListByNextToken", 30, 2, 1800),
        ("ListOrders", 6, 60, None),
        ("ListOrdersByNextToken", 6, 60, None),
        ("ListOrderItems", 30, 2, None),
        ("ListOrderItemsByNextToken", 30, 2, None),
        ("GetOrder", 6, 60, None),
        ("ListMarketplaceParticipations", 15, 60, None),
        ("GetServiceStatus", 2, 300, None),
    ],
)
def test_limits_table_and_burst(operation, burst, restore, hourly):
    limit = MWS_QUOTAS.limit_for(operation)
    assert (limit.burst, limit.restore_seconds, limit.hourly) == (burst, restore, hourly)
    state = burn(operation, burst, T0)
    allowed, wait, after = acquire(state, operation, T0)
    assert not allowed
    assert wait == pytest.approx(restore)
    assert after.hour_count == burst  # a refused call consumes nothing


def test_restore_timing_submit_feed():
    state = burn("SubmitFeed", 15, T0)
    allowed, wait, _ = acquire(state, "SubmitFeed", T0 + 119.5)
    assert not allowed
    assert wait == pytest.approx(0.5)
    allowed, _, state = acquire(state, "SubmitFeed", T0 + 120)
    assert allowed
    # one token restored and spent: the next one is another 120 s away
    allowed, wait, _ = acquire(state, "SubmitFeed", T0 + 120)
    assert (allowed, wait) == (False, pytest.approx(120))
    # after a long pause the bucket is full again but never above the burst
    state = burn("SubmitFeed", 14, T0 + 10_000, state)
    assert state.tokens == pytest.approx(1)


def test_hourly_cap_submit_feed_over_a_simulated_hour():
    times = plan(None, "SubmitFeed", T0, within=HOUR)
    assert len(times) == 30  # not the 15 + 30 the bucket alone would allow
    assert times[:15] == [T0] * 15
    assert times[15:17] == [T0 + 120, T0 + 240]
    assert times[-1] == T0 + 1800
    # the 31st call waits for the next clock hour, where it is allowed
    state = None
    for moment in times:
        allowed, _, state = acquire(state, "SubmitFeed", moment)
        assert allowed
    allowed, wait, state = acquire(state, "SubmitFeed", T0 + 1801)
    assert not allowed
    assert wait == pytest.approx(HOUR - 1801)
    allowed, _, state = acquire(state, "SubmitFeed", T0 + HOUR)
    assert allowed
    assert state.hour_window_start == T0 + HOUR
    assert state.hour_count == 1


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("GetFeedSubmissionList", 80),  # bucket alone: 10 + 79
        ("GetFeedSubmissionResult", 60),  # 15 + 59 -> 60
        ("GetReportListByNextToken", 1800),  # 30 + 1799 -> 1800
        ("ListOrders", 6 + 59),  # no hourly quota
        ("ListOrderItems", 30 + 1799),
        ("GetServiceStatus", 2 + 11),
        ("ListMarketplaceParticipations", 15 + 59),
    ],
)
def test_calls_per_hour(operation, expected):
    assert len(plan(None, operation, T0)) == expected


def test_hour_window_follows_the_clock():
    # a fresh bucket used at 23:45 has its window reset at midnight, not at 00:45
    start = T0 + 45 * 60
    state = burn("SubmitFeed", 15, start)
    assert state.hour_window_start == T0
    state = burn("SubmitFeed", 5, start + 600, state)  # 600 s restore 5 tokens
    assert state.hour_count == 20
    allowed, _, state = acquire(state, "SubmitFeed", T0 + HOUR)
    assert allowed and state.hour_count == 1


def test_shared_bucket_list_orders():
    state = burn("ListOrders", 3, T0)
    state = burn("ListOrdersByNextToken", 3, T0, state)
    assert state.bucket == "ListOrders"
    allowed, wait, _ = acquire(state, "ListOrders", T0)
    assert (allowed, wait) == (False, pytest.approx(60))
    allowed, _, _ = acquire(state, "ListOrdersByNextToken", T0)
    assert not allowed
    with pytest.raises(ValueError, match="bucket"):
        acquire(state, "GetOrder", T0)
    assert MWS_QUOTAS.bucket_of("ListOrderItemsByNextToken") == "ListOrderItems"
    assert MWS_QUOTAS.bucket_of("GetReportListByNextToken") == "GetReportListByNextToken"


def test_reserve_keeps_submit_feed_room_for_order_feeds():
    # catalog feeds keep 5 back: 10 at once, then refused while order feeds still pass
    state = burn("SubmitFeed", 10, T0, reserve=5)
    allowed, wait, state = acquire(state, "SubmitFeed", T0, reserve=5)
    assert not allowed
    assert wait == pytest.approx(120)
    state = burn("SubmitFeed", 5, T0, state)  # order feeds use the reserve
    allowed, _, _ = acquire(state, "SubmitFeed", T0)
    assert not allowed
    # over an hour catalog feeds alone get 25 of the 30 submissions
    assert len(plan(None, "SubmitFeed", T0, reserve=5)) == 25


def test_reserve_on_the_hourly_quota():
    state = None
    for moment in plan(None, "SubmitFeed", T0, reserve=5):
        _, _, state = acquire(state, "SubmitFeed", moment, reserve=5)
    assert state.hour_count == 25
    moment = T0 + 3000  # tokens are full again by now, only the hour blocks
    allowed, wait, state = acquire(state, "SubmitFeed", moment, reserve=5)
    assert not allowed
    assert wait == pytest.approx(HOUR - 3000)
    state = burn("SubmitFeed", 5, moment, state)  # order feeds still get 5
    allowed, wait, _ = acquire(state, "SubmitFeed", moment)
    assert not allowed and wait == pytest.approx(HOUR - 3000)


def test_hourly_reserve_counts_what_the_others_used():
    # order feeds made 6 submissions this hour: the 5 kept for them are used, the catalog
    # gets the other 24 (not 30 - 6 - 5 = 19)
    state = burn("SubmitFeed", 6, T0)
    moment, taken = T0, 0
    while True:
        allowed, wait, state = acquire(state, "SubmitFeed", moment, reserve=5)
        if not allowed:
            if moment + wait >= T0 + HOUR:
                break
            moment += wait
            continue
        taken += 1
    assert taken == 24
    assert state.hour_count == 30


def test_requests_with_a_reserve_are_counted_apart():
    state = burn("SubmitFeed", 2, T0, reserve=5)
    state = burn("SubmitFeed", 3, T0, state)
    assert (state.hour_count, state.reserving_count) == (5, 2)
    assert BucketState.from_dict(state.to_dict()) == state
    # a new hour window starts both counts again
    _, _, state = acquire(state, "SubmitFeed", T0 + HOUR, reserve=5)
    assert (state.hour_count, state.reserving_count) == (1, 1)


def test_reserve_must_leave_a_request():
    with pytest.raises(ValueError):
        acquire(None, "SubmitFeed", T0, reserve=15)
    with pytest.raises(ValueError):
        acquire(None, "SubmitFeed", T0, reserve=-1)


def test_penalise_empties_the_bucket():
    state = full("SubmitFeed", T0)
    state = penalise(state, T0)
    allowed, wait, _ = acquire(state, "SubmitFeed", T0)
    assert (allowed, wait) == (False, pytest.approx(120))
    allowed, _, _ = acquire(state, "SubmitFeed", T0 + 120)
    assert allowed


def test_penalise_with_retry_after_longer_than_restore():
    state = penalise(full("ListOrders", T0), T0, retry_after=300)
    allowed, wait, _ = acquire(state, "ListOrders", T0 + 10)
    assert not allowed
    assert wait == pytest.approx(290)
    assert acquire(state, "ListOrders", T0 + 300)[0]
    # shorter than a restore period: the restore period wins
    state = penalise(full("ListOrders", T0), T0, retry_after=5)
    assert acquire(state, "ListOrders", T0 + 5)[1] == pytest.approx(55)


def test_penalise_quota_exceeded_blocks_until_the_hour_ends():
    state = penalise(full("GetFeedSubmissionList", T0 + 600), T0 + 600, quota_exceeded=True)
    assert state.hour_count == 80
    allowed, wait, _ = acquire(state, "GetFeedSubmissionList", T0 + 1200)
    assert not allowed
    assert wait == pytest.approx(HOUR - 1200)
    assert acquire(state, "GetFeedSubmissionList", T0 + HOUR)[0]


def test_serialisation_round_trip_through_json():
    state = burn("SubmitFeed", 3, T0)
    data = state.to_dict()
    assert data == {
        "bucket": "SubmitFeed",
        "tokens": 12.0,
        "updated_at": T0,
        "hour_window_start": T0,
        "hour_count": 3,
        "reserving_count": 0,
        "penalised": False,
        "restore_seconds": None,
    }
    restored = BucketState.from_dict(json.loads(json.dumps(data)))
    assert restored == state
    # acquire accepts the stored dict directly
    allowed, _, after = acquire(json.loads(json.dumps(data)), "SubmitFeed", T0)
    assert allowed and after.hour_count == 4
    fresh = full("GetServiceStatus", T0)
    assert BucketState.from_dict(fresh.to_dict()) == fresh
    assert fresh.hour_window_start is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"bucket": "Nope", "tokens": 1, "updated_at": 0},
        {"bucket": "SubmitFeed", "tokens": 1},
        {"bucket": "SubmitFeed", "tokens": "x", "updated_at": 0},
    ],
)
def test_from_dict_rejects_malformed(data):
    with pytest.raises(ValueError):
        BucketState.from_dict(data, MWS_QUOTAS)


def test_clock_going_backwards_restores_nothing():
    state = burn("GetOrder", 6, T0)
    allowed, wait, state = acquire(state, "GetOrder", T0 - 30)
    assert not allowed
    assert wait == pytest.approx(60)
    assert state.updated_at == T0
    assert state.tokens == 0


def test_datetime_now_is_accepted():
    moment = datetime.fromtimestamp(T0, tz=timezone.utc)
    allowed, _, state = acquire(None, "GetOrder", moment)
    assert allowed and state.updated_at == T0
    naive = datetime.fromtimestamp(T0, tz=timezone.utc).replace(tzinfo=None)
    assert acquire(None, "GetOrder", naive)[2].updated_at == T0


def test_unknown_operation():
    with pytest.raises(KeyError):
        acquire(None, "SubmitFeeds", T0)


def test_observe_headers_aligns_the_hour():
    state = burn("GetFeedSubmissionList", 2, T0 + 100)
    headers = {
        "X-MWS-Quota-Max": "80.0",
        "X-MWS-Quota-Remaining": "50.0",
        "X-MWS-Quota-ResetsOn": "2023-11-15T00:00:00.000Z",
    }
    state = observe(state, T0 + 100, headers)
    assert state.hour_count == 30
    assert state.hour_window_start == T0
    # a header saying less than we counted does not make us more permissive
    state = observe(state, T0 + 100, {**headers, "X-MWS-Quota-Remaining": "79"})
    assert state.hour_count == 30
    # unreadable headers leave the state as it was
    assert observe(state, T0 + 100, {"X-MWS-Quota-Max": "x"}) == state
    assert observe(state, T0 + 100, None) == state


def test_one_throttle_delays_a_reserving_caller_one_restore_period_only():
    """Issue: after one throttled SubmitFeed the catalog (reserve 5 for order feeds) waited
    for 6 tokens, 6 x 120 s = 12 minutes. A penalised burst keeps the reserve on the hourly
    count only: the catalog goes again when the first token is back."""
    state = penalise(full("SubmitFeed", T0), T0)
    allowed, wait, _ = acquire(state, "SubmitFeed", T0, reserve=5)
    assert not allowed and wait == pytest.approx(120)
    allowed, _, after = acquire(state, "SubmitFeed", T0 + 120, reserve=5)
    assert allowed, "one restore period, not six"
    # the hourly reserve still holds: 30 an hour, 5 kept for the others
    assert after.hour_count == 1
    # once the burst is full again, the reserve applies to it as before
    refilled = acquire(after, "SubmitFeed", T0 + 120 + 15 * 120)[2]
    assert not refilled.penalised
    drained = refilled
    for _n in range(9):
        drained = acquire(drained, "SubmitFeed", T0 + 2000, reserve=5)[2]
    allowed, _, _ = acquire(drained, "SubmitFeed", T0 + 2000, reserve=5)
    assert not allowed, "5 of the 15 kept back for the order feeds"


def test_a_rate_the_api_announces_replaces_the_tables():
    """SP-API's x-amzn-RateLimit-Limit: a seller on a higher usage plan gets its rate."""
    from amazon_integration.lib.quota import BucketState, Limit, QuotaTable, acquire, with_rate

    table = QuotaTable(limits={"getOrder": Limit(2, 2.0)})
    state = BucketState.full("getOrder", 1000.0, table)
    for _n in range(2):
        allowed, _wait, state = acquire(state, "getOrder", 1000.0, table=table)
        assert allowed
    allowed, wait, state = acquire(state, "getOrder", 1000.0, table=table)
    assert (allowed, wait) == (False, 2.0), "the table's 0.5/s"
    faster = with_rate(state, "2.0")
    assert faster.restore_seconds == 0.5
    allowed, wait, _ = acquire(faster, "getOrder", 1000.0, table=table)
    assert (allowed, wait) == (False, 0.5), "the announced 2/s"
    assert with_rate(faster, "2") is faster, "the same rate again changes nothing"
    assert with_rate(state, "junk") is state and with_rate(state, "0") is state
    assert BucketState.from_dict(faster.to_dict(), table) == faster
