"""The timeline (Frigate's ``timeline`` table): what happened to each tracked object, in order.

Rows have Frigate's shape: ``timestamp``, ``camera``, ``source`` (``tracked_object``, or
``sensor`` for ours), ``source_id`` (the event id), ``class_type`` (``visible``,
``entered_zone``, ``active``, ``stationary``, ``gone``, ``external``) and ``data`` (``camera``,
``label``, ``sub_label``, ``box`` and ``region`` as ``[x, y, w, h]`` fractions of the frame,
``zones``, ``attribute``). ``/api/timeline`` serves them.
"""

from __future__ import annotations

import json
from typing import Any

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
        """
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

    def list(self, *, camera: str | None = None, source_id: str | None = None, after: float | None = None,
             before: float | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Rows oldest first (a life reads in order), as Frigate's API returns them."""
        where, params = [], []
        for column, value in (("camera", camera), ("source_id", source_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            where.append("timestamp > ?")
            params.append(after)
        if before is not None:
            where.append("timestamp < ?")
            params.append(before)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.query(f"SELECT * FROM timeline {clause} ORDER BY timestamp ASC, rowid ASC LIMIT ?",
                              (*params, limit))
        return [{**dict(row), "data": json.loads(row["data"])} for row in rows]

    def delete_for(self, source_id: str) -> int:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM timeline WHERE source_id = ?", (source_id,)).rowcount
