"""The on-disk queue of messages that must reach the broker (events, reviews), in order.

Every QoS 1 message is written here before it is handed to paho, and deleted only when the broker
acknowledges it (PUBACK). While the broker is away messages pile up here, not in memory; when it
returns they leave in the order they were queued. A restart of the appliance loses nothing that
was committed: the rows are handed to the new connection again (QoS 1 is "at least once": a
message whose acknowledgement was lost in a crash may arrive twice).

The queue is bounded (``limit`` rows): when full, the oldest messages not yet handed to the
connection are dropped, counted and reported, so a broker gone for a month cannot fill the SD
card. It is its own SQLite file, apart from ``securitycam.db``, so that a burst of queued messages
never holds the main database's write lock that the recorder and the API need. The same file keeps
a few small values the publisher must remember across restarts (its switches, which discovery
topics it has published).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Outbox:
    """A bounded FIFO of messages in SQLite; safe to call from several threads."""

    def __init__(self, path: Path, limit: int = 10000) -> None:
        self.path = Path(path)
        self.limit = limit
        self.dropped = 0
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        self.path.chmod(0o600)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # An application crash loses nothing committed; a power cut may lose the last few messages.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        # After a long outage the WAL would keep its peak size; cut it back at each checkpoint.
        self._conn.execute("PRAGMA journal_size_limit=4194304")
        self._conn.executescript(_SCHEMA)
        self._count = self._conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def put(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False, keep_after: int = 0) -> int:
        """Queue a message; returns its id. Past ``limit``, drops the oldest with ids above ``keep_after``
        (the ones at or below it are already with the connection)."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        with self._lock:
            if self._count >= self.limit:
                excess = self._count - self.limit + 1
                dropped = self._conn.execute(
                    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE id > ? ORDER BY id LIMIT ?)",
                    (keep_after, excess),
                ).rowcount
                self._count -= dropped
                self.dropped += dropped
            cursor = self._conn.execute(
                "INSERT INTO outbox (topic, payload, qos, retain, queued_at) VALUES (?, ?, ?, ?, ?)",
                (topic, data, qos, int(retain), time.time()),
            )
            self._count += 1
            return int(cursor.lastrowid or 0)

    def after(self, last_id: int, limit: int) -> list[QueuedMessage]:
        """The oldest ``limit`` messages with ids above ``last_id``."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, limit),
            ).fetchall()
        return [QueuedMessage(row[0], row[1], bytes(row[2]), row[3], bool(row[4])) for row in rows]

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            removed = sum(self._conn.execute("DELETE FROM outbox WHERE id = ?", (i,)).rowcount for i in ids)
            self._conn.execute("COMMIT")
            self._count -= removed

    def get_value(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_value(self, key: str, value: Any) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
