"""Throttling bookkeeping: pure functions, time passed in, nothing sleeps.

Amazon throttles per seller account and operation with a token bucket (``burst`` requests
at once, one more every ``restore_seconds``) and, for some operations, an hourly quota.
Some operations share one bucket. Which operations, buckets and limits: a :class:`QuotaTable`
that each API implementation declares (MWS: ``mws_api.MWS_QUOTAS``).

The Odoo side keeps one :class:`BucketState` per account and bucket in the database (as the
dict of :meth:`BucketState.to_dict`), locks the row, calls :func:`acquire`, stores the new
state and calls Amazon only if it was allowed, else reschedules after ``wait_seconds``.

Hour windows follow the clock (they start on the full UTC hour), which is how Amazon
reports them; :func:`observe_hourly` resynchronises a state from what a response says of
the hourly quota (the implementation reads its own headers).
"""

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

__all__ = [
    "HOUR",
    "BucketState",
    "Limit",
    "QuotaTable",
    "acquire",
    "effective",
    "observe_hourly",
    "penalise",
    "plan",
    "with_rate",
]

HOUR = 3600.0
_EPSILON = 1e-9  # float slack so that exactly restored tokens count as restored


@dataclass(frozen=True)
class Limit:
    """``burst`` requests, one restored every ``restore_seconds``; ``hourly`` cap or None."""

    burst: int
    restore_seconds: float
    hourly: int | None = None


@dataclass(frozen=True)
class QuotaTable:
    """An API's quotas: bucket name -> :class:`Limit`, and the operations that draw on
    another operation's bucket. Operations not named use the bucket of their own name."""

    limits: dict
    shared: dict = field(default_factory=dict)

    def bucket_of(self, operation):
        """Name of the bucket ``operation`` draws on (its own name unless shared)."""
        bucket = self.shared.get(operation, operation)
        if bucket not in self.limits:
            raise KeyError(f"no throttling limits known for operation {operation!r}")
        return bucket

    def limit_for(self, operation):
        return self.limits[self.bucket_of(operation)]


def _seconds(now):
    if isinstance(now, datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)  # Odoo's naive datetimes are UTC
        return now.timestamp()
    return float(now)


@dataclass(frozen=True)
class BucketState:
    """Where one bucket stands: ``tokens`` left at ``updated_at`` (epoch seconds), and
    ``hour_count`` requests made in the hour window starting at ``hour_window_start``, of
    which ``reserving_count`` were taken by callers keeping a reserve for others (they pace
    themselves on that count, not on the requests of the callers they make room for)."""

    bucket: str
    tokens: float
    updated_at: float
    hour_window_start: float | None = None
    hour_count: int = 0
    reserving_count: int = 0
    #: emptied by a throttle (penalise) and not full again since: the callers keeping a
    #: reserve for others keep it on the hourly count only, not on this burst (else one
    #: throttle would stop them for reserve + 1 restore periods)
    penalised: bool = False
    #: the restore period the API said it applies to this account (SP-API's
    #: ``x-amzn-RateLimit-Limit``), overriding the table's; None: the table's
    restore_seconds: float | None = None

    @classmethod
    def full(cls, operation, now, table):
        """A bucket nobody has used yet: full burst."""
        bucket = table.bucket_of(operation)
        return cls(bucket, float(table.limits[bucket].burst), _seconds(now))

    def to_dict(self):
        return {
            "bucket": self.bucket,
            "tokens": self.tokens,
            "updated_at": self.updated_at,
            "hour_window_start": self.hour_window_start,
            "hour_count": self.hour_count,
            "reserving_count": self.reserving_count,
            "penalised": self.penalised,
            "restore_seconds": self.restore_seconds,
        }

    @classmethod
    def from_dict(cls, data, table=None):
        """Inverse of :meth:`to_dict`; raises ``ValueError`` for a malformed dict (or a
        bucket ``table`` does not know)."""
        try:
            bucket = str(data["bucket"])
            if table is not None and bucket not in table.limits:
                raise ValueError(f"unknown bucket {bucket!r}")
            window = data.get("hour_window_start")
            return cls(
                bucket=bucket,
                tokens=float(data["tokens"]),
                updated_at=float(data["updated_at"]),
                hour_window_start=None if window is None else float(window),
                hour_count=int(data.get("hour_count") or 0),
                reserving_count=int(data.get("reserving_count") or 0),
                penalised=bool(data.get("penalised")),
                restore_seconds=(
                    float(data["restore_seconds"]) if data.get("restore_seconds") else None
                ),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a bucket state: {data!r} ({exc})") from None


def effective(limit, state):
    """The limit that applies to this state: the table's, with the restore period the API
    announced for the account when it did."""
    if state is not None and state.restore_seconds:
        return replace(limit, restore_seconds=state.restore_seconds)
    return limit


def with_rate(state, rate_per_second):
    """The state with the rate an answer announced (requests per second), or unchanged."""
    try:
        rate = float(rate_per_second)
    except (TypeError, ValueError):
        return state
    if rate <= 0:
        return state
    restore = 1.0 / rate
    if state.restore_seconds and abs(state.restore_seconds - restore) < 1e-6:
        return state
    return replace(state, restore_seconds=restore)


def refreshed(state, limit, now):
    """The state at ``now``: tokens restored, hour window rolled over if it ended."""
    limit = effective(limit, state)
    elapsed = now - state.updated_at
    tokens, updated_at = state.tokens, state.updated_at
    if elapsed > 0:  # a worker whose clock lags must not restore tokens backwards
        tokens = min(float(limit.burst), tokens + elapsed / limit.restore_seconds)
        updated_at = now
    window, count, reserving = state.hour_window_start, state.hour_count, state.reserving_count
    if window is None or now >= window + HOUR:
        window, count, reserving = math.floor(now / HOUR) * HOUR, 0, 0
    return replace(
        state,
        tokens=tokens,
        updated_at=updated_at,
        hour_window_start=window,
        hour_count=count,
        reserving_count=reserving,
        penalised=state.penalised and tokens < limit.burst - _EPSILON,
    )


def _state_for(state, operation, now, table):
    bucket = table.bucket_of(operation)
    if state is None:
        return BucketState.full(operation, now, table)
    if isinstance(state, dict):
        state = BucketState.from_dict(state, table)
    if state.bucket != bucket:
        raise ValueError(f"{operation} draws on bucket {bucket}, not {state.bucket}")
    return state


def acquire(state, operation, now, *, table, reserve=0):
    """Try to take one request for ``operation`` at ``now``.

    Returns ``(allowed, wait_seconds, new_state)``. When allowed, a token and one unit of
    the hourly quota are consumed (``wait_seconds`` is 0). When not, nothing is consumed and
    ``wait_seconds`` is the exact time until the same call would be allowed. ``reserve``
    keeps that many requests back, both from the burst and from the hourly quota: a caller
    passing ``reserve=5`` for SubmitFeed leaves 5 tokens and 5 submissions of the hour to the
    callers that pass none (order feeds). Submissions those callers already made in the
    hour count towards the hourly part: the room is kept for them, not on top of what they
    used. ``state`` may be None (fresh bucket) or a dict.
    """
    now = _seconds(now)
    limit = table.limit_for(operation)
    if reserve < 0 or reserve >= limit.burst or (limit.hourly and reserve >= limit.hourly):
        raise ValueError(f"reserve {reserve} leaves no request for {operation}")
    current = refreshed(_state_for(state, operation, now, table), limit, now)
    limit = effective(limit, current)

    burst_reserve = 0 if current.penalised else reserve
    missing = (1 + burst_reserve) - current.tokens
    token_wait = missing * limit.restore_seconds if missing > _EPSILON else 0.0
    hour_wait = 0.0
    hour_reserve = max(0, reserve - (current.hour_count - current.reserving_count))
    if limit.hourly is not None and current.hour_count + 1 + hour_reserve > limit.hourly:
        hour_wait = current.hour_window_start + HOUR - now
    if token_wait > 0 or hour_wait > 0:
        return False, max(token_wait, hour_wait), current
    taken = replace(
        current,
        tokens=max(0.0, current.tokens - 1),
        hour_count=current.hour_count + 1,
        reserving_count=current.reserving_count + (1 if reserve else 0),
    )
    return True, 0.0, taken


def penalise(state, now, retry_after=None, *, table, quota_exceeded=False):
    """Amazon throttled us anyway (another client, a lost state): treat the bucket as empty.

    The next token then comes one restore period from ``now``, or after ``retry_after``
    seconds if that is longer. ``quota_exceeded=True`` (error ``QuotaExceeded``) also marks
    the hour as used up until its window ends.
    """
    if isinstance(state, dict):
        state = BucketState.from_dict(state, table)
    now = _seconds(now)
    current = refreshed(state, table.limits[state.bucket], now)
    limit = effective(table.limits[state.bucket], current)
    tokens = 0.0
    if retry_after is not None and retry_after > limit.restore_seconds:
        # negative credit: one token is back exactly after retry_after seconds
        tokens = 1.0 - retry_after / limit.restore_seconds
    count = current.hour_count
    if quota_exceeded and limit.hourly is not None:
        count = max(count, limit.hourly)
    return replace(
        current,
        tokens=tokens,
        updated_at=max(now, current.updated_at),
        hour_count=count,
        penalised=True,
    )


def observe_hourly(state, now, limit, quota_max, remaining, reset_at=None):
    """Align the hourly count with what the server says of it: ``quota_max`` requests an
    hour, ``remaining`` left, the window ending at ``reset_at`` (POSIX seconds, or None).
    The state never becomes more permissive than what it already knew."""
    now = _seconds(now)
    current = refreshed(state, limit, now)
    window = current.hour_window_start
    if reset_at is not None and reset_at > now:
        window = reset_at - HOUR
    used = max(0, math.ceil(quota_max - remaining))
    if window == current.hour_window_start:
        return replace(current, hour_count=max(current.hour_count, used))
    return replace(current, hour_window_start=window, hour_count=used, reserving_count=0)


def plan(state, operation, now, *, table, within=HOUR, reserve=0, limit_calls=10000):
    """Times (epoch seconds) at which calls could be made in ``[now, now + within)``,
    each as early as allowed: ``len(plan(...))`` is how many calls fit in that time."""
    now = _seconds(now)
    end = now + within
    times = []
    current = state
    moment = now
    while moment < end - _EPSILON and len(times) < limit_calls:
        allowed, wait, current = acquire(current, operation, moment, table=table, reserve=reserve)
        if allowed:
            times.append(moment)
        else:
            moment += wait
    return times
