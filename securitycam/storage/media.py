"""The media index: every finished file of the archive, one SQLite row each.

A row is a clip (``recordings/output_*.mp4``), a snapshot (``recordings/snapshot_*.jpg``, or an
event's snapshot ``clips/<camera>-<event id>.jpg``), a timelapse (``timelapse/timelapse_*.mp4``) or
an export (``exports/*.mp4``), with its size *including its sidecars* (a clip's ``.thumb.jpg``,
``.sprite.jpg``, ``.meta.json``; an event snapshot's ``-clean.png``/``-clean.jpg`` and
``-thumb.jpg``), the moment its footage was taken, the event it belongs to and whether the owner
locked it. The recorder and the timelapse register a
file the moment it is complete; :meth:`MediaIndex.reconcile` indexes what appeared on disk some
other way (an upgrade, files copied in by hand) and forgets what disappeared.

An event keeps its row in ``events`` while it has a file here. Deleting its last file clears its
``has_clip``/``has_snapshot`` (and its pictures go); :meth:`MediaIndex.forget_events` deletes the
rows of ended events that have no file left, once the janitor finds them old enough.

The janitor chooses what to delete from this table alone: a pass is a few indexed queries, never
a walk of a directory holding a hundred thousand files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from securitycam.paths import EVENT_PICTURES, DataPaths
from securitycam.recorder.clips import SIDECARS, read_meta
from securitycam.store.db import Database, prefix_filter, register_schema
from securitycam.store.events import EventStore

if TYPE_CHECKING:
    from securitycam.storage.profiles import StorageProfiles

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
# An event snapshot's other pictures (its clean copy, its thumbnail), which go with it.
EVENT_SIDECARS = tuple(suffix for suffix in EVENT_PICTURES if suffix != ".jpg")
# ``<camera>-<event id>`` (the id is ``<start epoch>.<fraction>-<random>``, see ``new_event_id``).
_EVENT_PICTURE = re.compile(r"-((\d+\.\d+)-[a-z0-9]+)$")


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

    indexed: int = 0
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
    fields = (int(day[:4]), int(day[4:6]), int(day[6:]), int(clock[:2]), int(clock[2:4]), int(clock[4:]))
    if not (1 <= fields[1] <= 12 and 1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60 and fields[5] < 62):
        return fallback
    return time.mktime((*fields, 0, 0, -1))


def with_sidecars(path: Path | str) -> list[str]:
    """The file and its sidecars' paths (``x.mp4`` -> ``x.thumb.jpg``, ...; ``x.jpg`` ->
    ``x-clean.png``, ...), as strings: the janitor builds these for thousands of files a pass."""
    name = os.fspath(path)
    stem = name[: name.rfind(".")]
    return [name, *(stem + suffix for suffix in (EVENT_SIDECARS if name.endswith(".jpg") else SIDECARS))]


def picture_event(path: Path) -> tuple[str, float] | None:
    """The event id and start time in an event picture's name (``<camera>-<event id>.jpg``)."""
    match = _EVENT_PICTURE.search(path.stem)
    return (match.group(1), float(match.group(2))) if match else None


def _size_on_disk(path: Path) -> int:
    total = 0
    for part in with_sidecars(path):
        with contextlib.suppress(OSError):
            total += os.stat(part).st_size
    return total


class MediaIndex:
    """The ``media`` table, and the one place archive files are deleted (with sidecars, events updated)."""

    def __init__(self, db: Database, paths: DataPaths, events: EventStore,
                 profiles: StorageProfiles | None = None) -> None:
        self._db = db
        self._paths = paths
        self._events = events
        self.profiles = profiles

    def _places(self, available_only: bool = True) -> list[tuple[Path, list[tuple[str, str, str]]]]:
        """Each archive directory with its (name prefix, suffix, kind) rules: storage profiles' (the
        available ones, unless ``available_only`` is off) hold clips and snapshots as ``recordings/`` does."""
        profiles = [] if self.profiles is None else (
            self.profiles.available() if available_only else self.profiles.list())
        recordings = [("output_", ".mp4", CLIPS), ("snapshot_", ".jpg", SNAPSHOTS)]
        return [
            (self._paths.recordings, recordings),
            *((profile.recordings, recordings) for profile in profiles),
            (self._paths.clips, [("", ".jpg", SNAPSHOTS)]),
            (self._paths.timelapse, [("timelapse_", ".mp4", TIMELAPSE)]),
            (self._paths.exports, [("", ".mp4", EXPORTS)]),
        ]

    def kind_of(self, path: Path) -> str | None:
        """The kind a file is by its directory and name; ``None`` for anything else."""
        for directory, rules in self._places(available_only=False):
            if path.parent == directory:
                return _kind_by_name(rules, path.name)
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
        created, found_event = _when_and_event(kind, path, mtime)
        event_id = event_id or found_event
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

    def bytes_by_event(self, event_ids: list[str]) -> dict[str, int]:
        """The bytes (with sidecars) of each event's indexed files, by the ``media_event`` index."""
        if not event_ids:
            return {}
        rows = self._db.query(
            f"SELECT event_id, sum(size) AS bytes FROM media WHERE event_id IN ({', '.join('?' for _ in event_ids)}) "
            "GROUP BY event_id", tuple(event_ids))
        return {row["event_id"]: int(row["bytes"]) for row in rows}

    def deletable(self, kind: str, before: float | None = None, batch: int = 1000, within: str | None = None,
                  outside: Sequence[str] = ()) -> Iterator[list[MediaFile]]:
        """Files of ``kind`` the janitor may delete, oldest first, in batches.

        Never a locked file, nor a clip of an event that is still in progress or that the owner
        asked to keep (``retain_indefinitely``). ``before`` keeps only files older than it;
        ``within`` only paths with that prefix, ``outside`` none with one of those (storage profiles).
        """
        after: tuple[float, int] = (float("-inf"), 0)
        limit = float("inf") if before is None else before
        places, place_params = prefix_filter("m.path", within, outside)
        while True:
            rows = self._db.query(
                "SELECT m.* FROM media m LEFT JOIN events e ON e.id = m.event_id "
                "WHERE m.kind = ? AND (m.created, m.id) > (?, ?) AND m.created < ? AND m.locked = 0 "
                f"AND (e.id IS NULL OR (e.retain_indefinitely = 0 AND e.end_time IS NOT NULL)) {places} "
                "ORDER BY m.created, m.id LIMIT ?",
                (kind, after[0], after[1], limit, *place_params, batch),
            )
            if not rows:
                return
            files = [_row(row) for row in rows]
            yield files
            after = (files[-1].created, files[-1].id)

    # -- changing ----------------------------------------------------------------------------------

    def locked_paths(self) -> set[str]:
        """Every locked file's path (few: an owner locks a handful), to mark them in listings."""
        return {row["path"] for row in self._db.query("SELECT path FROM media WHERE locked = 1")}

    def set_locked(self, path: Path, locked: bool) -> MediaFile | None:
        with self._db.transaction() as tx:
            row = tx.execute("UPDATE media SET locked = ? WHERE path = ? RETURNING *",
                             (int(locked), str(path))).fetchone()
        return _row(row) if row else None

    def delete(self, files: list[MediaFile]) -> int:
        """Delete ``files`` with their sidecars, their rows, and their place in events (an event left
        with no clip loses its pictures in ``clips/`` too, with their index row: it then has neither
        clip nor snapshot).

        Returns the bytes freed as the index counted them (file and sidecars) for every file that
        was still there; the janitor asks the disk afterwards for the truth.
        """
        freed = 0
        for item in files:
            removed = False
            for part in with_sidecars(item.path):
                removed = _remove(part) or removed
            freed += item.size if removed else 0
        with self._db.transaction() as tx:
            tx.executemany("DELETE FROM media WHERE id = ?", [(item.id,) for item in files])
        by_event: dict[str, set[str]] = {}
        for item in files:
            if item.event_id:
                by_event.setdefault(item.event_id, set()).add(str(item.path))
        if by_event:
            emptied = self._events.remove_clips(by_event)
            for camera, event_id in emptied:
                for picture in self._paths.event_pictures(camera, event_id):
                    _remove(picture)
            freed += self._forget_pictures([event_id for _camera, event_id in emptied])
        return freed

    def _forget_pictures(self, event_ids: list[str]) -> int:
        """Drop the snapshot rows of these events (their pictures are gone); the bytes they counted."""
        freed = 0
        with self._db.transaction() as tx:
            for start in range(0, len(event_ids), 500):
                chunk = event_ids[start:start + 500]
                freed += sum(row[0] for row in tx.execute(
                    f"DELETE FROM media WHERE kind = ? AND event_id IN ({', '.join('?' for _ in chunk)}) "
                    "RETURNING size", (SNAPSHOTS, *chunk)).fetchall())
        return freed

    def forget_events(self, ended_before: float, batch: int = 1000) -> int:
        """Delete the rows of events that ended before ``ended_before`` and have no file left (no clip,
        no indexed file), unless retained; with the pictures of one that says it has a snapshot (not
        indexed yet). How many went."""
        forgotten = 0
        while True:
            with self._db.transaction() as tx:
                rows = tx.execute(
                    "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.end_time < ? "
                    "AND e.has_clip = 0 AND e.retain_indefinitely = 0 "
                    "AND NOT EXISTS (SELECT 1 FROM media m WHERE m.event_id = e.id) LIMIT ?) "
                    "RETURNING camera, id, has_snapshot", (ended_before, batch)).fetchall()
            for camera, event_id, has_snapshot in rows:
                for picture in self._paths.event_pictures(camera, event_id) if has_snapshot else ():
                    _remove(picture)
            forgotten += len(rows)
            if len(rows) < batch:
                return forgotten

    def delete_path(self, path: Path) -> int:
        """Delete one file a client named (indexed or not), as :meth:`delete` does."""
        item = self.get(path) or self.register(path)
        if item is None:
            return 0
        return self.delete([item])

    # -- reconciling with the disk ----------------------------------------------------------------

    def reconcile(self, known_segments: set[str], grace: float = 3600.0) -> Reconciled:
        """Make the index match the disk, and clear away what nothing will ever use.

        One scan of each archive directory (plus the small segment caches and ``clips/``): files not
        indexed are indexed; rows whose file is gone are dropped; sidecars whose video is gone,
        leftovers of an interrupted write (hidden ``.*.partial*``, ``.*.concat.txt``, ``.*.tmp``) and
        segment files the recorder's index does not know are deleted once older than ``grace``
        seconds (so nothing being written right now is touched).
        """
        done = Reconciled()
        now = time.time()  # file ages compare with mtimes, which are real time
        indexed_files = 0
        backfill: list[tuple[str, str, int, float, str | None]] = []
        for directory, rules in self._places():
            prefix = os.path.join(directory, "")
            # Names only, and the directory streamed: memory stays small with 100,000 clips.
            indexed = {row[0][len(prefix):] for row in self._db.execute(
                "SELECT path FROM media WHERE path > ? AND path < ?", (prefix, prefix + "\uffff"))}
            for entry in _files(directory):
                name = entry.name
                kind = _kind_by_name(rules, name)
                if kind is not None:
                    if name in indexed:
                        indexed_files += 1
                    else:
                        backfill.append(_backfill_row(kind, Path(entry.path), entry))
                        done.indexed += 1
                        if len(backfill) >= 1000:
                            self.add_many(backfill)
                            backfill.clear()
                elif self._is_junk(directory, name, indexed) and _older(entry, now - grace):
                    done.freed += _unlink(entry, done.stale if name.startswith(PARTIAL_PREFIX) else done.orphans)
        if backfill:
            self.add_many(backfill)
        if indexed_files < self._count() - done.indexed:
            # Some rows name files that are gone (deleted by hand): find and forget them; not those of a
            # storage profile whose disk is away (it may come back).
            away = tuple(self.profiles.unavailable_prefixes()) if self.profiles else ()
            gone = [row[0] for row in self._db.execute("SELECT path FROM media")
                    if not row[0].startswith(away) and not os.path.exists(row[0])]
            with self._db.transaction() as tx:
                tx.executemany("DELETE FROM media WHERE path = ?", [(path,) for path in gone])
            done.forgotten = [Path(path) for path in gone]
        # Review thumbnails are written atomically too: what a crash left of one (of event pictures: above).
        for entry in _files(self._paths.clips / "review"):
            if entry.name.startswith(PARTIAL_PREFIX) and _interrupted(entry.name) and _older(entry, now - grace):
                done.freed += _unlink(entry, done.stale)
        for ring in (self._paths.cache, self._paths.recordings / ".segments"):
            for camera_dir in _subdirs(ring):
                for entry in _files(camera_dir):
                    if entry.name.endswith(".ts") and entry.path not in known_segments and _older(entry, now - grace):
                        done.freed += _unlink(entry, done.stale)
        return done

    def _count(self) -> int:
        row = self._db.query_one("SELECT count(*) AS n FROM media")
        return int(row["n"]) if row else 0

    @staticmethod
    def _is_junk(directory: Path, name: str, indexed: set[str]) -> bool:
        """A leftover of an interrupted write, or a sidecar whose video is gone (and is not being made)."""
        if name.startswith(PARTIAL_PREFIX):
            return _interrupted(name)
        for suffix in SIDECARS:
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                if f"{stem}.mp4" in indexed:
                    return False
                return not any(os.path.exists(directory / video) for video in (f"{stem}.mp4", f".{stem}.partial.mp4"))
        for suffix in EVENT_SIDECARS:
            if name.endswith(suffix):
                snapshot = f"{name[: -len(suffix)]}.jpg"
                return snapshot not in indexed and not os.path.exists(directory / snapshot)
        return False


def _interrupted(hidden_name: str) -> bool:
    """A hidden file that an interrupted write left: a partial video or picture, a concat list, or
    :func:`~securitycam.fileio.write_atomic`'s temporary file."""
    return ".partial" in hidden_name or hidden_name.endswith((".concat.txt", ".tmp"))


def _remove(path: str | Path) -> bool:
    """Delete one file; whether it was there (a failure is logged: the rest of a batch still goes)."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot delete %s: %s", path, exc)
        return False


def _when_and_event(kind: str, path: Path, mtime: float) -> tuple[float, str | None]:
    """When a file's footage was taken and its event: a clip's sidecar names the event, an event
    picture's name holds the event's id and start."""
    if kind == CLIPS:
        event_id = (read_meta(path) or {}).get("event_id")
        return footage_time(path, mtime), event_id if isinstance(event_id, str) else None
    if kind == SNAPSHOTS and (event := picture_event(path)) is not None:
        return event[1], event[0]
    return footage_time(path, mtime), None


def _backfill_row(kind: str, path: Path, entry: os.DirEntry) -> tuple[str, str, int, float, str | None]:
    created, event_id = _when_and_event(kind, path, _stat(entry)[1])
    return kind, str(path), _size_on_disk(path), created, event_id


def _kind_by_name(rules: list[tuple[str, str, str]], name: str) -> str | None:
    if name.startswith(PARTIAL_PREFIX) or name.endswith(SIDECARS) or name.endswith(EVENT_SIDECARS):
        return None
    for prefix, suffix, kind in rules:
        if name.startswith(prefix) and name.endswith(suffix):
            return kind
    return None


def _files(directory: Path) -> Iterator[os.DirEntry]:
    """Regular files in ``directory``, streamed (no stat: the kernel's directory entry says "file")."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    yield entry
    except OSError:
        return


def _stat(entry: os.DirEntry) -> tuple[int, float]:
    try:
        stat = entry.stat(follow_symlinks=False)
    except OSError:
        return 0, 0.0
    return stat.st_size, stat.st_mtime


def _older(entry: os.DirEntry, than: float) -> bool:
    size_and_mtime = _stat(entry)
    return 0.0 < size_and_mtime[1] < than


def _subdirs(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return [Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _unlink(entry: os.DirEntry, into: list[Path]) -> int:
    size = _stat(entry)[0]
    try:
        os.unlink(entry.path)
    except OSError:
        return 0
    into.append(Path(entry.path))
    return size
