"""MWS throttling as plain logic: a token bucket (burst + restore rate) and an hourly quota.

Times are sandbox seconds (floats); the bucket does its arithmetic in integer microseconds so
that "exactly one restore period later" gives exactly one request back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Limit:
    burst: int  # max quota (bucket size)
    restore_seconds: float  # one request restored every this many seconds
    hourly: int | None = None  # max requests per hour, None = no hourly quota
    section: str = "Feeds"  # for the QuotaExceeded message: "Feeds/2009-01-01/Op"


def _feeds(burst, restore, hourly=None):
    return Limit(burst, restore, hourly, "Feeds")


def _reports(burst, restore, hourly=None):
    return Limit(burst, restore, hourly, "Reports")


# Amazon's published numbers (../shared/amazon/README.md beside the repository; the rest from
# MWS's throttling pages).
LIMITS: dict[str, Limit] = {
    "SubmitFeed": _feeds(15, 120, 30),
    "GetFeedSubmissionList": _feeds(10, 45, 80),
    "GetFeedSubmissionListByNextToken": _feeds(30, 2, 1800),
    "GetFeedSubmissionCount": _feeds(10, 45, 80),
    "CancelFeedSubmissions": _feeds(10, 45, 80),
    "GetFeedSubmissionResult": _feeds(15, 60, 60),
    "RequestReport": _reports(15, 60, 60),
    "GetReport": _reports(15, 60, 60),
    "GetReportRequestList": _reports(10, 45, 80),
    "GetReportRequestListByNextToken": _reports(30, 2, 1800),
    "GetReportRequestCount": _reports(10, 45, 80),
    "CancelReportRequests": _reports(10, 45, 80),
    "GetReportList": _reports(10, 60, 60),
    "GetReportListByNextToken": _reports(30, 2, 1800),
    "GetReportCount": _reports(10, 45, 80),
    "ManageReportSchedule": _reports(10, 45, 80),
    "GetReportScheduleList": _reports(10, 45, 80),
    "GetReportScheduleCount": _reports(10, 45, 80),
    "UpdateReportAcknowledgements": _reports(10, 45, 80),
    "ListOrders": Limit(6, 60, None, "Orders"),
    "ListOrderItems": Limit(30, 2, None, "Orders"),
    "GetOrder": Limit(6, 60, None, "Orders"),
    "ListMarketplaceParticipations": Limit(15, 60, None, "Sellers"),
    "ListInventorySupply": Limit(30, 0.5, None, "FulfillmentInventory"),
    "GetServiceStatus": Limit(2, 300, None, ""),
}
DEFAULT_LIMIT = Limit(10, 10, None, "")

_US = 1_000_000
HOUR_US = 3600 * _US


@dataclass
class Decision:
    allowed: bool
    code: str | None = None  # RequestThrottled | QuotaExceeded
    message: str = ""
    quota_max: int | None = None
    quota_remaining: int | None = None
    resets_on: float | None = None  # sandbox seconds


@dataclass
class _Bucket:
    tokens: int
    anchor_us: int  # time from which the next token accrues
    window_start_us: int | None = None
    window_count: int = 0


class Throttle:
    """Per (seller, bucket) token buckets with hourly quotas; counts throttled answers."""

    def __init__(self, limits: dict[str, Limit] | None = None, enabled: bool = True):
        self.limits = LIMITS if limits is None else limits
        self.enabled = enabled
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        # (seller, bucket) -> {"allowed": n, "RequestThrottled": n, "QuotaExceeded": n}
        self.counters: dict[tuple[str, str], dict[str, int]] = {}

    def limit(self, bucket: str) -> Limit:
        """Limits of a bucket; "Section.Operation" buckets use the operation's limits."""
        return self.limits.get(bucket) or self.limits.get(bucket.rsplit(".", 1)[-1], DEFAULT_LIMIT)

    def check(self, seller_id: str, bucket: str, now: float, op_name: str = "") -> Decision:
        """Consume one request at sandbox time `now` (seconds) if allowed."""
        limit = self.limit(bucket)
        now_us = round(now * _US)
        restore_us = round(limit.restore_seconds * _US)
        with self._lock:
            b = self._buckets.get((seller_id, bucket))
            if b is None:
                b = self._buckets[(seller_id, bucket)] = _Bucket(limit.burst, now_us)
            self._refill(b, limit, restore_us, now_us)
            if b.window_start_us is not None and now_us >= b.window_start_us + HOUR_US:
                b.window_start_us, b.window_count = None, 0
            decision = self._decide(b, limit, now_us, op_name or bucket)
            if not self.enabled:
                decision = Decision(
                    True,
                    quota_max=decision.quota_max,
                    quota_remaining=decision.quota_remaining,
                    resets_on=decision.resets_on,
                )
            if decision.allowed:
                b.tokens -= 1 if b.tokens > 0 else 0
                if limit.hourly is not None:
                    if b.window_start_us is None:
                        b.window_start_us = now_us
                    b.window_count += 1
                    decision.quota_remaining = max(0, limit.hourly - b.window_count)
                    decision.resets_on = (b.window_start_us + HOUR_US) / _US
            counts = self.counters.setdefault((seller_id, bucket), {})
            key = "allowed" if decision.allowed else decision.code
            counts[key] = counts.get(key, 0) + 1
            return decision

    @staticmethod
    def _refill(b: _Bucket, limit: Limit, restore_us: int, now_us: int) -> None:
        if b.tokens >= limit.burst:
            b.tokens, b.anchor_us = limit.burst, now_us
            return
        if now_us <= b.anchor_us:
            return
        gained = (now_us - b.anchor_us) // restore_us
        if gained:
            b.tokens = min(limit.burst, b.tokens + gained)
            b.anchor_us = now_us if b.tokens >= limit.burst else b.anchor_us + gained * restore_us

    @staticmethod
    def _decide(b: _Bucket, limit: Limit, now_us: int, op_name: str) -> Decision:
        resets = None
        remaining = None
        if limit.hourly is not None:
            start = b.window_start_us if b.window_start_us is not None else now_us
            resets = (start + HOUR_US) / _US
            remaining = limit.hourly - b.window_count
            if b.window_count >= limit.hourly:
                return Decision(
                    False,
                    "QuotaExceeded",
                    quota_message(limit, op_name, resets),
                    limit.hourly,
                    0,
                    resets,
                )
        if b.tokens < 1:
            return Decision(
                False, "RequestThrottled", "Request is throttled", limit.hourly, remaining, resets
            )
        return Decision(True, None, "", limit.hourly, remaining, resets)

    def reset(self, seller_id: str | None = None) -> None:
        """Forget buckets and counters (of one seller, or all)."""
        with self._lock:
            for store in (self._buckets, self.counters):
                for key in [k for k in store if seller_id is None or k[0] == seller_id]:
                    del store[key]

    def snapshot(self) -> list[dict]:
        """Counters as JSON-friendly rows: seller, bucket, allowed, throttled, quota_exceeded."""
        with self._lock:
            return [
                {
                    "seller_id": seller,
                    "operation": bucket,
                    "allowed": c.get("allowed", 0),
                    "throttled": c.get("RequestThrottled", 0),
                    "quota_exceeded": c.get("QuotaExceeded", 0),
                }
                for (seller, bucket), c in sorted(self.counters.items())
            ]

    def count_rejected(self, seller_id: str, bucket: str, code: str) -> None:
        """Count a throttled answer produced elsewhere (e.g. an injected throttling storm)."""
        with self._lock:
            counts = self.counters.setdefault((seller_id, bucket), {})
            counts[code] = counts.get(code, 0) + 1


def quota_message(limit: Limit, op_name: str, resets_on: float) -> str:
    """Amazon's QuotaExceeded text, e.g. for Feeds/2009-01-01/GetFeedSubmissionList."""
    versions = {
        "Feeds": "2009-01-01",
        "Reports": "2009-01-01",
        "Orders": "2013-09-01",
        "Sellers": "2011-07-01",
        "FulfillmentInventory": "2010-10-01",
    }
    section = limit.section or "Feeds"
    when = datetime.fromtimestamp(resets_on, timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")
    return (
        f"You exceeded your quota of {float(limit.hourly):.1f} requests per 1 hour for "
        f"operation {section}/{versions.get(section, '2009-01-01')}/{op_name}.  "
        f"Your quota will reset on {when}"
    )
