"""The segment index: every finished segment of every camera, with its wall-clock range.

Rows live in ``recorder_segments`` (the ``recorder`` schema component). A segment sits in the
cache ring until retention either deletes it or, because an event or continuous recording wants
it, moves it into the recordings (``kept``; :mod:`securitycam.recorder.recordings`). Gaps (ffmpeg down) are rows in
``recorder_gaps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from securitycam.store.db import Database, register_schema

register_schema(
    "recorder",
    [
        """
        CREATE TABLE recorder_segments (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            start_time REAL NOT NULL,
            end_time REAL NOT NULL,
            size INTEGER NOT NULL,
            kept INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX recorder_segments_camera_end ON recorder_segments (camera, end_time);
        CREATE TABLE recorder_gaps (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL,
            start_time REAL NOT NULL,
            end_time REAL NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX recorder_gaps_camera_start ON recorder_gaps (camera, start_time);
        """
    ],
)


@dataclass(frozen=True)
class Segment:
    id: int
    camera: str
    path: Path
    start_time: float
    end_time: float
    size: int
    kept: bool

    @property
    def duration(self) -> float:
        return self.end_time - self.start_time

    def overlaps(self, start: float, end: float) -> bool:
        return self.start_time < end and self.end_time > start


def _segment(row) -> Segment:  # type: ignore[no-untyped-def]
    return Segment(row["id"], row["camera"], Path(row["path"]), row["start_time"], row["end_time"],
                   row["size"], bool(row["kept"]))


class SegmentIndex:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, camera: str, path: Path, start: float, end: float, size: int) -> Segment:
        with self._db.transaction() as tx:
            cursor = tx.execute(
                "INSERT INTO recorder_segments (camera, path, start_time, end_time, size) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time, "
                "size = excluded.size RETURNING id",
                (camera, str(path), start, end, size),
            )
            segment_id = cursor.fetchone()[0]
        return Segment(segment_id, camera, path, start, end, size, False)

    def for_camera(self, camera: str) -> list[Segment]:
        rows = self._db.query(
            "SELECT * FROM recorder_segments WHERE camera = ? ORDER BY start_time", (camera,)
        )
        return [_segment(row) for row in rows]

    def overlapping(self, camera: str, start: float, end: float) -> list[Segment]:
        rows = self._db.query(
            "SELECT * FROM recorder_segments WHERE camera = ? AND start_time < ? AND end_time > ? "
            "ORDER BY start_time",
            (camera, end, start),
        )
        return [_segment(row) for row in rows]

    def latest_end(self, camera: str) -> float | None:
        row = self._db.query_one("SELECT max(end_time) AS latest FROM recorder_segments WHERE camera = ?", (camera,))
        return row["latest"] if row else None

    def count(self, camera: str) -> int:
        row = self._db.query_one("SELECT count(*) AS n FROM recorder_segments WHERE camera = ?", (camera,))
        return int(row["n"]) if row else 0

    def all(self) -> list[Segment]:
        return [_segment(row) for row in self._db.query("SELECT * FROM recorder_segments")]

    def remove(self, segment: Segment) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM recorder_segments WHERE id = ?", (segment.id,))

    def add_gap(self, camera: str, start: float, end: float, reason: str) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO recorder_gaps (camera, start_time, end_time, reason) VALUES (?, ?, ?, ?)",
                (camera, start, end, reason),
            )

    def gaps_within(self, camera: str, start: float, end: float) -> list[dict]:
        """The gaps of ``camera`` overlapping ``[start, end]``, oldest first."""
        rows = self._db.query(
            "SELECT start_time, end_time, reason FROM recorder_gaps WHERE camera = ? AND start_time < ? "
            "AND end_time > ? ORDER BY start_time",
            (camera, end, start),
        )
        return [dict(row) for row in rows]

    def gaps(self, camera: str, limit: int = 10) -> list[dict]:
        rows = self._db.query(
            "SELECT start_time, end_time, reason FROM recorder_gaps WHERE camera = ? ORDER BY start_time DESC LIMIT ?",
            (camera, limit),
        )
        return [dict(row) for row in rows]
