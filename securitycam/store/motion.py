"""Motion activity: how much each camera's motion detector saw, per ``BUCKET_SECONDS`` of time.

Frigate answers ``/api/review/activity/motion`` from its recordings' ``motion`` column (the motion
boxes counted over each 10 s segment's frames). Here the detection pipeline counts the same thing
(:class:`MotionTally`: motion boxes per frame, summed per 10 s of frame time) and writes one row per
bucket that had any, when the bucket is over: a quiet camera writes nothing, a busy one a row every
10 s. Rows older than ``KEEP_DAYS`` are pruned as new ones come. Cameras without detection have no
motion detector running, hence no rows.

The tally also counts the active objects (real, moving tracked objects) per frame, and at the same
point, once per bucket with any motion or objects, hands both counts with the span of frames that had
them to ``mark`` (the recorder's :meth:`~securitycam.recorder.recordings.RecordingStore.mark_activity`):
that is what lets ``record.retain.mode`` ``motion`` / ``active_objects`` keep segments.

:meth:`MotionActivityStore.activity` resamples the rows as Frigate does (pandas' ``resample`` of
``scale`` seconds from the first day's midnight, each bin the largest count in it, empty bins 0
between the first and last bin with data) and scales each hour's worth of bins to 0..100.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from securitycam.store.db import Database, register_schema

BUCKET_SECONDS = 10
KEEP_DAYS = 14
DAY = 86400
PRUNE_EVERY = 3600.0

register_schema(
    "motion_activity",
    [
        """
        CREATE TABLE motion_activity (
            camera TEXT NOT NULL,
            start_time REAL NOT NULL,
            motion INTEGER NOT NULL,
            PRIMARY KEY (camera, start_time)
        ) WITHOUT ROWID;
        CREATE INDEX motion_activity_start ON motion_activity (start_time);
        """
    ],
)


class TooManyBins(ValueError):
    """The range holds more bins than one answer may (the caller names ``scale``)."""


class MotionActivityStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, camera: str, start_time: float, motion: int) -> None:
        with self._db.transaction() as tx:
            tx.execute("INSERT INTO motion_activity (camera, start_time, motion) VALUES (?, ?, ?) "
                       "ON CONFLICT (camera, start_time) DO UPDATE SET motion = motion + excluded.motion",
                       (camera, start_time, motion))

    def prune(self, camera: str, before: float) -> int:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM motion_activity WHERE camera = ? AND start_time < ?",
                              (camera, before)).rowcount

    def activity(self, cameras: Sequence[str] | None, after: float, before: float, scale: int,
                 max_bins: int = 20_000) -> list[dict[str, Any]]:
        """Frigate's answer: ``[{"start_time", "motion" (0..100), "camera" (names, ``,``-joined)}]``
        for the buckets inside ``(after, before)``; ``[]`` without motion."""
        where = ["start_time > ?", "start_time + ? < ?"]
        params: list[Any] = [after, BUCKET_SECONDS, before]
        if cameras:
            where.append(f"camera IN ({', '.join('?' for _ in cameras)})")
            params.extend(cameras)
        first = self._db.query_one(f"SELECT min(start_time) AS first FROM motion_activity WHERE {' AND '.join(where)}",
                                   tuple(params))
        if first is None or first["first"] is None:
            return []
        origin = math.floor(first["first"] / DAY) * DAY
        rows = self._db.query(
            f"SELECT CAST((start_time - ?) / ? AS INTEGER) AS bin, max(motion) AS motion, "
            f"group_concat(DISTINCT camera) AS cameras FROM motion_activity WHERE {' AND '.join(where)} "
            "GROUP BY bin ORDER BY bin", (origin, scale, *params))
        low, high = rows[0]["bin"], rows[-1]["bin"]
        if high - low + 1 > max_bins:
            raise TooManyBins(f"{high - low + 1} bins of {scale} s; at most {max_bins}")
        found = {row["bin"]: row for row in rows}
        bins: list[dict[str, Any]] = []
        for number in range(low, high + 1):
            row = found.get(number)
            bins.append({"start_time": int(origin + number * scale), "motion": float(row["motion"]) if row else 0.0,
                         "camera": ",".join(sorted(row["cameras"].split(","))) if row else ""})
        _scale_per_hour(bins, max(1, 3600 // scale))
        return bins


def _scale_per_hour(bins: list[dict[str, Any]], chunk: int) -> None:
    """Each ``chunk`` of bins (an hour's worth) scaled to 0..100 between its own least and most
    motion; all 0 where it is flat."""
    for begin in range(0, len(bins), chunk):
        part = bins[begin:begin + chunk]
        low = min(item["motion"] for item in part)
        high = max(item["motion"] for item in part)
        for item in part:
            item["motion"] = (item["motion"] - low) / (high - low) * 100 if high != low else 0.0


ActivityMark = Callable[[str, float, float, int, int], None]
"""``(camera, first, last, motion, objects)``: as :meth:`RecordingStore.mark_activity`."""


class MotionTally:
    """One camera's motion boxes (and active objects) counted per bucket of frame time, written when
    a bucket is over."""

    def __init__(self, camera: str, store: MotionActivityStore, clock: Callable[[], float],
                 mark: ActivityMark | None = None) -> None:
        self.camera = camera
        self._store = store
        self._clock = clock
        self._mark = mark
        self._bucket: float | None = None
        self._count = 0
        self._objects = 0
        # Frame times of the bucket's first and last frame with motion or objects: the span marked.
        self._first = self._last = 0.0
        self._pruned_at = 0.0

    def frame(self, frame_time: float, boxes: int, objects: int = 0) -> None:
        bucket = math.floor(frame_time / BUCKET_SECONDS) * BUCKET_SECONDS
        if bucket != self._bucket:
            self.flush()
            self._bucket = bucket
        if boxes or objects:
            if not (self._count or self._objects):
                self._first = frame_time
            self._last = frame_time
            self._count += boxes
            self._objects += objects

    def flush(self) -> None:
        """Write the current bucket (if it had motion or objects); the pipeline calls it when it stops too."""
        if self._bucket is not None and self._mark is not None and (self._count or self._objects):
            self._mark(self.camera, self._first, self._last, self._count, self._objects)
        if self._bucket is not None and self._count:
            self._store.add(self.camera, self._bucket, self._count)
            now = self._clock()
            if now - self._pruned_at > PRUNE_EVERY:
                self._store.prune(self.camera, now - KEEP_DAYS * DAY)
                self._pruned_at = now
        self._bucket, self._count, self._objects = None, 0, 0
