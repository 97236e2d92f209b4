"""The sandbox clock: real time, optionally accelerated, plus an offset that admins advance.

Sandbox time = real time + offset, where the offset grows by (scale - 1) × elapsed real time
and by every explicit advance. The offset is persisted so a restart keeps the sandbox date.
Signature timestamps are checked against the REAL clock (time.time), never this one.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


class Clock:
    """Accelerated, advanceable sandbox clock. Thread safe."""

    def __init__(self, scale: float = 1.0, offset: float = 0.0, real=time.time):
        self.scale = float(scale)
        self._real = real
        self._lock = threading.Lock()
        self._base_real = real()
        self._base_offset = float(offset)

    def offset(self) -> float:
        """Seconds the sandbox is ahead of real time (what gets persisted)."""
        with self._lock:
            return self._offset_at(self._real())

    def _offset_at(self, real_now: float) -> float:
        return self._base_offset + (real_now - self._base_real) * (self.scale - 1.0)

    def timestamp(self) -> float:
        """Sandbox time as POSIX seconds."""
        with self._lock:
            real_now = self._real()
            return real_now + self._offset_at(real_now)

    def now(self) -> datetime:
        """Sandbox time, aware UTC."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def advance(self, seconds: float) -> datetime:
        """Jump the sandbox clock forward (never backward)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._base_offset += float(seconds)
        return self.now()

    def real_now(self) -> datetime:
        return datetime.fromtimestamp(self._real(), UTC)


def iso(dt: datetime) -> str:
    """Amazon's date format in responses: 2009-02-20T02:10:35+00:00."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def iso_z(dt: datetime) -> str:
    """The Orders API date format: 2017-02-20T19:49:35Z (ms kept when present)."""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date as clients send it (Z, offset, or naive meaning UTC).

    Raises ValueError for anything else. Works the same on Python 3.10 (whose fromisoformat
    rejects "Z" and odd fraction lengths).
    """
    match = _ISO.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    dt = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return (dt - sign * delta).replace(tzinfo=UTC)
    return dt.replace(tzinfo=UTC)


__all__ = ["UTC", "Clock", "iso", "iso_z", "parse_iso", "timedelta"]
