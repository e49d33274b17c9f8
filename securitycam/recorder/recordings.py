"""Recordings: segments kept beyond the ring, one file and one ``recordings`` row each.

The recorder's ring (``cache/<camera>/``) holds the last ``ring_seconds`` of every camera. A
segment that an event wants (its ``[start − pre_capture, end + post_capture]``), or every segment
when the camera's ``record.enabled`` is on (with ``retain.mode`` ``motion`` / ``active_objects``:
only those the detector marked), is *kept*: moved, never re-encoded, to
``recordings/<YYYY-MM-DD>/<HH>/<camera>/<MM>.<SS>.ts`` (UTC, as Frigate, so no hour repeats at a
DST change) with a row (camera, path, start, end, duration, motion, objects, size). The move is a
rename when the ring and the archive share a filesystem, else a copy to a hidden name renamed into
place, so a listed file is always whole.

Clips, HLS playback (``/vod``), ``/api/<camera>/start/<s>/end/<e>/clip.mp4`` and exports all read
these rows. The storage janitor deletes them by the retention rules of :func:`protected_windows`
(never footage of an event in progress or retained) and never a row the ring still lists.

Motion and objects are 0 until the detector calls :meth:`RecordingStore.mark_activity`; marks
for segments still in the ring are remembered for a few minutes and land on the row when the
segment is kept.
"""

from __future__ import annotations

import bisect
import errno
import json
import logging
import math
import os
import re
import shutil
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import securitycam.store.events  # noqa: F401  (its schema must register first: ours indexes its table)
from securitycam.config.models import RecordSettings
from securitycam.paths import DataPaths
from securitycam.recorder.segments import Segment
from securitycam.store.db import Database, prefix_filter, register_schema

if TYPE_CHECKING:
    from securitycam.storage.profiles import StorageProfiles

log = logging.getLogger(__name__)

DAY = 86400.0
KIND = "recordings"
ALERT, DETECTION = "alert", "detection"
# No kept segment is longer than this (a camera's keyframe interval decides; 10 s is the setting's
# maximum): range queries bound ``start_time`` with it, so they stay on the (camera, start) index.
MAX_SEGMENT_SECONDS = 120.0
# Activity marks are kept this long for segments still in the ring (its longest setting is 600 s).
ACTIVITY_MEMORY = 900.0
_DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")

register_schema(
    "recordings",
    [
        """
        CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            start_time REAL NOT NULL,
            end_time REAL NOT NULL,
            duration REAL NOT NULL,
            motion INTEGER NOT NULL DEFAULT 0,
            objects INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL
        );
        CREATE INDEX recordings_camera_start ON recordings (camera, start_time);
        CREATE INDEX recordings_start ON recordings (start_time);
        CREATE INDEX events_retained_by_camera ON events (camera, start_time) WHERE retain_indefinitely = 1;
        """
    ],
)


@dataclass(frozen=True)
class Recording:
    id: int
    camera: str
    path: Path
    start_time: float
    end_time: float
    duration: float
    motion: int
    objects: int
    size: int

    kind = KIND


def _recording(row) -> Recording:  # type: ignore[no-untyped-def]
    return Recording(row["id"], row["camera"], Path(row["path"]), row["start_time"], row["end_time"],
                     row["duration"], row["motion"], row["objects"], row["size"])


def severity(source: str, label: str, data: dict) -> str:
    """An event's review severity: what the detector wrote in ``data["severity"]``, else ``alert`` for
    what a person asked for or that concerns people (sensor, manual, API; ``person``, ``car`` as
    Frigate's default alert labels), ``detection`` for anything else."""
    chosen = data.get("severity")
    if chosen in (ALERT, DETECTION):
        return chosen
    if source in ("sensor", "manual", "api") or label in ("person", "car"):
        return ALERT
    return DETECTION


def merge(windows: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping ``(start, end)`` ranges joined, sorted by start."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlaps_any(windows: list[tuple[float, float]], start: float, end: float) -> bool:
    """Whether ``[start, end)`` overlaps one of the merged, sorted ``windows``."""
    index = bisect.bisect_left(windows, (end,)) - 1
    return index >= 0 and windows[index][1] > start


class RecordingStore:
    """The ``recordings`` table and the files it lists."""

    def __init__(self, db: Database, paths: DataPaths, profiles: StorageProfiles | None = None) -> None:
        self._db = db
        self._paths = paths
        self.root = paths.recordings
        self.profiles = profiles
        self._activity: dict[str, deque[tuple[float, float, int, int]]] = {}
        self._activity_lock = threading.Lock()

    # -- keeping -------------------------------------------------------------------------------------

    def root_for(self, camera: str) -> Path:
        """Where ``camera``'s segments are kept now: its storage profile's ``recordings/`` or ours."""
        return self.profiles.directory_for(camera) if self.profiles else self.root

    def path_for(self, camera: str, start: float, root: Path | None = None) -> Path:
        """``recordings/<YYYY-MM-DD>/<HH>/<camera>/<MM>.<SS>.ts`` (UTC) below ``root`` (the camera's
        :meth:`root_for`); ``<MM>.<SS>.<ms>.ts`` if taken."""
        moment = datetime.fromtimestamp(start, tz=UTC)
        directory = (root or self.root_for(camera)) / moment.strftime("%Y-%m-%d") / moment.strftime("%H") / camera
        candidate = directory / moment.strftime("%M.%S.ts")
        number = moment.microsecond // 1000
        while candidate.exists():
            candidate = directory / f"{moment.strftime('%M.%S')}.{number:03d}.ts"
            number += 1
        return candidate

    def keep(self, segment: Segment, root: Path | None = None) -> Path:
        """Move a ring segment into the recordings tree below ``root`` (by default the camera's
        :meth:`root_for`), add its row and mark it kept in the segment index (one transaction); returns
        the new path. A storage profile that fails under the move makes it go to ours instead.

        Raises ``OSError`` if the file cannot be moved (it then stays where it was); if the database
        cannot record the move (a full disk), the file goes back before the error is raised, so that
        the segment index and the disk always name the same place.
        """
        root = root or self.root_for(segment.camera)
        try:
            target = self._move_below(segment, root)
        except OSError as exc:
            # A storage profile that failed under us: the segment stays whole in the ring, and is kept here.
            if root == self.root or self.profiles is None or not self.profiles.write_failed(root, exc):
                raise
            root = self.root
            target = self._move_below(segment, root)
        motion, objects = self.activity(segment.camera, segment.start_time, segment.end_time)
        try:
            with self._db.transaction() as tx:
                tx.execute(
                    "INSERT INTO recordings (camera, path, start_time, end_time, duration, motion, objects, size) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO NOTHING",
                    (segment.camera, str(target), segment.start_time, segment.end_time, segment.duration,
                     motion, objects, segment.size),
                )
                tx.execute("UPDATE recorder_segments SET path = ?, kept = 1 WHERE id = ?", (str(target), segment.id))
        except BaseException:
            os.replace(target, segment.path)
            raise
        return target

    def _move_below(self, segment: Segment, root: Path) -> Path:
        target = self.path_for(segment.camera, segment.start_time, root)
        # Directories are made below ``root`` only: a profile's that is gone with its disk is not made
        # again on the SD card, below the mount point it leaves behind.
        if not root.is_dir():
            raise FileNotFoundError(errno.ENOENT, "the recordings directory is gone", str(root))
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(segment.path, target)
        return target

    def add(self, camera: str, path: Path, start: float, end: float, size: int) -> None:
        """Add a row for a file already in place (benchmarks, imports)."""
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO recordings (camera, path, start_time, end_time, duration, size) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO NOTHING", (camera, str(path), start, end, end - start, size))

    # -- activity: the detector's seam --------------------------------------------------------------

    def mark_activity(self, camera: str, start: float, end: float, motion: int = 0, objects: int = 0) -> None:
        """Add ``motion`` (frames or boxes with motion) and ``objects`` (active tracked objects) to every
        segment of ``camera`` overlapping ``[start, end]``: kept rows now, ring segments when kept.

        Call it in batches (a segment length or a detection interval at a time), not once a frame.
        A camera with ``record.retain.mode`` ``motion`` / ``active_objects`` keeps only marked segments.
        """
        if motion <= 0 and objects <= 0:
            return
        with self._activity_lock:
            marks = self._activity.setdefault(camera, deque())
            marks.append((start, end, motion, objects))
            while marks and marks[0][1] < end - ACTIVITY_MEMORY:
                marks.popleft()
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE recordings SET motion = motion + ?, objects = objects + ? WHERE camera = ? "
                "AND start_time > ? AND start_time <= ? AND end_time > ?",
                (motion, objects, camera, start - MAX_SEGMENT_SECONDS, end, start),
            )

    def activity(self, camera: str, start: float, end: float) -> tuple[int, int]:
        """Motion and objects marked in ``[start, end]`` while its segment was in the ring."""
        with self._activity_lock:
            marks = list(self._activity.get(camera, ()))
        # As :meth:`mark_activity`'s query: a segment is [start, end), a mark [s, e] (an instant belongs
        # to the segment it falls in).
        hits = [(m, o) for s, e, m, o in marks if s < end and e >= start]
        return sum(m for m, _o in hits), sum(o for _m, o in hits)

    # -- reading ---------------------------------------------------------------------------------------

    def overlapping(self, camera: str, start: float, end: float) -> list[Recording]:
        """Rows of ``camera`` with footage in ``(start, end)``, oldest first."""
        rows = self._db.query(
            "SELECT * FROM recordings WHERE camera = ? AND start_time > ? AND start_time < ? AND end_time > ? "
            "ORDER BY start_time",
            (camera, start - MAX_SEGMENT_SECONDS, end, start),
        )
        return [_recording(row) for row in rows]

    def frigate_listing(self, camera: str, start: float, end: float) -> list[dict]:
        """The rows with footage in ``(start, end)`` as Frigate's ``/api/<camera>/recordings`` lists them
        (``segment_size`` in MB), built straight from the query: a day is 43,200 of them."""
        return [
            {"id": str(row[0]), "start_time": row[1], "end_time": row[2], "segment_size": round(row[3] / 1e6, 6),
             "motion": row[4], "objects": row[5], "duration": row[6]}
            for row in self._db.execute(
                "SELECT id, start_time, end_time, size, motion, objects, duration FROM recordings WHERE camera = ? "
                "AND start_time > ? AND start_time < ? AND end_time > ? ORDER BY start_time",
                (camera, start - MAX_SEGMENT_SECONDS, end, start),
            )
        ]

    def playlist_rows(self, camera: str, start: float, end: float) -> list[tuple[int, float, float, int]]:
        """``(id, start, end, size)`` of the segments with footage in ``(start, end)``: a playlist's entries."""
        return [tuple(row) for row in self._db.execute(  # type: ignore[misc]
            "SELECT id, start_time, end_time, size FROM recordings WHERE camera = ? AND start_time > ? "
            "AND start_time < ? AND end_time > ? ORDER BY start_time",
            (camera, start - MAX_SEGMENT_SECONDS, end, start),
        )]

    def rates(self, camera: str, start: float, end: float) -> tuple[int, float, float]:
        """``(segments, peak, average)`` bits per second of the segments a playlist of the range lists."""
        row = self._db.query_one(
            "SELECT count(*) AS n, max(size * 8.0 / max(end_time - start_time, 0.001)) AS peak, "
            "sum(size) * 8.0 / max(sum(end_time - start_time), 0.001) AS average FROM recordings "
            "WHERE camera = ? AND start_time > ? AND start_time < ? AND end_time > ?",
            (camera, start - MAX_SEGMENT_SECONDS, end, start),
        )
        return (int(row["n"]), row["peak"] or 0.0, row["average"] or 0.0) if row else (0, 0.0, 0.0)

    def at(self, camera: str, moment: float) -> Recording | None:
        """The segment of ``camera`` holding ``moment``."""
        row = self._db.query_one(
            "SELECT * FROM recordings WHERE camera = ? AND start_time > ? AND start_time <= ? AND end_time >= ? "
            "ORDER BY start_time DESC LIMIT 1",
            (camera, moment - MAX_SEGMENT_SECONDS, moment, moment),
        )
        return _recording(row) if row else None

    def get(self, recording_id: int) -> Recording | None:
        row = self._db.query_one("SELECT * FROM recordings WHERE id = ?", (recording_id,))
        return _recording(row) if row else None

    def buckets(self, cameras: list[str] | None, seconds: int = 900) -> list[tuple[str, float, float, int, int]]:
        """``(camera, bucket start, duration, motion, objects)`` summed per ``seconds`` of UTC time:
        the summaries group these by local hour or day (15 minutes fits every time zone's offset)."""
        where, params = "", ()
        if cameras is not None:
            where = f"WHERE camera IN ({', '.join('?' for _ in cameras)})"
            params = tuple(cameras)
        rows = self._db.query(
            f"SELECT camera, CAST(start_time / {seconds} AS INTEGER) * {seconds} AS bucket, sum(duration) AS duration, "
            f"sum(motion) AS motion, sum(objects) AS objects FROM recordings {where} GROUP BY camera, bucket",
            params,
        )
        return [(row["camera"], float(row["bucket"]), row["duration"], row["motion"], row["objects"]) for row in rows]

    def usage(self, since: float) -> dict[str, dict[str, float]]:
        """Per camera: bytes kept, and bytes kept of footage newer than ``since``."""
        rows = self._db.query(
            "SELECT camera, sum(size) AS bytes, sum(CASE WHEN start_time >= ? THEN size ELSE 0 END) AS recent "
            "FROM recordings GROUP BY camera", (since,))
        return {row["camera"]: {"bytes": row["bytes"] or 0, "recent": row["recent"] or 0} for row in rows}

    def totals(self) -> dict[str, int]:
        row = self._db.query_one("SELECT coalesce(sum(size), 0) AS bytes, count(*) AS files FROM recordings")
        return {"bytes": int(row["bytes"]), "files": int(row["files"])} if row else {"bytes": 0, "files": 0}

    def cameras(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT camera FROM recordings")]

    # -- retention -------------------------------------------------------------------------------------

    def protected_windows(self, camera: str, pre: float, post: float, now: float,
                          record: RecordSettings | None) -> list[tuple[float, float]]:
        """Merged footage ranges of ``camera`` that events still hold.

        Always: events in progress and events the owner retained. With ``record`` (age-based
        retention, not a shortage of space): also each event within its severity's
        ``alerts``/``detections`` ``retain.days``.
        """
        queries = [
            ("SELECT start_time, end_time FROM events WHERE end_time IS NULL AND camera = ?", (camera,)),
            ("SELECT start_time, end_time FROM events WHERE retain_indefinitely = 1 AND camera = ?", (camera,)),
        ]
        windows = [(start - pre, math.inf if end is None else end + post)
                   for sql, params in queries for start, end in self._db.execute(sql, params)]
        if record is not None:
            longest = max(record.alerts.retain.days, record.detections.retain.days)
            days = {ALERT: record.alerts.retain.days, DETECTION: record.detections.retain.days}
            for row in self._db.execute(
                "SELECT start_time, end_time, source, label, data FROM events WHERE camera = ? AND start_time >= ?",
                (camera, now - longest * DAY),
            ):
                data = json.loads(row["data"]) if row["data"] else {}
                if row["start_time"] >= now - days[severity(row["source"], row["label"], data)] * DAY:
                    end = now if row["end_time"] is None else row["end_time"]
                    windows.append((row["start_time"] - pre, end + post))
        return merge(windows)

    def expirable(self, camera: str | None, before: float, batch: int = 500, within: str | None = None,
                  outside: Sequence[str] = ()) -> Iterator[list[Recording]]:
        """Rows (of ``camera``, or of all) that ended before ``before`` and that the recorder's ring no
        longer lists, oldest first, in batches; ``within``/``outside`` path prefixes as
        :meth:`MediaIndex.deletable <securitycam.storage.media.MediaIndex.deletable>`."""
        after: tuple[float, int] = (float("-inf"), 0)
        camera_clause = "AND r.camera = ?" if camera is not None else ""
        places, place_params = prefix_filter("r.path", within, outside)
        while True:
            params: tuple = (after[0], after[1], before, *((camera,) if camera is not None else ()), *place_params,
                             batch)
            rows = self._db.query(
                "SELECT r.* FROM recordings r LEFT JOIN recorder_segments s ON s.path = r.path "
                f"WHERE (r.start_time, r.id) > (?, ?) AND r.end_time < ? {camera_clause} {places} AND s.id IS NULL "
                "ORDER BY r.start_time, r.id LIMIT ?",
                params,
            )
            if not rows:
                return
            found = [_recording(row) for row in rows]
            yield found
            after = (found[-1].start_time, found[-1].id)

    def delete(self, recordings: list[Recording]) -> int:
        """Delete the files and rows (and hour/day directories left empty); the bytes freed."""
        freed = 0
        directories: set[Path] = set()
        for item in recordings:
            try:
                os.unlink(item.path)
                freed += item.size
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cannot delete %s: %s", item.path, exc)
                continue
            directories.add(item.path.parent)
        with self._db.transaction() as tx:
            tx.executemany("DELETE FROM recordings WHERE id = ?", [(item.id,) for item in recordings])
        for directory in directories:
            self._prune(directory)
        return freed

    def _prune(self, directory: Path) -> None:
        """Remove ``directory`` and its parents up to the day, while empty (in ours or a profile's tree)."""
        roots = [self.root, *(profile.recordings for profile in (self.profiles.list() if self.profiles else []))]
        root = next((root for root in roots if root in directory.parents), None)
        for _level in range(3):
            if root is None or directory == root:
                return
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    # -- reconciling with the disk ---------------------------------------------------------------------

    def reconcile(self, known: set[str], older_than: float) -> tuple[list[Path], int]:
        """Delete segment files in the tree that no row (nor the ring, ``known``) lists and that are
        older than ``older_than`` (mtime), and forget rows whose file is gone. Returns the files
        deleted and the rows forgotten.

        One scan of each camera's hour directory, compared with the rows under it: no ``stat`` per row.
        """
        deleted: list[Path] = []
        gone: list[str] = []
        scanned: set[str] = set()
        for day in _subdirs(self.root):
            if not _DAY_DIR.match(day.name):
                continue
            for hour in _subdirs(day):
                for camera_dir in _subdirs(hour):
                    scanned.add(str(camera_dir))
                    prefix = os.path.join(camera_dir, "")
                    listed = {row[0] for row in self._db.execute(
                        "SELECT path FROM recordings WHERE path > ? AND path < ?", (prefix, prefix + "\uffff"))}
                    present = set()
                    for entry in _entries(camera_dir):
                        present.add(entry.path)
                        if entry.path in listed or entry.path in known or not entry.is_file(follow_symlinks=False):
                            continue
                        try:
                            if entry.stat().st_mtime < older_than:
                                os.unlink(entry.path)
                                deleted.append(Path(entry.path))
                        except OSError:
                            continue
                    gone.extend(listed - present)
                    self._prune(camera_dir)
        # Rows in directories that are gone altogether (ours only: a storage profile's disk may be unplugged).
        prefix = os.path.join(self.root, "")
        gone.extend(path for (path,) in self._db.execute(
            "SELECT path FROM recordings WHERE path > ? AND path < ?", (prefix, prefix + "\uffff"))
            if os.path.dirname(path) not in scanned)
        with self._db.transaction() as tx:
            tx.executemany("DELETE FROM recordings WHERE path = ?", [(path,) for path in gone])
        return deleted, len(gone)


def _move(source: Path, target: Path) -> None:
    """Rename, or (across filesystems: the ring is a tmpfs on the Pi) copy to a hidden name and rename."""
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(source, "rb") as reader, open(partial, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
            writer.flush()
            # The copy is ours to make durable: a power cut must not leave a listed segment half written.
            os.fsync(writer.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    source.unlink(missing_ok=True)


def _entries(directory: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except OSError:
        return []


def _subdirs(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return sorted(Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []
