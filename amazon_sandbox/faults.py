"""Fault injection per seller, set at run time through the admin interface.

Counted faults ("the next N calls") make tests deterministic; rates (0..1, drawn from the
seeded RNG) give demo chaos. Kinds:
- internal_error: 500 InternalError        - unavailable: 503 ServiceUnavailable
- delay: answer after `seconds` REAL seconds - malformed: a truncated, unparsable XML body
- slow_answer: the call is carried out, its answer sent `seconds` REAL seconds later (a client
  that times out meanwhile does not know that Amazon has its request)
- error_200: an ErrorResponse sent with HTTP status 200
- next_token_corrupted: the next ...ByNextToken call answers NextTokenCorrupted (SP-API: the
  next call with a paginationToken answers 400 InvalidInput)
- throttle_storm: every call answers RequestThrottled for `seconds` SANDBOX seconds
- throttled: the call answers as a throttled one (with a rate: throttling now and then); unlike
  a storm's, these answers are not counted with the quota refusals of the throttle counters

Each fault counts the calls it `fired` on (GET /admin/sellers/{id}/faults).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

KINDS = (
    "internal_error",
    "unavailable",
    "delay",
    "slow_answer",
    "malformed",
    "error_200",
    "next_token_corrupted",
    "throttle_storm",
    "throttled",
)
BEFORE = (
    "throttle_storm",
    "throttled",
    "internal_error",
    "unavailable",
    "next_token_corrupted",
    "delay",
)
AFTER = ("malformed", "error_200", "slow_answer")


@dataclass
class Fault:
    kind: str
    count: int | None = 1  # calls left; None = until cleared (rate faults, storms)
    operation: str | None = None  # only this Action (None = any)
    rate: float | None = None  # probability per matching call (None = always)
    seconds: float = 0.0  # delay (real) or storm duration (sandbox)
    until: float | None = None  # storm end, sandbox POSIX seconds
    id: int = 0
    fired: int = 0  # calls it answered

    def matches(self, action: str, paged: bool | None = None) -> bool:
        """Whether the fault concerns this call. paged: the call continues a listing (an SP-API
        call with a paginationToken); None means an MWS ...ByNextToken action."""
        if paged is None:
            paged = action.endswith("ByNextToken")
        if self.kind == "next_token_corrupted" and not paged:
            return False
        return self.operation in (None, "", action)


class Faults:
    """The active faults of every seller. Thread safe."""

    def __init__(self, rng: random.Random | None = None):
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}
        self._next_id = 1

    def add(self, seller_id: str, fault: Fault, now: float) -> Fault:
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; one of {', '.join(KINDS)}")
        if fault.rate is not None and not 0 <= fault.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if fault.count is not None and fault.count < 1:
            raise ValueError("count must be at least 1 (or null)")
        if fault.kind == "throttle_storm":
            if fault.seconds <= 0:
                raise ValueError("a throttle_storm needs seconds > 0")
            fault.until = now + fault.seconds
            fault.count = None
        if fault.kind in ("delay", "slow_answer") and fault.seconds <= 0:
            raise ValueError(f"a {fault.kind} needs seconds > 0")
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.setdefault(seller_id, []).append(fault)
        return fault

    def clear(self, seller_id: str | None = None) -> None:
        with self._lock:
            if seller_id is None:
                self._faults.clear()
            else:
                self._faults.pop(seller_id, None)

    def list(self, seller_id: str) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults.get(seller_id, [])]

    def take(
        self,
        seller_id: str,
        action: str,
        phase: tuple[str, ...],
        now: float,
        paged: bool | None = None,
    ) -> list[Fault]:
        """The faults that fire on this call in this phase (counts are consumed). action: the
        MWS Action or the SP-API operationId; paged: see `Fault.matches`."""
        fired: list[Fault] = []
        with self._lock:
            faults = self._faults.get(seller_id, [])
            for fault in list(faults):
                if fault.kind not in phase or not fault.matches(action, paged):
                    continue
                if fault.kind == "throttle_storm":
                    if now >= (fault.until or 0):
                        faults.remove(fault)
                        continue
                    fault.fired += 1
                    fired.append(fault)
                    continue
                if fault.rate is not None and self._rng.random() >= fault.rate:
                    continue
                fault.fired += 1
                fired.append(fault)
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        faults.remove(fault)
        return fired
