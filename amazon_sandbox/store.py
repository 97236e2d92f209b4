"""One SQLite file under --data-dir, shared by every module, safe across threads.

All access goes through one connection guarded by one lock: SQLite serialises writers anyway,
and a single writer keeps the sandbox's behaviour deterministic. `tx()` is a write transaction
(BEGIN IMMEDIATE ... COMMIT, ROLLBACK on exception); reads use it too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Store:
    """The sandbox's persistent state."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "sandbox.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0
        self.ensure_schema(CORE_SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A serialised write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def ensure_schema(self, sql: str) -> None:
        """Run CREATE TABLE/INDEX IF NOT EXISTS statements."""
        with self._lock:
            self._db.executescript(sql)

    def next_id(self, db: sqlite3.Connection, name: str, start: int = 1) -> int:
        """The next value of a persistent counter (first value: `start`)."""
        row = db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = start if row is None else max(row[0] + 1, start)
        db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        return value

    def get_meta(self, db: sqlite3.Connection, key: str, default=None):
        """A JSON value stored under `key` in the meta table."""
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_meta(self, db: sqlite3.Connection, key: str, value) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
