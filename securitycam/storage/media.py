"""The media index: every finished file of the archive, one SQLite row each.

A row is a clip (``recordings/output_*.mp4``), a snapshot (``recordings/snapshot_*.jpg``), a
timelapse (``timelapse/timelapse_*.mp4``) or an export (``exports/*.mp4``), with its size *including
its sidecars* (``.thumb.jpg``, ``.sprite.jpg``, ``.meta.json``), the moment its footage was taken,
the event it belongs to and whether the owner locked it. The recorder and the timelapse register a
file the moment it is complete; :meth:`MediaIndex.reconcile` indexes what appeared on disk some
other way (an upgrade, files copied in by hand) and forgets what disappeared.

The janitor chooses what to delete from this table alone: a pass is a few indexed queries, never
a walk of a directory holding a hundred thousand files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from securitycam.clock import Clock
from securitycam.paths import DataPaths
from securitycam.recorder.clips import SIDECARS, read_meta, sidecar
from securitycam.store.db import Database, register_schema
from securitycam.store.events import EventStore

log = logging.getLogger(__name__)

CLIPS, SNAPSHOTS, TIMELAPSE, EXPORTS = "clips", "snapshots", "timelapse", "exports"
KINDS = (CLIPS, SNAPSHOTS, TIMELAPSE, EXPORTS)

register_schema(
    "storage",
    [
        """
        CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            created REAL NOT NULL,
            event_id TEXT,
            locked INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX media_kind_created ON media (kind, created, id);
        CREATE INDEX media_event ON media (event_id) WHERE event_id IS NOT NULL;
        """
    ],
)

# The local time in a file's name (``output_20260401_143022.mp4``, ``timelapse_20260401.mp4``).
_STAMP = re.compile(r"_(\d{8})(?:_(\d{6}))?(?:_\d+)?$")
# A file the recorder or the timelapse is still writing: hidden until renamed into place.
PARTIAL_PREFIX = "."


@dataclass(frozen=True)
class MediaFile:
    id: int
    kind: str
    path: Path
    size: int
    created: float
    event_id: str | None
    locked: bool

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "size": self.size, "created": self.created,
                "event_id": self.event_id, "locked": self.locked}


@dataclass
class Reconciled:
    """What :meth:`MediaIndex.reconcile` changed."""

    indexed: list[Path] = field(default_factory=list)
    forgotten: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    freed: int = 0


def _row(row) -> MediaFile:  # type: ignore[no-untyped-def]
    return MediaFile(row["id"], row["kind"], Path(row["path"]), row["size"], row["created"], row["event_id"],
                     bool(row["locked"]))


def footage_time(path: Path, fallback: float) -> float:
    """When a file's footage was taken: the local time in its name, else ``fallback`` (its mtime)."""
    match = _STAMP.search(path.stem)
    if match is None:
        return fallback
    day, clock = match.group(1), match.group(2) or "000000"
    try:
        return time.mktime(time.strptime(day + clock, "%Y%m%d%H%M%S"))
    except ValueError:
        return fallback


def with_sidecars(path: Path) -> list[Path]:
    return [path, *(sidecar(path, suffix) for suffix in SIDECARS)]


def _size_on_disk(path: Path) -> int:
    total = 0
    for part in with_sidecars(path):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


class MediaIndex:
    """The ``media`` table, and the one place archive files are deleted (with sidecars, events updated)."""

    def __init__(self, db: Database, paths: DataPaths, events: EventStore, clock: Clock) -> None:
        self._db = db
        self._paths = paths
        self._events = events
        self._clock = clock

    def kind_of(self, path: Path) -> str | None:
        """The kind a file is by its directory and name; ``None`` for anything else."""
        name, parent = path.name, path.parent
        if name.startswith(PARTIAL_PREFIX) or path.suffix not in (".mp4", ".jpg"):
            return None
        if parent == self._paths.recordings:
            if name.startswith("output_") and path.suffix == ".mp4":
                return CLIPS
            if name.startswith("snapshot_") and path.suffix == ".jpg":
                return SNAPSHOTS
        elif parent == self._paths.timelapse and name.startswith("timelapse_") and path.suffix == ".mp4":
            return TIMELAPSE
        elif parent == self._paths.exports and path.suffix == ".mp4":
            return EXPORTS
        return None

    # -- registering ----------------------------------------------------------------------------

    def register(self, path: Path, event_id: str | None = None) -> MediaFile | None:
        """Index a complete file (again: the row is replaced); ``None`` if it is no archive file."""
        path = Path(path)
        kind = self.kind_of(path)
        if kind is None:
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        if event_id is None and kind == CLIPS:
            event_id = (read_meta(path) or {}).get("event_id")
        created = footage_time(path, mtime)
        size = _size_on_disk(path)
        with self._db.transaction() as tx:
            row = tx.execute(
                "INSERT INTO media (kind, path, size, created, event_id) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET size = excluded.size, created = excluded.created, "
                "event_id = coalesce(excluded.event_id, media.event_id) RETURNING *",
                (kind, str(path), size, created, event_id if isinstance(event_id, str) else None),
            ).fetchone()
        return _row(row)

    def add_many(self, rows: list[tuple[str, str, int, float, str | None]]) -> None:
        """Insert ``(kind, path, size, created, event_id)`` rows in one transaction (backfill, benchmarks)."""
        with self._db.transaction() as tx:
            tx.executemany(
                "INSERT INTO media (kind, path, size, created, event_id) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO NOTHING",
                rows,
            )

    # -- reading -----------------------------------------------------------------------------------

    def get(self, path: Path) -> MediaFile | None:
        row = self._db.query_one("SELECT * FROM media WHERE path = ?", (str(path),))
        return _row(row) if row else None

    def bytes_by_kind(self) -> dict[str, dict[str, int]]:
        totals = {kind: {"bytes": 0, "files": 0} for kind in KINDS}
        for row in self._db.query("SELECT kind, sum(size) AS bytes, count(*) AS files FROM media GROUP BY kind"):
            totals[row["kind"]] = {"bytes": int(row["bytes"] or 0), "files": int(row["files"])}
        return totals

    def deletable(self, kind: str, before: float | None = None, batch: int = 1000) -> Iterator[list[MediaFile]]:
        """Files of ``kind`` the janitor may delete, oldest first, in batches.

        Never a locked file, nor a clip of an event that is still in progress or that the owner
        asked to keep (``retain_indefinitely``). ``before`` keeps only files older than it.
        """
        after: tuple[float, int] = (float("-inf"), 0)
        limit = float("inf") if before is None else before
        while True:
            rows = self._db.query(
                "SELECT m.* FROM media m LEFT JOIN events e ON e.id = m.event_id "
                "WHERE m.kind = ? AND (m.created, m.id) > (?, ?) AND m.created < ? AND m.locked = 0 "
                "AND (e.id IS NULL OR (e.retain_indefinitely = 0 AND e.end_time IS NOT NULL)) "
                "ORDER BY m.created, m.id LIMIT ?",
                (kind, after[0], after[1], limit, batch),
            )
            if not rows:
                return
            files = [_row(row) for row in rows]
            yield files
            after = (files[-1].created, files[-1].id)

    # -- changing ----------------------------------------------------------------------------------

    def set_locked(self, path: Path, locked: bool) -> MediaFile | None:
        with self._db.transaction() as tx:
            row = tx.execute("UPDATE media SET locked = ? WHERE path = ? RETURNING *",
                             (int(locked), str(path))).fetchone()
        return _row(row) if row else None

    def delete(self, files: list[MediaFile]) -> int:
        """Delete ``files`` with their sidecars, their rows, and their place in events; return bytes freed."""
        freed = 0
        for item in files:
            for part in with_sidecars(item.path):
                try:
                    size = part.stat().st_size
                    part.unlink()
                    freed += size
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    log.warning("cannot delete %s: %s", part, exc)
        with self._db.transaction() as tx:
            tx.executemany("DELETE FROM media WHERE id = ?", [(item.id,) for item in files])
        removed: dict[str, set[str]] = {}
        for item in files:
            if item.event_id:
                removed.setdefault(item.event_id, set()).add(str(item.path))
        if removed:
            self._events.remove_clips(removed)
        return freed

    def delete_path(self, path: Path) -> int:
        """Delete one file a client named (indexed or not), as :meth:`delete` does."""
        item = self.get(path) or self.register(path)
        if item is None:
            return 0
        return self.delete([item])

    # -- reconciling with the disk ----------------------------------------------------------------

    def reconcile(self, known_segments: set[str], grace: float = 600.0) -> Reconciled:
        """Make the index match the disk, and clear away what nothing will ever use.

        One scan of each archive directory (plus the small segment caches): files not indexed are
        indexed; rows whose file is gone are dropped; sidecars whose video is gone, leftovers of an
        interrupted write (hidden ``.*.partial*`` and ``.*.concat.txt``) and segment files the
        recorder's index does not know are deleted once older than ``grace`` seconds (so nothing
        being written right now is touched).
        """
        done = Reconciled()
        now = time.time()  # file ages compare with mtimes, which are real time
        indexed = {row["path"] for row in self._db.query("SELECT path FROM media")}
        seen: set[str] = set()
        backfill: list[tuple[str, str, int, float, str | None]] = []
        for directory in (self._paths.recordings, self._paths.timelapse, self._paths.exports):
            entries = _listing(directory)
            names = set(entries)
            for name, (size, mtime) in entries.items():
                path = directory / name
                kind = self.kind_of(path)
                if kind is not None:
                    seen.add(str(path))
                    if str(path) not in indexed:
                        event_id = (read_meta(path) or {}).get("event_id") if kind == CLIPS else None
                        total = size + sum(entries.get(sidecar(path, s).name, (0, 0))[0] for s in SIDECARS)
                        backfill.append((kind, str(path), total, footage_time(path, mtime),
                                         event_id if isinstance(event_id, str) else None))
                        done.indexed.append(path)
                elif now - mtime > grace and self._is_junk(name, names):
                    done.freed += _unlink(path, size, done.orphans if not name.startswith(".") else done.stale)
        if backfill:
            self.add_many(backfill)
        gone = [path for path in indexed - seen if not Path(path).exists()]
        if gone:
            with self._db.transaction() as tx:
                tx.executemany("DELETE FROM media WHERE path = ?", [(path,) for path in gone])
            done.forgotten = [Path(path) for path in gone]
        for ring in (self._paths.cache, self._paths.recordings / ".segments"):
            for camera_dir in (p for p in _subdirs(ring)):
                for name, (size, mtime) in _listing(camera_dir).items():
                    path = camera_dir / name
                    if path.suffix == ".ts" and str(path) not in known_segments and now - mtime > grace:
                        done.freed += _unlink(path, size, done.stale)
        return done

    @staticmethod
    def _is_junk(name: str, names: set[str]) -> bool:
        if name.startswith(PARTIAL_PREFIX):
            return ".partial" in name or name.endswith(".concat.txt")
        for suffix in SIDECARS:
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                return f"{stem}.mp4" not in names and f".{stem}.partial.mp4" not in names
        return False


def _listing(directory: Path) -> dict[str, tuple[int, float]]:
    """Regular files in ``directory``: name -> (size, mtime)."""
    found: dict[str, tuple[int, float]] = {}
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        found[entry.name] = (stat.st_size, stat.st_mtime)
                except OSError:
                    continue
    except OSError:
        pass
    return found


def _subdirs(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return [Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _unlink(path: Path, size: int, into: list[Path]) -> int:
    try:
        path.unlink()
    except OSError:
        return 0
    into.append(path)
    return size
