"""Review items (Frigate 0.14+ ``review_segments``): a span of activity on one camera that gathers
the events overlapping it, for owners to look through and mark reviewed.

Rows have Frigate's shape: ``id`` (``<epoch>.<fraction>-<6 random>``), ``camera``,
``start_time``/``end_time`` (epoch seconds; ``end_time`` null while active), ``severity``
(``alert`` or ``detection``), ``thumb_path``, ``has_been_reviewed`` and ``data`` with
``detections`` (event ids), ``objects`` (labels), ``sub_labels``, ``zones``, ``audio``, and ours,
``sensors`` (the sensor events that joined it). Detection writes them
(:mod:`securitycam.detection.review`); ``/api/review`` serves them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from securitycam.store.db import Database, register_schema
from securitycam.store.events import new_event_id

SEVERITIES = ("alert", "detection")

register_schema(
    "review",
    [
        """
        CREATE TABLE review_segments (
            id TEXT PRIMARY KEY,
            camera TEXT NOT NULL,
            start_time REAL NOT NULL,
            end_time REAL,
            severity TEXT NOT NULL,
            thumb_path TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            has_been_reviewed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX review_segments_camera_start ON review_segments (camera, start_time);
        CREATE INDEX review_segments_start ON review_segments (start_time);
        """
    ],
)


def empty_data() -> dict[str, list]:
    return {"detections": [], "objects": [], "sub_labels": [], "zones": [], "audio": [], "sensors": []}


@dataclass
class ReviewSegment:
    id: str
    camera: str
    start_time: float
    severity: str
    end_time: float | None = None
    thumb_path: str = ""
    data: dict[str, Any] = field(default_factory=empty_data)
    has_been_reviewed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_row(row: Any) -> ReviewSegment:
    values = dict(row)
    values["data"] = json.loads(values["data"])
    values["has_been_reviewed"] = bool(values["has_been_reviewed"])
    return ReviewSegment(**values)


class ReviewStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, camera: str, start_time: float, severity: str, data: dict[str, Any] | None = None,
             thumb_path: str = "") -> ReviewSegment:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        segment = ReviewSegment(new_event_id(start_time), camera, start_time, severity, thumb_path=thumb_path,
                                data={**empty_data(), **(data or {})})
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO review_segments (id, camera, start_time, end_time, severity, thumb_path, data, "
                "has_been_reviewed) VALUES (?, ?, ?, NULL, ?, ?, ?, 0)",
                (segment.id, camera, start_time, severity, thumb_path, json.dumps(segment.data)),
            )
        return segment

    def update(self, segment_id: str, *, severity: str | None = None, data: dict[str, Any] | None = None,
               thumb_path: str | None = None, end_time: float | None = None) -> ReviewSegment | None:
        changes = {name: value for name, value in (("severity", severity), ("thumb_path", thumb_path),
                                                   ("end_time", end_time)) if value is not None}
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if data is not None:
            changes["data"] = json.dumps(data)
        if changes:
            with self._db.transaction() as tx:
                tx.execute(f"UPDATE review_segments SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                           (*changes.values(), segment_id))
        return self.get(segment_id)

    def set_reviewed(self, ids: list[str], reviewed: bool = True) -> int:
        with self._db.transaction() as tx:
            return tx.execute(
                f"UPDATE review_segments SET has_been_reviewed = ? WHERE id IN ({', '.join('?' for _ in ids)})",
                (int(reviewed), *ids),
            ).rowcount if ids else 0

    def get(self, segment_id: str) -> ReviewSegment | None:
        row = self._db.query_one("SELECT * FROM review_segments WHERE id = ?", (segment_id,))
        return _from_row(row) if row else None

    def list(self, *, camera: str | None = None, severity: str | None = None, reviewed: bool | None = None,
             after: float | None = None, before: float | None = None, in_progress: bool | None = None,
             limit: int = 100, offset: int = 0) -> list[ReviewSegment]:
        """Newest first; ``after``/``before`` select items active in that span."""
        where, params = [], []
        for column, value in (("camera", camera), ("severity", severity)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if reviewed is not None:
            where.append("has_been_reviewed = ?")
            params.append(int(reviewed))
        if after is not None:
            where.append("(end_time IS NULL OR end_time > ?)")
            params.append(after)
        if before is not None:
            where.append("start_time < ?")
            params.append(before)
        if in_progress is not None:
            where.append("end_time IS NULL" if in_progress else "end_time IS NOT NULL")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.query(f"SELECT * FROM review_segments {clause} ORDER BY start_time DESC LIMIT ? OFFSET ?",
                              (*params, limit, offset))
        return [_from_row(row) for row in rows]

    def end_open(self, end_time: float) -> int:
        """End every item left open (by a crash): none stays active forever."""
        with self._db.transaction() as tx:
            return tx.execute("UPDATE review_segments SET end_time = max(?, start_time) WHERE end_time IS NULL",
                              (end_time,)).rowcount

    def delete(self, segment_id: str) -> bool:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM review_segments WHERE id = ?", (segment_id,)).rowcount > 0
