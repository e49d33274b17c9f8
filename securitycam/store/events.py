"""Events: a time range on a camera, whatever started it (a sensor, an object, motion, a person
at the API). This table is the contract between the parts: sensors and detection open and end
events here; the recorder listens and keeps the footage; the Frigate-compatible ``/api/events``
serves the rows as they are.

Rows carry Frigate's event fields from the start: ``id`` is ``<epoch>.<fraction>-<6 random>``,
``start_time``/``end_time`` are epoch-second floats (``end_time`` is null while in progress).
"""

from __future__ import annotations

import json
import logging
import random
import string
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from securitycam.clock import Clock
from securitycam.store.db import Database, register_schema

log = logging.getLogger(__name__)

SOURCES = ("sensor", "object", "motion", "manual", "api")

register_schema(
    "events",
    [
        """
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            camera TEXT NOT NULL,
            label TEXT NOT NULL,
            sub_label TEXT,
            source TEXT NOT NULL,
            top_score REAL,
            start_time REAL NOT NULL,
            end_time REAL,
            zones TEXT NOT NULL DEFAULT '[]',
            has_clip INTEGER NOT NULL DEFAULT 0,
            has_snapshot INTEGER NOT NULL DEFAULT 0,
            retain_indefinitely INTEGER NOT NULL DEFAULT 0,
            false_positive INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_camera_start ON events (camera, start_time);
        CREATE INDEX events_start ON events (start_time);
        CREATE INDEX events_open ON events (end_time) WHERE end_time IS NULL;
        """
    ],
)


@dataclass
class Event:
    id: str
    camera: str
    label: str
    source: str
    start_time: float
    end_time: float | None = None
    sub_label: str | None = None
    top_score: float | None = None
    zones: list[str] = field(default_factory=list)
    has_clip: bool = False
    has_snapshot: bool = False
    retain_indefinitely: bool = False
    false_positive: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.end_time is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_JSON_FIELDS = ("zones", "data")
_BOOL_FIELDS = ("has_clip", "has_snapshot", "retain_indefinitely", "false_positive")
_UPDATABLE = {"sub_label", "top_score", "zones", "has_clip", "has_snapshot", "retain_indefinitely",
              "false_positive", "data", "end_time", "label"}


def _from_row(row: Any) -> Event:
    values = dict(row)
    for name in _JSON_FIELDS:
        values[name] = json.loads(values[name])
    for name in _BOOL_FIELDS:
        values[name] = bool(values[name])
    return Event(**values)


def _to_column(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return json.dumps(value)
    if name in _BOOL_FIELDS:
        return int(bool(value))
    return value


def new_event_id(start_time: float) -> str:
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{start_time:.6f}-{suffix}"


Listener = Callable[[Event], None]


class EventStore:
    """Open, update, end and query events; tell listeners when one opens or ends.

    Listeners run in the caller's thread and must return quickly (the recorder only notes the
    time range; its heavy work happens on its own thread).
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or Clock()
        self._opened: list[Listener] = []
        self._ended: list[Listener] = []
        self._lock = threading.Lock()

    def on_open(self, listener: Listener) -> None:
        self._opened.append(listener)

    def on_end(self, listener: Listener) -> None:
        self._ended.append(listener)

    def open(
        self,
        camera: str,
        source: str,
        label: str,
        *,
        sub_label: str | None = None,
        score: float | None = None,
        data: dict[str, Any] | None = None,
        start_time: float | None = None,
        event_id: str | None = None,
    ) -> Event:
        """Open an event; ``event_id`` keeps an id made earlier (a tracked object's, Frigate's way)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        start = self._clock.time() if start_time is None else start_time
        event = Event(
            id=event_id or new_event_id(start), camera=camera, label=label, source=source, start_time=start,
            sub_label=sub_label, top_score=score, data=dict(data or {}),
        )
        row = event.to_dict()
        columns = ", ".join(row)
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO events ({columns}) VALUES ({', '.join('?' for _ in row)})",
                [_to_column(k, v) for k, v in row.items()],
            )
        self._notify(self._opened, event)
        return event

    def update(self, event_id: str, **changes: Any) -> Event | None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            values = [_to_column(k, v) for k, v in changes.items()]
            with self._db.transaction() as tx:
                tx.execute(f"UPDATE events SET {assignments} WHERE id = ?", [*values, event_id])
        return self.get(event_id)

    def merge_data(self, event_id: str, changes: dict[str, Any], **columns: Any) -> Event | None:
        """Set keys of ``data`` in one statement (SQLite's ``json_patch``), so writers of different
        keys (detection's box and snapshot, the recorder's clips) never undo each other."""
        unknown = set(columns) - _UPDATABLE - {"data"}
        if unknown or "data" in columns:
            raise ValueError(f"cannot update {', '.join(sorted(unknown | ({'data'} & set(columns))))}")
        assignments = "".join(f", {name} = ?" for name in columns)
        values = [_to_column(k, v) for k, v in columns.items()]
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE events SET data = json_patch(data, ?){assignments} WHERE id = ?",
                       [json.dumps(changes), *values, event_id])
        return self.get(event_id)

    def end(self, event_id: str, end_time: float | None = None) -> Event | None:
        """End an event (once: ending an ended event changes nothing and notifies no one)."""
        end = self._clock.time() if end_time is None else end_time
        with self._db.transaction() as tx:
            changed = tx.execute(
                "UPDATE events SET end_time = max(?, start_time) WHERE id = ? AND end_time IS NULL",
                (end, event_id),
            ).rowcount
        event = self.get(event_id)
        if changed and event is not None:
            self._notify(self._ended, event)
        return event

    def open_events(self) -> list[Event]:
        """Every event still in progress, oldest first (however many and however old)."""
        return [_from_row(row) for row in self._db.query("SELECT * FROM events WHERE end_time IS NULL "
                                                         "ORDER BY start_time")]

    def get(self, event_id: str) -> Event | None:
        row = self._db.query_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return _from_row(row) if row else None

    def list(
        self,
        *,
        camera: str | None = None,
        label: str | None = None,
        source: str | None = None,
        after: float | None = None,
        before: float | None = None,
        in_progress: bool | None = None,
        has_clip: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Event]:
        """Newest first, filtered by whichever arguments are given."""
        where, params = [], []
        for column, value in (("camera", camera), ("label", label), ("source", source)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            where.append("start_time > ?")
            params.append(after)
        if before is not None:
            where.append("start_time < ?")
            params.append(before)
        if in_progress is not None:
            where.append("end_time IS NULL" if in_progress else "end_time IS NOT NULL")
        if has_clip is not None:
            where.append("has_clip = ?")
            params.append(int(has_clip))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.query(
            f"SELECT * FROM events {clause} ORDER BY start_time DESC LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [_from_row(row) for row in rows]

    def remove_clips(self, removed: dict[str, set[str]]) -> None:
        """Take deleted clip files (``{event_id: {path, ...}}``) out of their events' ``data["clips"]``.

        One transaction for any number of events, so the janitor can drop thousands of clips at
        once; an event left with no clip has neither clip nor snapshot any more.
        """
        ids = list(removed)
        with self._db.transaction() as tx:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = tx.execute(
                    f"SELECT id, data FROM events WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
                ).fetchall()
                for row in rows:
                    data = json.loads(row["data"])
                    remaining = [clip for clip in data.get("clips", []) if clip not in removed[row["id"]]]
                    tx.execute(
                        "UPDATE events SET has_clip = ?, has_snapshot = ?, data = ? WHERE id = ?",
                        (int(bool(remaining)), int(bool(remaining)), json.dumps({**data, "clips": remaining}),
                         row["id"]),
                    )

    def delete(self, event_id: str) -> bool:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM events WHERE id = ?", (event_id,)).rowcount > 0

    def _notify(self, listeners: list[Listener], event: Event) -> None:
        for listener in list(listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed for %s", listener, event.id)
