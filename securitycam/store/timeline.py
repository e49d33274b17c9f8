"""The timeline (Frigate's ``timeline`` table): what happened to each tracked object, in order.

Rows have Frigate's shape: ``timestamp``, ``camera``, ``source`` (``tracked_object``, or
``sensor`` for ours), ``source_id`` (the event id), ``class_type`` (``visible``,
``entered_zone``, ``active``, ``stationary``, ``gone``, ``external``) and ``data`` (``camera``,
``label``, ``sub_label``, ``box`` and ``region`` as ``[x, y, w, h]`` fractions of the frame,
``zones``, ``attribute``). ``/api/timeline`` serves them.

An event's rows go with it, as Frigate deletes them: a trigger on ``events`` deletes them in the
statement that deletes the event, whichever path deletes it (the rows of events deleted before the
trigger existed went when it was made).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import securitycam.store.events  # noqa: F401  (registers the events table first: the trigger is on it)
from securitycam.store.db import Database, register_schema

CLASS_TYPES = ("visible", "entered_zone", "active", "stationary", "attribute", "gone", "heard", "external")

register_schema(
    "timeline",
    [
        """
        CREATE TABLE timeline (
            timestamp REAL NOT NULL,
            camera TEXT NOT NULL,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            class_type TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX timeline_camera_time ON timeline (camera, timestamp);
        CREATE INDEX timeline_source_id ON timeline (source_id);
        """,
        # The newest rows of every camera (``/api/timeline/hourly``) without sorting the table.
        "CREATE INDEX timeline_time ON timeline (timestamp);",
        """
        CREATE TRIGGER timeline_event_deleted AFTER DELETE ON events BEGIN
            DELETE FROM timeline WHERE source_id = OLD.id;
        END;
        DELETE FROM timeline WHERE source_id NOT IN (SELECT id FROM events);
        """,
    ],
)


class TimelineStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, timestamp: float, camera: str, source: str, source_id: str, class_type: str,
            data: dict[str, Any]) -> None:
        if class_type not in CLASS_TYPES:
            raise ValueError(f"class_type must be one of {', '.join(CLASS_TYPES)}")
        with self._db.transaction() as tx:
            tx.execute("INSERT INTO timeline (timestamp, camera, source, source_id, class_type, data) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (timestamp, camera, source, source_id, class_type, json.dumps(data)))

    def list(self, *, cameras: Sequence[str] | None = None, source_id: str | None = None,
             labels: Sequence[str] | None = None, after: float | None = None, before: float | None = None,
             limit: int = 100, newest_first: bool = False) -> list[dict[str, Any]]:
        """Rows oldest first (a life reads in order, and Frigate's ``/api/timeline`` answers so), or the
        newest ``limit`` first; ``labels`` match ``data.label``."""
        where, params = [], []
        for column, values in (("camera", cameras), ("json_extract(data, '$.label')", labels)):
            if values:
                where.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if source_id is not None:
            where.append("source_id = ?")
            params.append(source_id)
        if after is not None:
            where.append("timestamp > ?")
            params.append(after)
        if before is not None:
            where.append("timestamp < ?")
            params.append(before)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "DESC" if newest_first else "ASC"
        rows = self._db.query(f"SELECT * FROM timeline {clause} ORDER BY timestamp {order}, rowid {order} LIMIT ?",
                              (*params, limit))
        return [{**dict(row), "data": json.loads(row["data"])} for row in rows]
